/* The engine: definitions and thresholds by name, each flow record through
 * every definition, events when a key crosses a threshold. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fw.h"

bool fw_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= FW_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static bool name_check(const char *name, char *err, size_t errlen)
{
	if (fw_name_ok(name))
		return true;
	snprintf(err, errlen, "bad name \"%s\": letters, digits, - and _, at most %d",
		 name, FW_NAME_MAX - 1);
	return false;
}

struct fw_def *fw_flow(struct fw *w, const char *name)
{
	for (unsigned i = 0; i < w->ndefs; i++)
		if (!strcmp(w->def[i]->name, name))
			return w->def[i];
	return NULL;
}

struct fw_thr *fw_thr_find(struct fw *w, const char *name)
{
	for (unsigned i = 0; i < w->nthrs; i++)
		if (!strcmp(w->thr[i]->name, name))
			return w->thr[i];
	return NULL;
}

static uint64_t bit(int8_t f)
{
	return f >= 0 ? (uint64_t)1 << f : 0;
}

static uint64_t field_bits(const struct fw_field *f)
{
	return bit(f->pri) | bit(f->alt) | bit(f->lpri) | bit(f->lalt);
}

/* The fields any definition reads, and those every record gives an event
 * (the sampling rate, agent, data source, time): the inputs decode no
 * others. */
static uint64_t wanted(const struct fw *w)
{
	uint64_t m = bit(FLOW_RATE) | bit(FLOW_AGENT) | bit(FLOW_DS) | bit(FLOW_TS);

	for (unsigned i = 0; i < w->ndefs; i++) {
		const struct fw_def *d = w->def[i];
		for (unsigned k = 0; k < d->nkeys; k++)
			m |= field_bits(&d->key[k]);
		for (unsigned k = 0; k < d->nterms; k++)
			m |= field_bits(&d->term[k].f);
		if (d->value == V_BYTES)
			m |= bit(FLOW_LEN);
		else if (d->value == V_FIELD)
			m |= field_bits(&d->vfield);
	}
	return m;
}

/* Which thresholds watch which definition, and which fields the inputs
 * decode: after any change of either. */
static void relink(struct fw *w)
{
	w->want = wanted(w);
	fw_inputs_want(w);
	for (unsigned i = 0; i < w->ndefs; i++) {
		struct fw_def *d = w->def[i];
		d->nthr = 0;
		for (unsigned k = 0; k < w->nthrs; k++)
			if (!strcmp(w->thr[k]->metric, d->name))
				d->thr[d->nthr++] = w->thr[k];
	}
}

/* A definition given again with the same keys, value, filter and time keeps
 * its rates; any change starts it afresh. */
int fw_setflow(struct fw *w, const char *name, const struct fw_spec *s, char *err, size_t errlen)
{
	struct fw_def *d = fw_flow(w, name), *n;

	fw_flush(w);     /* the records waiting are counted as they came */

	if (!name_check(name, err, errlen))
		return -1;
	if (!d && w->ndefs == FW_DEFS_MAX) {
		snprintf(err, errlen, "at most %d flow definitions", FW_DEFS_MAX);
		return -1;
	}
	if (!(n = calloc(1, sizeof(*n)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (def_compile(n, s, err, errlen) < 0) {
		free(n);
		return -1;
	}
	if (d && !memcmp(&d->spec, &n->spec, sizeof(n->spec))) {
		free(n);
		return 0;
	}
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (!(n->hh = hh_new(s->max_keys, s->t, n->keymax))) {
		free(n);
		snprintf(err, errlen, "out of memory for %lu keys", s->max_keys);
		return -1;
	}
	if (d) {
		for (unsigned i = 0; i < w->ndefs; i++)
			if (w->def[i] == d)
				w->def[i] = n;
		hh_free(d->hh);
		free(d);
	} else {
		w->def[w->ndefs++] = n;
	}
	relink(w);
	return 0;
}

int fw_delflow(struct fw *w, const char *name)
{
	fw_flush(w);
	for (unsigned i = 0; i < w->ndefs; i++)
		if (!strcmp(w->def[i]->name, name)) {
			hh_free(w->def[i]->hh);
			free(w->def[i]);
			w->def[i] = w->def[--w->ndefs];
			relink(w);
			return 0;
		}
	return -1;
}

int fw_setthr(struct fw *w, const char *name, const char *metric, const char *value,
	      const char *byflow, const char *timeout, char *err, size_t errlen)
{
	struct fw_thr *t = fw_thr_find(w, name), tmp = { 0 };

	fw_flush(w);

	if (!name_check(name, err, errlen))
		return -1;
	if (!t && w->nthrs == FW_THRS_MAX) {
		snprintf(err, errlen, "at most %d thresholds", FW_THRS_MAX);
		return -1;
	}
	if (thr_set(&tmp, metric, value, byflow, timeout, err, errlen) < 0)
		return -1;
	if (!t) {
		if (!(t = calloc(1, sizeof(*t)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		w->thr[w->nthrs++] = t;
	}
	thr_set(t, metric, value, byflow, timeout, err, errlen);
	relink(w);
	return 0;
}

int fw_delthr(struct fw *w, const char *name)
{
	fw_flush(w);
	for (unsigned i = 0; i < w->nthrs; i++)
		if (!strcmp(w->thr[i]->name, name)) {
			thr_free(w->thr[i]);
			w->thr[i] = w->thr[--w->nthrs];
			relink(w);
			return 0;
		}
	return -1;
}

void fw_free(struct fw *w)
{
	while (w->ndefs)
		fw_delflow(w, w->def[0]->name);
	while (w->nthrs)
		fw_delthr(w, w->thr[0]->name);
	free(w->ring);
	w->ring = NULL;
}

/* Active Route Manager's traffic view: where the bytes go and come from. */
int fw_defaults(struct fw *w)
{
	static const struct { const char *name, *keys; } dflt[] = {
		{ "arm-aspath", "bgpdestinationaspath" },
		{ "arm-dstas", "bgpdestinationas" },
		{ "arm-peeras", "bgpdestinationpeeras" },
		{ "arm-srcas", "bgpsourceas" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		struct fw_spec s = { .t = 10, .max_keys = w->o->max_keys };
		snprintf(s.keys, sizeof(s.keys), "%s", dflt[i].keys);
		snprintf(s.value, sizeof(s.value), "bytes");
		if (fw_setflow(w, dflt[i].name, &s, err, sizeof(err)) < 0) {
			log_err("%s: %s", dflt[i].name, err);
			return -1;
		}
	}
	return 0;
}

/* ---- The config: watch.flow.NAME.FIELD, watch.threshold.NAME.FIELD ---- */

struct pending {
	char name[FW_NAME_MAX];
	bool thr;
	const struct conf_entry *f[6];  /* flows: keys value filter t maxkeys; thresholds:
					 * metric value byflow timeout */
	unsigned line;                  /* first line of it */
};

static const char *const flow_fields[] = { "keys", "value", "filter", "t", "maxkeys", NULL };
static const char *const thr_fields[] = { "metric", "value", "byflow", "timeout", NULL };

static int field_index(const char *const *names, const char *f)
{
	for (int i = 0; names[i]; i++)
		if (!strcasecmp(names[i], f))
			return i;
	return -1;
}

/* The line an error is about: the field its message starts with. */
static unsigned err_line(const struct pending *p, const char *err)
{
	const char *const *names = p->thr ? thr_fields : flow_fields;
	for (int i = 0; names[i]; i++) {
		size_t l = strlen(names[i]);
		if (p->f[i] && !strncasecmp(err, names[i], l) && err[l] == ':')
			return p->f[i]->line;
	}
	if (!strncmp(err, "maxKeys:", 8) && p->f[4])
		return p->f[4]->line;
	return p->line;
}

static int apply(struct fw *w, const struct conf *c, struct pending *p)
{
	char err[FW_TEXT_MAX];
	const char *v[6] = { 0 };

	for (int i = 0; i < 6; i++)
		v[i] = p->f[i] ? p->f[i]->value : NULL;
	if (p->thr) {
		if (fw_setthr(w, p->name, v[0], v[1], v[2], v[3], err, sizeof(err)) == 0)
			return 0;
	} else {
		struct fw_spec s = { .t = 2, .max_keys = w->o->max_keys };
		double t;
		char *end;
		snprintf(s.keys, sizeof(s.keys), "%s", v[0] ? v[0] : "");
		snprintf(s.value, sizeof(s.value), "%s", v[1] ? v[1] : "bytes");
		snprintf(s.filter, sizeof(s.filter), "%s", v[2] ? v[2] : "");
		if (v[3]) {
			t = strtod(v[3], &end);
			s.t = end == v[3] || *end ? -1 : t;
		}
		if (v[4]) {
			unsigned long long m = strtoull(v[4], &end, 10);
			s.max_keys = *v[4] == '-' || *end || end == v[4] ? 0 : (unsigned long)m;
		}
		if (fw_setflow(w, p->name, &s, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "%s:%u: watch.%s.%s: %s\n", c->path ? c->path : "config", err_line(p, err),
		p->thr ? "threshold" : "flow", p->name, err);
	return -1;
}

int fw_config(struct fw *w, const struct conf *c)
{
	struct pending *p = NULL;
	size_t np = 0;
	int rc = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct conf_entry *e = &c->v[i];
		bool thr = !strncmp(e->key, "watch.threshold.", 16);
		if (!thr && strncmp(e->key, "watch.flow.", 11))
			continue;
		const char *name = e->key + (thr ? 16 : 11), *dot = strrchr(name, '.');
		int fi = dot ? field_index(thr ? thr_fields : flow_fields, dot + 1) : -1;
		if (!dot || fi < 0 || dot == name || (size_t)(dot - name) >= FW_NAME_MAX) {
			fprintf(stderr, "%s:%u: unknown key %s (watch.%s.NAME.{%s})\n", c->path, e->line,
				e->key, thr ? "threshold" : "flow",
				thr ? "metric,value,byflow,timeout" : "keys,value,filter,t,maxkeys");
			rc = -1;
			continue;
		}
		size_t k;
		for (k = 0; k < np; k++)
			if (p[k].thr == thr && strlen(p[k].name) == (size_t)(dot - name) &&
			    !memcmp(p[k].name, name, (size_t)(dot - name)))
				break;
		if (k == np) {
			struct pending *n = realloc(p, (np + 1) * sizeof(*p));
			if (!n) {
				free(p);
				return -1;
			}
			p = n;
			memset(&p[np], 0, sizeof(*p));
			memcpy(p[np].name, name, (size_t)(dot - name));
			p[np].thr = thr;
			p[np].line = e->line;
			np++;
		}
		p[k].f[fi] = e;         /* the last one wins, as for every key */
	}
	/* definitions first: thresholds name them */
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (size_t k = 0; k < np; k++)
			if (p[k].thr == (pass == 1) && apply(w, c, &p[k]) < 0)
				rc = -1;
	free(p);
	return rc;
}
