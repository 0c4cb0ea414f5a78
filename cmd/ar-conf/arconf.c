/* ar-conf's commands. The grammar is common/conf.c's alone: the supervisor
 * reads the config only through here, so it and the programs cannot
 * disagree about a line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arconf.h"
#include "log.h"
#include "prog.h"

int keyrules_list(struct wordlist *l, const char *csv)
{
	char *s, *tok;

	free(l->buf);
	memset(l, 0, sizeof *l);
	if ((l->buf = strdup(csv)) == NULL)
		return -1;
	for (s = l->buf; (tok = strsep(&s, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (l->n == sizeof(l->w) / sizeof(l->w[0])) {
			log_err("at most %zu names in a list", l->n);
			return -1;
		}
		l->w[l->n++] = tok;
	}
	return 0;
}

int keyrules_ns(struct keyrules *r, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *name;

	if (r->nns == KEYRULES_MAX) {
		log_err("--ns: at most %d namespaces", KEYRULES_MAX);
		return -1;
	}
	name = eq ? strndup(spec, (size_t)(eq - spec)) : strdup(spec);
	if (!name || !*name) {
		log_err("--ns: expected NS[=INSTANCE,...], got \"%s\"", spec);
		free(name);
		return -1;
	}
	r->ns[r->nns].name = name;
	if (eq && keyrules_list(&r->ns[r->nns].instances, eq + 1) < 0)
		return -1;
	r->nns++;
	return 0;
}

static bool in_list(const struct wordlist *l, const char *w, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->w[i]) == len && strncmp(l->w[i], w, len) == 0)
			return true;
	return false;
}

static const struct conf_entry *last(const struct conf *c, const char *key)
{
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

/* One key against the rules: NULL when it is allowed, else why not. */
static const char *judge(const struct keyrules *r, const char *key, char *why, size_t whylen)
{
	const char *dot = strchr(key, '.');

	if (!dot) {
		if (in_list(&r->shared, key, strlen(key)))
			return NULL;
		snprintf(why, whylen, "unknown key \"%s\" (a shared key, or NAMESPACE.OPTION)", key);
		return why;
	}
	for (size_t i = 0; i < r->nns; i++) {
		size_t nl = strlen(r->ns[i].name);
		if ((size_t)(dot - key) != nl || strncmp(key, r->ns[i].name, nl) != 0)
			continue;
		const char *opt = dot + 1, *dot2 = strchr(opt, '.');
		if (dot2) {
			if (!in_list(&r->ns[i].instances, opt, (size_t)(dot2 - opt))) {
				snprintf(why, whylen, "\"%s\": %s has no instance \"%.*s\"", key,
					 r->ns[i].name, (int)(dot2 - opt), opt);
				return why;
			}
			opt = dot2 + 1;
		}
		if (in_list(&r->reserved, opt, strlen(opt))) {
			snprintf(why, whylen, "\"%s\": --%s is set by active-route itself, not by the config",
				 key, opt);
			return why;
		}
		return NULL;
	}
	snprintf(why, whylen, "unknown namespace \"%.*s\" in \"%s\"", (int)(dot - key), key, key);
	return why;
}

static int cmd_keys(const struct conf *c, const struct keyrules *r)
{
	char why[256];
	int bad = 0;

	for (size_t i = 0; i < c->n; i++)
		if (judge(r, c->v[i].key, why, sizeof why)) {
			fprintf(stderr, "%s:%u: %s\n", c->path, c->v[i].line, why);
			bad++;
		}
	return bad ? EXIT_USAGE : 0;
}

int arconf_run(const struct conf *c, const struct keyrules *r, int argc, char **argv)
{
	const struct conf_entry *e;
	const char *cmd = argc > 0 ? argv[0] : "";

	if (strcmp(cmd, "dump") == 0 && argc == 1) {
		for (size_t i = 0; i < c->n; i++)
			printf("%u\t%s\t%s\n", c->v[i].line, c->v[i].key, c->v[i].value);
		return 0;
	}
	if (strcmp(cmd, "get") == 0 && (argc == 2 || argc == 3)) {
		e = last(c, argv[1]);
		if (!e && argc == 2)
			return EXIT_RUNTIME;
		printf("%s\n", e ? e->value : argv[2]);
		return 0;
	}
	if (strcmp(cmd, "bool") == 0 && argc == 3) {
		bool on;
		e = last(c, argv[1]);
		if (prog_bool(argv[1], e ? e->value : argv[2], &on) < 0) {
			if (e)
				fprintf(stderr, "%s:%u: bad value for %s: \"%s\"\n", c->path, e->line,
					e->key, e->value);
			return EXIT_USAGE;
		}
		printf("%s\n", on ? "yes" : "no");
		return 0;
	}
	if (strcmp(cmd, "keys") == 0 && argc == 1)
		return cmd_keys(c, r);
	log_err("expected dump, get KEY [DEFAULT], bool KEY DEFAULT or keys");
	return EXIT_USAGE;
}
