/* sflow-decode: sFlow v5 datagrams (UDP or a capture) to flow records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prog.h"
#include "sfd.h"
#include "sig.h"

static const char usage[] =
	"usage: sflow-decode [-nq] [--counters] [-c FILE] [-a LIST] [-p PORT] [-o FILE]\n"
	"                    [-s SECONDS] [--stats PATH] [--host-stats PATH] [--limit N]\n"
	"                    [--rcvbuf BYTES]\n"
	"                    [--max-sources N] [--max-rate N] [--max-seq-gap N]\n"
	"                    [--log-level LEVEL]\n"
	"                    (-l ADDR[:PORT] ... | -r FILE)\n"
	"  sFlow v5 datagrams to flow (and counter) records on stdout\n"
	"  -l, --listen ADDR[:PORT]  receive UDP here (repeatable; port 6343)\n"
	"  -r, --read FILE           read a pcap or pcapng capture (- for stdin)\n"
	"  -o, --output FILE         write records to FILE or FIFO instead of stdout\n"
	"  -p, --port PORT           the sFlow UDP port (default 6343)\n"
	"  -a, --agents LIST         accept only these agents (ADDR[/LEN],...)\n"
	"      --counters            also write counter records\n"
	"  -s, --stats-interval SEC  stats record interval (default 10, 0 = none)\n"
	"      --stats PATH          keep the last stats record in PATH (replaced each interval)\n"
	"      --host-stats PATH     keep the last host and asic records in PATH (the same)\n"
	"      --rcvbuf BYTES        socket receive buffer (default 8388608)\n"
	"      --limit N             stop after N datagrams\n"
	"      --max-sources N       sequence-tracking table size (default 65536)\n"
	"      --max-rate N          refuse flow samples with a sampling rate above N\n"
	"                            (default 1000000, 0 = no bound)\n"
	"      --max-seq-gap N       a sequence number more than N ahead is a jump, not\n"
	"                            losses (default 100000, 0 = no bound)\n"
	"  -q, --quiet               no summary on stderr at exit\n"
	"      --log-level LEVEL     error, warn, info or debug\n"
	"  -c, --config FILE         read the sflow. keys of FILE first\n"
	"  -n, --check               check the configuration and exit\n"
	"  -h, --help                this text\n"
	"  -V, --version             print the version\n";

enum { O_COUNTERS = 256, O_RCVBUF, O_LIMIT, O_MAXSRC, O_LOGLEVEL, O_STATS, O_MAXRATE,
       O_MAXGAP, O_HOSTSTATS };

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "read", required_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "port", required_argument, NULL, 'p' },
	{ "agents", required_argument, NULL, 'a' },
	{ "counters", no_argument, NULL, O_COUNTERS },
	{ "stats", required_argument, NULL, O_STATS },
	{ "host-stats", required_argument, NULL, O_HOSTSTATS },
	{ "stats-interval", required_argument, NULL, 's' },
	{ "rcvbuf", required_argument, NULL, O_RCVBUF },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "max-sources", required_argument, NULL, O_MAXSRC },
	{ "max-rate", required_argument, NULL, O_MAXRATE },
	{ "max-seq-gap", required_argument, NULL, O_MAXGAP },
	{ "quiet", no_argument, NULL, 'q' },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static struct prog prog;
/* --agents given on the command line, applied again after a reload */
static const char *cli_agents[64];
static size_t ncli_agents;

static int set(int c, const char *v, void *arg)
{
	struct sfd_opts *o = arg;
	unsigned long long n;

	switch (c) {
	case 'l':
		if (o->nlisten == SFD_MAX_LISTEN) {
			log_err("--listen: at most %d addresses", SFD_MAX_LISTEN);
			return -1;
		}
		o->listen[o->nlisten++] = strdup(v);
		return 0;
	case 'r':
		o->read = strdup(v);
		return 0;
	case 'o':
		o->output = strdup(v);
		return 0;
	case 'p':
		if (parse_uint("--port", v, 65535, &n) == -1 || n == 0)
			return -1;
		o->port = (unsigned)n;
		return 0;
	case 'a':
		if (prog.cli) {
			if (ncli_agents == sizeof(cli_agents) / sizeof(cli_agents[0])) {
				log_err("--agents: at most %zu on the command line", ncli_agents);
				return -1;
			}
			cli_agents[ncli_agents++] = v;
		}
		if (o->agents == NULL && (o->agents = filter_new()) == NULL)
			return -1;
		return filter_add(o->agents, v);
	case O_STATS:
		free((void *)o->stats);
		o->stats = strdup(v);
		return o->stats ? 0 : -1;
	case O_HOSTSTATS:
		free((void *)o->host_stats);
		o->host_stats = strdup(v);
		return o->host_stats ? 0 : -1;
	case O_COUNTERS:
		return prog_bool("--counters", v, &o->counters);
	case 's':
		return parse_double("--stats-interval", v, 0, 86400, &o->stats_interval);
	case O_RCVBUF:
		return parse_uint("--rcvbuf", v, 1ull << 30, &o->rcvbuf);
	case O_LIMIT:
		return parse_uint("--limit", v, ~0ull, &o->limit);
	case O_MAXSRC:
		if (parse_uint("--max-sources", v, 1u << 22, &o->max_sources) == -1)
			return -1;
		return 0;
	case O_MAXRATE:
		return parse_uint("--max-rate", v, 0xffffffffu, &o->max_rate);
	case O_MAXGAP:
		return parse_uint("--max-seq-gap", v, 0x7fffffffu, &o->max_seq_gap);
	case 'q':
		return prog_bool("--quiet", v, &o->quiet);
	}
	log_err("option -%c cannot be set here", c);
	return -1;
}

static int reload(struct agent_filter **agents)
{
	struct sfd_opts tmp = { .port = SFLOW_PORT };
	int rc = -1;

	*agents = NULL;
	if (prog_reload(&prog, set, &tmp) < 0)
		goto out;
	/* flags given on the command line still apply after the file */
	for (size_t i = 0; i < ncli_agents; i++)
		if (set('a', cli_agents[i], &tmp) == -1)
			goto out;
	*agents = tmp.agents;
	tmp.agents = NULL;
	rc = 0;
out:
	filter_free(tmp.agents);
	return rc;
}

int main(int argc, char **argv)
{
	static struct sfd_opts o = {
		.port = SFLOW_PORT, .rcvbuf = 8u << 20, .stats_interval = 10,
		.max_sources = 65536, .max_rate = 1000000, .max_seq_gap = 100000,
		.reload = reload,
	};
	struct prog *p = &prog;

	*p = (struct prog){
		.name = "sflow-decode", .ns = "sflow", .usage = usage,
		.shortopts = "l:r:o:p:a:s:qc:nhV", .opts = opts, .set = set, .arg = &o,
	};
	log_init(p->name);
	prog_start(p, argc, argv);
	if ((o.read == NULL) == (o.nlisten == 0)) {
		log_err("give either --listen or --read");
		return EXIT_USAGE;
	}
	if (p->check)
		return 0;
	if (sig_init() == -1) {
		log_err("cannot set up signals");
		return EXIT_RUNTIME;
	}
	return sfd_run(&o);
}
