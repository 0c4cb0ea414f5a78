/* The dry-run target: one line per change it would make; changes nothing. */
#include <stdlib.h>

#include "push.h"

struct dryt {
	struct target t;
	FILE *out;
};

static int dry_send(struct target *t, const struct plan *pl, const struct op *ops,
		    size_t n, int *res)
{
	struct dryt *d = (struct dryt *)t;
	char pb[AR_PREFIX_STRLEN], nb[AR_ADDR_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct uent *e = &pl->u[ops[i].u];
		res[i] = 0;
		fprintf(d->out, "%s %s", op_name(ops[i].kind), prefix_fmt(&e->p, pb, sizeof(pb)));
		if (ops[i].kind != OP_DEL)
			fprintf(d->out, " via %s", addr_fmt(&e->nnh, nb, sizeof(nb)));
		fputc('\n', d->out);
	}
	fflush(d->out);
	return 0;
}

static void dry_free(struct target *t)
{
	free(t);
}

struct target *dry_target_new(FILE *out)
{
	struct dryt *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->t.name = "dry-run";
	d->t.send = dry_send;
	d->t.free = dry_free;
	d->out = out;
	return &d->t;
}
