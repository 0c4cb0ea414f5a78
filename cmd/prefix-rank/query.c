/* Queries: one line in, one JSON document out, over a Unix stream socket.
 *   top [maxPrefixes=N] [minValue=X] [direction=destination|source|egress|ingress]
 *       [minPrefix=N] [includeCovered=BOOL] [pruneCovered=BOOL] [family=4|6]
 *   prefix ADDRESS
 *   curve [max=N] [step=N] [direction=...] [family=4|6]
 * Arguments may also be joined URL-style: "top?maxPrefixes=10&minValue=1".
 * top answers with the field names of sFlow-RT's /bgp/topprefixes. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "pr.h"

#define QUERY_MAX 4096

static int parse_bool(const char *v, bool *b)
{
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
		*b = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
		*b = false;
	else
		return -1;
	return 0;
}

static int parse_ul(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_dbl(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 0) || d > 1e300)
		return -1;
	*out = d;
	return 0;
}

int query_parse(const char *line, struct query *q, char *err, size_t errlen)
{
	char buf[QUERY_MAX], *save = NULL, *tok;
	unsigned long n;
	int i = 0;

	memset(q, 0, sizeof(*q));
	q->af = AR_AF4;
	q->dir = R_DBYTES;
	q->max = 100;
	q->step = 1;
	q->min_prefix = 1;
	if (strlen(line) >= sizeof(buf)) {
		snprintf(err, errlen, "query longer than %d bytes", QUERY_MAX - 1);
		return -1;
	}
	strcpy(buf, line);
	for (tok = strtok_r(buf, " \t\r\n?&", &save); tok; tok = strtok_r(NULL, " \t\r\n?&", &save), i++) {
		char *v = strchr(tok, '=');
		if (i == 0) {
			if (!strcmp(tok, "top"))
				q->kind = Q_TOP;
			else if (!strcmp(tok, "prefix"))
				q->kind = Q_PREFIX;
			else if (!strcmp(tok, "full"))
				q->kind = Q_FULL;
			else if (!strcmp(tok, "curve")) {
				q->kind = Q_CURVE;
				q->max = 10000;
			} else {
				snprintf(err, errlen, "unknown query \"%.40s\" (top, prefix, curve, full)", tok);
				return -1;
			}
			continue;
		}
		if (q->kind == Q_PREFIX && i == 1 && !v) {
			if (addr_parse(tok, &q->addr) < 0) {
				snprintf(err, errlen, "bad address \"%.60s\"", tok);
				return -1;
			}
			q->af = q->addr.af;
			continue;
		}
		if (!v) {
			snprintf(err, errlen, "expected KEY=VALUE, got \"%.60s\"", tok);
			return -1;
		}
		*v++ = '\0';
		if (!strcasecmp(tok, "maxPrefixes") || !strcasecmp(tok, "max")) {
			if (parse_ul(v, 10000000, &q->max) < 0)
				goto bad;
		} else if (!strcasecmp(tok, "step") && q->kind == Q_CURVE) {
			if (parse_ul(v, 10000000, &q->step) < 0 || q->step == 0)
				goto bad;
		} else if (!strcasecmp(tok, "minValue")) {
			if (parse_dbl(v, &q->min_value) < 0)
				goto bad;
		} else if (!strcasecmp(tok, "minPrefix")) {
			if (parse_ul(v, 128, &n) < 0)
				goto bad;
			q->min_prefix = (unsigned)n;
		} else if (!strcasecmp(tok, "direction")) {
			if (!strcasecmp(v, "destination") || !strcasecmp(v, "egress"))
				q->dir = R_DBYTES;
			else if (!strcasecmp(v, "source") || !strcasecmp(v, "ingress"))
				q->dir = R_SBYTES;
			else
				goto bad;
		} else if (!strcasecmp(tok, "includeCovered")) {
			if (parse_bool(v, &q->include_covered) < 0)
				goto bad;
		} else if (!strcasecmp(tok, "pruneCovered")) {
			if (parse_bool(v, &q->prune_covered) < 0)
				goto bad;
		} else if (!strcasecmp(tok, "family")) {
			if (!strcmp(v, "4") || !strcasecmp(v, "ipv4"))
				q->af = AR_AF4;
			else if (!strcmp(v, "6") || !strcasecmp(v, "ipv6"))
				q->af = AR_AF6;
			else
				goto bad;
		} else {
			snprintf(err, errlen, "unknown argument \"%.40s\"", tok);
			return -1;
		}
		continue;
bad:
		snprintf(err, errlen, "bad value for %.40s: \"%.40s\"", tok, v);
		return -1;
	}
	if (i == 0) {
		snprintf(err, errlen, "empty query");
		return -1;
	}
	if (q->kind == Q_PREFIX && q->addr.af == AR_AF_NONE) {
		snprintf(err, errlen, "prefix needs an address");
		return -1;
	}
	return 0;
}

/* ---- Answers ---- */

static const char *origin_name(unsigned o)
{
	return o == ORIGIN_IGP ? "IGP" : o == ORIGIN_EGP ? "EGP" : "INCOMPLETE";
}

static json_t *pfx_str(const struct rib *r, const struct pfx *p)
{
	char buf[AR_PREFIX_STRLEN];
	struct ar_prefix pr;

	pfx_prefix(r, p, &pr);
	return json_string(prefix_fmt(&pr, buf, sizeof(buf)));
}

static json_t *addr_str(const struct ar_addr *a)
{
	char buf[AR_ADDR_STRLEN];

	if (a->af == AR_AF_NONE)
		return json_null();
	return json_string(addr_fmt(a, buf, sizeof(buf)));
}

/* sFlow-RT writes AS paths as "65001-65002". */
static json_t *aspath_str(const struct path *pa)
{
	char buf[2048];
	struct u32s u = { pa->v, pa->naspath };

	aspath_fmt(&u, buf, sizeof(buf));
	for (char *c = buf; *c; c++)
		if (*c == ' ')
			*c = '-';
	return json_string(buf);
}

static json_t *communities(const struct path *pa)
{
	json_t *a = json_array();
	char buf[48];

	for (uint32_t i = 0; i < pa->ncomm; i++) {
		uint32_t c = pa->v[pa->naspath + i];
		snprintf(buf, sizeof(buf), "%u:%u", c >> 16, c & 0xffff);
		json_array_append_new(a, json_string(buf));
	}
	for (uint32_t i = 0; i + 3 <= pa->nlcomm; i += 3) {
		const uint32_t *l = pa->v + pa->naspath + pa->ncomm + i;
		snprintf(buf, sizeof(buf), "%u:%u:%u", l[0], l[1], l[2]);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static void path_fields(json_t *o, const struct path *pa)
{
	json_object_set_new(o, "aspath", aspath_str(pa));
	json_object_set_new(o, "nexthop", addr_str(&pa->nexthop));
	json_object_set_new(o, "localpref", json_integer(pa->localpref));
	json_object_set_new(o, "med", json_integer(pa->med));
	json_object_set_new(o, "origin", json_string(origin_name(pa->origin)));
	json_object_set_new(o, "communities", communities(pa));
}

static void bring_rates_now(struct pr *pr)
{
	if (!pr->o->replay)
		pr->now = ev_now();
	rate_tick(&pr->rib, pr->now);
}

static json_t *answer_top(struct pr *pr, const struct query *q)
{
	struct sel_params sp = {
		.max = q->max, .min_value = q->min_value, .min_prefix = q->min_prefix,
		.dir = q->dir, .closure = q->include_covered, .prune = q->prune_covered,
		.bit = PFX_QSEL,
	};
	struct sel_result res = { 0 };
	struct rib *r = &pr->rib;
	json_t *o = json_object(), *top = json_array();

	bring_rates_now(pr);
	if (select_run(r, q->af, &sp, &res) < 0) {
		json_decref(top);
		json_object_set_new(o, "error", json_string("out of memory"));
		return o;
	}
	json_object_set_new(o, "as", json_integer(pr->as));
	json_object_set_new(o, "direction", json_string(q->dir == R_DBYTES ? "destination" : "source"));
	json_object_set_new(o, "id", pr->id.af ? addr_str(&pr->id) : json_string(""));
	json_object_set_new(o, "state", json_string(pr->peer_up || r->npeers ? "established" : "idle"));
	json_object_set_new(o, "startTime", json_integer((json_int_t)(pr->start_us / 1000)));
	json_object_set_new(o, "nPrefixes", json_integer((json_int_t)r->af[af_idx(q->af)].n));
	json_object_set_new(o, "learnedPrefixesAdded", json_integer((json_int_t)r->added));
	json_object_set_new(o, "learnedPrefixesRemoved", json_integer((json_int_t)r->removed));
	json_object_set_new(o, "pushedPrefixesAdded", json_integer((json_int_t)pr->pushed_added));
	json_object_set_new(o, "pushedPrefixesRemoved", json_integer((json_int_t)pr->pushed_removed));
	for (size_t i = 0; i < res.n; i++) {
		const struct pfx *p = res.v[i], *par = sel_parent(r, p, PFX_QSEL);
		json_t *e = json_object();
		json_object_set_new(e, "prefix", pfx_str(r, p));
		path_fields(e, pfx_best(r, p));
		json_object_set_new(e, "value", json_real(pfx_rate(r, p, q->dir)));
		json_object_set_new(e, "pps", json_real(pfx_rate(r, p, q->dir + 1)));
		if (par)
			json_object_set_new(e, "parentprefix", pfx_str(r, par));
		json_array_append_new(top, e);
	}
	json_object_set_new(o, "topPrefixes", top);
	json_object_set_new(o, "valueTotal", json_real(res.value_total));
	json_object_set_new(o, "valueTopPrefixes", json_real(res.value_sel));
	json_object_set_new(o, "valuePercentCoverage",
			    json_real(res.value_total > 0 ? 100.0 * res.value_sel / res.value_total : 0));
	select_clear(&res, PFX_QSEL);
	sel_result_free(&res);
	return o;
}

static json_t *answer_prefix(struct pr *pr, const struct query *q)
{
	struct rib *r = &pr->rib;
	json_t *o = json_object(), *routes;
	struct pfx *p;

	bring_rates_now(pr);
	json_object_set_new(o, "address", addr_str(&q->addr));
	p = rib_match(r, &q->addr);
	if (!p) {
		json_object_set_new(o, "prefix", json_null());
		return o;
	}
	json_object_set_new(o, "prefix", pfx_str(r, p));
	path_fields(o, pfx_best(r, p));
	json_object_set_new(o, "value", json_real(pfx_rate(r, p, R_DBYTES)));
	json_object_set_new(o, "pps", json_real(pfx_rate(r, p, R_DPKTS)));
	json_object_set_new(o, "sourceValue", json_real(pfx_rate(r, p, R_SBYTES)));
	json_object_set_new(o, "sourcePps", json_real(pfx_rate(r, p, R_SPKTS)));
	json_object_set_new(o, "selected", json_boolean(p->flags & PFX_SEL));
	if (p->parent)
		json_object_set_new(o, "parentprefix", pfx_str(r, pfx_parent(r, p)));
	struct pfx *sp = sel_parent(r, p, PFX_SEL);
	if (sp)
		json_object_set_new(o, "selectedparent", pfx_str(r, sp));
	routes = json_array();
	const struct rslot *rr;
	for (unsigned i = 0; (rr = pfx_route_at(r, p, i)); i++) {
		const struct peer *pe = &r->peers[rr->peer];
		json_t *e = json_object();
		json_object_set_new(e, "peer", addr_str(&pe->addr));
		path_fields(e, rib_path(r, rr->path));
		json_object_set_new(e, "best", json_boolean(i == 0));
		json_object_set_new(e, "stale", json_boolean(pe->stale && rr->gen != (uint16_t)pe->gen));
		json_array_append_new(routes, e);
	}
	json_object_set_new(o, "routes", routes);
	return o;
}

static int dbl_desc(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? 1 : a > b ? -1 : 0;
}

static json_t *answer_curve(struct pr *pr, const struct query *q)
{
	struct rib_af *ra = &pr->rib.af[af_idx(q->af)];
	json_t *o = json_object(), *pts = json_array();
	double *v, total, cum = 0;
	size_t n = 0;

	bring_rates_now(pr);
	total = ra->total[q->dir] * pr->rib.scale;
	v = calloc(ra->nactive ? ra->nactive : 1, sizeof(*v));
	if (!v) {
		json_decref(pts);
		json_object_set_new(o, "error", json_string("out of memory"));
		return o;
	}
	for (size_t i = 0; i < ra->nactive; i++) {
		const struct pfx *p = rib_byid(&pr->rib, ra->active[i]);
		if (p->rate[q->dir] > 0)
			v[n++] = p->rate[q->dir] * pr->rib.scale;
	}
	qsort(v, n, sizeof(*v), dbl_desc);
	for (size_t i = 0; i < q->max && i < n; i++) {
		cum += v[i];
		if ((i + 1) % q->step == 0 || i + 1 == n || i + 1 == q->max) {
			json_t *e = json_object();
			json_object_set_new(e, "n", json_integer((json_int_t)i + 1));
			json_object_set_new(e, "percent", json_real(total > 0 ? 100.0 * cum / total : 0));
			json_array_append_new(pts, e);
		}
	}
	free(v);
	json_object_set_new(o, "direction", json_string(q->dir == R_DBYTES ? "destination" : "source"));
	json_object_set_new(o, "valueTotal", json_real(total));
	json_object_set_new(o, "nPrefixes", json_integer((json_int_t)n));
	json_object_set_new(o, "curve", pts);
	return o;
}

char *query_answer(struct pr *pr, const struct query *q)
{
	json_t *o;
	char *s;

	switch (q->kind) {
	case Q_TOP:
		o = answer_top(pr, q);
		break;
	case Q_PREFIX:
		o = answer_prefix(pr, q);
		break;
	case Q_FULL:
		/* A reader that lost track asks for a complete state. */
		o = json_pack("{s:b}", "sent", pr_full_now(pr));
		break;
	default:
		o = answer_curve(pr, q);
		break;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

/* ---- The control socket ---- */

struct client {
	struct client *next;
	struct pr *pr;
	int fd;
	size_t len;
	char buf[QUERY_MAX];
};

static void client_done(struct pr *pr, struct client *c)
{
	struct client **pp;

	ev_fd_del(pr->ev, c->fd);
	close(c->fd);
	for (pp = &pr->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static void write_all(int fd, const char *s, size_t n)
{
	struct timeval tv = { .tv_sec = 2 };

	/* A client that does not read gets two seconds, then is dropped. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void client_answer(struct pr *pr, struct client *c)
{
	struct query q;
	char err[160], *s;

	c->buf[c->len] = '\0';
	if (query_parse(c->buf, &q, err, sizeof(err)) < 0) {
		json_t *o = json_pack("{s:s}", "error", err);
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	} else {
		s = query_answer(pr, &q);
	}
	if (s) {
		write_all(c->fd, s, strlen(s));
		write_all(c->fd, "\n", 1);
		free(s);
	}
	client_done(pr, c);
}

static void on_client(struct ev_loop *l, int fd, short re, void *arg)
{
	struct client *c = arg;
	ssize_t n;

	(void)l;
	(void)re;
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->len)
			client_answer(c->pr, c);
		else
			client_done(c->pr, c);
		return;
	}
	c->len += (size_t)n;
	if (memchr(c->buf, '\n', c->len) || c->len == sizeof(c->buf) - 1)
		client_answer(c->pr, c);
}

static void on_accept(struct ev_loop *l, int fd, short re, void *arg)
{
	struct pr *pr = arg;
	struct client *c;
	int cfd;

	(void)re;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (!(c = calloc(1, sizeof(*c)))) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->pr = pr;
	c->next = pr->clients;
	pr->clients = c;
	ev_fd_add(l, cfd, POLLIN, on_client, c);
}

int ctl_open(struct pr *pr, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("--control: path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);                   /* a socket left by an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pr->ctl = fd;
	ev_fd_add(pr->ev, fd, POLLIN, on_accept, pr);
	return 0;
}

void ctl_close(struct pr *pr)
{
	while (pr->clients)
		client_done(pr, pr->clients);
	if (pr->ctl >= 0) {
		close(pr->ctl);
		if (pr->o->control)
			unlink(pr->o->control);
		pr->ctl = -1;
	}
}

int query_client(const char *path, const char *query)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	bool first = true, error = false;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("--control: path too long: %s", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_err("cannot connect to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	write_all(fd, query, strlen(query));
	write_all(fd, "\n", 1);
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (first && n >= 9 && !memcmp(buf, "{\"error\"", 8))
			error = true;
		first = false;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	if (first) {
		log_err("%s: no answer", path);
		return 1;
	}
	return error ? 1 : 0;
}
