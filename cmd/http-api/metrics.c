/* GET /metrics: Prometheus' text exposition format (version 0.0.4).
 * Every number of every stage's stats record as activeroute_<stage>_<key>
 * (counters with _total), then the figures one dashboard wants with a
 * family or agent label. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 16384;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* The keys of stats records that are levels, not running counts. */
static const char *const gauges[] = {
	"prefix-rank:rib4", "prefix-rank:rib6", "prefix-rank:paths", "prefix-rank:peers",
	"prefix-rank:total4", "prefix-rank:total6", "prefix-rank:selected4", "prefix-rank:selected6",
	"prefix-rank:covered4", "prefix-rank:covered6", "prefix-rank:closure4",
	"prefix-rank:closure6", "prefix-rank:coverage4", "prefix-rank:coverage6",
	"prefix-rank:coverage", "prefix-rank:added", "prefix-rank:removed", "prefix-rank:churn",
	"prefix-rank:tickms", "route-push:installed", "route-push:installed6",
	"route-push:stalledms", "flow-watch:flows", "flow-watch:thresholds", "flow-watch:keys",
	"flow-watch:stalledms",
};

static bool is_gauge(const char *stage, const char *key)
{
	char sk[160];

	snprintf(sk, sizeof(sk), "%s:%s", stage, key);
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (!strcmp(gauges[i], sk))
			return true;
	return false;
}

/* A metric name from a stage and a key: [a-z0-9_] only. */
static void metric_name(char *out, size_t len, const char *stage, const char *key)
{
	size_t n = (size_t)snprintf(out, len, "activeroute_%s_%s", stage, key);

	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++) {
		char c = out[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '_';
	}
}

static void one(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct buf *b, const char *name, const char *labels, double v)
{
	if (isnan(v))
		return;
	put(b, "%s%s %.17g\n", name, labels ? labels : "", v);
}

/* A label value with \, " and newlines escaped. */
static void label(char *out, size_t len, const char *k, const char *v)
{
	size_t n = (size_t)snprintf(out, len, "{%s=\"", k);

	for (; *v && n + 4 < len; v++) {
		if (*v == '\\' || *v == '"')
			out[n++] = '\\', out[n++] = *v;
		else if (*v == '\n')
			out[n++] = '\\', out[n++] = 'n';
		else
			out[n++] = *v;
	}
	snprintf(out + n, len - n, "\"}");
}

static void stage_metrics(struct buf *b, const char *stage, json_t *s)
{
	const char *k;
	json_t *v;
	char name[200], help[256];

	json_object_foreach(s, k, v) {
		bool g;
		if (!json_is_number(v) || !strcmp(k, "ts"))
			continue;
		g = is_gauge(stage, k);
		metric_name(name, sizeof(name) - 8, stage, k);
		if (!g)
			strcat(name, "_total");
		snprintf(help, sizeof(help), "%s of %s's stats record", k, stage);
		one(b, name, g ? "gauge" : "counter", help);
		sample(b, name, NULL, json_number_value(v));
	}
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void family(struct buf *b, const char *name, const char *type, const char *help,
		   double v4, double v6)
{
	if (isnan(v4) && isnan(v6))
		return;
	one(b, name, type, help);
	sample(b, name, "{family=\"ipv4\"}", v4);
	sample(b, name, "{family=\"ipv6\"}", v6);
}

static void agent_metrics(struct buf *b, json_t *sfd)
{
	static const char *const m[][3] = {
		{ "datagrams", "activeroute_agent_datagrams_total", "sFlow datagrams received from the agent" },
		{ "dgram_lost", "activeroute_agent_datagrams_lost_total", "sFlow datagrams the agent's sequence numbers say were lost" },
		{ "flow_samples", "activeroute_agent_flow_samples_total", "flow samples received from the agent" },
		{ "sample_lost", "activeroute_agent_samples_lost_total", "flow samples the agent's sequence numbers say were lost" },
	};
	json_t *agents = json_object_get(sfd, "agents"), *v;
	const char *k;
	char lab[200];

	if (!json_is_object(agents) || !json_object_size(agents))
		return;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		one(b, m[i][1], "counter", m[i][2]);
		json_object_foreach(agents, k, v) {
			label(lab, sizeof(lab), "agent", k);
			sample(b, m[i][1], lab, num(v, m[i][0]));
		}
	}
}

void metrics_respond(const struct ha_opts *o, struct ha_resp *r)
{
	struct buf b = { 0 };
	json_t *rank = NULL, *push = NULL, *sfd = NULL;
	uint64_t req, err;
	char stages[HA_MAX_STATS][64], lab[160];
	double ages[HA_MAX_STATS];
	int n = 0;

	for (int i = 0; i < o->nstats; i++) {
		double age = 0;
		json_t *s = stats_load(o->stats[i], &age);
		const char *stage = s ? json_string_value(json_object_get(s, "stage")) : NULL;
		if (!stage) {
			json_decref(s);
			continue;
		}
		snprintf(stages[n], sizeof(stages[n]), "%s", stage);
		ages[n++] = age;
		stage_metrics(&b, stage, s);
		if (!strcmp(stage, "prefix-rank") && !rank)
			rank = json_incref(s);
		else if (!strcmp(stage, "route-push") && !push)
			push = json_incref(s);
		else if (!strcmp(stage, "sflow-decode") && !sfd)
			sfd = json_incref(s);
		json_decref(s);
	}
	one(&b, "activeroute_stage_stats_age_seconds", "gauge",
	    "seconds since the stage last wrote its stats file");
	for (int i = 0; i < n; i++) {
		label(lab, sizeof(lab), "stage", stages[i]);
		put(&b, "activeroute_stage_stats_age_seconds%s %.3f\n", lab, ages[i]);
	}
	/* the dashboard's figures, per family */
	family(&b, "activeroute_rib_prefixes", "gauge", "prefixes in the RIB prefix-rank learned",
	       num(rank, "rib4"), num(rank, "rib6"));
	family(&b, "activeroute_selected_prefixes", "gauge", "prefixes selected for the FIB",
	       num(rank, "selected4"), num(rank, "selected6"));
	family(&b, "activeroute_coverage_percent", "gauge",
	       "percent of traffic the selected prefixes carry", num(rank, "coverage4"),
	       num(rank, "coverage6"));
	if (push)
		family(&b, "activeroute_fib_routes", "gauge", "routes route-push has installed",
		       num(push, "installed"), num(push, "installed6"));
	else
		family(&b, "activeroute_fib_routes", "gauge", "routes in the FIB snapshot",
		       num(rank, "selected4"), num(rank, "selected6"));
	family(&b, "activeroute_fib_capacity_routes", "gauge", "configured FIB capacity",
	       (double)o->cap4, (double)o->cap6);
	if (rank) {
		one(&b, "activeroute_fib_churn_routes", "gauge",
		    "routes added plus removed by the last selection tick");
		sample(&b, "activeroute_fib_churn_routes", NULL, num(rank, "churn"));
	}
	if (sfd)
		agent_metrics(&b, sfd);
	trend_counts(&req, &err);
	one(&b, "activeroute_http_requests_total", "counter", "HTTP requests answered");
	put(&b, "activeroute_http_requests_total %llu\n", (unsigned long long)req);
	one(&b, "activeroute_http_errors_total", "counter", "HTTP requests answered with 4xx or 5xx");
	put(&b, "activeroute_http_errors_total %llu\n", (unsigned long long)err);
	cache_counts(&req, &err);
	one(&b, "activeroute_http_cache_hits_total", "counter",
	    "prefix-rank answers reused from the cache");
	put(&b, "activeroute_http_cache_hits_total %llu\n", (unsigned long long)req);
	one(&b, "activeroute_http_cache_misses_total", "counter", "questions asked of prefix-rank");
	put(&b, "activeroute_http_cache_misses_total %llu\n", (unsigned long long)err);
	json_decref(rank);
	json_decref(push);
	json_decref(sfd);
	if (b.oom) {
		free(b.p);
		resp_error(r, 500, "out of memory");
		return;
	}
	resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
}
