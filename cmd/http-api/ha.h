/* http-api: the HTTP face of the pipeline (sFlow-RT's REST, Active Route
 * Manager's web UI and trend, Prometheus /metrics). A thin translator: each
 * request is bounded, parsed, asked of the stage that owns the answer over
 * its control socket (or read from its --stats file), and answered. The
 * trend history is the only state kept here. */
#ifndef AR_HA_H
#define AR_HA_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"

#define HA_MAX_ALLOW 32
#define HA_MAX_STATS 16

struct ha_opts {
	char *listen;                   /* ADDR:PORT or [V6]:PORT */
	char *rank;                     /* prefix-rank's control socket */
	char *flow;                     /* flow-watch's control socket */
	char *stats[HA_MAX_STATS];      /* --stats files of the stages */
	int nstats;
	char *www;                      /* our static files */
	char *chartjs;                  /* Debian's chart.js directory */
	char *auth;                     /* user:password lines */
	struct ar_prefix allow[HA_MAX_ALLOW];
	int nallow;
	bool write;                     /* PUT and DELETE allowed */
	unsigned long long max_conns, max_url, max_header, max_body, threads;
	double timeout;                 /* seconds per request (and per stage call) */
	double cache;                   /* seconds prefix-rank's answers are reused */
	unsigned long long trend_points;
	char *router;                   /* the learn session's neighbor ({router}) */
	unsigned long long cap4, cap6;  /* FIB capacity (rank.max-routes[6]) */
	bool check;
	const struct conf *conf;        /* the running config (Help tab) */
};

/* ---- A request, as the routes see it ---- */

struct ha_arg {
	const char *key, *value;
};

#define HA_MAX_ARGS 32
#define HA_MAX_SEGS 8

struct ha_req {
	const char *method;             /* GET, PUT, DELETE, ... */
	char *segs[HA_MAX_SEGS];        /* path split at '/', percent-decoded */
	int nsegs;
	struct ha_arg args[HA_MAX_ARGS];
	int nargs;
	const char *body;
	size_t body_len;
};

struct ha_resp {
	unsigned status;
	char *body;                     /* malloc'd */
	size_t len;
	const char *type;               /* content type (static string) */
	const char *allow;              /* Allow header for 405 */
};

/* url.c: the URL and query parser (fuzzed by fuzz-http-url). Splits path
 * into segments of buf (percent-decoded in place; "." and ".." segments,
 * empty segments past the first and NUL bytes are refused). 0, -1 bad. */
int url_split(char *path, struct ha_req *rq);
/* Percent-decodes s in place; -1 on a bad escape or a NUL byte. */
int url_decode(char *s);
const char *req_arg(const struct ha_req *rq, const char *key);
/* Argument checks: every argument named in allowed (space separated), else
 * an error message in err. */
int req_args_only(const struct ha_req *rq, const char *allowed, char *err, size_t errlen);
int arg_uint(const char *v, unsigned long long max, unsigned long long *out);
int arg_num(const char *v, double *out);
int arg_bool(const char *v, bool *out);
/* Appends "key=value" (value percent-encoded where it would break the
 * line protocol: % & = space, controls, non-ASCII) to buf, '&'-joined. */
int line_arg(char *buf, size_t len, const char *key, const char *value);

/* Responses. */
void resp_json(struct ha_resp *r, unsigned status, json_t *o);      /* steals o */
void resp_error(struct ha_resp *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void resp_text(struct ha_resp *r, unsigned status, const char *type, char *body, size_t len);

/* ctl.c: one line to a control socket, the whole answer back (malloc'd,
 * NUL-terminated). NULL with errno (ETIMEDOUT, ECONNREFUSED, ENOENT...). */
char *ctl_ask(const char *path, const char *line, double timeout, size_t *len);
/* The answer as a response: 200 with the JSON, 4xx for {"error":...},
 * 503/504 when the stage cannot be asked. */
void ctl_respond(struct ha_resp *r, const char *path, const char *line, double timeout);
/* The same for an answer already asked (s from ctl_ask, taken; NULL with
 * errno when the asking failed). */
void ctl_finish(struct ha_resp *r, const char *path, char *s, size_t len, double timeout);
/* cache.c: ctl_ask through the answer cache (maxage seconds; 0 is none). */
char *ctl_ask_cached(const char *path, const char *line, double timeout, double maxage,
		     size_t *len);
void cache_counts(uint64_t *hits, uint64_t *misses);

/* bgp.c and flow.c: the REST routes. 0 handled, -1 not theirs. */
int bgp_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);
/* GET /rank/curve/json: prefix-rank's curve query (the FIB sizing tab). */
void curve_respond(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);
int flow_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);
/* JSON bodies of PUT /flow and /threshold into a control line (fuzzed by
 * fuzz-http-body). 0, or -1 with the reason in err. */
int flow_body_line(const char *name, const char *body, size_t len, char *line, size_t linelen,
		   char *err, size_t errlen);
int threshold_body_line(const char *name, const char *body, size_t len, char *line,
			size_t linelen, char *err, size_t errlen);

/* stats.c: the last stats record of a --stats file as a JSON object (NULL
 * when absent or unreadable); the stage's name is its "stage" key. */
json_t *stats_load(const char *path, double *age);
/* One msgpack map (the file's bytes) as JSON; NULL when it is none
 * (fuzzed by fuzz-http-stats). */
json_t *stats_parse(const char *buf, size_t len);
json_t *stats_of(const struct ha_opts *o, const char *stage, double *age);
int agents_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);

/* metrics.c: GET /metrics. */
void metrics_respond(const struct ha_opts *o, struct ha_resp *r);

/* trend.c: the history, sampled once a second by trend_run(). */
int trend_init(const struct ha_opts *o);
void trend_sample(const struct ha_opts *o);
json_t *trend_json(uint64_t after_ms);
/* The request counters the server keeps, for /metrics. */
void trend_count_request(unsigned status);
void trend_counts(uint64_t *requests, uint64_t *errors);

/* files.c: static files from www (and chart.js), without traversal. */
int files_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);
void config_respond(const struct ha_opts *o, struct ha_resp *r);

/* server.c */
int server_run(struct ha_opts *o);
/* Routing of one parsed request (also what the fuzzers and tests reach). */
void route_request(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r);

#endif
