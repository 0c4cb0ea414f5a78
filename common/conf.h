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
 * a long option of opts, calling set(opt->val, value, arg) in file order.
 * A key in the namespace that names no option is warned about with its file
 * and line (and counted in the return value's *unknown); keys of other
 * namespaces are ignored. set() returns 0, or -1 after printing why; the
 * error is then reported as "path:line: bad value for KEY". Returns -1 on
 * the first bad value. */
typedef int conf_set_fn(int optval, const char *value, void *arg);
int conf_apply(const struct conf *c, const char *ns, const struct option *opts,
	       conf_set_fn *set, void *arg, unsigned *unknown);

/* The shared keys every program honours (log-level). */
int conf_apply_shared(const struct conf *c);

#endif
