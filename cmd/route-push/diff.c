/* The change list from the installed set to the wanted one, ordered so that
 * no intermediate state hides a route: at every step every address resolves
 * to its old next hop, its new one, or to nothing (the default route).
 *
 *   step 0  deletes with no kept route above them, covering ones first:
 *           what they covered falls through to the default route;
 *   step 1  adds and next-hop replaces, more-specifics first: when a route
 *           gets its new next hop, everything it must not hide is there;
 *   step 2  the other deletes, covering ones first: each uncovers a route
 *           that already has its new next hop.
 *
 * Prefixes that nest form a tree; trees are independent. When the cap does
 * not leave room for step 1 before step 2, whole trees are rebuilt: removed
 * top-down in step 0 (uncovered space falls to the default route), then
 * added bottom-up in step 1. The rate limit takes or defers whole trees. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

const char *op_name(int kind)
{
	return kind == OP_ADD ? "add" : kind == OP_REP ? "replace" : "del";
}

struct grp {
	uint32_t root;
	uint32_t ops;                   /* changes the tree needs */
	uint32_t adds, early, late, both;
	double value;
	uint8_t af;
	bool deletes_only;
	bool take;                      /* in this round (rate) */
	bool rebuild;
};

static int merge(struct plan *pl, const struct rtset *I, const struct rtset *W)
{
	pl->u = calloc(I->n + W->n + 1, sizeof(*pl->u));
	if (!pl->u)
		return -1;
	size_t i = 0, j = 0, n = 0;
	while (i < I->n || j < W->n) {
		struct uent *e = &pl->u[n++];
		int c = i == I->n ? 1 : j == W->n ? -1 : rt_cmp(&I->v[i], &W->v[j]);
		if (c <= 0) {
			e->p = I->v[i].p;
			e->onh = e->inh = I->v[i].nh;
			e->value = I->v[i].value;
			e->flags |= U_OLD | U_INST;
			i++;
		}
		if (c >= 0) {
			e->p = W->v[j].p;
			e->nnh = W->v[j].nh;
			e->value = W->v[j].value;
			e->flags |= U_NEW;
			j++;
		}
	}
	pl->nu = n;
	return 0;
}

/* outer covers inner (same family, outer no longer): compare whole bytes,
 * then the leading bits of the last one. */
static bool covers(const struct ar_prefix *o, const struct ar_prefix *in)
{
	if (o->a.af != in->a.af || o->plen > in->plen)
		return false;
	unsigned full = o->plen / 8, rest = o->plen % 8;
	if (memcmp(o->a.b, in->a.b, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (o->a.b[full] & m) == (in->a.b[full] & m);
}

/* Nearest covering entry of each, by one pass with a stack of open covers. */
static int link_parents(struct plan *pl)
{
	uint32_t *stk = malloc((pl->nu + 1) * sizeof(*stk));
	size_t sp = 0;
	if (!stk)
		return -1;
	for (size_t i = 0; i < pl->nu; i++) {
		struct uent *e = &pl->u[i];
		while (sp > 0 && !covers(&pl->u[stk[sp - 1]].p, &e->p))
			sp--;
		e->parent = sp ? (int32_t)stk[sp - 1] : -1;
		e->group = sp ? pl->u[stk[0]].group : (uint32_t)i;
		stk[sp++] = (uint32_t)i;
	}
	free(stk);
	return 0;
}

static bool both(const struct uent *e) { return (e->flags & (U_OLD | U_NEW)) == (U_OLD | U_NEW); }
static bool changed(const struct uent *e) { return both(e) && addr_cmp(&e->onh, &e->nnh) != 0; }

static int grp_cmp_rate(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;
	/* deletions free room and cost the switch nothing: first */
	if (x->deletes_only != y->deletes_only)
		return x->deletes_only ? -1 : 1;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

/* The kernel's FIB trie rebalances (and waits for RCU) far more often when
 * routes are deleted in address order than in random order: 1M sequential
 * deletes took minutes here. Deletes of one level never nest, so their
 * order within the level is free: shuffle it. */
static void shuffle_deletes(struct plan *pl)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i = 0;
	while (i < pl->nops) {
		size_t j = i;
		const struct op *a = &pl->ops[i];
		while (j < pl->nops && pl->ops[j].step == a->step &&
		       pl->u[pl->ops[j].u].p.plen == pl->u[a->u].p.plen)
			j++;
		if (a->kind == OP_DEL) {
			for (size_t k = j - 1; k > i; k--) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				size_t r = i + (size_t)(x % (k - i + 1));
				struct op t = pl->ops[k];
				pl->ops[k] = pl->ops[r];
				pl->ops[r] = t;
			}
		}
		i = j;
	}
}

/* What an entry needs. */
enum { C_KEEP, C_REP, C_ADD, C_EARLY, C_LATE };

static uint8_t classify(const struct uent *e, bool kept_above)
{
	if (both(e))
		return changed(e) ? C_REP : C_KEEP;
	if (e->flags & U_NEW)
		return C_ADD;
	return kept_above ? C_LATE : C_EARLY;
}

/* Sort key: step 0 and 2 by length up, step 1 by length down. */
static unsigned op_key(const struct plan *pl, const struct op *o)
{
	unsigned plen = pl->u[o->u].p.plen;
	return o->step * 129u + (o->step == 1 ? 128u - plen : plen);
}

/* Trees: only built when the rate or the cap must choose between them. */
static int choose_trees(struct plan *pl, const uint8_t *cls, const struct plan_limits *lim,
			size_t inst4, size_t inst6, uint64_t total, uint8_t *tf)
{
	enum { T_TAKE = 1, T_REBUILD = 2 };
	size_t ng = 0;
	for (size_t i = 0; i < pl->nu; i++)
		ng += pl->u[i].group == i;
	struct grp *g = calloc(ng + 1, sizeof(*g));
	uint32_t *gi = malloc((pl->nu + 1) * sizeof(*gi));     /* root -> tree */
	if (!g || !gi) {
		free(g);
		free(gi);
		return -1;
	}
	ng = 0;
	for (size_t i = 0; i < pl->nu; i++) {
		struct uent *e = &pl->u[i];
		if (e->group == i) {
			gi[i] = (uint32_t)ng;
			g[ng].root = (uint32_t)i;
			g[ng].af = e->p.a.af;
			g[ng].deletes_only = true;
			ng++;
		}
		struct grp *gr = &g[gi[e->group]];
		if (e->flags & U_NEW && e->value > gr->value)
			gr->value = e->value;
		switch (cls[i]) {
		case C_KEEP: gr->both++; break;
		case C_REP: gr->both++; gr->ops++; gr->deletes_only = false; break;
		case C_ADD: gr->adds++; gr->ops++; gr->deletes_only = false; break;
		case C_EARLY: gr->early++; gr->ops++; break;
		case C_LATE: gr->late++; gr->ops++; break;
		}
	}
	for (size_t k = 0; k < ng; k++)
		g[k].take = true;
	/* rate: whole trees, deletions first, then by traffic value */
	if (lim->budget != UINT64_MAX && total > lim->budget) {
		struct grp *sorted = malloc((ng + 1) * sizeof(*sorted));
		if (!sorted) {
			free(g);
			free(gi);
			return -1;
		}
		memcpy(sorted, g, ng * sizeof(*g));
		qsort(sorted, ng, sizeof(*sorted), grp_cmp_rate);
		uint64_t used = 0;
		for (size_t k = 0; k < ng; k++) {
			struct grp *s = &sorted[k];
			bool fit = used + s->ops <= lim->budget || (used == 0 && s->ops > 0);
			g[gi[s->root]].take = fit && s->ops > 0;
			if (g[gi[s->root]].take)
				used += s->ops;
		}
		free(sorted);
	}
	/* cap: the most installed is after step 1 */
	for (int af = AR_AF4; af <= AR_AF6; af += 2) {
		size_t max = af == AR_AF4 ? lim->max4 : lim->max6;
		size_t peak = af == AR_AF4 ? inst4 : inst6;
		for (size_t k = 0; k < ng; k++)
			if (g[k].af == af && g[k].take)
				peak = peak - g[k].early + g[k].adds;
		while (max && peak > max) {
			/* rebuild the tree that frees most */
			size_t best = SIZE_MAX;
			for (size_t k = 0; k < ng; k++)
				if (g[k].af == af && g[k].take && !g[k].rebuild && g[k].late &&
				    (best == SIZE_MAX || g[k].late > g[best].late))
					best = k;
			if (best != SIZE_MAX) {
				g[best].rebuild = true;
				peak -= g[best].late;
				pl->rebuilt++;
				continue;
			}
			/* still over (trees deferred by the rate hold room): defer
			 * the least valuable growing tree */
			for (size_t k = 0; k < ng; k++) {
				if (g[k].af != af || !g[k].take)
					continue;
				size_t grow = g[k].rebuild ? g[k].adds + g[k].both : g[k].adds;
				size_t shrink = g[k].rebuild ? g[k].early + g[k].late + g[k].both
							     : g[k].early;
				if (grow > shrink && (best == SIZE_MAX || g[k].value < g[best].value))
					best = k;
			}
			if (best == SIZE_MAX)
				break;          /* cannot happen when wanted fits */
			struct grp *b = &g[best];
			b->take = false;
			peak -= b->rebuild ? (b->adds + b->both) - (b->early + b->late + b->both)
					   : b->adds - b->early;
		}
		if (af == AR_AF4)
			pl->peak4 = peak;
		else
			pl->peak6 = peak;
	}
	for (size_t i = 0; i < pl->nu; i++) {
		const struct grp *gr = &g[gi[pl->u[i].group]];
		tf[i] = (uint8_t)((gr->take ? T_TAKE : 0) | (gr->rebuild ? T_REBUILD : 0));
	}
	free(g);
	free(gi);
	return 0;
}

int plan_build(struct plan *pl, const struct rtset *I, const struct rtset *W,
	       const struct plan_limits *lim)
{
	memset(pl, 0, sizeof(*pl));
	pl->max4 = lim->max4;
	pl->max6 = lim->max6;
	if (merge(pl, I, W) < 0 || link_parents(pl) < 0)
		goto nomem;

	/* per entry: its change, and whether a kept route lies above it */
	uint8_t *cls = malloc(pl->nu + 1);
	uint8_t *kanc = malloc(pl->nu + 1);
	uint8_t *tf = NULL;
	struct op *tmp = NULL;
	if (!cls || !kanc)
		goto fail;
	size_t inst[2] = { 0, 0 }, adds[2] = { 0, 0 }, early[2] = { 0, 0 };
	uint64_t total = 0;
	for (size_t i = 0; i < pl->nu; i++) {
		struct uent *e = &pl->u[i];
		int f = e->p.a.af == AR_AF6;
		kanc[i] = e->parent >= 0 && (both(&pl->u[e->parent]) || kanc[e->parent]);
		cls[i] = classify(e, kanc[i]);
		inst[f] += (e->flags & U_OLD) != 0;
		adds[f] += cls[i] == C_ADD;
		early[f] += cls[i] == C_EARLY;
		total += cls[i] != C_KEEP;
	}
	pl->peak4 = inst[0] - early[0] + adds[0];
	pl->peak6 = inst[1] - early[1] + adds[1];
	bool trees = (lim->budget != UINT64_MAX && total > lim->budget) ||
		     (lim->max4 && pl->peak4 > lim->max4) || (lim->max6 && pl->peak6 > lim->max6);
	if (trees) {
		tf = malloc(pl->nu + 1);
		if (!tf || choose_trees(pl, cls, lim, inst[0], inst[1], total, tf) < 0)
			goto fail;
	}

	/* emit, then a counting sort on (step, length) keeps address order */
	tmp = malloc((total + 2 * pl->nu + 1) * sizeof(*tmp));
	if (!tmp)
		goto fail;
	size_t n = 0;
	for (size_t i = 0; i < pl->nu; i++) {
		struct uent *e = &pl->u[i];
		if (tf && !(tf[i] & 1)) {
			e->flags |= U_SKIP;
			pl->deferred += cls[i] != C_KEEP;
			continue;
		}
		if (tf && (tf[i] & 2)) {
			if (e->flags & U_OLD)
				tmp[n++] = (struct op){ (uint32_t)i, OP_DEL, 0 };
			if (e->flags & U_NEW)
				tmp[n++] = (struct op){ (uint32_t)i, OP_ADD, 1 };
			continue;
		}
		switch (cls[i]) {
		case C_REP: tmp[n++] = (struct op){ (uint32_t)i, OP_REP, 1 }; break;
		case C_ADD: tmp[n++] = (struct op){ (uint32_t)i, OP_ADD, 1 }; break;
		case C_EARLY: tmp[n++] = (struct op){ (uint32_t)i, OP_DEL, 0 }; break;
		case C_LATE: tmp[n++] = (struct op){ (uint32_t)i, OP_DEL, 2 }; break;
		}
	}
	pl->ops = malloc((n + 1) * sizeof(*pl->ops));
	if (!pl->ops)
		goto fail;
	size_t cnt[3 * 129 + 1] = { 0 };
	for (size_t k = 0; k < n; k++)
		cnt[op_key(pl, &tmp[k]) + 1]++;
	for (size_t k = 1; k <= 3 * 129; k++)
		cnt[k] += cnt[k - 1];
	for (size_t k = 0; k < n; k++)
		pl->ops[cnt[op_key(pl, &tmp[k])]++] = tmp[k];
	pl->nops = n;
	shuffle_deletes(pl);
	for (size_t k = 0; k < n; k++) {
		if (pl->ops[k].kind == OP_ADD)
			pl->adds++;
		else if (pl->ops[k].kind == OP_REP)
			pl->reps++;
		else
			pl->dels++;
	}
	free(tmp);
	free(tf);
	free(kanc);
	free(cls);
	return 0;
fail:
	free(tmp);
	free(tf);
	free(kanc);
	free(cls);
	plan_free(pl);
nomem:
	errno = ENOMEM;
	return -1;
}

int plan_result(const struct plan *pl, struct rtset *out)
{
	rtset_clear(out);
	for (size_t i = 0; i < pl->nu; i++) {
		const struct uent *e = &pl->u[i];
		if (!(e->flags & U_INST))
			continue;
		struct rt r = { .p = e->p, .nh = e->inh, .value = e->value };
		if (rtset_push(out, &r) < 0)
			return -1;
	}
	return 0;
}

void plan_free(struct plan *pl)
{
	free(pl->u);
	free(pl->ops);
	memset(pl, 0, sizeof(*pl));
}
