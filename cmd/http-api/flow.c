/* sFlow-RT's flow analytics routes, answered by flow-watch's control socket:
 *   PUT|GET|DELETE /flow/{name}/json            GET /flow/json
 *   GET /activeflows/{agent}/{name}/json
 *   PUT|GET|DELETE /threshold/{name}/json       GET /threshold/json
 *   GET /events/json  (long poll)
 * The JSON bodies of PUT are parsed here (fuzz-http-body) into the one-line
 * protocol, so flow-watch never sees a byte of HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ha.h"

#define LINE_MAX_LEN 4096
#define EVENTS_MAX_WAIT 60.0    /* seconds a long poll may hold a connection */

/* Flow and threshold names as sFlow-RT allows them in a path. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.' || *s == ':'))
			return false;
	return true;
}

static json_t *body_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;

	if (!body || !len) {
		snprintf(err, errlen, "a JSON object is required");
		return NULL;
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errlen, "bad JSON: %.80s (at %d)", je.text, je.position);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "a JSON object is required");
		return NULL;
	}
	return o;
}

/* A string field, at most 1024 bytes, without control characters. */
static int str_field(json_t *o, const char *key, bool required, const char **out, char *err,
		     size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			snprintf(err, errlen, "\"%s\" is required", key);
		return required ? -1 : 0;
	}
	if (!json_is_string(v) || strlen(s = json_string_value(v)) > 1024 ||
	    strlen(s) != json_string_length(v)) {
		snprintf(err, errlen, "\"%s\" must be a string of at most 1024 bytes", key);
		return -1;
	}
	*out = s;
	return 0;
}

/* An optional number of seconds (0 allowed when zero_ok, at most a day)
 * appended as key=N: 0 (also when absent), -1 bad with err set, -2 when
 * the line has no room. */
static int seconds_field(json_t *o, const char *key, bool zero_ok, char *line, size_t linelen,
			 char *err, size_t errlen)
{
	json_t *t = json_object_get(o, key);
	double d = json_number_value(t);
	char num[64];

	if (!t)
		return 0;
	if (!json_is_number(t) || d < 0 || (d == 0 && !zero_ok) || d > 86400) {
		snprintf(err, errlen, "\"%s\" must be a number of seconds, %s..86400", key,
			 zero_ok ? "0" : "above 0");
		return -1;
	}
	snprintf(num, sizeof(num), "%.17g", d);
	return line_arg(line, linelen, key, num) < 0 ? -2 : 0;
}

int flow_body_line(const char *name, const char *body, size_t len, char *line, size_t linelen,
		   char *err, size_t errlen)
{
	json_t *o = body_object(body, len, err, errlen), *k;
	const char *value, *filter;
	char keys[2048] = "";
	int rc = -1;

	if (!o)
		return -1;
	/* keys: "ipsource,ipdestination" or ["ipsource","ipdestination"] */
	k = json_object_get(o, "keys");
	if (json_is_string(k) && json_string_length(k) > 0 && json_string_length(k) < sizeof(keys) &&
	    strlen(json_string_value(k)) == json_string_length(k)) {
		strcpy(keys, json_string_value(k));
	} else if (json_is_array(k) && json_array_size(k) > 0) {
		size_t i;
		json_t *e;
		json_array_foreach(k, i, e) {
			const char *s = json_string_value(e);
			if (!s || !*s || strlen(keys) + strlen(s) + 2 > sizeof(keys) || strchr(s, ',')) {
				snprintf(err, errlen, "\"keys\" must be non-empty strings");
				goto out;
			}
			if (i)
				strcat(keys, ",");
			strcat(keys, s);
		}
	} else {
		snprintf(err, errlen, "\"keys\" is required: a string or an array of strings");
		goto out;
	}
	if (str_field(o, "value", true, &value, err, errlen) < 0 ||
	    str_field(o, "filter", false, &filter, err, errlen) < 0)
		goto out;
	snprintf(line, linelen, "setflow %s ", name);
	if (line_arg(line, linelen, "keys", keys) < 0 || line_arg(line, linelen, "value", value) < 0 ||
	    (filter && line_arg(line, linelen, "filter", filter) < 0))
		goto toolong;
	if ((rc = seconds_field(o, "t", false, line, linelen, err, errlen)) == -2)
		goto toolong;
	goto out;
toolong:
	rc = -1;
	snprintf(err, errlen, "flow definition too long");
out:
	json_decref(o);
	return rc;
}

int threshold_body_line(const char *name, const char *body, size_t len, char *line,
			size_t linelen, char *err, size_t errlen)
{
	json_t *o = body_object(body, len, err, errlen), *v, *b;
	const char *metric;
	char num[64];
	int rc = -1;

	if (!o)
		return -1;
	if (str_field(o, "metric", true, &metric, err, errlen) < 0)
		goto out;
	v = json_object_get(o, "value");
	if (!json_is_number(v)) {
		snprintf(err, errlen, "\"value\" is required: a number");
		goto out;
	}
	snprintf(line, linelen, "setthreshold %s ", name);
	snprintf(num, sizeof(num), "%.17g", json_number_value(v));
	if (line_arg(line, linelen, "metric", metric) < 0 || line_arg(line, linelen, "value", num) < 0)
		goto toolong;
	if ((b = json_object_get(o, "byFlow"))) {
		if (!json_is_boolean(b)) {
			snprintf(err, errlen, "\"byFlow\" must be true or false");
			goto out;
		}
		if (line_arg(line, linelen, "byFlow", json_is_true(b) ? "true" : "false") < 0)
			goto toolong;
	}
	if ((rc = seconds_field(o, "timeout", true, line, linelen, err, errlen)) == -2)
		goto toolong;
	goto out;
toolong:
	rc = -1;
	snprintf(err, errlen, "threshold definition too long");
out:
	json_decref(o);
	return rc;
}

static bool is(const char *m, const char *want)
{
	return !strcmp(m, want) || (!strcmp(want, "GET") && !strcmp(m, "HEAD"));
}

/* GET|PUT|DELETE of one flow or threshold (kind "flow" or "threshold"). */
static void named(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r,
		  const char *kind, const char *name)
{
	char line[LINE_MAX_LEN], err[200];
	int rc;

	if (!name_ok(name)) {
		resp_error(r, 400, "bad %s name \"%.64s\"", kind, name);
		return;
	}
	if (rq->nargs) {
		resp_error(r, 400, "unknown parameter \"%.40s\"", rq->args[0].key);
		return;
	}
	if (is(rq->method, "GET")) {
		snprintf(line, sizeof(line), "%s %s", kind, name);
	} else if (!strcmp(rq->method, "PUT") || !strcmp(rq->method, "DELETE")) {
		if (!o->write) {
			resp_error(r, 403, "write methods are off (http.write = yes turns them on)");
			return;
		}
		if (!strcmp(rq->method, "DELETE")) {
			snprintf(line, sizeof(line), "del%s %s", kind, name);
		} else {
			rc = kind[0] == 'f'
				? flow_body_line(name, rq->body, rq->body_len, line, sizeof(line), err, sizeof(err))
				: threshold_body_line(name, rq->body, rq->body_len, line, sizeof(line), err,
						      sizeof(err));
			if (rc < 0) {
				resp_error(r, 400, "%s", err);
				return;
			}
		}
	} else {
		r->allow = "GET, HEAD, PUT, DELETE";
		resp_error(r, 405, "method %s not allowed", rq->method);
		return;
	}
	ctl_respond(r, o->flow, line, o->timeout);
}

static void activeflows(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	const char *agent = rq->segs[1], *name = rq->segs[2], *v;
	char line[LINE_MAX_LEN], err[200], num[64];
	unsigned long long n;
	double d;
	struct ar_addr a;

	if (!name_ok(name)) {
		resp_error(r, 400, "bad flow name \"%.64s\"", name);
		return;
	}
	if (strcmp(agent, "ALL") && addr_parse(agent, &a) < 0) {
		resp_error(r, 400, "bad agent \"%.60s\" (an address or ALL)", agent);
		return;
	}
	if (req_args_only(rq, "maxFlows minValue aggMode", err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return;
	}
	snprintf(line, sizeof(line), "top %s ", name);
	if ((v = req_arg(rq, "maxFlows"))) {
		if (arg_uint(v, 100000, &n) < 0) {
			resp_error(r, 400, "bad value for maxFlows: \"%.40s\"", v);
			return;
		}
		snprintf(num, sizeof(num), "%llu", n);
		line_arg(line, sizeof(line), "maxFlows", num);
	}
	if ((v = req_arg(rq, "minValue"))) {
		if (arg_num(v, &d) < 0) {
			resp_error(r, 400, "bad value for minValue: \"%.40s\"", v);
			return;
		}
		snprintf(num, sizeof(num), "%.17g", d);
		line_arg(line, sizeof(line), "minValue", num);
	}
	if ((v = req_arg(rq, "aggMode"))) {
		if (strcmp(v, "max") && strcmp(v, "sum") && strcmp(v, "avg")) {
			resp_error(r, 400, "bad value for aggMode: \"%.40s\" (max, sum, avg)", v);
			return;
		}
		line_arg(line, sizeof(line), "aggMode", v);
	}
	if (strcmp(agent, "ALL"))
		line_arg(line, sizeof(line), "agent", agent);
	ctl_respond(r, o->flow, line, o->timeout);
}

static void events(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	char line[LINE_MAX_LEN] = "events ", err[200], num[64];
	unsigned long long n;
	double wait = 0;
	const char *v;

	if (req_args_only(rq, "thresholdID eventID maxEvents timeout", err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return;
	}
	if ((v = req_arg(rq, "eventID"))) {
		if (arg_uint(v, (1ULL << 63) - 1, &n) < 0) {
			resp_error(r, 400, "bad value for eventID: \"%.40s\"", v);
			return;
		}
		snprintf(num, sizeof(num), "%llu", n);
		line_arg(line, sizeof(line), "eventID", num);
	}
	if ((v = req_arg(rq, "maxEvents"))) {
		if (arg_uint(v, 10000, &n) < 0) {
			resp_error(r, 400, "bad value for maxEvents: \"%.40s\"", v);
			return;
		}
		snprintf(num, sizeof(num), "%llu", n);
		line_arg(line, sizeof(line), "maxEvents", num);
	}
	if ((v = req_arg(rq, "timeout"))) {
		if (arg_num(v, &wait) < 0 || wait < 0) {
			resp_error(r, 400, "bad value for timeout: \"%.40s\"", v);
			return;
		}
		/* a long poll holds a connection: bounded */
		if (wait > EVENTS_MAX_WAIT)
			wait = EVENTS_MAX_WAIT;
		snprintf(num, sizeof(num), "%.17g", wait);
		line_arg(line, sizeof(line), "timeout", num);
	}
	if ((v = req_arg(rq, "thresholdID"))) {
		if (!name_ok(v)) {
			resp_error(r, 400, "bad thresholdID \"%.64s\"", v);
			return;
		}
		line_arg(line, sizeof(line), "thresholdID", v);
	}
	ctl_respond(r, o->flow, line, o->timeout + wait);
}

int flow_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	const char *s0 = rq->nsegs ? rq->segs[0] : "";
	bool list = rq->nsegs == 2 && !strcmp(rq->segs[1], "json");

	if (rq->nsegs < 2 || strcmp(rq->segs[rq->nsegs - 1], "json"))
		return -1;
	if (!strcmp(s0, "flow") || !strcmp(s0, "threshold")) {
		if (list) {
			if (!is(rq->method, "GET")) {
				r->allow = "GET, HEAD";
				resp_error(r, 405, "method %s not allowed", rq->method);
				return 0;
			}
			ctl_respond(r, o->flow, s0[0] == 'f' ? "flows" : "thresholds", o->timeout);
			return 0;
		}
		if (rq->nsegs != 3)
			return -1;
		named(o, rq, r, s0, rq->segs[1]);
		return 0;
	}
	if (!strcmp(s0, "activeflows") && rq->nsegs == 4) {
		if (!is(rq->method, "GET")) {
			r->allow = "GET, HEAD";
			resp_error(r, 405, "method %s not allowed", rq->method);
			return 0;
		}
		activeflows(o, rq, r);
		return 0;
	}
	if (!strcmp(s0, "events") && list) {
		if (!is(rq->method, "GET")) {
			r->allow = "GET, HEAD";
			resp_error(r, 405, "method %s not allowed", rq->method);
			return 0;
		}
		events(o, rq, r);
		return 0;
	}
	return -1;
}
