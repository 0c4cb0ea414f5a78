/* route-push: apply FIB snapshots to a kernel table (netlink), to
 * bgp-speaker (route records), or print the changes (dry run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prog.h"
#include "push.h"
#include "sig.h"

static const char usage[] =
	"usage: route-push [-n] [-c FILE] [-i PATH] [--netlink | --bgp | --dry-run]\n"
	"                  [-o PATH] [-t TABLE] [-P PROTO] [-m METRIC] [--max-routes N]\n"
	"                  [--max-routes6 N] [--max-changes-per-second N]\n"
	"                  [--max-withdraw-percent P] [--verify-interval SEC]\n"
	"                  [--retry-interval SEC] [--grace SEC] [--flush-on-exit]\n"
	"                  [--stats PATH] [--stats-interval SEC] [--trace PATH]\n"
	"                  [--bgp-fib-proto N] [--log-level LEVEL]\n"
	"  FIB snapshots (route records between sync markers) and the changes after\n"
	"  them (route records outside the markers) to a routing table\n"
	"  -i, --input PATH               snapshots and changes from PATH, a file or FIFO\n"
	"                                 (default -)\n"
	"      --netlink                  program a kernel table (default)\n"
	"      --bgp                      write route records for bgp-speaker\n"
	"      --dry-run                  print the changes; change nothing\n"
	"  -o, --output PATH              --bgp: where the records go (default -)\n"
	"      --bgp-fib-proto N          --bgp: the protocol number the router writes the\n"
	"                                 FIB (--table) with, read when a new bgp-speaker\n"
	"                                 comes (default 12, BIRD; 0: not read)\n"
	"  -t, --table TABLE              kernel table: main, local, default or 1-4294967295\n"
	"                                 (default main)\n"
	"  -P, --proto N                  route protocol number of our routes (default 77,\n"
	"                                 named activeroute in rt_protos.d)\n"
	"  -m, --metric N                 route metric (default 0)\n"
	"      --max-routes N             at most N IPv4 routes installed (default 0: no cap)\n"
	"      --max-routes6 N            at most N IPv6 routes installed (default 0: no cap)\n"
	"      --max-changes-per-second N changes per second, the rest deferred (default 0:\n"
	"                                 unlimited)\n"
	"      --max-withdraw-percent P   hold a snapshot removing more than P% of the\n"
	"                                 routes until the next one agrees (default 50)\n"
	"      --verify-interval SEC      re-read the table and repair drift (default 0: off)\n"
	"      --retry-interval SEC       retry failed changes after SEC (default 5)\n"
	"      --grace SEC                after the input's writer restarts, remove no\n"
	"                                 routes for SEC (default 30)\n"
	"      --flush-on-exit            remove our routes on SIGTERM or SIGINT\n"
	"      --stats PATH               write stats records to PATH\n"
	"      --stats-interval SEC       also every SEC seconds (default 0: per snapshot\n"
	"                                 and after changes)\n"
	"      --trace PATH               log every change and target state to PATH\n"
	"      --log-level LEVEL          error, warn, info (default) or debug\n"
	"  -c, --config FILE              read the push. keys of FILE first\n"
	"  -n, --check                    check the configuration and exit\n"
	"  -h, --help                     this text\n"
	"  -V, --version                  print the version\n";

enum {
	O_NETLINK = 256, O_BGP, O_DRY, O_MAX4, O_MAX6, O_RATE, O_WPCT, O_VERIFY,
	O_RETRY, O_GRACE, O_FLUSH, O_STATS, O_STATSINT, O_TRACE, O_LOGLEVEL, O_FIBPROTO,
};

static const struct option opts[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "netlink", no_argument, NULL, O_NETLINK },
	{ "bgp", no_argument, NULL, O_BGP },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "output", required_argument, NULL, 'o' },
	{ "table", required_argument, NULL, 't' },
	{ "proto", required_argument, NULL, 'P' },
	{ "metric", required_argument, NULL, 'm' },
	{ "max-routes", required_argument, NULL, O_MAX4 },
	{ "max-routes6", required_argument, NULL, O_MAX6 },
	{ "max-changes-per-second", required_argument, NULL, O_RATE },
	{ "max-withdraw-percent", required_argument, NULL, O_WPCT },
	{ "verify-interval", required_argument, NULL, O_VERIFY },
	{ "retry-interval", required_argument, NULL, O_RETRY },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "flush-on-exit", no_argument, NULL, O_FLUSH },
	{ "stats", required_argument, NULL, O_STATS },
	{ "stats-interval", required_argument, NULL, O_STATSINT },
	{ "trace", required_argument, NULL, O_TRACE },
	{ "bgp-fib-proto", required_argument, NULL, O_FIBPROTO },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The target: one of --netlink, --bgp or --dry-run; the command line wins
 * over the file, where two targets on is an error; "= no" takes back only
 * its own target. */
static bool target_no[MODE_DRY + 1], target_set;
static struct prog prog;

static int target(struct push_opts *o, enum push_mode m, const char *opt, const char *v)
{
	bool on;

	if (prog_bool(opt, v, &on) < 0)
		return -1;
	target_no[m] = !on;
	if (on && target_set && o->mode != m && !prog.cli) {
		log_err("%s: another target is on already: choose one of --netlink, --bgp, --dry-run", opt);
		return -1;
	}
	if (on) {
		o->mode = m;
		target_set = true;
	} else if (target_set && o->mode == m) {
		target_set = false;
	}
	return 0;
}

static int set(int c, const char *v, void *arg)
{
	struct push_opts *o = arg;
	unsigned long long n;

	switch (c) {
	case 'i': o->input = strdup(v); return 0;
	case 'o': o->output = strdup(v); return 0;
	case O_NETLINK: return target(o, MODE_NETLINK, "--netlink", v);
	case O_BGP: return target(o, MODE_BGP, "--bgp", v);
	case O_DRY: return target(o, MODE_DRY, "--dry-run", v);
	case 't':
		if (table_parse(v, &o->nl.table) < 0) {
			log_err("--table: expected main, local, default or 1-4294967295, got \"%s\"", v);
			return -1;
		}
		return 0;
	case 'P':
		if (parse_uint("--proto", v, 255, &n) < 0)
			return -1;
		if (n < 5) {
			/* 0-4 are the kernel's own (unspec, redirect, kernel, boot, static) */
			log_err("--proto: %llu belongs to the kernel; use 5-255", n);
			return -1;
		}
		o->nl.proto = (uint8_t)n;
		return 0;
	case 'm':
		if (parse_uint("--metric", v, UINT32_MAX, &n) < 0)
			return -1;
		o->nl.metric = (uint32_t)n;
		return 0;
	case O_MAX4: return parse_uint("--max-routes", v, 1ull << 32, &o->max4);
	case O_MAX6: return parse_uint("--max-routes6", v, 1ull << 32, &o->max6);
	case O_RATE: return parse_double("--max-changes-per-second", v, 0, 1e9, &o->max_rate);
	case O_WPCT: return parse_double("--max-withdraw-percent", v, 0, 100, &o->withdraw_pct);
	case O_VERIFY: return parse_double("--verify-interval", v, 0, 86400, &o->verify_interval);
	case O_RETRY: return parse_double("--retry-interval", v, 0.1, 86400, &o->retry_interval);
	case O_GRACE: return parse_double("--grace", v, 0, 86400, &o->grace);
	case O_FLUSH: return prog_bool("--flush-on-exit", v, &o->flush_on_exit);
	case O_STATS: o->stats = strdup(v); return 0;
	case O_STATSINT: return parse_double("--stats-interval", v, 0, 86400, &o->stats_interval);
	case O_TRACE: o->trace = strdup(v); return 0;
	case O_FIBPROTO:
		if (parse_uint("--bgp-fib-proto", v, 255, &n) < 0)
			return -1;
		o->bgp_fib_proto = (uint8_t)n;
		return 0;
	}
	log_err("option -%c cannot be set here", c);
	return -1;
}

int main(int argc, char **argv)
{
	static struct push_opts o = {
		.mode = MODE_NETLINK, .input = "-", .output = "-",
		.nl = { .table = 254, .proto = 77, .metric = 0 },
		.withdraw_pct = 50, .retry_interval = 5, .grace = 30,
		.bgp_fib_proto = 12,    /* RTPROT_BIRD */
	};
	struct prog *p = &prog;

	*p = (struct prog){
		.name = "route-push", .ns = "push", .usage = usage,
		.shortopts = "i:o:t:P:m:c:nhV", .opts = opts, .set = set, .arg = &o,
	};
	log_init(p->name);
	prog_start(p, argc, argv);
	if (!target_set) {
		if (target_no[MODE_NETLINK]) {
			log_err("no target: --netlink is off and neither --bgp nor --dry-run is on");
			return EXIT_USAGE;
		}
		o.mode = MODE_NETLINK;
	}
	if (p->check)
		return 0;
	if (sig_init() < 0) {
		log_err("cannot set up signals");
		return EXIT_RUNTIME;
	}
	return push_run(&o);
}
