/* Queries: one line in, one JSON document out (the protocol http-api
 * speaks; flow-watch(1) lists it). A request is a command, a name where it
 * takes one, and URL-style arguments: "top ddos maxFlows=10&minValue=1",
 * also "top ddos?maxFlows=10". Values are URL-encoded (%XX, + for space). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw.h"

#define LINE_MAX_Q 4096

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into out (len): -1 when it does not fit or a %XX is bad. */
static int url_decode(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

const char *query_arg(const char *args, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = args; p && *p;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=')
			return url_decode(p + kl + 1, n - kl - 1, buf, len) < 0 ? NULL : buf;
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

/* Every argument is one of the allowed names: else the error names it. */
static int args_check(const char *args, const char *const *allowed, char *err, size_t errlen)
{
	for (const char *p = args; p && *p;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t kl = eq ? (size_t)(eq - p) : n;
		bool ok = false;
		for (int i = 0; allowed[i]; i++)
			ok |= strlen(allowed[i]) == kl && !strncmp(allowed[i], p, kl);
		if (n && (!ok || !eq)) {
			snprintf(err, errlen, "%s \"%.*s\"", eq ? "unknown argument" : "argument without =",
				 (int)(kl > 64 ? 64 : kl), p);
			return -1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	/* every request gets an answer, even one jansson could not encode */
	return s ? s : strdup("{\"error\":\"the answer cannot be encoded\"}");
}

static char *error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *error(const char *fmt, ...)
{
	char buf[FW_TEXT_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *c = buf; *c; c++)    /* echoed request bytes: JSON wants UTF-8 */
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return dump(json_pack("{s:s}", "error", buf));
}

static char *ok(void) { return dump(json_pack("{s:b}", "ok", 1)); }

static json_t *flow_json(const struct fw_def *d)
{
	return json_pack("{s:s,s:s,s:s,s:f,s:I}", "keys", d->spec.keys, "value",
			 *d->spec.value ? d->spec.value : "bytes", "filter", d->spec.filter,
			 "t", d->spec.t, "maxKeys", (json_int_t)d->spec.max_keys);
}

static json_t *thr_json(const struct fw_thr *t)
{
	return json_pack("{s:s,s:f,s:b,s:f}", "metric", t->metric, "value", t->value,
			 "byFlow", t->byflow, "timeout", t->timeout);
}

static int num_arg(const char *args, const char *key, double min, double max, double *v,
		   char *err, size_t errlen)
{
	char buf[64], *end;
	const char *s = query_arg(args, key, buf, sizeof(buf));

	if (!s)
		return 0;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= min) || d > max) {
		snprintf(err, errlen, "%s: a number from %g to %g", key, min, max);
		return -1;
	}
	*v = d;
	return 0;
}

static char *set_flow(struct fw *w, const char *name, const char *args)
{
	static const char *const allowed[] = { "keys", "value", "filter", "t", "maxKeys", NULL };
	struct fw_spec s = { .t = 2, .max_keys = w->o->max_keys };
	char err[FW_TEXT_MAX], buf[FW_TEXT_MAX];
	double t = 2, mk = (double)w->o->max_keys;

	if (args_check(args, allowed, err, sizeof(err)) < 0 ||
	    num_arg(args, "t", -1e300, 1e300, &t, err, sizeof(err)) < 0 ||
	    num_arg(args, "maxKeys", 1, 10000000, &mk, err, sizeof(err)) < 0)
		return error("%s", err);
	const char *v = query_arg(args, "keys", buf, sizeof(buf));
	snprintf(s.keys, sizeof(s.keys), "%s", v ? v : "");
	v = query_arg(args, "value", buf, sizeof(buf));
	snprintf(s.value, sizeof(s.value), "%s", v ? v : "bytes");
	v = query_arg(args, "filter", buf, sizeof(buf));
	snprintf(s.filter, sizeof(s.filter), "%s", v ? v : "");
	s.t = t;
	s.max_keys = (unsigned long)mk;
	if (fw_setflow(w, name, &s, err, sizeof(err)) < 0)
		return error("%s", err);
	return ok();
}

static char *set_thr(struct fw *w, const char *name, const char *args)
{
	static const char *const allowed[] = { "metric", "value", "byFlow", "timeout", NULL };
	char err[FW_TEXT_MAX], m[FW_NAME_MAX + 1], v[64], b[16], t[64];

	if (args_check(args, allowed, err, sizeof(err)) < 0)
		return error("%s", err);
	if (fw_setthr(w, name, query_arg(args, "metric", m, sizeof(m)),
		      query_arg(args, "value", v, sizeof(v)), query_arg(args, "byFlow", b, sizeof(b)),
		      query_arg(args, "timeout", t, sizeof(t)), err, sizeof(err)) < 0)
		return error("%s", err);
	return ok();
}

struct row {
	double v;
	const struct hh_entry *e;
};

static int row_desc(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	return a->v < b->v ? 1 : a->v > b->v ? -1 : 0;
}

static char *top(struct fw *w, const char *name, const char *args)
{
	static const char *const allowed[] = { "maxFlows", "minValue", "agent", NULL };
	struct fw_def *d = fw_flow(w, name);
	char err[256], abuf[AR_ADDR_STRLEN + 1], key[FW_TEXT_MAX], ab[AR_ADDR_STRLEN];
	double max = 100, minv = 0;
	struct ar_addr agent = { 0 };
	const char *as;

	if (!d)
		return error("no flow definition \"%s\"", name);
	if (args_check(args, allowed, err, sizeof(err)) < 0 ||
	    num_arg(args, "maxFlows", 0, 1e7, &max, err, sizeof(err)) < 0 ||
	    num_arg(args, "minValue", 0, 1e300, &minv, err, sizeof(err)) < 0)
		return error("%s", err);
	if ((as = query_arg(args, "agent", abuf, sizeof(abuf))) && addr_parse(as, &agent) < 0)
		return error("agent: not an address: \"%s\"", as);
	size_t n = hh_size(d->hh), m = 0;
	struct row *r = malloc((n ? n : 1) * sizeof(*r));
	if (!r)
		return error("%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct hh_entry *e = hh_at(d->hh, i);
		double v = hh_rate(d->hh, e, w->now);
		if (v <= 0 || v < minv || (as && addr_cmp(&agent, &e->agent) != 0))
			continue;
		r[m++] = (struct row){ v, e };
	}
	qsort(r, m, sizeof(*r), row_desc);
	json_t *a = json_array();
	for (size_t i = 0; i < m && i < (size_t)max; i++) {
		def_key_fmt(d, r[i].e->key, r[i].e->klen, key, sizeof(key));
		json_array_append_new(a, json_pack("{s:s,s:f,s:s}", "key", key, "value", r[i].v, "agent",
						   r[i].e->agent.af ? addr_fmt(&r[i].e->agent, ab, sizeof(ab)) : ""));
	}
	free(r);
	return dump(a);
}

static char *stats(struct fw *w)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I}", "records", (json_int_t)w->records,
			      "ignored", (json_int_t)w->ignored, "events", (json_int_t)w->events,
			      "flows", (json_int_t)w->ndefs, "thresholds", (json_int_t)w->nthrs);
	json_object_set_new(o, "eventsdropped", json_integer((json_int_t)w->events_dropped));
	json_object_set_new(o, "stalledms", json_integer((json_int_t)fw_stalled_ms(w)));
	json_t *defs = json_object();
	for (unsigned i = 0; i < w->ndefs; i++) {
		const struct fw_def *d = w->def[i];
		json_object_set_new(defs, d->name, json_pack("{s:I,s:I,s:I,s:I}", "matched",
			(json_int_t)d->matched, "keys", (json_int_t)hh_size(d->hh), "maxKeys",
			(json_int_t)hh_cap(d->hh), "bytes", (json_int_t)hh_bytes(d->hh)));
	}
	json_object_set_new(o, "definitions", defs);
	return dump(o);
}

/* Oldest first up to max after p->after, listed newest first as sFlow-RT
 * lists events; NULL when there is none and the poll may wait. */
char *query_events(struct fw *w, const struct fw_poll *p, bool final)
{
	uint64_t first = w->ring_n > w->ring_cap ? w->ring_n - w->ring_cap + 1 : 1;
	uint64_t from = p->after + 1 > first ? p->after + 1 : first;
	const struct fw_event *pick[1024];
	size_t n = 0;
	char ab[AR_ADDR_STRLEN];

	for (uint64_t id = from; id <= w->ring_n && n < p->max && n < 1024; id++) {
		const struct fw_event *e = &w->ring[(id - 1) % w->ring_cap];
		if (!*p->thr || !strcmp(p->thr, e->thr))
			pick[n++] = e;
	}
	if (!n && !final)
		return NULL;
	json_t *a = json_array();
	while (n--) {
		const struct fw_event *e = pick[n];
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:I}",
			"eventID", (json_int_t)e->id, "thresholdID", e->thr, "metric", e->metric,
			"agent", e->agent.af ? addr_fmt(&e->agent, ab, sizeof(ab)) : "",
			"dataSource", e->ds, "flowKey", e->key, "value", e->value,
			"threshold", e->threshold, "timestamp", (json_int_t)(e->ts_us / 1000)));
	}
	return dump(a);
}

static char *events(struct fw *w, const char *args, struct fw_poll *p, bool *wait)
{
	static const char *const allowed[] = { "eventID", "maxEvents", "timeout", "thresholdID", NULL };
	char err[256];
	double after = 0, max = 100, to = 0;

	if (args_check(args, allowed, err, sizeof(err)) < 0 ||
	    num_arg(args, "eventID", -1, 1e18, &after, err, sizeof(err)) < 0 ||
	    num_arg(args, "maxEvents", 1, 1024, &max, err, sizeof(err)) < 0 ||
	    num_arg(args, "timeout", 0, 3600, &to, err, sizeof(err)) < 0)
		return error("%s", err);
	memset(p, 0, sizeof(*p));
	p->after = after > 0 ? (uint64_t)after : 0;
	p->max = (unsigned long)max;
	p->timeout = to;
	if (!query_arg(args, "thresholdID", p->thr, sizeof(p->thr)))
		p->thr[0] = '\0';
	char *s = query_events(w, p, to == 0);
	*wait = s == NULL;
	return s;
}

/* Split "cmd name args" / "cmd name?args" / "cmd?args". */
char *query_answer(struct fw *w, const char *line, struct fw_poll *poll, bool *wait)
{
	static const char *const named[] = { "flow", "setflow", "delflow", "top", "threshold",
					     "setthreshold", "delthreshold", NULL };
	char buf[LINE_MAX_Q], *cmd, *name = NULL, *args = "", *p;
	bool takes_name = false;

	*wait = false;
	if (strlen(line) >= sizeof(buf))
		return error("request longer than %d bytes", LINE_MAX_Q - 1);
	strcpy(buf, line);
	buf[strcspn(buf, "\r\n")] = '\0';
	for (cmd = buf; *cmd == ' ' || *cmd == '\t'; cmd++)
		;
	p = cmd + strcspn(cmd, " \t?");
	for (int i = 0; named[i]; i++)
		takes_name |= strlen(named[i]) == (size_t)(p - cmd) && !strncmp(named[i], cmd, (size_t)(p - cmd));
	if (*p) {
		bool q = *p == '?';
		*p++ = '\0';
		while (!q && (*p == ' ' || *p == '\t'))
			p++;
		if (takes_name && !q) {
			name = p;
			p += strcspn(p, " \t?");
			if (*p)
				*p++ = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
		}
		args = p;
		args[strcspn(args, " \t")] = '\0';
	}
	if (takes_name && (!name || !*name))
		return error("%s: a name is needed", cmd);
	if (!strcmp(cmd, "flows")) {
		json_t *o = json_object();
		for (unsigned i = 0; i < w->ndefs; i++)
			json_object_set_new(o, w->def[i]->name, flow_json(w->def[i]));
		return dump(o);
	}
	if (!strcmp(cmd, "flow")) {
		struct fw_def *d = fw_flow(w, name);
		return d ? dump(flow_json(d)) : error("no flow definition \"%s\"", name);
	}
	if (!strcmp(cmd, "setflow"))
		return set_flow(w, name, args);
	if (!strcmp(cmd, "delflow"))
		return fw_delflow(w, name) == 0 ? ok() : error("no flow definition \"%s\"", name);
	if (!strcmp(cmd, "top"))
		return top(w, name, args);
	if (!strcmp(cmd, "thresholds")) {
		json_t *o = json_object();
		for (unsigned i = 0; i < w->nthrs; i++)
			json_object_set_new(o, w->thr[i]->name, thr_json(w->thr[i]));
		return dump(o);
	}
	if (!strcmp(cmd, "threshold")) {
		struct fw_thr *t = fw_thr_find(w, name);
		return t ? dump(thr_json(t)) : error("no threshold \"%s\"", name);
	}
	if (!strcmp(cmd, "setthreshold"))
		return set_thr(w, name, args);
	if (!strcmp(cmd, "delthreshold"))
		return fw_delthr(w, name) == 0 ? ok() : error("no threshold \"%s\"", name);
	if (!strcmp(cmd, "events"))
		return events(w, args, poll, wait);
	if (!strcmp(cmd, "stats"))
		return stats(w);
	return error("unknown request \"%.64s\" (flows, flow, setflow, delflow, top, thresholds, "
		     "threshold, setthreshold, delthreshold, events, stats)", cmd);
}
