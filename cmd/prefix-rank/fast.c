/* Between ticks: promote at once.
 *
 * A new hot destination should not wait for the next tick. After each tick
 * fast_prepare() sets a bar per family (rib_af.hot_min, in the rates'
 * stored units, so rate.c compares one float per sample): while the family
 * has free capacity, any traffic that passes --min-value; when it is full,
 * the weakest evictable incumbent's rate times (1 + hysteresis), which is
 * the margin the tick gives incumbents. A prefix that reaches the bar is
 * listed (PFX_HOT) and fast_run(), called when the input goes idle, takes it
 * under the tick's own rules:
 *   - capacity: the prefix and the more-specifics it must not hide (the
 *     closure) fit in the free slots plus the evicted ones;
 *   - no hiding: the closure is the tick's walk; an incumbent leaves only
 *     when no selected prefix covers it, so what it carried goes to the
 *     default route, never to a cover with another next hop; a prefix that
 *     a selected cover already forwards the same way is not taken;
 *   - evidence: when full (or with more candidates than room), the
 *     newcomer needs the tick's --min-samples worth of packets;
 *   - when full, only a prefix that was not among the tick's candidates
 *     (a destination new since the tick) displaces anyone.
 * The tick still re-ranks everything and demotes; the fast path only adds,
 * and makes room only by the margin the tick itself would demand. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"

/* Incumbents kept as eviction candidates per tick (the weakest ones). */
#define FAST_EV 64
/* A promotion makes room for at most this many slots by eviction. */
#define FAST_MAX_EVICT 4
/* Listed prefixes tried per call: the rest wait for the next idle input. */
#define FAST_BATCH 256

void fast_free(struct fast *fs)
{
	free(fs->ev);
	memset(fs, 0, sizeof(*fs));
}

/* The weakest incumbents without a selected cover, ascending. A max-heap of
 * FAST_EV: O(n log FAST_EV) per tick. */
static void ev_sift(struct pfx **h, size_t n, size_t i, int dir)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && h[l]->rate[dir] > h[m]->rate[dir])
			m = l;
		if (l + 1 < n && h[l + 1]->rate[dir] > h[m]->rate[dir])
			m = l + 1;
		if (m == i)
			return;
		struct pfx *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int rate_asc(const void *a, const void *b)
{
	const struct pfx *x = *(struct pfx *const *)a, *y = *(struct pfx *const *)b;
	return x->rate[R_DBYTES] < y->rate[R_DBYTES] ? -1 : x->rate[R_DBYTES] > y->rate[R_DBYTES];
}

static float bar_full(const struct rib *r, const struct sel_params *sp, const struct fast *fs)
{
	if (fs->pos >= fs->nev)
		return FLT_MAX;
	double b = fs->ev[fs->pos]->rate[sp->dir] * (1 + sp->hysteresis);
	double m = r->scale > 0 ? sp->min_value / r->scale : 0;
	return (float)(b > m ? b : m);
}

void fast_prepare(struct rib *r, int af, const struct sel_params *sp,
		  const struct sel_result *sel, struct fast *fs, bool on)
{
	struct rib_af *ra = &r->af[af_idx(af)];

	for (size_t i = 0; i < ra->nhot; i++)
		rib_byid(r, ra->hot[i])->flags &= (uint8_t)~PFX_HOT;
	ra->nhot = ra->hotdone = 0;
	fs->nev = fs->pos = 0;
	if (!on || sp->max == 0) {
		ra->hot_min = FLT_MAX;
		return;
	}
	if (!fs->ev && !(fs->ev = calloc(FAST_EV, sizeof(*fs->ev)))) {
		ra->hot_min = FLT_MAX;
		return;
	}
	for (size_t i = 0; i < sel->n; i++) {
		struct pfx *p = sel->v[i];
		if (sel_parent(r, p, PFX_SEL))
			continue;       /* leaving would hand its traffic to its cover */
		if (fs->nev < FAST_EV) {
			fs->ev[fs->nev++] = p;
			if (fs->nev == FAST_EV)
				for (size_t k = FAST_EV / 2; k-- > 0;)
					ev_sift(fs->ev, fs->nev, k, sp->dir);
		} else if (p->rate[sp->dir] < fs->ev[0]->rate[sp->dir]) {
			fs->ev[0] = p;
			ev_sift(fs->ev, fs->nev, 0, sp->dir);
		}
	}
	qsort(fs->ev, fs->nev, sizeof(*fs->ev), rate_asc);
	/* This tick's candidates are marked: at capacity they wait for the
	 * next tick (see try_one). 0 is never a generation: new prefixes. */
	if (++fs->gen == 0)
		fs->gen = 1;
	for (size_t i = 0; i < ra->ncand; i++)
		rib_byid(r, ra->cand[i])->tickgen = fs->gen;
	if (sel->n < sp->max) {
		/* Any traffic at all, and --min-value. */
		double m = r->scale > 0 ? sp->min_value / r->scale : 0;
		ra->hot_min = m > 0 ? (float)m : FLT_MIN;
	} else {
		ra->hot_min = bar_full(r, sp, fs);
	}
}

/* Can w leave now without hiding anything and without touching p's tree? */
static bool evictable(const struct rib *r, const struct pfx *w, const struct pfx *p)
{
	return (w->flags & PFX_SEL) && !(w->flags & PFX_FREE) && !sel_parent(r, w, PFX_SEL) &&
	       !pfx_covers(r, p, w) && !pfx_covers(r, w, p);
}

static size_t try_one(struct rib *r, const struct sel_params *sp, struct sel_result *sel,
		      struct fast *fs, struct pfx *p, double now_scale, size_t nactive_cand,
		      fast_emit_fn *emit, void *ctx)
{
	struct pfx *a, *out[FAST_MAX_EVICT];
	size_t adds, cost, room, need, nout = 0, n0;
	double gain, v = p->rate[sp->dir] * now_scale, sum = 0, top = 0;

	if (p->flags & (PFX_SEL | PFX_FREE) || !(p->flags & PFX_ACTIVE))
		return 0;
	if (v <= 0 || v < sp->min_value || p->plen < sp->min_prefix)
		return 0;
	a = sel_parent(r, p, PFX_SEL);
	if (a && nh_same(pfx_best(r, a), pfx_best(r, p)))
		return 0;               /* its cover forwards it the same way */
	sel_closure(r, p, sp, false, &adds, sel, &gain);
	cost = 1 + adds;
	room = sp->max > sel->n ? sp->max - sel->n : 0;
	need = cost > room ? cost - room : 0;
	/* Evidence before churn, as the tick asks it when there is competition. */
	if ((need || nactive_cand > sp->max) && sp->min_new_pps > 0 &&
	    p->rate[sp->dir + 1] * now_scale < sp->min_new_pps)
		return 0;
	if (need > FAST_MAX_EVICT)
		return 0;
	/* At capacity only a destination new since the tick jumps the queue.
	 * One the tick ranked already sits near its cut and waits for the
	 * next: looked at after every sample, its rate's ups and downs would
	 * cross the bar far more often than once a tick does, each crossing a
	 * swap the tick may undo (churn for no traffic). */
	if (need && p->tickgen == fs->gen)
		return 0;
	for (size_t k = fs->pos; nout < need && k < fs->nev; k++) {
		struct pfx *w = fs->ev[k];
		if (evictable(r, w, p)) {
			out[nout++] = w;
			sum += w->rate[sp->dir];
			if (w->rate[sp->dir] > top)
				top = w->rate[sp->dir];
		}
	}
	/* The tick ranks a prefix by its own traffic, an incumbent with the
	 * bonus: p must out-rank each one it displaces that way, and what it
	 * brings must outweigh all they carried. */
	if (nout < need || (need && (p->rate[sp->dir] <= top * (1 + sp->hysteresis) ||
				     gain <= sum * (1 + sp->hysteresis))))
		return 0;
	for (size_t k = 0; k < nout; k++)
		fast_leave(sel, out[k], emit, ctx);
	fs->dels += nout;
	n0 = sel->n;
	if (sel_result_push(sel, p) < 0)
		return nout;
	p->flags |= PFX_SEL;
	/* (Out of memory: what was pushed is still marked and listed.) */
	(void)sel_closure(r, p, sp, true, &adds, sel, &gain);
	/* p is at n0: it goes out last, after its closure */
	adds = fast_taken(r, sel, n0, emit, ctx);
	fs->adds += adds;
	return nout + adds;
}

void fast_leave(struct sel_result *sel, struct pfx *w, fast_emit_fn *emit, void *ctx)
{
	w->flags &= (uint8_t)~(PFX_SEL | PFX_PREV);
	sel_result_drop(sel, w);
	emit(ctx, w, false);
}

size_t fast_taken(struct rib *r, struct sel_result *sel, size_t n0, fast_emit_fn *emit, void *ctx)
{
	sel->par_ok = false;
	/* More-specifics first, their cover last (a reader applying one record
	 * at a time never forwards a more-specific by the cover's next hop):
	 * what was pushed after its cover comes after it in sel. */
	for (size_t k = sel->n; k-- > n0;) {
		struct pfx *q = sel->v[k];
		q->flags |= PFX_PREV;
		if (!(q->flags & PFX_CAND))
			cand_push(&r->af[af_idx(q->af)], q);
		emit(ctx, q, true);
	}
	return sel->n - n0;
}

size_t fast_run(struct rib *r, int af, const struct sel_params *sp, struct sel_result *sel,
		struct fast *fs, uint64_t now, fast_emit_fn *emit, void *ctx)
{
	struct rib_af *ra = &r->af[af_idx(af)];
	size_t changes = 0, tried = 0;
	double now_scale;

	if (ra->hotdone == ra->nhot)
		return 0;
	rate_flush(r);
	now_scale = exp(-(double)(int64_t)(now - r->t0) / 1000.0 / r->tau);
	while (ra->hotdone < ra->nhot && tried++ < FAST_BATCH) {
		struct pfx *p = rib_byid(r, ra->hot[ra->hotdone++]);
		/* (Tried once per tick: the flag stays until fast_prepare().) */
		changes += try_one(r, sp, sel, fs, p, now_scale, ra->ncand, emit, ctx);
		/* Evicted incumbents are no longer candidates for eviction. */
		while (fs->pos < fs->nev && !(fs->ev[fs->pos]->flags & PFX_SEL))
			fs->pos++;
		if (sel->n >= sp->max)
			ra->hot_min = bar_full(r, sp, fs);
	}
	return changes;
}
