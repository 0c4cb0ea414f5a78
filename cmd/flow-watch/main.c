/* flow-watch: flow definitions, their top keys, thresholds and events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "fw.h"
#include "prog.h"

static const char usage[] =
	"usage: flow-watch [-n] [-c FILE] [--replay] [-f PATH ...] [-o PATH] [-C PATH]\n"
	"                  [--stats PATH] [--max-keys N] [--events N] [--no-defaults]\n"
	"                  [--log-level LEVEL]\n"
	"       flow-watch -C PATH -q QUERY\n"
	"  flow records in (enriched by prefix-rank --flows-out, or not), event records out\n"
	"  -f, --flows PATH          flow records (FIFO or file; repeatable; default -, stdin)\n"
	"  -o, --output PATH         where event records go (default -, stdout; none: nowhere)\n"
	"  -C, --control PATH        answer queries and changes on this Unix socket\n"
	"      --stats PATH          keep the last stats record in PATH (replaced each second)\n"
	"      --max-keys N          keys kept per flow definition unless it says (default 10000)\n"
	"      --events N            events kept for queries (default 1000)\n"
	"      --no-defaults         without Active Route Manager's four definitions\n"
	"      --replay              inputs are recordings: time from flow timestamps,\n"
	"                            exit at the end of input (with -C: answer queries\n"
	"                            on the state at the last record until stopped)\n"
	"  -q, --query QUERY         ask a running flow-watch (with -C) and print the JSON\n"
	"      --log-level LEVEL     error, warn, info or debug\n"
	"  -c, --config FILE         read the watch. keys of FILE first\n"
	"  -n, --check               check the configuration and exit\n"
	"  -h, --help                this text\n"
	"  -V, --version             print the version\n";

enum { O_STATS = 256, O_MAXKEYS, O_EVENTS, O_NODEFAULTS, O_REPLAY, O_LOGLEVEL };

static const struct option opts[] = {
	{ "flows", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "control", required_argument, NULL, 'C' },
	{ "stats", required_argument, NULL, O_STATS },
	{ "max-keys", required_argument, NULL, O_MAXKEYS },
	{ "events", required_argument, NULL, O_EVENTS },
	{ "no-defaults", no_argument, NULL, O_NODEFAULTS },
	{ "replay", no_argument, NULL, O_REPLAY },
	{ "query", required_argument, NULL, 'q' },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int set(int c, const char *v, void *arg)
{
	struct fw_opts *o = arg;
	bool b;

	switch (c) {
	case 'f':
		if (o->nflows == FW_INPUTS_MAX) {
			log_err("--flows: at most %d inputs", FW_INPUTS_MAX);
			return -1;
		}
		o->flows[o->nflows++] = strdup(v);
		return 0;
	case 'o':
		o->output = strdup(v);
		return 0;
	case 'C':
		o->control = strdup(v);
		return 0;
	case 'q':
		o->query = strdup(v);
		return 0;
	case O_STATS:
		o->stats = strdup(v);
		return 0;
	case O_MAXKEYS:
		return parse_uint("--max-keys", v, 10000000, &o->max_keys) < 0 || !o->max_keys ? -1 : 0;
	case O_EVENTS:
		return parse_uint("--events", v, 1000000, &o->ring) < 0 || !o->ring ? -1 : 0;
	case O_NODEFAULTS:
		if (prog_bool("--no-defaults", v, &b) < 0)
			return -1;
		o->defaults = !b;
		return 0;
	case O_REPLAY:
		return prog_bool("--replay", v, &o->replay);
	}
	log_err("option -%c cannot be set here", c);
	return -1;
}

/* SIGHUP: the watch.* options of the file again (--max-keys, the log
 * level, --no-defaults); inputs, output, control socket, stats file and
 * the event ring stay as started. */
static struct prog p = {
	.name = "flow-watch", .ns = "watch", .usage = usage, .shortopts = "f:o:C:q:c:nhV",
	.opts = opts, .set = set,
};

static int reload_set(int c, const char *v, void *arg)
{
	switch (c) {
	case 'f': case 'o': case 'C': case 'q': case O_STATS: case O_EVENTS: case O_REPLAY:
		return 0;
	}
	return set(c, v, arg);
}

static int reload(struct fw_opts *n)
{
	return prog_reload(&p, reload_set, n);
}

int main(int argc, char **argv)
{
	static struct fw_opts o = {
		.output = "-", .max_keys = 10000, .ring = 1000, .defaults = true, .reload = reload,
	};
	static struct fw w;
	struct conf conf = { 0 };
	int rc;

	p.arg = &o;
	log_init(p.name);
	prog_start(&p, argc, argv);
	o.config = p.config;
	o.check = p.check;
	/* the flow definitions and thresholds (watch.flow.NAME.KEY, ...) */
	if (o.config && conf_load(&conf, o.config) < 0)
		return EXIT_USAGE;
	if (o.query) {
		if (!o.control) {
			log_err("--query needs --control PATH");
			return EXIT_USAGE;
		}
		return ctl_query(o.control, o.query);
	}
	w.o = &o;
	w.ctl = -1;
	w.ring_cap = o.ring;
	if (!(w.ring = calloc(w.ring_cap, sizeof(*w.ring)))) {
		log_err("out of memory");
		return EXIT_RUNTIME;
	}
	if (fw_load(&w, o.config ? &conf : NULL) < 0) {
		fw_free(&w);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	conf_free(&conf);
	if (o.check) {
		fw_free(&w);
		return 0;
	}
	rc = fw_run(&w);
	fw_free(&w);
	return rc;
}
