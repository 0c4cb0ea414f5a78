/* The request URI: path segments and query arguments, percent-decoded in
 * place, bounded in count; and the checks the routes apply to arguments.
 * Everything here is reached with bytes from the network (fuzz-http-url). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ha.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int url_decode(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;      /* a bad escape, or an encoded NUL */
			*w++ = (char)(h << 4 | l);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

/* The query: "a=1&b=2", '+' is a space (HTML forms), a key without '='
 * has the value "". */
static int query_split(char *q, struct ha_req *rq)
{
	char *save = NULL;

	for (char *tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		char *v = strchr(tok, '=');
		if (v)
			*v++ = '\0';
		else
			v = tok + strlen(tok);
		for (char *c = tok; *c; c++)
			if (*c == '+')
				*c = ' ';
		for (char *c = v; *c; c++)
			if (*c == '+')
				*c = ' ';
		if (url_decode(tok) < 0 || url_decode(v) < 0 || !*tok)
			return -1;
		if (rq->nargs == HA_MAX_ARGS)
			return -1;
		rq->args[rq->nargs++] = (struct ha_arg){ tok, v };
	}
	return 0;
}

int url_split(char *uri, struct ha_req *rq)
{
	char *q = strchr(uri, '?'), *p, *save = NULL;

	rq->nsegs = 0;
	rq->nargs = 0;
	if (q)
		*q++ = '\0';
	if (uri[0] != '/')
		return -1;
	/* "//" inside a path and a trailing "/" are refused rather than
	 * guessed at: no route has an empty segment. "/" alone is the UI. */
	if (strstr(uri, "//"))
		return -1;
	p = uri + 1;
	for (char *tok = strtok_r(p, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (rq->nsegs == HA_MAX_SEGS || url_decode(tok) < 0)
			return -1;
		/* a decoded '/' or a dot segment would walk the file tree */
		if (strchr(tok, '/') || !strcmp(tok, ".") || !strcmp(tok, ".."))
			return -1;
		rq->segs[rq->nsegs++] = tok;
	}
	if (q && query_split(q, rq) < 0)
		return -1;
	return 0;
}

const char *req_arg(const struct ha_req *rq, const char *key)
{
	/* the last one wins, as in the config */
	for (int i = rq->nargs - 1; i >= 0; i--)
		if (!strcmp(rq->args[i].key, key))
			return rq->args[i].value;
	return NULL;
}

int req_args_only(const struct ha_req *rq, const char *allowed, char *err, size_t errlen)
{
	size_t n = strlen(allowed);

	for (int i = 0; i < rq->nargs; i++) {
		const char *k = rq->args[i].key, *at = allowed;
		size_t kl = strlen(k);
		bool ok = false;
		while ((at = strstr(at, k))) {
			if ((at == allowed || at[-1] == ' ') &&
			    (at + kl == allowed + n || at[kl] == ' ')) {
				ok = true;
				break;
			}
			at += kl;
		}
		if (!ok) {
			snprintf(err, errlen, "unknown parameter \"%.40s\" (%s)", k, allowed);
			return -1;
		}
	}
	return 0;
}

int arg_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long n;

	if (!v || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

int arg_num(const char *v, double *out)
{
	char *end;
	double d;

	if (!v || !*v)
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int arg_bool(const char *v, bool *out)
{
	if (!v)
		return -1;
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
		*out = false;
	else
		return -1;
	return 0;
}

int line_arg(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = strlen(buf);
	int w;

	w = snprintf(buf + n, len - n, "%s%s=", strchr(buf, '=') ? "&" : "", key);
	if (w < 0 || (size_t)w >= len - n)
		return -1;
	n += (size_t)w;
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		bool keep = *c > 0x20 && *c < 0x7f && *c != '%' && *c != '&' && *c != '=' &&
			    *c != '+' && *c != '?';
		if (n + (keep ? 1 : 3) >= len)
			return -1;
		if (keep)
			buf[n++] = (char)*c;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", *c);
	}
	buf[n] = '\0';
	return 0;
}
