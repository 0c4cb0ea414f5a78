/* The text config: one file for the whole pipeline.
 *   # comment
 *   key = value          (value runs to end of line, trimmed; "" allowed)
 * Keys are namespaced by stage: bgp., sflow., rank., push. (and
 * bgp.NAME. for one instance of a stage); keys without a dot are shared
 * (log-level, rundir, user). A key may repeat: repeatable flags take
 * every value, others the last one. */
#ifndef AR_CONF_H
#define AR_CONF_H

#include <getopt.h>
#include <stddef.h>

struct conf_entry {
	char *key;
	char *value;
	unsigned line;
};

struct conf {
	char *path;
	struct conf_entry *v;
	size_t n, cap;
};

/* Errors print as "path:line: message" and return -1. */
int conf_load(struct conf *c, const char *path);
int conf_parse_string(struct conf *c, const char *name, const char *text);
void conf_free(struct conf *c);
/* Last value of key, or NULL. */
const char *conf_get(const struct conf *c, const char *key);

/* Apply the keys "NS.OPT" (NS is e.g. "rank" or "bgp.learn") whose OPT names
 * a long option of opts, calling set(opt->val, value, arg) in file order;
 * a switch (no_argument) gets its value too, to be read as yes or no. Keys
 * of other namespaces and instances (NS.NAME.OPT) are left alone. A key of
 * the namespace that names no option is an error, as is a bad value: set()
 * returns -1 after printing why (or CONF_NOT_A_KEY for an option of the
 * command line alone), and the error is reported with the file and line.
 * Every error is reported; returns 0, or -1 when there was one. */
#define CONF_NOT_A_KEY (-2)
typedef int conf_set_fn(int optval, const char *value, void *arg);
int conf_apply(const struct conf *c, const char *ns, const struct option *opts,
	       conf_set_fn *set, void *arg);

/* The shared keys every program honours (log-level). */
int conf_apply_shared(const struct conf *c);

#endif
