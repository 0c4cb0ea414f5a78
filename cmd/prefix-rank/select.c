/* Choosing the active routes.
 *
 * Candidates are the prefixes with traffic, ranked by value (incumbents by
 * value * (1 + hysteresis)). They are taken in rank order while capacity
 * lasts. Taking a prefix P must not hide a RIB more-specific with another
 * next hop: walking P's RIB subtree in address order (which is a pre-order
 * walk of the prefix tree), each more-specific resolves in the FIB to its
 * nearest selected ancestor; when that ancestor's next hop differs from its
 * own, it must be selected too (the closure). P is taken only when P and its
 * closure fit, and cover more traffic than the candidates they would push
 * out; otherwise P is left out and its traffic follows the default route.
 * Selected prefixes that resolve to the same next hop as their selected
 * parent are redundant and pruned, which frees their slot. When the FIB is
 * full, newcomers need min_new_pps worth of samples (evidence before churn). */
#include <stdlib.h>
#include <string.h>

#include "rank.h"

struct cand {
	struct pfx *p;
	double score;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	/* Equal scores: shorter prefix, then lower address, so runs repeat. */
	if (a->p->plen != b->p->plen)
		return (int)a->p->plen - (int)b->p->plen;
	c = memcmp(a->p->b, b->p->b, 16);
	return c;
}

/* Move the k best candidates to the front (in no order): quickselect. */
static void cand_partition(struct cand *c, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1 && k > lo && k < hi) {
		struct cand piv = c[lo + (hi - lo) / 2], t;
		size_t i = lo, j = hi - 1;
		while (i <= j) {
			while (cand_cmp(&c[i], &piv) < 0)
				i++;
			while (cand_cmp(&c[j], &piv) > 0)
				j--;
			if (i <= j) {
				t = c[i];
				c[i] = c[j];
				c[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j + 1;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

struct pfx *sel_parent(const struct pfx *p, uint8_t bit)
{
	for (struct pfx *q = p->parent; q; q = q->parent)
		if (q->flags & bit)
			return q;
	return NULL;
}

static int res_push(struct sel_result *res, struct pfx *p)
{
	if (res->n == res->cap) {
		size_t cap = res->cap ? res->cap * 2 : 1024;
		struct pfx **v = reallocarray(res->v, cap, sizeof(*v));
		if (!v)
			return -1;
		res->v = v;
		res->cap = cap;
	}
	res->v[res->n++] = p;
	return 0;
}

/* Count (or, with apply, make) the changes that selecting p implies in its
 * subtree. Returns -1 only when memory runs out while applying. */
/* *gain: the traffic that taking p newly brings into the FIB (p's own and
 * that of its subtree not yet under a selected prefix), at scale. */
static int walk(struct rib_af *ra, struct pfx *p, const struct sel_params *sp, bool apply,
		size_t *adds, size_t *dels, struct sel_result *res, double scale, double *gain)
{
	struct {
		const struct pfx *q;
		const struct path *eff;         /* what lookups under q resolve to */
		bool covered;                   /* already under a selected prefix */
	} st[130];
	int top = 0;
	struct pfx *q;

	(void)ra;                       /* RB_NEXT does not need the head */
	*adds = *dels = 0;
	*gain = p->rate[sp->dir] * scale;
	st[0].q = p;
	st[0].eff = pfx_best(p);
	st[0].covered = false;
	for (q = RB_NEXT(pfx_tree, &ra->tree, p); q && pfx_covers(p, q);
	     q = RB_NEXT(pfx_tree, &ra->tree, q)) {
		const struct path *pe, *qb = pfx_best(q), *eff;
		bool cov;
		while (top > 0 && !pfx_covers(st[top].q, q))
			top--;
		pe = st[top].eff;
		cov = st[top].covered || (q->flags & sp->bit);
		if (!cov && (q->flags & PFX_ACTIVE))
			*gain += q->rate[sp->dir] * scale;
		if (q->flags & sp->bit) {
			if (sp->prune && nh_same(qb, pe)) {
				(*dels)++;
				if (apply)
					q->flags &= (uint8_t)~sp->bit;
				eff = pe;
			} else {
				eff = qb;
			}
		} else if (!nh_same(qb, pe)) {
			(*adds)++;
			if (apply) {
				if (res_push(res, q) < 0)
					return -1;
				q->flags |= sp->bit;
				res->closure++;
			}
			eff = qb;
		} else {
			eff = pe;
		}
		if (top + 1 < (int)(sizeof(st) / sizeof(st[0]))) {
			st[++top].q = q;
			st[top].eff = eff;
			st[top].covered = cov;
		}
	}
	return 0;
}

int select_run(struct rib *r, int af, const struct sel_params *sp, struct sel_result *res)
{
	struct rib_af *ra = &r->af[af_idx(af)];
	struct cand *c;
	size_t nc = 0, count = 0, j;

	res->n = res->covered = res->closure = 0;
	res->value_sel = 0;
	res->value_total = ra->total[sp->dir] * r->scale;
	c = calloc(ra->nactive ? ra->nactive : 1, sizeof(*c));
	if (!c)
		return -1;
	for (size_t i = 0; i < ra->nactive; i++) {
		struct pfx *p = ra->active[i];
		/* The prefixes are all over memory: ask for them ahead. */
		if (i + 16 < ra->nactive)
			__builtin_prefetch(ra->active[i + 16]);
		double v = p->rate[sp->dir] * r->scale;
		if (rate_faded(r, p) && !(p->flags & (PFX_SEL | PFX_QSEL | PFX_PREV))) {
			rate_forget(r, p);      /* swaps the last one into slot i */
			i--;
			continue;
		}
		if (v <= 0 || v < sp->min_value || p->plen < sp->min_prefix)
			continue;       /* (a prefix in the RIB always has a route) */
		c[nc].p = p;
		c[nc].score = (p->flags & PFX_PREV) && sp->bit == PFX_SEL ? v * (1 + sp->hysteresis) : v;
		nc++;
	}
	/* Evidence before churn: when there are more candidates than room, a
	 * newcomer needs min_new_pps worth of samples to displace anyone; a
	 * single sample of a far-tail prefix is mostly noise. */
	if (nc > sp->max && sp->min_new_pps > 0 && sp->bit == PFX_SEL) {
		size_t k = 0;
		for (size_t i = 0; i < nc; i++)
			if ((c[i].p->flags & PFX_PREV) || c[i].p->rate[sp->dir + 1] * r->scale >= sp->min_new_pps)
				c[k++] = c[i];
		nc = k;
	}
	/* Only the head of the ranking is usually needed: sort the best
	 * 2 * max + 1024 first, and the rest only if the loop gets there. */
	size_t sorted = 2 * sp->max + 1024;
	if (sorted >= nc) {
		sorted = nc;
		qsort(c, nc, sizeof(*c), cand_cmp);
	} else {
		cand_partition(c, nc, sorted);
		qsort(c, sorted, sizeof(*c), cand_cmp);
	}
	for (size_t i = 0; i < nc && count < sp->max; i++) {
		struct pfx *p = c[i].p, *a;
		size_t adds = 0, dels = 0;

		if (i == sorted) {
			qsort(c + sorted, nc - sorted, sizeof(*c), cand_cmp);
			sorted = nc;
		}

		if (p->flags & sp->bit)
			continue;               /* already taken as part of a closure */
		a = sel_parent(p, sp->bit);
		if (a && sp->prune && nh_same(pfx_best(a), pfx_best(p)))
			continue;               /* covered: the parent forwards it the same way */
		if (sp->closure) {
			double gain, alt = 0;
			walk(ra, p, sp, false, &adds, &dels, res, r->scale, &gain);
			if (count + 1 + adds - dels > sp->max)
				continue;       /* it would not fit with what it must not hide */
			/* Taking p with its more-specifics costs 1 + adds - dels slots;
			 * whichever covers more traffic: that, or the candidates it
			 * would push out at the end of the capacity (the ones ranked
			 * between room - cost and room among the rest). */
			size_t room = sp->max - count, cost = 1 + adds - dels;
			for (size_t k = i + 1 + room - cost; adds && k <= i + room && k < sorted; k++)
				if (!(c[k].p->flags & sp->bit) && !pfx_covers(p, c[k].p))
					alt += c[k].p->rate[sp->dir] * r->scale;
			if (adds && gain < alt)
				continue;
		}
		if (res_push(res, p) < 0)
			goto fail;
		p->flags |= sp->bit;
		if (sp->closure) {
			double gain;
			if (walk(ra, p, sp, true, &adds, &dels, res, r->scale, &gain) < 0)
				goto fail;
		}
		count += 1 + adds - dels;
	}
	free(c);
	/* Pruned members lost their bit: compact the list. */
	for (size_t i = j = 0; i < res->n; i++)
		if (res->v[i]->flags & sp->bit)
			res->v[j++] = res->v[i];
	res->n = j;
	/* Traffic that hits the selection: every prefix under a selected one
	 * resolves correctly (nothing is hidden), so its traffic is covered.
	 * Walk the subtrees of the outermost selected prefixes only: a few
	 * thousand short walks rather than a pass over every active prefix. */
	for (size_t i = 0; i < res->n; i++) {
		struct pfx *s = res->v[i], *q;
		if (sel_parent(s, sp->bit))
			continue;       /* counted in its selected ancestor's walk */
		res->value_sel += s->rate[sp->dir] * r->scale;
		for (q = RB_NEXT(pfx_tree, &ra->tree, s); q && pfx_covers(s, q);
		     q = RB_NEXT(pfx_tree, &ra->tree, q)) {
			double v = q->rate[sp->dir] * r->scale;
			if (!(q->flags & PFX_ACTIVE) || v <= 0)
				continue;
			res->value_sel += v;
			if (!(q->flags & sp->bit))
				res->covered++;
		}
	}
	return 0;
fail:
	free(c);
	return -1;
}

void select_clear(struct sel_result *res, uint8_t bit)
{
	for (size_t i = 0; i < res->n; i++)
		res->v[i]->flags &= (uint8_t)~bit;
}

void select_commit(struct rib *r, struct sel_result *prev, struct sel_result *cur)
{
	(void)r;
	cur->adds = cur->dels = 0;
	for (size_t i = 0; i < cur->n; i++)
		if (!(cur->v[i]->flags & PFX_PREV))
			cur->adds++;
	for (size_t i = 0; i < prev->n; i++) {
		if (!(prev->v[i]->flags & PFX_SEL))
			cur->dels++;
		prev->v[i]->flags &= (uint8_t)~PFX_PREV;
	}
	for (size_t i = 0; i < cur->n; i++)
		cur->v[i]->flags |= PFX_PREV;
}

void sel_result_drop(struct sel_result *res, struct pfx *p)
{
	for (size_t i = 0; i < res->n; i++) {
		if (res->v[i] == p) {
			memmove(&res->v[i], &res->v[i + 1], (res->n - i - 1) * sizeof(res->v[0]));
			res->n--;
			return;
		}
	}
}

void sel_result_free(struct sel_result *res)
{
	free(res->v);
	memset(res, 0, sizeof(*res));
}
