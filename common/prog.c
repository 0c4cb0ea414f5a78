/* Program start-up shared by every stage: one reading of the config file
 * and the command line, one spelling of switches and log levels. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int prog_bool(const char *opt, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (v == NULL) {
		*out = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	log_err("%s: a switch: yes or no (true/false, on/off, 1/0), got \"%s\"", opt, v);
	return -1;
}

int prog_log_level(const char *opt, const char *v)
{
	enum log_level lvl;

	if (!v || log_level_parse(v, &lvl) < 0) {
		log_err("%s: error, warn, info or debug, got \"%s\"", opt, v ? v : "");
		return -1;
	}
	log_set_level(lvl);
	return 0;
}

/* The option values of the options prog_start() handles itself. */
struct std_vals {
	int config, check, help, version, loglevel, name;
};

static int val_of(const struct option *opts, const char *name)
{
	for (const struct option *o = opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o->val;
	return -1;      /* no option has it: -1 is never a getopt result here */
}

static struct std_vals std_vals(const struct option *opts)
{
	return (struct std_vals){
		.config = val_of(opts, "config"), .check = val_of(opts, "check"),
		.help = val_of(opts, "help"), .version = val_of(opts, "version"),
		.loglevel = val_of(opts, "log-level"), .name = val_of(opts, "name"),
	};
}

/* A config key goes to the program's setter unless it names an option that
 * belongs to the command line alone. */
struct apply {
	const struct prog *p;
	struct std_vals sv;
	conf_set_fn *set;
	void *arg;
};

static int apply_key(int c, const char *v, void *arg)
{
	struct apply *a = arg;

	if (c == a->sv.loglevel)
		return prog_log_level("log-level", v);
	if (c == a->sv.config || c == a->sv.check || c == a->sv.help || c == a->sv.version ||
	    c == a->sv.name)
		return CONF_NOT_A_KEY;
	return a->set(c, v, a->arg);
}

/* Every error of the file is reported, not only the first: a check names
 * them all. */
static int apply_file(const struct prog *p, const char *instance, conf_set_fn *set, void *arg)
{
	struct apply a = { .p = p, .sv = std_vals(p->opts), .set = set, .arg = arg };
	struct conf c = { 0 };
	char ns[128];
	int rc = 0;

	if (conf_load(&c, p->config) < 0) {
		if (c.path == NULL) {   /* not opened at all */
			conf_free(&c);
			return -1;
		}
		rc = -1;
	}
	if (conf_apply_shared(&c) < 0)
		rc = -1;
	if (conf_apply(&c, p->ns, p->opts, apply_key, &a) < 0)
		rc = -1;
	if (instance) {
		if ((size_t)snprintf(ns, sizeof ns, "%s.%s", p->ns, instance) >= sizeof ns) {
			log_err("instance name too long: %s", instance);
			rc = -1;
		} else if (conf_apply(&c, ns, p->opts, apply_key, &a) < 0) {
			rc = -1;
		}
	}
	conf_free(&c);
	return rc;
}

int prog_reload(const struct prog *p, conf_set_fn *set, void *arg)
{
	return p->config && p->ns ? apply_file(p, p->instance, set, arg) : 0;
}

void prog_start(struct prog *p, int argc, char **argv)
{
	struct std_vals sv = std_vals(p->opts);
	int c;

	/* First the config file and the instance, so that the command line,
	 * read after the file, wins; usage and version even with a bad file. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, p->shortopts, p->opts, NULL)) != -1) {
		if (c == sv.config)
			p->config = optarg;
		else if (c == sv.name)
			p->instance = optarg;
		else if (c == sv.help)
			prog_usage(p->usage, 0);
		else if (c == sv.version)
			prog_version(p->name);
	}
	if (p->config && p->ns && apply_file(p, p->instance, p->set, p->arg) < 0)
		exit(EXIT_USAGE);

	opterr = 1;
	optind = 0;     /* glibc: scan again from the start */
	p->cli = true;
	while ((c = getopt_long(argc, argv, p->shortopts, p->opts, NULL)) != -1) {
		if (c == '?')
			prog_usage(p->usage, EXIT_USAGE);
		if (c == sv.config || c == sv.name)
			continue;
		if (c == sv.check)
			p->check = true;
		else if (c == sv.loglevel) {
			if (prog_log_level("--log-level", optarg) < 0)
				exit(EXIT_USAGE);
		} else if (p->set(c, optarg, p->arg) < 0)
			exit(EXIT_USAGE);
	}
	p->cli = false;
	p->argi = optind;
	if (optind != argc && !p->operands) {
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
