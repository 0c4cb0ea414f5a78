/* The engine: definitions and thresholds by name, each flow record through
 * every definition, events when a key crosses a threshold. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool fw_name_check(const char *name, char *err, size_t errlen)
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

	if (!fw_name_check(name, err, errlen))
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
		d->origin = w->origin;
		d->gen = w->gen;
		return 0;
	}
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->origin = w->origin;
	n->gen = w->gen;
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

	if (!fw_name_check(name, err, errlen))
		return -1;
	if (!t && w->nthrs == FW_THRS_MAX) {
		snprintf(err, errlen, "at most %d thresholds", FW_THRS_MAX);
		return -1;
	}
	if (thr_set(&tmp, metric, value, byflow, timeout, err, errlen) < 0)
		return -1;
	if (t && !strcmp(t->metric, tmp.metric) && t->value == tmp.value && t->byflow == tmp.byflow &&
	    t->timeout == tmp.timeout) {
		/* the same again: the keys it fired for are kept */
		t->origin = w->origin;
		t->gen = w->gen;
		return 0;
	}
	if (!t) {
		if (!(t = calloc(1, sizeof(*t)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		w->thr[w->nthrs++] = t;
	}
	thr_set(t, metric, value, byflow, timeout, err, errlen);
	t->origin = w->origin;
	t->gen = w->gen;
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
