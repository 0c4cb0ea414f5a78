/* The web UI's static files, only from our own directory (www) and Debian's
 * chart.js (at /javascript/chart.js/, as Debian's javascript-common lays it
 * out), never from anywhere a path could walk to; and GET /config/json, the
 * running config the Help tab lists. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ha.h"

#define FILE_MAX (8u << 20)

static const char *const types[][2] = {
	{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" }, { ".json", "application/json" },
	{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" }, { ".map", "application/json" },
};

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return NULL;
}

/* dir/segs[from..] as a regular file whose real path lies inside dir. The
 * segments are already free of "..", "." and '/' (url_split); this checks
 * again, and refuses hidden names and symbolic links out of dir. */
static void serve(const char *dir, const struct ha_req *rq, int from, struct ha_resp *r)
{
	char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	const char *type, *last = rq->segs[rq->nsegs - 1];
	struct stat st;
	size_t n, len = 0;
	char *buf;
	ssize_t got;
	int fd;

	if (!dir || !realpath(dir, root)) {
		resp_error(r, 404, "no such file");
		return;
	}
	n = (size_t)snprintf(path, sizeof(path), "%s", root);
	for (int i = from; i < rq->nsegs; i++) {
		const char *s = rq->segs[i];
		if (s[0] == '.' || strchr(s, '/') || strchr(s, '\\')) {
			resp_error(r, 404, "no such file");
			return;
		}
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", s);
		if (n >= sizeof(path)) {
			resp_error(r, 404, "no such file");
			return;
		}
	}
	if (!(type = type_of(last)) || !realpath(path, real) ||
	    strncmp(real, root, strlen(root)) || real[strlen(root)] != '/') {
		resp_error(r, 404, "no such file");
		return;
	}
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		resp_error(r, 404, "no such file");
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		resp_error(r, 404, "no such file");
		return;
	}
	while (len < (size_t)st.st_size &&
	       ((got = read(fd, buf + len, (size_t)st.st_size - len)) > 0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			len += (size_t)got;
	close(fd);
	resp_text(r, 200, type, buf, len);
}

int files_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	static char *const index_seg[] = { "index.html" };
	struct ha_req idx;

	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		r->allow = "GET, HEAD";
		resp_error(r, 405, "method %s not allowed", rq->method);
		return 0;
	}
	if (rq->nsegs == 0) {
		idx = *rq;
		idx.segs[0] = index_seg[0];
		idx.nsegs = 1;
		serve(o->www, &idx, 0, r);
		return 0;
	}
	if (rq->nsegs >= 3 && !strcmp(rq->segs[0], "javascript") && !strcmp(rq->segs[1], "chart.js")) {
		serve(o->chartjs, rq, 2, r);
		return 0;
	}
	serve(o->www, rq, 0, r);
	return 0;
}

/* A key whose value is a secret is listed without it. */
static bool secret(const char *key)
{
	return strstr(key, "password") || strstr(key, "secret") || strstr(key, "key-file");
}

void config_respond(const struct ha_opts *o, struct ha_resp *r)
{
	json_t *keys = json_array(), *out;

	for (size_t i = 0; o->conf && i < o->conf->n; i++) {
		const struct conf_entry *e = &o->conf->v[i];
		json_array_append_new(keys, json_pack("{s:s,s:s,s:I}", "key", e->key, "value",
						      secret(e->key) ? "(hidden)" : e->value, "line",
						      (json_int_t)e->line));
	}
	out = json_pack("{s:s?,s:s?,s:o,s:{s:I,s:I},s:b}", "file", o->conf ? o->conf->path : NULL,
			"router", o->router, "keys", keys, "capacity", "ipv4", (json_int_t)o->cap4, "ipv6",
			(json_int_t)o->cap6, "write", o->write);
	resp_json(r, 200, out);
}
