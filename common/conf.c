/* The text config reader. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int valid_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '.' && *k != '-' && *k != '_')
			return 0;
	return 1;
}

static int add_entry(struct conf *c, const char *key, const char *value, unsigned line)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		struct conf_entry *nv = reallocarray(c->v, ncap, sizeof(*nv));
		if (!nv)
			return -1;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n].key = strdup(key);
	c->v[c->n].value = strdup(value);
	c->v[c->n].line = line;
	if (!c->v[c->n].key || !c->v[c->n].value)
		return -1;
	c->n++;
	return 0;
}

static int parse_line(struct conf *c, char *raw, unsigned lineno)
{
	char *line = trim(raw);
	if (*line == '\0' || *line == '#')
		return 0;
	char *eq = strchr(line, '=');
	if (!eq) {
		fprintf(stderr, "%s:%u: expected \"key = value\"\n", c->path, lineno);
		return -1;
	}
	*eq = '\0';
	char *key = trim(line), *value = trim(eq + 1);
	if (!valid_key(key)) {
		fprintf(stderr, "%s:%u: bad key \"%s\"\n", c->path, lineno, key);
		return -1;
	}
	/* A value may be quoted to keep spaces or a '#'; otherwise '#' starts a comment. */
	size_t vl = strlen(value);
	if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
		value[vl - 1] = '\0';
		value++;
	} else {
		char *hash = strstr(value, " #");
		if (hash)
			*hash = '\0';
		value = trim(value);
	}
	if (add_entry(c, key, value, lineno) < 0) {
		fprintf(stderr, "%s:%u: out of memory\n", c->path, lineno);
		return -1;
	}
	return 0;
}

int conf_parse_string(struct conf *c, const char *name, const char *text)
{
	unsigned lineno = 0;
	int rc = 0;

	if (!c->path)
		c->path = strdup(name);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char *line = strndup(text, len);
		if (!line)
			return -1;
		lineno++;
		if (parse_line(c, line, lineno) < 0)
			rc = -1;
		free(line);
		text += len + (nl ? 1 : 0);
	}
	return rc;
}

int conf_load(struct conf *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "%s: error: cannot open %s: %s\n", log_progname(), path, strerror(errno));
		return -1;
	}
	free(c->path);
	c->path = strdup(path);
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if (parse_line(c, line, lineno) < 0)
			rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

const char *conf_get(const struct conf *c, const char *key)
{
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->v[i].key, key) == 0)
			return c->v[i].value;
	return NULL;
}

int conf_apply(const struct conf *c, const char *ns, const struct option *opts,
	       conf_set_fn *set, void *arg)
{
	size_t nl = strlen(ns);
	int bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct conf_entry *e = &c->v[i];
		if (strncmp(e->key, ns, nl) != 0 || e->key[nl] != '.')
			continue;
		const char *name = e->key + nl + 1;
		if (strchr(name, '.'))
			continue;       /* an instance's key (bgp.learn.x), not ours */
		const struct option *o;
		for (o = opts; o->name; o++)
			if (strcmp(o->name, name) == 0)
				break;
		if (!o->name) {
			fprintf(stderr, "%s:%u: unknown key \"%s\": %s has no option --%s\n",
				c->path, e->line, e->key, log_progname(), name);
			bad++;
			continue;
		}
		/* every value reaches the setter, a switch's too ("= no" is no) */
		int rc = set(o->val, e->value, arg);
		if (rc == CONF_NOT_A_KEY) {
			fprintf(stderr, "%s:%u: \"%s\": --%s is given on the command line, not in the config\n",
				c->path, e->line, e->key, name);
			bad++;
		} else if (rc < 0) {
			fprintf(stderr, "%s:%u: bad value for %s: \"%s\"\n", c->path, e->line,
				e->key, e->value);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

int conf_apply_shared(const struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct conf_entry *e = &c->v[i];
		if (strcmp(e->key, "log-level") == 0) {
			enum log_level lvl;
			if (log_level_parse(e->value, &lvl) < 0) {
				fprintf(stderr, "%s:%u: log-level must be error, warn, info or debug\n",
					c->path, e->line);
				return -1;
			}
			log_set_level(lvl);
		}
	}
	return 0;
}
