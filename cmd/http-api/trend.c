/* The trend history: one point a second for the last trend_points seconds,
 * with Active Route Manager's trend names. The only state http-api keeps.
 * Sampled by the main thread; read by the server's threads under a mutex. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ha.h"

/* Scalar trends, in the order of ARM's active.js where it has them. */
enum {
	T_BGP_N, T_BGP_ADDS, T_BGP_REMOVES,
	T_CACHE_N, T_CACHE_ADDED, T_CACHE_REMOVED, T_CACHE_HIT, T_CACHE_MISS,
	T_ACTIVE_N, T_ACTIVE_COV, T_ACTIVE_COVERED,
	T_BGP_N6, T_CACHE_N6, T_CACHE_HIT6, T_CACHE_MISS6, T_ACTIVE_N6, T_ACTIVE_COV6,
	T_ACTIVE_COVERED6,
	T_CPU, T_MEM, T_DISK, T_LOAD,
	T_NSCALAR
};
static const char *const scalar_name[T_NSCALAR] = {
	"bgp-nprefixes", "bgp-adds", "bgp-removes",
	"cache-prefixes", "cache-prefixes-added", "cache-prefixes-removed", "cache-hitrate",
	"cache-missrate",
	"active-prefixes", "active-coverage", "active-coveredprefixes",
	"bgp-nprefixes6", "cache-prefixes6", "cache-hitrate6", "cache-missrate6", "active-prefixes6",
	"active-coverage6", "active-coveredprefixes6",
	"cpu_util", "mem_util", "disk_util", "load_per_cpu",
};

/* Top-N trends from flow-watch's default flows (flow-watch(1) names them). */
#define T_NTOP 4
static const char *const top_name[T_NTOP][2] = {
	{ "top-dst-aspath", "arm-aspath" }, { "top-dst-as", "arm-dstas" },
	{ "top-dst-peer-as", "arm-peeras" }, { "top-src-as", "arm-srcas" },
};
#define TOP_N 10

static struct {
	pthread_mutex_t mu;
	size_t max, n, head;            /* ring: the oldest point is at head */
	uint64_t *times;
	double *v[T_NSCALAR];
	json_t **top[T_NTOP];
	/* what the per-second rates are taken against */
	double last_learned[2], last_pushed[2];
	bool have_learned, have_pushed;
	unsigned long long cpu_busy, cpu_total;
	uint64_t requests, errors;
} tr = { .mu = PTHREAD_MUTEX_INITIALIZER };

int trend_init(const struct ha_opts *o)
{
	tr.max = o->trend_points;
	if (!(tr.times = calloc(tr.max, sizeof(*tr.times))))
		return -1;
	for (int i = 0; i < T_NSCALAR; i++)
		if (!(tr.v[i] = calloc(tr.max, sizeof(double))))
			return -1;
	for (int i = 0; i < T_NTOP; i++)
		if (!(tr.top[i] = calloc(tr.max, sizeof(json_t *))))
			return -1;
	return 0;
}

void trend_count_request(unsigned status)
{
	pthread_mutex_lock(&tr.mu);
	tr.requests++;
	if (status >= 400)
		tr.errors++;
	pthread_mutex_unlock(&tr.mu);
}

void trend_counts(uint64_t *requests, uint64_t *errors)
{
	pthread_mutex_lock(&tr.mu);
	*requests = tr.requests;
	*errors = tr.errors;
	pthread_mutex_unlock(&tr.mu);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Percentages from sums of decaying rates can stray past 100 by rounding. */
static double pct(double v)
{
	return v > 100 ? 100 : v < 0 ? 0 : v;
}

/* ---- the local machine, until host sFlow counters land ---- */

static double cpu_util(void)
{
	unsigned long long v[10] = { 0 }, busy = 0, total = 0;
	double u = NAN;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return NAN;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			total += v[i];
		busy = total - v[3] - v[4];     /* all but idle and iowait */
		if (tr.cpu_total && total > tr.cpu_total)
			u = 100.0 * (double)(busy - tr.cpu_busy) / (double)(total - tr.cpu_total);
		tr.cpu_busy = busy;
		tr.cpu_total = total;
	}
	fclose(f);
	return u;
}

static double mem_util(void)
{
	char line[256];
	double total = NAN, avail = NAN, x;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %lf", &x) == 1)
			total = x;
		else if (sscanf(line, "MemAvailable: %lf", &x) == 1)
			avail = x;
	}
	fclose(f);
	return total > 0 ? 100.0 * (1 - avail / total) : NAN;
}

static double disk_util(void)
{
	struct statvfs s;

	if (statvfs("/", &s) < 0 || !s.f_blocks)
		return NAN;
	return 100.0 * (double)(s.f_blocks - s.f_bfree) / (double)(s.f_blocks - s.f_bfree + s.f_bavail);
}

static double load_per_cpu(void)
{
	double l;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f = fopen("/proc/loadavg", "re");

	if (!f)
		return NAN;
	if (fscanf(f, "%lf", &l) != 1)
		l = NAN;
	fclose(f);
	return n > 0 ? l / (double)n : NAN;
}

/* A per-second rate from a cumulative counter (NaN until two samples, or
 * after a stage restarted and its counter went back). */
static double per_second(double now, double *last, bool have)
{
	double d = have && !isnan(*last) && now >= *last ? now - *last : NAN;
	*last = now;
	return d;
}

/* flow-watch's top keys of one flow as {key: value}. */
static json_t *top_flows(const struct ha_opts *o, const char *flow)
{
	char line[128];
	size_t len, i;
	char *s;
	json_t *a, *e, *out;

	if (!o->flow)
		return NULL;
	snprintf(line, sizeof(line), "top %s maxFlows=%d", flow, TOP_N);
	if (!(s = ctl_ask(o->flow, line, o->timeout < 1 ? o->timeout : 1, &len)))
		return NULL;
	a = json_loadb(s, len, 0, NULL);
	free(s);
	if (!json_is_array(a)) {
		json_decref(a);
		return NULL;
	}
	out = json_object();
	json_array_foreach(a, i, e) {
		const char *k = json_string_value(json_object_get(e, "key"));
		double v = num(e, "value");
		if (!k || isnan(v))
			continue;
		/* one key heard from two agents counts once per agent: summed */
		json_object_set_new(out, k, json_real(v + (json_is_number(json_object_get(out, k))
			? json_number_value(json_object_get(out, k)) : 0)));
	}
	json_decref(a);
	return out;
}

void trend_sample(const struct ha_opts *o)
{
	double v[T_NSCALAR], age = 0;
	json_t *rank = stats_of(o, "prefix-rank", &age), *push, *top[T_NTOP];
	struct timespec now;
	size_t at;

	for (int i = 0; i < T_NSCALAR; i++)
		v[i] = NAN;
	if (rank && age > 10) {         /* a stopped stage's last word is not news */
		json_decref(rank);
		rank = NULL;
	}
	push = stats_of(o, "route-push", &age);
	if (push && age > 10) {
		json_decref(push);
		push = NULL;
	}
	for (int i = 0; i < T_NTOP; i++)
		top[i] = top_flows(o, top_name[i][1]);

	pthread_mutex_lock(&tr.mu);
	if (rank) {
		v[T_BGP_N] = num(rank, "rib4");
		v[T_BGP_N6] = num(rank, "rib6");
		v[T_BGP_ADDS] = per_second(num(rank, "learnedadded"), &tr.last_learned[0], tr.have_learned);
		v[T_BGP_REMOVES] = per_second(num(rank, "learnedremoved"), &tr.last_learned[1],
					      tr.have_learned);
		tr.have_learned = true;
		v[T_ACTIVE_N] = num(rank, "selected4");
		v[T_ACTIVE_N6] = num(rank, "selected6");
		v[T_ACTIVE_COVERED] = num(rank, "covered4");
		v[T_ACTIVE_COVERED6] = num(rank, "covered6");
		v[T_ACTIVE_COV] = pct(num(rank, "coverage4"));
		v[T_ACTIVE_COV6] = pct(num(rank, "coverage6"));
		/* the FIB holds the selection: the traffic it carries is the
		 * selection's coverage (until the ASIC's counters say better) */
		v[T_CACHE_HIT] = v[T_ACTIVE_COV];
		v[T_CACHE_HIT6] = v[T_ACTIVE_COV6];
		v[T_CACHE_MISS] = 100 - v[T_CACHE_HIT];
		v[T_CACHE_MISS6] = 100 - v[T_CACHE_HIT6];
		v[T_CACHE_N] = v[T_ACTIVE_N];
		v[T_CACHE_N6] = v[T_ACTIVE_N6];
		v[T_CACHE_ADDED] = num(rank, "added");
		v[T_CACHE_REMOVED] = num(rank, "removed");
	} else {
		tr.have_learned = false;
	}
	if (push) {
		/* what route-push installed, when it says */
		v[T_CACHE_N] = num(push, "installed");
		v[T_CACHE_N6] = num(push, "installed6");
		v[T_CACHE_ADDED] = per_second(num(push, "added"), &tr.last_pushed[0], tr.have_pushed);
		v[T_CACHE_REMOVED] = per_second(num(push, "removed"), &tr.last_pushed[1], tr.have_pushed);
		tr.have_pushed = true;
	} else {
		tr.have_pushed = false;
	}
	v[T_CPU] = cpu_util();
	v[T_MEM] = mem_util();
	v[T_DISK] = disk_util();
	v[T_LOAD] = load_per_cpu();

	clock_gettime(CLOCK_REALTIME, &now);
	if (tr.n < tr.max) {
		at = (tr.head + tr.n++) % tr.max;
	} else {
		at = tr.head;
		tr.head = (tr.head + 1) % tr.max;
	}
	tr.times[at] = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	for (int i = 0; i < T_NSCALAR; i++)
		tr.v[i][at] = v[i];
	for (int i = 0; i < T_NTOP; i++) {
		json_decref(tr.top[i][at]);
		tr.top[i][at] = top[i];
	}
	pthread_mutex_unlock(&tr.mu);
	json_decref(rank);
	json_decref(push);
}

static json_t *value(double d)
{
	return isnan(d) ? json_null() : json_real(d);
}

json_t *trend_json(uint64_t after)
{
	json_t *times = json_array(), *trends = json_object(), *a[T_NSCALAR], *t[T_NTOP], *o;

	for (int i = 0; i < T_NSCALAR; i++)
		json_object_set_new(trends, scalar_name[i], a[i] = json_array());
	for (int i = 0; i < T_NTOP; i++)
		json_object_set_new(trends, top_name[i][0], t[i] = json_array());
	pthread_mutex_lock(&tr.mu);
	for (size_t k = 0; k < tr.n; k++) {
		size_t at = (tr.head + k) % tr.max;
		if (tr.times[at] <= after)
			continue;
		json_array_append_new(times, json_integer((json_int_t)tr.times[at]));
		for (int i = 0; i < T_NSCALAR; i++)
			json_array_append_new(a[i], value(tr.v[i][at]));
		for (int i = 0; i < T_NTOP; i++)
			json_array_append_new(t[i], tr.top[i][at] ? json_deep_copy(tr.top[i][at])
								   : json_object());
	}
	pthread_mutex_unlock(&tr.mu);
	o = json_pack("{s:{s:I,s:o,s:o}}", "trend", "maxPoints", (json_int_t)tr.max, "times", times,
		      "trends", trends);
	return o;
}
