/* Program start-up helpers shared by every stage. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prog.h"

noreturn void prog_version(const char *name)
{
	printf("%s (activeroute) %s\n", name, AR_VERSION);
	exit(0);
}

noreturn void prog_usage(const char *usage, int status)
{
	fputs(usage, status ? stderr : stdout);
	exit(status);
}

const char *prog_config_path(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0' && argv[i][1] != '-')
			path = argv[i] + 2;
	}
	return path;
}

void prog_config(struct conf *c, const char *path, const char *ns,
		 const struct option *opts, conf_set_fn *set, void *arg)
{
	if (!path)
		return;
	if (conf_load(c, path) < 0 || conf_apply_shared(c) < 0 ||
	    conf_apply(c, ns, opts, set, arg, NULL) < 0)
		exit(EXIT_USAGE);
}

void prog_args(int argc, char **argv, const char *shortopts, const struct option *opts,
	       conf_set_fn *set, void *arg, const char *name, const char *usage,
	       bool *check)
{
	int c;

	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'n':
			*check = true;
			break;
		case 'h':
			prog_usage(usage, 0);
		case 'V':
			prog_version(name);
		case '?':
			prog_usage(usage, EXIT_USAGE);
		default:
			if (set(c, optarg, arg) < 0)
				exit(EXIT_USAGE);
		}
	}
	if (optind != argc) {
		log_err("unexpected argument: %s", argv[optind]);
		exit(EXIT_USAGE);
	}
}

int parse_uint(const char *opt, const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-') {
		log_err("%s: expected a number, got \"%s\"", opt, s ? s : "");
		return -1;
	}
	*v = strtoull(s, &end, 0);
	if (*end || errno || *v > max) {
		log_err("%s: expected a number from 0 to %llu, got \"%s\"", opt, max, s);
		return -1;
	}
	return 0;
}

int parse_double(const char *opt, const char *s, double min, double max, double *v)
{
	char *end;
	errno = 0;
	if (!s || !*s) {
		log_err("%s: expected a number", opt);
		return -1;
	}
	*v = strtod(s, &end);
	if (*end || errno || isnan(*v) || *v < min || *v > max) {
		log_err("%s: expected a number from %g to %g, got \"%s\"", opt, min, max, s);
		return -1;
	}
	return 0;
}
