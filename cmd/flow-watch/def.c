/* Flow definitions: keys, value, filter, averaging time. The same parser
 * takes them from the config file and from the control socket, and refuses
 * a bad one whole, saying why. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

/* Copy s[0..n) trimmed of blanks into out (size len): -1 when it does not fit. */
static int trimmed(const char *s, size_t n, char *out, size_t len)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= len)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int parse_keys(struct fw_def *d, const char *keys, char *err, size_t errlen)
{
	const char *p = keys;
	char name[FW_NAME_MAX];

	d->nkeys = 0;
	d->keymax = 0;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (trimmed(p, n, name, sizeof(name)) < 0 || !*name) {
			snprintf(err, errlen, "keys: %s", *name ? "a key name is too long" : "an empty key");
			return -1;
		}
		if (d->nkeys == FW_KEYS_MAX) {
			snprintf(err, errlen, "keys: at most %d keys", FW_KEYS_MAX);
			return -1;
		}
		if (field_lookup(name, &d->key[d->nkeys]) < 0) {
			snprintf(err, errlen, "keys: unknown key \"%s\"", name);
			return -1;
		}
		d->keymax += field_max(&d->key[d->nkeys]);
		d->nkeys++;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}


static int parse_term(struct fw_term *t, const char *s, char *err, size_t errlen)
{
	char name[FW_NAME_MAX], val[128];
	const char *o = s + strcspn(s, "=!<>");
	size_t ol;

	if (!*o) {
		snprintf(err, errlen, "filter: \"%s\" has no comparison (=, !=, <, <=, >, >=)", s);
		return -1;
	}
	if (trimmed(s, (size_t)(o - s), name, sizeof(name)) < 0 || !*name) {
		snprintf(err, errlen, "filter: \"%s\" names no field", s);
		return -1;
	}
	if (o[0] == '!' && o[1] == '=')
		t->op = OP_NE, ol = 2;
	else if (o[0] == '<' || o[0] == '>')
		t->op = (uint8_t)((o[0] == '<' ? OP_LT : OP_GT) + (o[1] == '=')), ol = 1 + (o[1] == '=');
	else if (o[0] == '=')
		t->op = OP_EQ, ol = 1 + (o[1] == '=');  /* = or == */
	else {
		snprintf(err, errlen, "filter: bad comparison in \"%s\"", s);
		return -1;
	}
	if (trimmed(o + ol, strlen(o + ol), val, sizeof(val)) < 0 || !*val) {
		snprintf(err, errlen, "filter: \"%s\" has no value", s);
		return -1;
	}
	if (field_lookup(name, &t->f) < 0) {
		snprintf(err, errlen, "filter: unknown field \"%s\"", name);
		return -1;
	}
	if (t->f.kind != FK_NUM && t->op != OP_EQ && t->op != OP_NE) {
		snprintf(err, errlen, "filter: %s can only be compared with = or !=", name);
		return -1;
	}
	switch (t->f.kind) {
	case FK_NUM: {
		char *save = NULL;
		t->nv = 0;
		for (char *v = strtok_r(val, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
			if (t->nv == 8 || parse_u64(v, &t->v[t->nv]) < 0 ||
			    (t->nv && t->op != OP_EQ && t->op != OP_NE)) {
				snprintf(err, errlen, "filter: %s needs a number%s, got \"%s\"", name,
					 t->op <= OP_NE ? " (or up to 8, comma-separated)" : "", v);
				return -1;
			}
			t->nv++;
		}
		if (!t->nv) {
			snprintf(err, errlen, "filter: %s needs a number", name);
			return -1;
		}
		return 0;
	}
	case FK_ADDR:
	case FK_PREFIX: {
		char perr[80];
		if (prefix_parse_host(val, &t->pfx, perr, sizeof(perr)) < 0) {
			snprintf(err, errlen, "filter: %s needs an address or prefix: %s", name, perr);
			return -1;
		}
		return 0;
	}
	default:
		snprintf(t->text, sizeof(t->text), "%s", val);
		return 0;
	}
}

static int parse_filter(struct fw_def *d, const char *filter, char *err, size_t errlen)
{
	char term[256];
	const char *p = filter;

	d->nterms = 0;
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (trimmed(p, n, term, sizeof(term)) < 0) {
			snprintf(err, errlen, "filter: a term is too long");
			return -1;
		}
		if (!*term) {
			snprintf(err, errlen, "filter: an empty term");
			return -1;
		}
		if (d->nterms == FW_TERMS_MAX) {
			snprintf(err, errlen, "filter: at most %d terms", FW_TERMS_MAX);
			return -1;
		}
		if (parse_term(&d->term[d->nterms], term, err, errlen) < 0)
			return -1;
		d->nterms++;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int def_compile(struct fw_def *d, const struct fw_spec *s, char *err, size_t errlen)
{
	static struct fw_def n;         /* large: not on the stack */

	memset(&n, 0, sizeof(n));
	for (const char *const *f = (const char *const[]){ s->keys, s->value, s->filter, NULL }; *f; f++)
		for (const char *c = *f; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
				snprintf(err, errlen, "%s: printable ASCII only",
					 *f == s->keys ? "keys" : *f == s->value ? "value" : "filter");
				return -1;
			}
	if (!*s->keys) {
		snprintf(err, errlen, "keys: missing");
		return -1;
	}
	if (parse_keys(&n, s->keys, err, errlen) < 0)
		return -1;
	if (n.keymax > FW_KEY_MAX) {
		snprintf(err, errlen, "keys: together too long (AS paths and communities take %d bytes each, "
			 "%d in all)", 129, FW_KEY_MAX);
		return -1;
	}
	if (!*s->value || !strcmp(s->value, "bytes"))
		n.value = V_BYTES;
	else if (!strcmp(s->value, "frames"))
		n.value = V_FRAMES;
	else if (field_lookup(s->value, &n.vfield) == 0 && n.vfield.kind == FK_NUM)
		n.value = V_FIELD;
	else {
		snprintf(err, errlen, "value: \"%s\" is not bytes, frames or a numeric field", s->value);
		return -1;
	}
	if (parse_filter(&n, s->filter, err, errlen) < 0)
		return -1;
	if (!(s->t > 0) || s->t > 86400 || isnan(s->t)) {
		snprintf(err, errlen, "t: the averaging time must be more than 0 and at most 86400 seconds");
		return -1;
	}
	if (s->max_keys < 1 || s->max_keys > 10000000) {
		snprintf(err, errlen, "maxKeys: from 1 to 10000000");
		return -1;
	}
	memcpy(d->key, n.key, sizeof(n.key));
	d->nkeys = n.nkeys;
	d->keymax = n.keymax;
	d->value = n.value;
	d->vfield = n.vfield;
	memcpy(d->term, n.term, sizeof(n.term));
	d->nterms = n.nterms;
	d->spec = *s;
	return 0;
}

static bool num_term(const struct fw_term *t, uint64_t v)
{
	switch (t->op) {
	case OP_EQ:
	case OP_NE: {
		bool any = false;
		for (unsigned i = 0; i < t->nv; i++)
			any |= v == t->v[i];
		return t->op == OP_EQ ? any : !any;
	}
	case OP_LT: return v < t->v[0];
	case OP_LE: return v <= t->v[0];
	case OP_GT: return v > t->v[0];
	case OP_GE: return v >= t->v[0];
	}
	return false;
}

/* A field the record lacks fails its term, whatever the comparison. */
bool def_match(const struct fw_def *d, const struct rec_flow *r)
{
	uint8_t buf[FW_KEY_MAX];
	char text[FW_TEXT_MAX];

	for (unsigned i = 0; i < d->nterms; i++) {
		const struct fw_term *t = &d->term[i];
		bool ok;
		if (t->f.kind == FK_NUM) {
			uint64_t v;
			if (field_num(&t->f, r, &v) < 0 || !num_term(t, v))
				return false;
			continue;
		}
		int n = field_put(&t->f, r, buf);
		size_t used;
		if (n < 0)
			return false;
		if (t->f.kind == FK_ADDR || t->f.kind == FK_PREFIX) {
			struct ar_addr a;
			memcpy(&a, buf, 17);
			/* an address: in the prefix; a prefix: that prefix */
			ok = prefix_contains(&t->pfx, &a) &&
			     (t->f.kind == FK_ADDR || buf[17] == t->pfx.plen);
		} else {
			field_fmt(&t->f, buf, &used, text, sizeof(text));
			if (t->f.kind == FK_ASPATH)
				ok = !strcmp(text, t->text);
			else {          /* communities: the list holds this one */
				size_t l = strlen(t->text);
				const char *p = text;
				ok = false;
				while ((p = strstr(p, t->text))) {
					if ((p == text || p[-1] == '-') && (p[l] == '\0' || p[l] == '-')) {
						ok = true;
						break;
					}
					p++;
				}
			}
		}
		if (ok != (t->op == OP_EQ))
			return false;
	}
	return true;
}

int def_key(const struct fw_def *d, const struct rec_flow *r, uint8_t *key)
{
	return field_key(d->key, d->nkeys, r, key);
}

void def_key_fmt(const struct fw_def *d, const uint8_t *key, size_t klen, char *out, size_t len)
{
	size_t o = 0, at = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < d->nkeys && at < klen && o + 1 < len; i++) {
		size_t used = 0;
		if (i)
			out[o++] = ',';
		o += field_fmt(&d->key[i], key + at, &used, out + o, len - o);
		at += used;
	}
	out[o < len ? o : len - 1] = '\0';
}

int def_weight(const struct fw_def *d, const struct rec_flow *r, double *w)
{
	uint64_t v;

	switch (d->value) {
	case V_BYTES:
		if (!REC_HAS(r, FLOW_LEN))
			return -1;
		*w = r->len;
		return 0;
	case V_FRAMES:
		*w = 1;
		return 0;
	}
	if (field_num(&d->vfield, r, &v) < 0)
		return -1;
	*w = (double)v;
	return 0;
}
