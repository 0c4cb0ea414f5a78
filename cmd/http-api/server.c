/* The HTTP server on libmicrohttpd: who may connect (the allow-list, at
 * accept), who may ask (basic auth), how much a request may be (URL, header,
 * body, time, connections), and which route answers it. */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "sig.h"
#include "ha.h"

/* ---- responses ---- */

void resp_text(struct ha_resp *r, unsigned status, const char *type, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->type = type;
	r->body = body;
	r->len = len;
}

void resp_json(struct ha_resp *r, unsigned status, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;

	json_decref(o);
	if (!s) {
		resp_text(r, 500, "application/json", strdup("{\"error\":\"out of memory\"}"), 25);
		return;
	}
	resp_text(r, status, "application/json", s, strlen(s));
}

void resp_error(struct ha_resp *r, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp_json(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- routing ---- */

#define TREND_PATH "app active-routes scripts active.js trend json"

static bool path_is(const struct ha_req *rq, const char *words)
{
	char buf[256];
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), i++)
		if (i >= rq->nsegs || strcmp(rq->segs[i], w))
			return false;
	return i == rq->nsegs;
}

static bool method_get(const struct ha_req *rq, struct ha_resp *r)
{
	if (!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD"))
		return true;
	r->allow = "GET, HEAD";
	resp_error(r, 405, "method %s not allowed", rq->method);
	return false;
}

static void trend_respond(const struct ha_req *rq, struct ha_resp *r)
{
	unsigned long long after = 0;
	const char *v = req_arg(rq, "after");
	char err[160];

	if (req_args_only(rq, "after", err, sizeof(err)) < 0) {
		resp_error(r, 400, "%s", err);
		return;
	}
	if (v && arg_uint(v, (1ULL << 62), &after) < 0) {
		resp_error(r, 400, "bad value for after: \"%.40s\" (milliseconds)", v);
		return;
	}
	resp_json(r, 200, trend_json(after));
}

void route_request(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	if (bgp_route(o, rq, r) == 0 || flow_route(o, rq, r) == 0 || agents_route(o, rq, r) == 0)
		return;
	if (path_is(rq, TREND_PATH)) {
		if (method_get(rq, r))
			trend_respond(rq, r);
		return;
	}
	if (path_is(rq, "metrics")) {
		if (method_get(rq, r))
			metrics_respond(o, r);
		return;
	}
	if (path_is(rq, "config json")) {
		if (method_get(rq, r))
			config_respond(o, r);
		return;
	}
	if (path_is(rq, "rank curve json")) {
		if (method_get(rq, r))
			curve_respond(o, rq, r);
		return;
	}
	if (rq->nsegs && !strcmp(rq->segs[rq->nsegs - 1], "json")) {
		resp_error(r, 404, "no such resource");
		return;
	}
	files_route(o, rq, r);
}

/* ---- one connection's request ---- */

struct req_ctx {
	char *uri;                      /* as sent; NULL when longer than max_url */
	size_t uri_len;
	char *body;
	size_t body_len;
	bool body_too_big;
	bool started;
};

static struct ha_opts *opts;
static char **auth_users;       /* "user:password" lines of the auth file */
static size_t nauth;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req_ctx *x = calloc(1, sizeof(*x));

	(void)cls;
	(void)c;
	if (!x)
		return NULL;
	x->uri_len = strlen(uri);
	if (x->uri_len <= opts->max_url)
		x->uri = strdup(uri);
	return x;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *x = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (x) {
		free(x->uri);
		free(x->body);
		free(x);
		*con_cls = NULL;
	}
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct ar_addr a;

	(void)cls;
	(void)len;
	if (addr_from_sockaddr(&a, sa) < 0)
		return MHD_NO;
	for (int i = 0; i < opts->nallow; i++)
		if (prefix_contains(&opts->allow[i], &a))
			return MHD_YES;
	return MHD_NO;
}

/* Compares all of both strings, so the time taken says nothing of where
 * they differ. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static bool authorized(struct MHD_Connection *c)
{
	char *pass = NULL, *user, line[512];
	bool ok = false;

	if (!nauth)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user && pass) {
		snprintf(line, sizeof(line), "%s:%s", user, pass);
		for (size_t i = 0; i < nauth; i++)
			ok |= same(line, auth_users[i]);
	}
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result queue(struct MHD_Connection *c, struct ha_resp *r, bool auth_fail)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* the UI loads nothing from elsewhere (no CDN): the browser enforces it */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	if (r->allow)
		MHD_add_response_header(resp, "Allow", r->allow);
	trend_count_request(r->status);
	if (auth_fail)
		rc = MHD_queue_basic_auth_fail_response(c, "activeroute", resp);
	else
		rc = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct req_ctx *x = *con_cls;
	struct ha_resp r = { .status = 200 };
	struct ha_req rq = { .method = method };

	(void)cls;
	(void)url;
	(void)version;
	if (!x)
		return MHD_NO;
	if (!x->started) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		x->started = true;
		if (!x->uri) {
			resp_error(&r, 414, "URI longer than %llu bytes", opts->max_url);
			return queue(c, &r, false);
		}
		if (!authorized(c)) {
			resp_error(&r, 401, "authentication required");
			return queue(c, &r, true);
		}
		if (cl && strtoull(cl, NULL, 10) > opts->max_body) {
			resp_error(&r, 413, "body larger than %llu bytes", opts->max_body);
			return queue(c, &r, false);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!x->body_too_big && x->body_len + *upload_size <= opts->max_body) {
			char *nb = realloc(x->body, x->body_len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + x->body_len, upload, *upload_size);
			x->body = nb;
			x->body_len += *upload_size;
			x->body[x->body_len] = '\0';
		} else {
			x->body_too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->body_too_big) {
		resp_error(&r, 413, "body larger than %llu bytes", opts->max_body);
		return queue(c, &r, false);
	}
	if (url_split(x->uri, &rq) < 0) {
		resp_error(&r, 400, "bad request URI");
		return queue(c, &r, false);
	}
	rq.body = x->body;
	rq.body_len = x->body_len;
	route_request(opts, &rq, &r);
	return queue(c, &r, false);
}

/* ---- start and run ---- */

static int load_auth(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	unsigned n = 0;

	struct stat st;

	if (!f) {
		log_err("--auth: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004))
		log_warn("%s: passwords readable by every user (chmod o-r)", path);
	while (fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (!strchr(line, ':') || line[0] == ':') {
			log_err("%s:%u: expected user:password", path, n);
			fclose(f);
			return -1;
		}
		char **nv = realloc(auth_users, (nauth + 1) * sizeof(*nv));
		if (!nv || !(nv[nauth] = strdup(line))) {
			fclose(f);
			return -1;
		}
		auth_users = nv;
		nauth++;
	}
	fclose(f);
	if (!nauth) {
		log_err("%s: no user:password line", path);
		return -1;
	}
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_WARN, fmt, ap);
}

int server_run(struct ha_opts *o)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	bool v6;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	char buf[AR_ADDR_STRLEN];

	opts = o;
	if (addrport_parse(o->listen, 8008, &ss, &sslen) < 0) {
		log_err("--listen: bad address \"%s\" (ADDR, ADDR:PORT or [V6]:PORT)", o->listen);
		return 2;
	}
	v6 = ss.ss_family == AF_INET6;
	if (o->auth && load_auth(o->auth) < 0)
		return 2;
	if (o->check)
		return 0;
	if (sig_init() < 0 || trend_init(o) < 0) {
		log_err("cannot start: %s", strerror(errno));
		return 1;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, on_accept, NULL, on_request, NULL,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout + 0.999),
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o->max_header,
			     MHD_OPTION_END);
	if (!d) {
		log_err("cannot listen on %s: %s", o->listen, strerror(errno));
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	{
		struct ar_addr a;
		addr_from_sockaddr(&a, &ss);
		addr_fmt(&a, buf, sizeof(buf));
	}
	log_info("listening on http://%s%s%s:%u/", v6 ? "[" : "", buf, v6 ? "]" : "",
		 info ? info->port : 0);
	/* one trend point a second, on the second */
	while (!sig_stop_requested()) {
		struct timespec now, next;
		trend_sample(o);
		clock_gettime(CLOCK_REALTIME, &now);
		next.tv_sec = 0;
		next.tv_nsec = 1000000000L - now.tv_nsec;
		while (nanosleep(&next, &next) < 0 && errno == EINTR && !sig_stop_requested())
			;
	}
	log_info("stopping");
	MHD_stop_daemon(d);
	return 0;
}
