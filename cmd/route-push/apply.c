/* Running a plan through a target, one level at a time (one step and one
 * prefix length: no two changes of a level nest), so that a failure is
 * known before anything that depends on it is sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "push.h"

/* changes per sendmsg: about 128-170 KB of requests, under the default
 * socket buffer limit (wmem_max) even without SO_SNDBUFFORCE */
#define LEVEL_MAX 2048

/* A change that failed or waits: nothing covering it may take its new next
 * hop (that would hide it), so taint every entry above. */
static void taint_up(struct plan *pl, int32_t i)
{
	for (i = pl->u[i].parent; i >= 0 && !(pl->u[i].flags & U_TAINT); i = pl->u[i].parent)
		pl->u[i].flags |= U_TAINT;
}

static bool above_failed(const struct plan *pl, int32_t i)
{
	for (i = pl->u[i].parent; i >= 0; i = pl->u[i].parent)
		if (pl->u[i].flags & (U_FAILED | U_TAINT))
			return true;
	return false;
}

void trace_set(FILE *f, const char *tag, const struct rtset *s)
{
	char pb[AR_PREFIX_STRLEN], nb[AR_ADDR_STRLEN];
	if (!f)
		return;
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s %s %s\n", tag, prefix_fmt(&s->v[i].p, pb, sizeof(pb)),
			addr_fmt(&s->v[i].nh, nb, sizeof(nb)));
}

void trace_op(FILE *f, const struct uent *e, int kind, int err)
{
	char pb[AR_PREFIX_STRLEN], nb[AR_ADDR_STRLEN];
	if (!f)
		return;
	fprintf(f, "%s%s %s", err ? "fail " : "", op_name(kind),
		prefix_fmt(&e->p, pb, sizeof(pb)));
	if (kind != OP_DEL)
		fprintf(f, " %s", addr_fmt(&e->nnh, nb, sizeof(nb)));
	if (err)
		fprintf(f, " %s", strerrorname_np(err) ? strerrorname_np(err) : "?");
	fputc('\n', f);
}

static void count_err(struct push_stats *st, int err)
{
	st->failed++;
	if (err > 0 && err < (int)(sizeof(st->failed_by_errno) / sizeof(st->failed_by_errno[0])))
		st->failed_by_errno[err]++;
}

static struct log_rl fail_rl;

/* Record one result; true when the change took effect. */
static bool note_result(struct plan *pl, const struct op *o, int err,
			struct push_stats *st, FILE *trace)
{
	struct uent *e = &pl->u[o->u];
	if (o->kind == OP_DEL && err == ESRCH)
		err = 0;        /* already gone: what we wanted */
	trace_op(trace, e, o->kind, err);
	if (err) {
		char pb[AR_PREFIX_STRLEN];
		log_rl(&fail_rl, LOG_WARN, "%s %s: %s", op_name(o->kind),
		       prefix_fmt(&e->p, pb, sizeof(pb)), strerror(err));
		count_err(st, err);
		e->flags |= U_FAILED;
		taint_up(pl, (int32_t)o->u);
		return false;
	}
	if (o->kind == OP_DEL) {
		e->flags &= (uint8_t)~U_INST;
		st->removed++;
	} else {
		e->flags |= U_INST;
		e->inh = e->nnh;
		if (o->kind == OP_ADD)
			st->added++;
		else
			st->replaced++;
	}
	return true;
}

/* Whether an op may still go out, given what failed before it. */
static bool may_send(struct plan *pl, const struct op *o)
{
	struct uent *e = &pl->u[o->u];
	if (o->step == 1)
		return !(e->flags & (U_TAINT | U_FAILED));
	/* a delete uncovers what lies above it: only when that is settled */
	return !above_failed(pl, (int32_t)o->u);
}

int plan_execute(struct plan *pl, struct target *t, struct push_stats *st,
		 FILE *trace, bool *resync)
{
	struct op *lv = malloc(LEVEL_MAX * sizeof(*lv));
	int *res = malloc(LEVEL_MAX * sizeof(*res));
	size_t i = 0;
	int rc = 0;
	if (!lv || !res) {
		free(lv);
		free(res);
		return -1;
	}
	/* the plan keeps the cap if every change succeeds; a failed delete
	 * must not let a later add go over it */
	size_t cnt[2] = { 0, 0 };
	for (size_t k = 0; k < pl->nu; k++)
		if (pl->u[k].flags & U_INST)
			cnt[pl->u[k].p.a.af == AR_AF6]++;
	size_t max[2] = { pl->max4 ? pl->max4 : SIZE_MAX, pl->max6 ? pl->max6 : SIZE_MAX };
	*resync = false;
	while (i < pl->nops) {
		/* one level, filtered */
		const struct op *first = &pl->ops[i];
		uint8_t plen = pl->u[first->u].p.plen, step = first->step;
		size_t n = 0;
		while (i < pl->nops && n < LEVEL_MAX && pl->ops[i].step == step &&
		       pl->u[pl->ops[i].u].p.plen == plen) {
			struct op *o = &pl->ops[i++];
			int f = pl->u[o->u].p.a.af == AR_AF6;
			bool room = o->kind != OP_ADD || cnt[f] < max[f];
			if (room && may_send(pl, o)) {
				lv[n++] = *o;
				if (o->kind == OP_ADD)
					cnt[f]++;       /* counted as if it succeeds */
			} else {
				/* held back: counts as deferred; covers stay old */
				pl->u[o->u].flags |= U_TAINT;
				taint_up(pl, (int32_t)o->u);
				st->deferred++;
			}
		}
		if (n == 0)
			continue;
		if (t->send(t, pl, lv, n, res) < 0) {
			/* results unknown: the caller re-reads the target */
			*resync = true;
			rc = -1;
			break;
		}
		for (size_t k = 0; k < n; k++) {
			bool ok = note_result(pl, &lv[k], res[k], st, trace);
			int f = pl->u[lv[k].u].p.a.af == AR_AF6;
			if (lv[k].kind == OP_ADD && !ok)
				cnt[f]--;
			if (lv[k].kind == OP_DEL && ok)
				cnt[f]--;
		}
	}
	free(lv);
	free(res);
	if (trace)
		fflush(trace);
	return rc;
}
