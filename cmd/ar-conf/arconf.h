/* ar-conf: what the supervisor asks of the config. */
#ifndef AR_ARCONF_H
#define AR_ARCONF_H

#include "conf.h"

#define KEYRULES_MAX 16

/* A comma-separated list, split once. */
struct wordlist {
	char *buf;
	const char *w[64];
	size_t n;
};

/* Which keys may appear: shared ones, and NS.OPT / NS.INSTANCE.OPT for the
 * namespaces given; the programs judge OPT and the values. */
struct keyrules {
	struct {
		const char *name;
		struct wordlist instances;
	} ns[KEYRULES_MAX];
	size_t nns;
	struct wordlist shared, reserved;
};

int keyrules_ns(struct keyrules *r, const char *spec);
int keyrules_list(struct wordlist *l, const char *csv);

/* Runs one command (dump, get, bool, keys) on the loaded config; returns
 * the exit status. */
int arconf_run(const struct conf *c, const struct keyrules *r, int argc, char **argv);

#endif
