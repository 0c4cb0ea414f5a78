/* sFlow-RT's BGP REST routes, answered by prefix-rank's control socket:
 *   GET /bgp/topprefixes/{router}/json    (and topprefixes6)
 *   GET /bgp/prefix/{router}/json?address=A
 * {router} is the learn session's neighbor: the one BGP view we hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ha.h"

/* prefix-rank's answer to line, through the cache, as the response. */
static void rank_respond(const struct ha_opts *o, const char *line, struct ha_resp *r)
{
	size_t len = 0;
	char *s = ctl_ask_cached(o->rank, line, o->timeout, o->cache, &len);

	ctl_finish(r, o->rank, s, len, o->timeout);
}

/* The router named in the path is ours, or (no neighbor configured) any. */
static int router_ok(const struct ha_opts *o, const char *s, struct ha_resp *r)
{
	struct ar_addr a, want;

	if (addr_parse(s, &a) < 0) {
		resp_error(r, 400, "bad router address \"%.60s\"", s);
		return -1;
	}
	if (o->router && addr_parse(o->router, &want) == 0 && addr_cmp(&a, &want) != 0) {
		resp_error(r, 404, "unknown router %.60s (this pipeline learns from %s)", s, o->router);
		return -1;
	}
	return 0;
}

/* The query arguments of topprefixes, checked here so that the answer to
 * a bad one is sFlow-RT's 400, and turned into prefix-rank's top line. */
static int top_line(const struct ha_req *rq, int family, char *line, size_t len, char *err,
		    size_t errlen)
{
	unsigned long long n;
	double d;
	bool b;
	const char *v;

	if (req_args_only(rq, "maxPrefixes minValue direction minPrefix includeCovered pruneCovered",
			  err, errlen) < 0)
		return -1;
	snprintf(line, len, "top family=%d", family);
#define ADD(fmt, ...) snprintf(line + strlen(line), len - strlen(line), fmt, __VA_ARGS__)
	if ((v = req_arg(rq, "maxPrefixes"))) {
		if (arg_uint(v, 10000000, &n) < 0)
			goto bad;
		ADD(" maxPrefixes=%llu", n);
	}
	if ((v = req_arg(rq, "minValue"))) {
		if (arg_num(v, &d) < 0 || d < 0)
			goto bad;
		ADD(" minValue=%.17g", d);
	}
	if ((v = req_arg(rq, "direction"))) {
		if (strcasecmp(v, "destination") && strcasecmp(v, "source") &&
		    strcasecmp(v, "egress") && strcasecmp(v, "ingress"))
			goto bad;
		ADD(" direction=%s", !strcasecmp(v, "source") || !strcasecmp(v, "ingress")
			? "source" : "destination");
	}
	if ((v = req_arg(rq, "minPrefix"))) {
		if (arg_uint(v, family == 4 ? 32 : 128, &n) < 0)
			goto bad;
		ADD(" minPrefix=%llu", n);
	}
	if ((v = req_arg(rq, "includeCovered"))) {
		if (arg_bool(v, &b) < 0)
			goto bad;
		ADD(" includeCovered=%s", b ? "true" : "false");
	}
	if ((v = req_arg(rq, "pruneCovered"))) {
		if (arg_bool(v, &b) < 0)
			goto bad;
		ADD(" pruneCovered=%s", b ? "true" : "false");
	}
#undef ADD
	return 0;
bad:
	for (int i = rq->nargs - 1; i >= 0; i--)
		if (rq->args[i].value == v) {
			snprintf(err, errlen, "bad value for %s: \"%.40s\"", rq->args[i].key, v);
			break;
		}
	return -1;
}

static void prefix_answer(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	const char *a = req_arg(rq, "address");
	struct ar_addr addr;
	char line[128], err[160], buf[AR_ADDR_STRLEN];
	size_t len = 0;
	char *s;
	json_t *j;

	if (req_args_only(rq, "address", err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return;
	}
	if (!a || addr_parse(a, &addr) < 0) {
		resp_error(r, 400, "address=ADDRESS is required (IPv4 or IPv6)");
		return;
	}
	snprintf(line, sizeof(line), "prefix %s", addr_fmt(&addr, buf, sizeof(buf)));
	/* an address no route covers is a 404, as sFlow-RT answers for a
	 * prefix it does not hold; the rest is prefix-rank's answer */
	s = ctl_ask_cached(o->rank, line, o->timeout, o->cache, &len);
	j = s ? json_loadb(s, len, 0, NULL) : NULL;
	if (j && json_is_null(json_object_get(j, "prefix"))) {
		free(s);
		json_decref(j);
		resp_error(r, 404, "no route covers %s", buf);
		return;
	}
	json_decref(j);
	ctl_finish(r, o->rank, s, len, o->timeout);
}

int bgp_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	char line[512], err[200];
	int family;

	if (rq->nsegs != 4 || strcmp(rq->segs[0], "bgp") || strcmp(rq->segs[3], "json"))
		return -1;
	if (!strcmp(rq->segs[1], "topprefixes"))
		family = 4;
	else if (!strcmp(rq->segs[1], "topprefixes6"))
		family = 6;
	else if (!strcmp(rq->segs[1], "prefix"))
		family = 0;
	else
		return -1;
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		r->allow = "GET, HEAD";
		resp_error(r, 405, "%s is read only", rq->segs[1]);
		return 0;
	}
	if (router_ok(o, rq->segs[2], r) < 0)
		return 0;
	if (!family) {
		prefix_answer(o, rq, r);
		return 0;
	}
	if (top_line(rq, family, line, sizeof(line), err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return 0;
	}
	rank_respond(o, line, r);
	return 0;
}

void curve_respond(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	unsigned long long fam = 4, max = 0, step = 0;
	const char *v;
	char line[128], err[160];

	if (req_args_only(rq, "family max step direction", err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return;
	}
	if ((v = req_arg(rq, "family")) && (arg_uint(v, 6, &fam) < 0 || (fam != 4 && fam != 6))) {
		resp_error(r, 400, "bad value for family: \"%.40s\" (4 or 6)", v);
		return;
	}
	if ((v = req_arg(rq, "max")) && (arg_uint(v, 10000000, &max) < 0 || !max)) {
		resp_error(r, 400, "bad value for max: \"%.40s\"", v);
		return;
	}
	if ((v = req_arg(rq, "step")) && (arg_uint(v, 10000000, &step) < 0 || !step)) {
		resp_error(r, 400, "bad value for step: \"%.40s\"", v);
		return;
	}
	v = req_arg(rq, "direction");
	if (v && strcmp(v, "destination") && strcmp(v, "source")) {
		resp_error(r, 400, "bad value for direction: \"%.40s\"", v);
		return;
	}
	/* by default up to four times the capacity, in about 200 points */
	if (!max)
		max = 4 * (fam == 4 ? o->cap4 : o->cap6);
	if (!max)
		max = 40000;
	if (!step)
		step = max / 200 ? max / 200 : 1;
	snprintf(line, sizeof(line), "curve family=%llu max=%llu step=%llu direction=%s", fam, max,
		 step, v ? v : "destination");
	rank_respond(o, line, r);
}
