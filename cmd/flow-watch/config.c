/* The config's flow definitions and thresholds (watch.flow.NAME.FIELD,
 * watch.threshold.NAME.FIELD) and the four defaults, at the start and again
 * on SIGHUP. What the config (or the defaults) set is the config's: a
 * reload sets it again, keeping what is unchanged as it is (a definition
 * given again with the same keys, value, filter, time and maxKeys keeps its
 * rates; a threshold given again the same, the keys it fired for), and
 * removes what the config no longer has. What the control socket added is
 * its own and stays, unless the config now defines the same name. A config
 * with an error changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "fw.h"

/* Does the config define the flow NAME (any watch.flow.NAME.FIELD)? */
static bool conf_has_flow(const struct conf *c, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; c && i < c->n; i++)
		if (!strncmp(c->v[i].key, "watch.flow.", 11) && !strncmp(c->v[i].key + 11, name, n) &&
		    c->v[i].key[11 + n] == '.')
			return true;
	return false;
}

/* Active Route Manager's traffic view: where the bytes go and come from.
 * A name the config defines is the config's. */
static int defaults(struct fw *w, const struct conf *c)
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
		if (conf_has_flow(c, dflt[i].name))
			continue;
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

/* A threshold or definition checked as fw_setthr()/fw_setflow() would,
 * nothing changed. */
static int check_thr(const char *name, const char *const *v, char *err, size_t errlen)
{
	struct fw_thr t = { 0 };

	if (!fw_name_check(name, err, errlen))
		return -1;
	return thr_set(&t, v[0], v[1], v[2], v[3], err, errlen);
}

static int check_flow(const char *name, const struct fw_spec *s, char *err, size_t errlen)
{
	struct fw_def *d;
	int rc;

	if (!fw_name_check(name, err, errlen))
		return -1;
	if (!(d = calloc(1, sizeof(*d)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = def_compile(d, s, err, errlen);
	free(d);
	return rc;
}

static int apply(struct fw *w, const struct conf *c, struct pending *p, bool dry)
{
	char err[FW_TEXT_MAX];
	const char *v[6] = { 0 };

	for (int i = 0; i < 6; i++)
		v[i] = p->f[i] ? p->f[i]->value : NULL;
	if (p->thr) {
		if (dry ? check_thr(p->name, v, err, sizeof(err)) == 0
			: fw_setthr(w, p->name, v[0], v[1], v[2], v[3], err, sizeof(err)) == 0)
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
		if (dry ? check_flow(p->name, &s, err, sizeof(err)) == 0
			: fw_setflow(w, p->name, &s, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "%s:%u: watch.%s.%s: %s\n", c->path ? c->path : "config", err_line(p, err),
		p->thr ? "threshold" : "flow", p->name, err);
	return -1;
}

/* The watch.flow.* and watch.threshold.* keys: applied, or (dry) only
 * checked. Every error is reported as file:line. */
static int config(struct fw *w, const struct conf *c, bool dry)
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
			if (p[k].thr == (pass == 1) && apply(w, c, &p[k], dry) < 0)
				rc = -1;
	free(p);
	return rc;
}

/* What the config sets, stamped as the config's of this load; then the
 * config's from an earlier load that this one did not set are removed. */
int fw_load(struct fw *w, const struct conf *c)
{
	int rc = 0;

	w->origin = FW_CONF;
	w->gen++;
	if (w->o->defaults && defaults(w, c) < 0)
		rc = -1;
	if (c && config(w, c, false) < 0)
		rc = -1;
	w->origin = FW_CTL;
	for (unsigned i = 0; i < w->ndefs;)
		if (w->def[i]->origin == FW_CONF && w->def[i]->gen != w->gen)
			fw_delflow(w, w->def[i]->name);         /* the last moves to i */
		else
			i++;
	for (unsigned i = 0; i < w->nthrs;)
		if (w->thr[i]->origin == FW_CONF && w->thr[i]->gen != w->gen)
			fw_delthr(w, w->thr[i]->name);
		else
			i++;
	return rc;
}

int fw_check(struct fw *w, const struct conf *c)
{
	return c ? config(w, c, true) : 0;
}

/* SIGHUP: the options (through the program's reload, as every stage
 * reads them) and the watch.* keys of the file, checked whole first. */
int fw_reload(struct fw *w)
{
	struct fw_opts n = *w->o, *o = w->o;
	struct conf c = { 0 };
	unsigned ctl = 0;
	int rc;

	if (!o->config) {
		log_info("reload: no configuration file");
		return 0;
	}
	if ((o->reload && o->reload(&n) < 0) || conf_load(&c, o->config) < 0) {
		conf_free(&c);
		log_err("reload: %s: configuration unchanged", o->config);
		return -1;
	}
	w->o = &n;              /* checked with the new defaults (--max-keys) */
	rc = fw_check(w, &c);
	w->o = o;
	if (rc < 0) {
		conf_free(&c);
		log_err("reload: %s: configuration unchanged", o->config);
		return -1;
	}
	*o = n;
	rc = fw_load(w, &c);
	conf_free(&c);
	for (unsigned i = 0; i < w->ndefs; i++)
		ctl += w->def[i]->origin == FW_CTL;
	log_info("reload: %u flow definitions (%u from the control socket), %u thresholds%s",
		 w->ndefs, ctl, w->nthrs, rc < 0 ? "; some could not be set" : "");
	return rc;
}
