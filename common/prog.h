/* What every program shares at its start: name, version, usage, config. */
#ifndef AR_PROG_H
#define AR_PROG_H

#include <getopt.h>
#include <stdbool.h>
#include <stdnoreturn.h>

#include "conf.h"

#define EXIT_RUNTIME 1          /* runtime failure */
#define EXIT_USAGE   2          /* usage or config error */

/* Prints "NAME (activeroute) VERSION" on stdout and exits 0. */
noreturn void prog_version(const char *name);
/* Prints usage on stdout and exits 0 (--help) or on stderr and exits 2. */
noreturn void prog_usage(const char *usage, int status);

/* The config file named on the command line (-c FILE, -cFILE, --config FILE,
 * --config=FILE), found before getopt runs so that the file is read first
 * and the flags given on the command line win. NULL when there is none. */
const char *prog_config_path(int argc, char **argv);

/* Loads the config file (when path is not NULL), applies the shared keys and
 * the keys of namespace ns through set(). Exits 2 on any error. */
void prog_config(struct conf *c, const char *path, const char *ns,
		 const struct option *opts, conf_set_fn *set, void *arg);

/* The command line after the config file: -c (already read) is skipped,
 * -n/--check sets *check, -h prints usage and exits 0, -V the version, an
 * unknown option or a stray argument exits 2; every other option goes
 * through set(), the same setter the config keys use (its error exits 2). */
void prog_args(int argc, char **argv, const char *shortopts, const struct option *opts,
	       conf_set_fn *set, void *arg, const char *name, const char *usage,
	       bool *check);

/* Parse helpers for option values: 0 ok, -1 with a message on stderr. */
int parse_uint(const char *opt, const char *s, unsigned long long max, unsigned long long *v);
int parse_double(const char *opt, const char *s, double min, double max, double *v);

#endif
