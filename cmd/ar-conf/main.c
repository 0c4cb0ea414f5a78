/* ar-conf: the config file as the programs read it, for the supervisor:
 * dump it, get a value or a switch, and judge the keys no program owns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arconf.h"
#include "log.h"
#include "prog.h"

static const char usage[] =
	"usage: ar-conf -c FILE dump\n"
	"       ar-conf -c FILE get KEY [DEFAULT]\n"
	"       ar-conf -c FILE bool KEY DEFAULT\n"
	"       ar-conf -c FILE [--ns NS[=INSTANCE,...]]... [--shared KEY,...]\n"
	"               [--reserved OPTION,...] keys\n"
	"  the activeroute config as every program reads it (activeroute.conf(5))\n"
	"  dump                 every entry in file order: LINE<TAB>KEY<TAB>VALUE\n"
	"  get KEY [DEFAULT]    the last value of KEY, else DEFAULT (exit 1 with neither)\n"
	"  bool KEY DEFAULT     KEY as a switch: prints yes or no; a bad value exits 2\n"
	"  keys                 every key must be a shared one or live in a namespace\n"
	"                       given with --ns (and one of its instances); errors\n"
	"                       name the line and exit 2\n"
	"      --ns NS[=I,...]  a namespace, and the instances NS.I.* it has\n"
	"      --shared K,...   the keys without a namespace\n"
	"      --reserved O,... options the supervisor sets itself (not config keys)\n"
	"  -c, --config FILE    the config file\n"
	"  -h, --help           this text\n"
	"  -V, --version        print the version\n";

enum { O_NS = 256, O_SHARED, O_RESERVED };

static const struct option opts[] = {
	{ "ns", required_argument, NULL, O_NS },
	{ "shared", required_argument, NULL, O_SHARED },
	{ "reserved", required_argument, NULL, O_RESERVED },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int set(int c, const char *v, void *arg)
{
	struct keyrules *r = arg;

	switch (c) {
	case O_NS: return keyrules_ns(r, v);
	case O_SHARED: return keyrules_list(&r->shared, v);
	case O_RESERVED: return keyrules_list(&r->reserved, v);
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct keyrules rules;
	struct conf conf = { 0 };
	/* the operands follow the options: getopt must not reorder them */
	struct prog p = {
		.name = "ar-conf", .usage = usage, .shortopts = "+c:hV",
		.opts = opts, .set = set, .arg = &rules, .operands = true,
	};

	log_init(p.name);
	prog_start(&p, argc, argv);
	if (!p.config)
		prog_usage(usage, EXIT_USAGE);
	/* a bad line is reported and the rest still served: check names
	 * every error of the file at once */
	bool bad = conf_load(&conf, p.config) < 0;
	int rc = arconf_run(&conf, &rules, argc - p.argi, argv + p.argi);
	conf_free(&conf);
	return bad ? EXIT_USAGE : rc;
}
