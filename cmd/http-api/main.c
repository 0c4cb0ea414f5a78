/* http-api: sFlow-RT's REST, Active Route Manager's web UI and trend, and
 * Prometheus /metrics, over the stages' control sockets and stats files. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ha.h"
#include "log.h"
#include "prog.h"

static const char usage[] =
	"usage: http-api [-n] [-c FILE] [-l ADDR[:PORT]] [--rank PATH] [--flow PATH] [-s PATH ...]\n"
	"                [--www DIR] [--chartjs DIR] [--allow PREFIX,...] [--auth FILE] [--write]\n"
	"                [--max-connections N] [--max-url N] [--max-header N] [--max-body N]\n"
	"                [--timeout SECONDS] [--cache SECONDS] [--trend-points N] [--router ADDR]\n"
	"                [--log-level LEVEL]\n"
	"  the pipeline over HTTP: sFlow-RT's REST, the web UI, Prometheus /metrics\n"
	"  -l, --listen ADDR[:PORT]  where to listen (default 127.0.0.1:8008)\n"
	"      --rank PATH           prefix-rank's control socket\n"
	"      --flow PATH           flow-watch's control socket\n"
	"  -s, --stats PATH          a stage's --stats file (repeatable)\n"
	"      --www DIR             the web UI's files (default: installed share/activeroute/www)\n"
	"      --chartjs DIR         Chart.js (default /usr/share/javascript/chart.js)\n"
	"      --allow PREFIX,...    client networks allowed (default 127.0.0.0/8,::1)\n"
	"      --auth FILE           require HTTP basic auth, user:password lines\n"
	"      --write               allow PUT and DELETE (flows, thresholds)\n"
	"      --max-connections N   concurrent connections (default 64)\n"
	"      --max-url N           longest request URI in bytes (default 4096)\n"
	"      --max-header N        memory for a request's URI and headers (default 32768)\n"
	"      --max-body N          longest request body in bytes (default 65536)\n"
	"      --timeout SECONDS     idle connection and stage answer limit (default 5)\n"
	"      --cache SECONDS       reuse prefix-rank's answer to the same query (default 0.5)\n"
	"      --trend-points N      trend history in seconds (default 3600)\n"
	"      --router ADDR         the {router} of /bgp/ paths (default bgp.learn.neighbor)\n"
	"      --log-level LEVEL     error, warn, info or debug\n"
	"  -c, --config FILE         read the http. keys of FILE first\n"
	"  -n, --check               check the configuration and exit\n"
	"  -h, --help                this text\n"
	"  -V, --version             print the version\n";

enum {
	O_RANK = 256, O_FLOW, O_WWW, O_CHARTJS, O_ALLOW, O_AUTH, O_WRITE, O_MAXCONN, O_MAXURL,
	O_MAXHDR, O_MAXBODY, O_TIMEOUT, O_CACHE, O_TREND, O_ROUTER, O_LOGLEVEL,
};

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "rank", required_argument, NULL, O_RANK },
	{ "flow", required_argument, NULL, O_FLOW },
	{ "stats", required_argument, NULL, 's' },
	{ "www", required_argument, NULL, O_WWW },
	{ "chartjs", required_argument, NULL, O_CHARTJS },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "write", no_argument, NULL, O_WRITE },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "max-url", required_argument, NULL, O_MAXURL },
	{ "max-header", required_argument, NULL, O_MAXHDR },
	{ "max-body", required_argument, NULL, O_MAXBODY },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "cache", required_argument, NULL, O_CACHE },
	{ "trend-points", required_argument, NULL, O_TREND },
	{ "router", required_argument, NULL, O_ROUTER },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static bool allow_given;

static int set_allow(struct ha_opts *o, const char *v)
{
	char buf[2048], *save = NULL, err[128];

	if (!allow_given) {             /* the first --allow replaces the default */
		o->nallow = 0;
		allow_given = true;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (o->nallow == HA_MAX_ALLOW) {
			log_err("--allow: at most %d networks", HA_MAX_ALLOW);
			return -1;
		}
		if (prefix_parse_host(t, &o->allow[o->nallow], err, sizeof(err)) < 0) {
			log_err("--allow: %s", err);
			return -1;
		}
		o->nallow++;
	}
	return 0;
}

static int set(int c, const char *v, void *arg)
{
	struct ha_opts *o = arg;
	struct ar_addr a;

	switch (c) {
	case 'l':
		free(o->listen);
		o->listen = strdup(v);
		return 0;
	case O_RANK:
		o->rank = strdup(v);
		return 0;
	case O_FLOW:
		o->flow = strdup(v);
		return 0;
	case 's':
		if (o->nstats == HA_MAX_STATS) {
			log_err("--stats: at most %d files", HA_MAX_STATS);
			return -1;
		}
		o->stats[o->nstats++] = strdup(v);
		return 0;
	case O_WWW:
		o->www = strdup(v);
		return 0;
	case O_CHARTJS:
		o->chartjs = strdup(v);
		return 0;
	case O_ALLOW:
		return set_allow(o, v);
	case O_AUTH:
		o->auth = strdup(v);
		return 0;
	case O_WRITE:
		return prog_bool("--write", v, &o->write);
	case O_MAXCONN:
		return parse_uint("--max-connections", v, 10000, &o->max_conns);
	case O_MAXURL:
		return parse_uint("--max-url", v, 1 << 20, &o->max_url);
	case O_MAXHDR:
		if (parse_uint("--max-header", v, 1 << 24, &o->max_header) < 0)
			return -1;
		if (o->max_header < 4096) {
			log_err("--max-header: at least 4096 bytes");
			return -1;
		}
		return 0;
	case O_MAXBODY:
		return parse_uint("--max-body", v, 1 << 24, &o->max_body);
	case O_TIMEOUT:
		return parse_double("--timeout", v, 0.01, 3600, &o->timeout);
	case O_CACHE:
		return parse_double("--cache", v, 0, 60, &o->cache);
	case O_TREND:
		if (parse_uint("--trend-points", v, 86400 * 7, &o->trend_points) < 0)
			return -1;
		if (!o->trend_points) {
			log_err("--trend-points: at least 1");
			return -1;
		}
		return 0;
	case O_ROUTER:
		if (addr_parse(v, &a) < 0) {
			log_err("--router: bad address \"%s\"", v);
			return -1;
		}
		o->router = strdup(v);
		return 0;
	}
	log_err("option -%c cannot be set here", c);
	return -1;
}

/* The web files: installed beside the program (../share/activeroute/www),
 * or in the source tree when run from build/bin. */
static char *default_www(void)
{
	static const char *const rel[] = { "../share/activeroute/www", "../../cmd/http-api/www" };
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/index.html", exe, rel[i]);
		if (access(path, R_OK) == 0) {
			*strrchr(path, '/') = '\0';
			return strdup(path);
		}
	}
	return NULL;
}

static unsigned long long capacity(const struct conf *c, const char *key)
{
	const char *v = conf_get(c, key);
	unsigned long long n;

	/* prefix-rank's default when the config does not say */
	return v && arg_uint(v, 100000000, &n) == 0 ? n : 10000;
}

int main(int argc, char **argv)
{
	static struct ha_opts o = {
		.max_conns = 64, .max_url = 4096, .max_header = 32768, .max_body = 65536,
		.timeout = 5, .cache = 0.5, .trend_points = 3600,
	};
	static struct conf conf;
	struct prog p = {
		.name = "http-api", .ns = "http", .usage = usage, .shortopts = "l:s:c:nhV",
		.opts = opts, .set = set, .arg = &o,
	};
	const char *router;

	log_init(p.name);
	o.listen = strdup("127.0.0.1:8008");
	set_allow(&o, "127.0.0.0/8,::1");
	allow_given = false;
	prog_start(&p, argc, argv);
	/* the whole file too: the Help tab shows it, capacities come from it */
	if (p.config && conf_load(&conf, p.config) < 0)
		return EXIT_USAGE;
	o.check = p.check;
	o.conf = &conf;
	o.cap4 = capacity(&conf, "rank.max-routes");
	o.cap6 = capacity(&conf, "rank.max-routes6");
	if (!o.router && ((router = conf_get(&conf, "bgp.learn.neighbor")) ||
			  (router = conf_get(&conf, "bgp.neighbor"))))
		o.router = strdup(router);
	if (!o.www)
		o.www = default_www();
	if (!o.chartjs)
		o.chartjs = strdup("/usr/share/javascript/chart.js");
	if (!o.www)
		log_warn("no web UI files found (--www DIR): / answers 404");
	return server_run(&o);
}
