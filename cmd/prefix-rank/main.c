/* prefix-rank: the RIB, live traffic per prefix, and the choice of the
 * active routes: a complete state, then the changes as they are made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pr.h"
#include "prog.h"

static const char usage[] =
	"usage: prefix-rank [-n] [-c FILE] [--replay] [-r PATH ...] [-f PATH ...] [-o PATH]\n"
	"                   [-t SECONDS] [-T SECONDS] [-g SECONDS] [-m N] [-M N]\n"
	"                   [--asic-headroom N]\n"
	"                   [--min-value X] [--min-prefix N] [--hysteresis X] [--min-samples X]\n"
	"                   [--full-every SECONDS] [--no-fast-path]\n"
	"                   [-C PATH] [--stats PATH] [--flows-out PATH]\n"
	"                   [--log-level LEVEL]\n"
	"       prefix-rank -C PATH -q QUERY\n"
	"  route and flow records in; out, the active routes: a complete state, then changes\n"
	"  -r, --routes PATH         route records (FIFO or file; repeatable, one per session)\n"
	"  -f, --flows PATH          flow records (FIFO or file; repeatable, one per source)\n"
	"  -o, --output PATH         where the active routes go (default -, stdout; a FIFO\n"
	"                            is reopened and gets a complete state)\n"
	"  -t, --tick SECONDS        full selection interval (default 1)\n"
	"      --full-every SECONDS  a complete state this often, changes in between\n"
	"                            (default 60; 0: a complete state every tick)\n"
	"      --no-fast-path        change the selection only at ticks (no promotion\n"
	"                            between them)\n"
	"  -T, --time-constant SEC   time constant of the traffic averages (default 10)\n"
	"  -g, --grace SECONDS       keep a lost peer's routes this long (default 120)\n"
	"  -m, --max-routes N        IPv4 capacity (default 10000)\n"
	"  -M, --max-routes6 N       IPv6 capacity (default 10000)\n"
	"      --asic-headroom N     take the capacity from the ASIC's asic records on\n"
	"                            the flow inputs, less N entries per family\n"
	"      --min-value X         select only prefixes with at least X bytes/s (default 0)\n"
	"      --min-prefix N        select no prefix shorter than /N (default 1)\n"
	"      --hysteresis X        incumbents rank with value * (1 + X) (default 0.5)\n"
	"      --min-samples X       when full, a newcomer needs X samples' worth (default 1)\n"
	"      --replay              inputs are recordings: time from flow timestamps,\n"
	"                            routes read first, exit at the end of input\n"
	"      --flows-out PATH      write the flow records read, with the RIB's answer\n"
	"                            for their addresses (FIFO or file)\n"
	"  -C, --control PATH        answer queries on this Unix socket\n"
	"      --stats PATH          keep the last stats record in PATH (replaced each tick)\n"
	"  -q, --query QUERY         ask a running prefix-rank (with -C) and print the JSON\n"
	"      --log-level LEVEL     error, warn, info or debug\n"
	"  -c, --config FILE         read the rank. keys of FILE first\n"
	"  -n, --check               check the configuration and exit\n"
	"  -h, --help                this text\n"
	"  -V, --version             print the version\n";

enum { O_MINVALUE = 256, O_MINPREFIX, O_HYST, O_MINSAMP, O_REPLAY, O_LOGLEVEL, O_STATS,
       O_ASIC, O_FLOWSOUT, O_FULLEVERY, O_NOFAST };

static const struct option opts[] = {
	{ "routes", required_argument, NULL, 'r' },
	{ "flows", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "tick", required_argument, NULL, 't' },
	{ "time-constant", required_argument, NULL, 'T' },
	{ "grace", required_argument, NULL, 'g' },
	{ "max-routes", required_argument, NULL, 'm' },
	{ "max-routes6", required_argument, NULL, 'M' },
	{ "asic-headroom", required_argument, NULL, O_ASIC },
	{ "min-value", required_argument, NULL, O_MINVALUE },
	{ "min-prefix", required_argument, NULL, O_MINPREFIX },
	{ "hysteresis", required_argument, NULL, O_HYST },
	{ "min-samples", required_argument, NULL, O_MINSAMP },
	{ "replay", no_argument, NULL, O_REPLAY },
	{ "control", required_argument, NULL, 'C' },
	{ "stats", required_argument, NULL, O_STATS },
	{ "flows-out", required_argument, NULL, O_FLOWSOUT },
	{ "full-every", required_argument, NULL, O_FULLEVERY },
	{ "no-fast-path", no_argument, NULL, O_NOFAST },
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
	struct pr_opts *o = arg;

	switch (c) {
	case 'r':
	case 'f': {
		int *n = c == 'r' ? &o->nroutes : &o->nflows;
		if (*n == PR_MAX_INPUTS) {
			log_err("--%s: at most %d inputs", c == 'r' ? "routes" : "flows", PR_MAX_INPUTS);
			return -1;
		}
		(c == 'r' ? o->routes : o->flows)[(*n)++] = strdup(v);
		return 0;
	}
	case 'o':
		o->output = strdup(v);
		return 0;
	case 't':
		if (parse_double("--tick", v, 0.01, 3600, &o->tick) == -1)
			return -1;
		return 0;
	case 'T':
		return parse_double("--time-constant", v, 0.1, 86400, &o->tau);
	case 'g':
		return parse_double("--grace", v, 0, 86400 * 7, &o->grace);
	case 'm':
		return parse_uint("--max-routes", v, 100000000, &o->max4);
	case 'M':
		return parse_uint("--max-routes6", v, 100000000, &o->max6);
	case O_ASIC:
		o->asic_follow = true;
		return parse_uint("--asic-headroom", v, 100000000, &o->asic_headroom);
	case O_MINVALUE:
		return parse_double("--min-value", v, 0, 1e300, &o->min_value);
	case O_MINPREFIX:
		return parse_uint("--min-prefix", v, 128, &o->min_prefix);
	case O_HYST:
		return parse_double("--hysteresis", v, 0, 100, &o->hysteresis);
	case O_MINSAMP:
		return parse_double("--min-samples", v, 0, 1e6, &o->min_samples);
	case O_REPLAY:
		return prog_bool("--replay", v, &o->replay);
	case O_FULLEVERY:
		return parse_double("--full-every", v, 0, 86400, &o->full_every);
	case O_NOFAST:
		return prog_bool("--no-fast-path", v, &o->no_fast);
	case 'C':
		o->control = strdup(v);
		return 0;
	case 'q':
		o->query = strdup(v);
		return 0;
	case O_STATS:
		o->stats = strdup(v);
		return 0;
	case O_FLOWSOUT:
		o->flows_out = strdup(v);
		return 0;
	}
	log_err("option -%c cannot be set here", c);
	return -1;
}

/* SIGHUP: the selection knobs of the rank. keys are read again; inputs,
 * output, control socket and time constant stay as started. A file with an
 * error changes nothing. */
static struct prog prog;

static int reload_set(int c, const char *v, void *arg)
{
	switch (c) {
	case 'r': case 'f': case 'o': case 'C': case 'q': case 'T': case O_REPLAY: case O_FLOWSOUT:
		return 0;
	}
	return set(c, v, arg);
}

static int reload(struct pr_opts *o)
{
	struct pr_opts n = *o;

	if (prog_reload(&prog, reload_set, &n) < 0)
		return -1;
	*o = n;
	return 0;
}

int main(int argc, char **argv)
{
	static struct pr_opts o = {
		.output = "-", .tick = 1, .tau = 10, .grace = 120, .hysteresis = 0.5, .min_samples = 1,
		.max4 = 10000, .max6 = 10000, .min_prefix = 1, .full_every = 60,
	};
	struct prog *p = &prog;

	*p = (struct prog){
		.name = "prefix-rank", .ns = "rank", .usage = usage,
		.shortopts = "r:f:o:t:T:g:m:M:C:q:c:nhV", .opts = opts, .set = set, .arg = &o,
	};
	log_init(p->name);
	o.reload = reload;
	prog_start(p, argc, argv);
	if (o.query) {
		if (!o.control) {
			log_err("--query needs --control PATH");
			return EXIT_USAGE;
		}
		return query_client(o.control, o.query);
	}
	if (o.nroutes + o.nflows == 0) {
		log_err("give at least one --routes or --flows input");
		return EXIT_USAGE;
	}
	if (o.replay && o.control) {
		log_err("--replay ends at the end of input: --control is not available");
		return EXIT_USAGE;
	}
	if (p->check)
		return 0;
	return pr_run(&o);
}
