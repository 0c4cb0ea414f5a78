/* What every program shares at its start: name, version, usage, the config
 * file and the command line, read through one setter per program. */
#ifndef AR_PROG_H
#define AR_PROG_H

#include <getopt.h>
#include <stdbool.h>
#include <stdnoreturn.h>

#include "conf.h"

#define EXIT_RUNTIME 1          /* runtime failure */
#define EXIT_USAGE   2          /* usage or config error */

/* One program's options. The options named config, check, help, version,
 * log-level and name (an instance: NS.NAME.* keys too) are handled here and
 * never reach set(); every other one goes through set(), from the config
 * file first and then from the command line, which wins. set() gets the
 * option's value; a switch (no_argument) gets NULL from the command line
 * and the key's value from the config file: parse it with prog_bool(). */
struct prog {
	const char *name;               /* "route-push" */
	const char *ns;                 /* its config namespace: "push"; NULL:
					 * the program applies none itself */
	const char *usage;
	const char *shortopts;
	const struct option *opts;
	conf_set_fn *set;
	void *arg;
	bool operands;                  /* arguments may follow the options */
	/* filled in by prog_start() */
	const char *config;             /* -c FILE, or NULL */
	const char *instance;           /* -N NAME, or NULL */
	bool check;                     /* -n/--check: check and exit */
	bool cli;                       /* set() is called for the command line */
	int argi;                       /* with operands: the first one */
};

/* The config file (the shared keys and those of the program's namespace and
 * instance), then the command line. -h prints usage and exits 0, -V the
 * version; an unknown option, a stray argument, a bad value or an unknown
 * key of the program's namespace exits 2 with a message naming it. */
void prog_start(struct prog *p, int argc, char **argv);

/* SIGHUP: the config file read again through set(arg); nothing is changed
 * by a file with an error (the caller applies arg only on 0). 0 when there
 * is no config file. */
int prog_reload(const struct prog *p, conf_set_fn *set, void *arg);

/* Prints "NAME (activeroute) VERSION" on stdout and exits 0. */
noreturn void prog_version(const char *name);
/* Prints usage on stdout and exits 0 (--help) or on stderr and exits 2. */
noreturn void prog_usage(const char *usage, int status);

/* A switch's value: NULL (given on the command line) is true; yes, true,
 * on, 1 and no, false, off, 0 in any case; anything else is refused with a
 * message naming opt. 0 ok, -1 refused. */
int prog_bool(const char *opt, const char *v, bool *out);
/* error, warn, info or debug: sets the log level. 0 ok, -1 refused. */
int prog_log_level(const char *opt, const char *v);

/* Parse helpers for option values: 0 ok, -1 with a message on stderr. */
int parse_uint(const char *opt, const char *s, unsigned long long max, unsigned long long *v);
int parse_double(const char *opt, const char *s, double min, double max, double *v);

#endif
