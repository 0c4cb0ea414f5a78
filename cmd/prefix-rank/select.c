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
 * full, newcomers need min_new_pps worth of samples (evidence before churn).
 *
 * A tick does not rank every prefix with traffic: rates only grow between
 * ticks (forward decay), so a prefix can enter the head of the ranking only
 * by crossing a threshold, and rate_flow() lists it then (the candidate
 * list). The threshold follows the rank 2 * capacity + 1024 of each tick.
 * Whenever the choice would look past the candidates that are surely ahead
 * of every unlisted prefix, the tick falls back to ranking all of them, so
 * the outcome is the same as a full ranking. */
#include <stdlib.h>
#include <string.h>

#include "cand.h"

struct pfx *sel_parent(const struct rib *r, const struct pfx *p, uint8_t bit)
{
	for (struct pfx *q = pfx_parent(r, p); q; q = pfx_parent(r, q))
		if (q->flags & bit)
			return q;
	return NULL;
}

/* Which IPv4 /16 blocks a prefix selected in this run touches: a prefix
 * in an untouched block has no selected ancestor, and the walk up its
 * parent chain (a cache miss a step) is skipped. (IPv6: no filter.) */
struct blocks {
	uint64_t b[1024];               /* 65536 bits */
	bool all;
};

static void blocks_mark(struct blocks *f, const struct pfx *p)
{
	if (p->af != AR_AF4) {
		f->all = true;
		return;
	}
	uint32_t lo = p->k >> 16, n = p->plen >= 16 ? 1 : 1u << (16 - p->plen);
	for (uint32_t x = lo; x < lo + n; x++)
		f->b[x >> 6] |= 1ull << (x & 63);
}

static struct pfx *sel_parent_f(const struct rib *r, const struct blocks *f, const struct pfx *p,
				uint8_t bit)
{
	if (!f->all && p->af == AR_AF4 && !(f->b[p->k >> 22] >> ((p->k >> 16) & 63) & 1))
		return NULL;
	return sel_parent(r, p, bit);
}

int sel_result_push(struct sel_result *res, struct pfx *p)
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
static int walk(const struct rib *r, struct pfx *p, const struct sel_params *sp, bool apply,
		size_t *adds, size_t *dels, struct sel_result *res, double scale, double *gain,
		struct blocks *f)
{
	struct {
		const struct pfx *q;
		const struct path *eff;         /* what lookups under q resolve to */
		bool covered;                   /* already under a selected prefix */
	} st[130];
	int top = 0;
	struct pfx *q;

	*adds = *dels = 0;
	*gain = p->rate[sp->dir] * scale;
	st[0].q = p;
	st[0].eff = pfx_best(r, p);
	st[0].covered = false;
	/* Pre-order over the prefix tree: q's parent is on the stack. */
	for (q = pfx_walk_next(r, p, p); q; q = pfx_walk_next(r, p, q)) {
		const struct path *pe, *qb = pfx_best(r, q), *eff;
		bool cov;
		while (top > 0 && st[top].q->id != q->parent)
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
				if (sel_result_push(res, q) < 0)
					return -1;
				q->flags |= sp->bit;
				blocks_mark(f, q);
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

int sel_closure(const struct rib *r, struct pfx *p, const struct sel_params *sp, bool apply,
		size_t *adds, struct sel_result *res, double *gain)
{
	static struct blocks all = { .all = true };
	struct sel_params np = *sp;
	size_t dels;

	np.prune = false;
	return walk(r, p, &np, apply, adds, &dels, res, 1.0, gain, &all);
}

int select_run(struct rib *r, int af, const struct sel_params *sp, struct sel_result *res)
{
	struct rib_af *ra = &r->af[af_idx(af)];
	struct cand *c = NULL;
	size_t nc, count, j, nsafe;
	bool tick = sp->bit == PFX_SEL && sp->dir == R_DBYTES;
	bool full = !tick || ra->cand_min <= 0, complete;
	double safe_v;
	struct blocks *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rate_flush(r);
again:
	count = 0;
	memset(f, 0, sizeof(*f));
	res->n = res->covered = res->closure = 0;
	res->par_ok = false;
	res->value_sel = 0;
	res->value_total = ra->total[sp->dir] * r->scale;
	if (full) {
		c = calloc(ra->nactive ? ra->nactive : 1, sizeof(*c));
		if (!c)
			goto fail;
		nc = scan_all(r, ra, sp, c);
		safe_v = 0;
	} else {
		c = calloc(ra->ncand ? ra->ncand : 1, sizeof(*c));
		if (!c)
			goto fail;
		nc = scan_list(r, ra, sp, c);
		safe_v = (double)ra->cand_min * r->scale;
	}
	/* A threshold of CAND_ALL lists every prefix with traffic. */
	complete = full || ra->cand_min <= CAND_ALL;
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
	/* Only the head of the ranking is usually needed: the best
	 * cand_depth() to the front (the next threshold is the lowest of
	 * them), and of these sorted only as far as the loop looks. */
	size_t depth = cand_depth(sp), sorted = 0, wlim;
	float depth_min = 0;
	sorted = cand_rank(r, c, nc);
	if (depth < nc) {
		if (sorted < nc)
			cand_partition(c, nc, depth);
		depth_min = c[0].p->rate[sp->dir];
		for (size_t i = 1; i < depth; i++)
			if (c[i].p->rate[sp->dir] < depth_min)
				depth_min = c[i].p->rate[sp->dir];
	} else {
		depth = nc;
	}
	/* The window where the push-out comparison looks ends at depth until
	 * the loop passes it (then at the end). */
	wlim = depth;
	sort_upto(c, nc, depth, &sorted, sp->max + 1024);
	/* Candidates ranked ahead of every prefix not on the list. */
	nsafe = 0;
	for (size_t k = 0; !complete && k < nc; k++)
		nsafe += c[k].score >= safe_v;
	for (size_t i = 0; i < nc && count < sp->max; i++) {
		struct pfx *p = c[i].p, *a;
		size_t adds = 0, dels = 0;

		if (!complete && i + (sp->max - count) >= nsafe) {
			/* The choice may reach past the list: rank everything. */
			select_clear(res, sp->bit);
			free(c);
			full = true;
			goto again;
		}
		if (i == wlim)
			wlim = nc;
		sort_upto(c, nc, depth, &sorted, i + 1);
		p = c[i].p;

		if (p->flags & sp->bit)
			continue;               /* already taken as part of a closure */
		a = sel_parent_f(r, f, p, sp->bit);
		if (a && sp->prune && nh_same(pfx_best(r, a), pfx_best(r, p)))
			continue;               /* covered: the parent forwards it the same way */
		if (sp->closure) {
			double gain, alt = 0;
			walk(r, p, sp, false, &adds, &dels, res, r->scale, &gain, f);
			if (count + 1 + adds - dels > sp->max)
				continue;       /* it would not fit with what it must not hide */
			/* Taking p with its more-specifics costs 1 + adds - dels slots;
			 * whichever covers more traffic: that, or the candidates it
			 * would push out at the end of the capacity (the ones ranked
			 * between room - cost and room among the rest). */
			size_t room = sp->max - count, cost = 1 + adds - dels;
			if (adds)
				sort_upto(c, nc, depth, &sorted, i + room + 1 < wlim ? i + room + 1 : wlim);
			for (size_t k = i + 1 + room - cost; adds && k <= i + room && k < wlim; k++)
				if (!(c[k].p->flags & sp->bit) && !pfx_covers(r, p, c[k].p))
					alt += c[k].p->rate[sp->dir] * r->scale;
			if (adds && gain < alt)
				continue;
		}
		if (sel_result_push(res, p) < 0)
			goto fail;
		p->flags |= sp->bit;
		blocks_mark(f, p);
		/* (The dry run found nothing to change: the same walk again would
		 * change nothing either.) */
		if (sp->closure && (adds || dels)) {
			double gain;
			size_t n0 = res->n;
			if (walk(r, p, sp, true, &adds, &dels, res, r->scale, &gain, f) < 0)
				goto fail;
			addr_sort(r, res->v + n0, res->n - n0);
		}
		count += 1 + adds - dels;
	}
	if (tick) {
		/* The next threshold: the rate at depth cand_depth(), never lower
		 * than the last one unless everything was just ranked. */
		float min = depth_min;
		if (full)
			list_rebuild(r, ra, min);
		else if (min > ra->cand_min)
			ra->cand_min = min;
	}
	free(c);
	c = NULL;
	/* Pruned members lost their bit: compact the list. */
	for (size_t i = j = 0; i < res->n; i++)
		if (res->v[i]->flags & sp->bit)
			res->v[j++] = res->v[i];
	res->n = j;
	/* Each member's selected parent, for the snapshot. */
	if (res->parcap < res->n) {
		struct pfx **v = reallocarray(res->par, res->cap, sizeof(*v));
		if (v) {
			res->par = v;
			res->parcap = res->cap;
		}
	}
	res->par_ok = res->parcap >= res->n;
	/* Traffic that hits the selection: every prefix under a selected one
	 * resolves correctly (nothing is hidden), so its traffic is covered.
	 * Walk the subtrees of the outermost selected prefixes only: a few
	 * thousand short walks rather than a pass over every active prefix. */
	for (size_t i = 0; i < res->n; i++) {
		struct pfx *s = res->v[i], *q, *a = sel_parent_f(r, f, s, sp->bit);
		if (res->par_ok)
			res->par[i] = a;
		if (a)
			continue;       /* counted in its selected ancestor's walk */
		res->value_sel += s->rate[sp->dir] * r->scale;
		for (q = pfx_walk_next(r, s, s); q; q = pfx_walk_next(r, s, q)) {
			double v = q->rate[sp->dir] * r->scale;
			if (!(q->flags & PFX_ACTIVE) || v <= 0)
				continue;
			res->value_sel += v;
			if (!(q->flags & sp->bit))
				res->covered++;
		}
	}
	free(f);
	return 0;
fail:
	free(c);
	free(f);
	return -1;
}

void select_clear(struct sel_result *res, uint8_t bit)
{
	for (size_t i = 0; i < res->n; i++)
		res->v[i]->flags &= (uint8_t)~bit;
}

void select_commit(struct rib *r, struct sel_result *prev, struct sel_result *cur)
{
	cur->adds = cur->dels = 0;
	for (size_t i = 0; i < cur->n; i++)
		if (!(cur->v[i]->flags & PFX_PREV))
			cur->adds++;
	for (size_t i = 0; i < prev->n; i++) {
		if (!(prev->v[i]->flags & PFX_SEL))
			cur->dels++;
		prev->v[i]->flags &= (uint8_t)~PFX_PREV;
	}
	for (size_t i = 0; i < cur->n; i++) {
		struct pfx *p = cur->v[i];
		p->flags |= PFX_PREV;
		/* Incumbents rank with a bonus: the list must hold them all. */
		if (!(p->flags & PFX_CAND))
			cand_push(&r->af[af_idx(p->af)], p);
	}
}

void sel_result_drop(struct sel_result *res, struct pfx *p)
{
	for (size_t i = 0; i < res->n; i++) {
		if (res->v[i] == p) {
			memmove(&res->v[i], &res->v[i + 1], (res->n - i - 1) * sizeof(res->v[0]));
			res->n--;
			res->par_ok = false;    /* p may be someone's parent */
			return;
		}
	}
}

void sel_result_free(struct sel_result *res)
{
	free(res->v);
	free(res->par);
	memset(res, 0, sizeof(*res));
}
