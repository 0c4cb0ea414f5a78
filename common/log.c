/* Logging to stderr. runit's svlogd adds timestamps, so we do not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ev.h"
#include "log.h"

static const char *progname = "activeroute";
static enum log_level level = LOG_INFO;
static const char *const names[] = { "error", "warning", "info", "debug" };

void log_init(const char *name)
{
	const char *slash = strrchr(name, '/');
	progname = slash ? slash + 1 : name;
}

const char *log_progname(void) { return progname; }
void log_set_level(enum log_level lvl) { level = lvl; }
enum log_level log_get_level(void) { return level; }

/* One spelling for configs and flags: error, warn, info, debug. */
int log_level_parse(const char *s, enum log_level *lvl)
{
	static const char *const spelled[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcasecmp(s, spelled[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	if (lvl > level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so concurrent stages do not interleave mid-line. */
	fprintf(stderr, "%s: %s: %s\n", progname, names[lvl], line);
	fflush(stderr);
	errno = saved;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_rl(struct log_rl *rl, enum log_level lvl, const char *fmt, ...)
{
	ar_msec now = ev_now();
	va_list ap;

	if (now - rl->window_start_ms >= LOG_RL_INTERVAL_MS || rl->window_start_ms == 0) {
		if (rl->suppressed)
			log_msg(lvl, "%lu similar messages suppressed", rl->suppressed);
		rl->window_start_ms = now ? now : 1;
		rl->in_window = 0;
		rl->suppressed = 0;
	}
	if (rl->in_window >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->in_window++;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

const char *log_hex(const void *p, size_t len, size_t max, char *buf, size_t buflen)
{
	const uint8_t *b = p;
	size_t o = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < len && i < max && o + 4 < buflen; i++)
		o += (size_t)snprintf(buf + o, buflen - o, "%s%02x", i ? " " : "", b[i]);
	if (len > max && o + 4 < buflen)
		strlcat(buf, " ...", buflen);
	return buf;
}
