/* Logging to stderr: "prog: level: message", with levels and rate limits. */
#ifndef AR_LOG_H
#define AR_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *progname);
const char *log_progname(void);
void log_set_level(enum log_level lvl);
int log_level_parse(const char *s, enum log_level *lvl);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Rate limit for one kind of message: a burst of LOG_RL_BURST per
 * LOG_RL_INTERVAL_MS, then one line with the count of what was dropped. */
#define LOG_RL_BURST 5
#define LOG_RL_INTERVAL_MS 1000
struct log_rl {
	uint64_t window_start_ms;
	unsigned in_window;
	unsigned long suppressed;
};
void log_rl(struct log_rl *rl, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Hex dump of at most max bytes into buf ("01 02 ..." with "..." when cut). */
const char *log_hex(const void *p, size_t len, size_t max, char *buf, size_t buflen);

#endif
