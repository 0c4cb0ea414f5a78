/* --agents: accept datagrams only from agents inside these prefixes.
 * Lists are short (a site's switches), so a linear scan is enough. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sflow.h"

struct agent_filter {
	struct ar_prefix *v;
	size_t n, cap;
};

struct agent_filter *filter_new(void)
{
	return calloc(1, sizeof(struct agent_filter));
}

void filter_free(struct agent_filter *af)
{
	if (af == NULL)
		return;
	free(af->v);
	free(af);
}

int filter_add(struct agent_filter *af, const char *list)
{
	char *copy, *s, *tok, err[128];
	struct ar_prefix p;
	int rc = 0;

	if ((copy = strdup(list)) == NULL)
		return -1;
	s = copy;
	while ((tok = strsep(&s, ", ")) != NULL) {
		if (*tok == '\0')
			continue;
		if (prefix_parse_host(tok, &p, err, sizeof(err)) == -1) {
			log_err("--agents: %s: %s", tok, err);
			rc = -1;
			break;
		}
		if (af->n == af->cap) {
			size_t ncap = af->cap ? af->cap * 2 : 8;
			struct ar_prefix *nv = reallocarray(af->v, ncap, sizeof(*nv));
			if (nv == NULL) {
				rc = -1;
				break;
			}
			af->v = nv;
			af->cap = ncap;
		}
		af->v[af->n++] = p;
	}
	free(copy);
	return rc;
}

bool filter_match(const struct agent_filter *af, const struct ar_addr *a)
{
	for (size_t i = 0; i < af->n; i++)
		if (prefix_contains(&af->v[i], a))
			return true;
	return false;
}

size_t filter_count(const struct agent_filter *af)
{
	return af->n;
}
