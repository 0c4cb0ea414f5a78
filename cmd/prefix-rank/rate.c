/* Traffic rates: an exponentially weighted moving average per prefix,
 * decayed by the clock. For samples x_i at times t_i the rate at t is
 *     sum_i x_i * exp(-(t - t_i) / tau) / tau
 * which settles at the true rate for steady traffic. Rather than decaying
 * every prefix on every sample, samples are added scaled forward by
 * exp((t_i - t0) / tau) ("forward decay"); rate_tick() multiplies the
 * prefixes that have traffic by exp(-(t - t0) / tau) once and moves t0 to t.
 * So a sample costs one add, and a prefix without traffic costs nothing. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"

/* A rate below this (bytes or packets per second) has faded out. */
#define RATE_FLOOR 1e-3
/* Rebase this often (in units of tau): keeps floats finite (e^10 headroom). */
#define RATE_REBASE_TAUS 10

static double fwd(struct rib *r, uint64_t ms)
{
	if (ms != r->tcache) {
		r->tcache = ms;
		r->fcache = exp((double)(int64_t)(ms - r->t0) / 1000.0 / r->tau) / r->tau;
	}
	return r->fcache;
}

static void activate(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];

	if (p->flags & PFX_ACTIVE)
		return;
	if (ra->nactive == ra->capactive) {
		size_t cap = ra->capactive ? ra->capactive * 2 : 1024;
		uint32_t *v = reallocarray(ra->active, cap, sizeof(*v));
		if (!v)
			return;         /* the sample is still counted in the total */
		ra->active = v;
		ra->capactive = cap;
	}
	p->aidx = (uint32_t)ra->nactive;
	ra->active[ra->nactive++] = p->id;
	p->flags |= PFX_ACTIVE;
}

void rate_forget(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];

	if (!(p->flags & PFX_ACTIVE))
		return;
	ra->active[p->aidx] = ra->active[--ra->nactive];
	rib_byid(r, ra->active[p->aidx])->aidx = p->aidx;
	p->flags &= (uint8_t)~(PFX_ACTIVE | PFX_CAND);  /* a stale list entry is skipped */
	for (int k = 0; k < R_N; k++)
		p->rate[k] = 0;
}

void cand_push(struct rib_af *ra, struct pfx *p)
{
	if (ra->ncand == ra->capcand) {
		size_t cap = ra->capcand ? ra->capcand * 2 : 1024;
		uint32_t *v = reallocarray(ra->cand, cap, sizeof(*v));
		if (!v) {
			ra->cand_min = 0;       /* next tick scans everything */
			return;
		}
		ra->cand = v;
		ra->capcand = cap;
	}
	ra->cand[ra->ncand++] = p->id;
	p->flags |= PFX_CAND;
}

static void flush_af(struct rib *r, int af);

static void hot_push(struct rib_af *ra, struct pfx *p)
{
	if (ra->nhot == ra->caphot) {
		size_t cap = ra->caphot ? ra->caphot * 2 : 256;
		uint32_t *v = reallocarray(ra->hot, cap, sizeof(*v));
		if (!v)
			return;         /* the tick still sees it */
		ra->hot = v;
		ra->caphot = cap;
	}
	ra->hot[ra->nhot++] = p->id;
	p->flags |= PFX_HOT;
}

void rate_flow(struct rib *r, const struct ar_addr *src, const struct ar_addr *dst,
	       uint32_t len, uint32_t rate, uint64_t ms)
{
	struct qflow *q;
	int i;

	if (dst->af != AR_AF4 && dst->af != AR_AF6)
		return;
	if (rate == 0)
		rate = 1;
	/* In arrival order, whatever order the batches run in. */
	r->mean_rate += ((double)rate - r->mean_rate) * (r->flows ? 0.001 : 1.0);
	r->flows++;
	i = af_idx(dst->af);
	q = &r->q[i][r->nq[i]];
	q->daf = dst->af;
	q->saf = src->af;
	memcpy(q->d, dst->b, 16);
	memcpy(q->s, src->b, 16);
	q->len = len;
	q->rate = rate;
	q->ms = ms;
	if (++r->nq[i] == RATE_BATCH)
		flush_af(r, i);
}

static inline uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void flush_af(struct rib *r, int af)
{
	uint32_t did[RATE_BATCH], sid[RATE_BATCH], key[2 * RATE_BATCH], id[2 * RATE_BATCH];
	const uint8_t *k6[2 * RATE_BATCH];
	struct rib_af *ra = &r->af[af];
	int fam = af ? AR_AF6 : AR_AF4;
	unsigned n = r->nq[af], m = 0;

	if (!n || r->inflush)
		return;
	r->inflush = true;
	/* The lookups of the batch together (see lpm_lookup4_many), then the
	 * prefixes are fetched ahead of the updates. */
	for (unsigned i = 0; i < n; i++) {
		const struct qflow *q = &r->q[af][i];
		if (af == 0)
			key[m++] = be32(q->d);
		else
			k6[m++] = q->d;
		if (q->saf == fam) {
			if (af == 0)
				key[m++] = be32(q->s);
			else
				k6[m++] = q->s;
		}
	}
	if (af == 0)
		lpm_lookup4_many(&ra->lpm, key, id, m);
	else
		lpm_lookup_many(&ra->lpm, k6, id, m);
	m = 0;
	for (unsigned i = 0; i < n; i++) {
		did[i] = id[m++];
		sid[i] = r->q[af][i].saf == fam ? id[m++] : 0;
		if (did[i])
			__builtin_prefetch(rib_byid(r, did[i]), 1);
		if (sid[i])
			__builtin_prefetch(rib_byid(r, sid[i]), 1);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct qflow *q = &r->q[af][i];
		struct pfx *p;
		double f, b, k;

		if ((int64_t)(q->ms - r->t0) > (int64_t)(RATE_REBASE_TAUS * r->tau * 1000))
			rate_tick(r, q->ms);
		f = fwd(r, q->ms);
		b = (double)q->len * q->rate * f;
		k = (double)q->rate * f;
		ra->total[R_DBYTES] += b;
		ra->total[R_DPKTS] += k;
		ra->total[R_SBYTES] += b;
		ra->total[R_SPKTS] += k;
		if (did[i]) {
			p = rib_byid(r, did[i]);
			r->matched++;
			p->rate[R_DBYTES] += (float)b;
			p->rate[R_DPKTS] += (float)k;
			activate(r, p);
			if (!(p->flags & PFX_CAND) && p->rate[R_DBYTES] >= ra->cand_min)
				cand_push(ra, p);
			if (p->rate[R_DBYTES] >= ra->hot_min && !(p->flags & (PFX_SEL | PFX_HOT)))
				hot_push(ra, p);
		}
		if (sid[i]) {
			p = rib_byid(r, sid[i]);
			p->rate[R_SBYTES] += (float)b;
			p->rate[R_SPKTS] += (float)k;
			activate(r, p);
		}
	}
	r->nq[af] = 0;
	r->inflush = false;
}

void rate_flush(struct rib *r)
{
	/* every route update asks: the empty case costs no batch frame */
	if (r->nq[0])
		flush_af(r, 0);
	if (r->nq[1])
		flush_af(r, 1);
}

bool rate_faded(const struct rib *r, const struct pfx *p)
{
	for (int k = 0; k < R_N; k++)
		if (p->rate[k] * r->scale >= RATE_FLOOR)
			return false;
	return true;
}

/* Ranking needs no rescaling (every stored value carries the same factor),
 * so a tick only computes the factor; the full pass over the prefixes with
 * traffic happens once every RATE_REBASE_TAUS time constants. */
void rate_tick(struct rib *r, uint64_t ms)
{
	rate_flush(r);
	double g = exp(-(double)(int64_t)(ms - r->t0) / 1000.0 / r->tau);

	r->scale = g;
	if ((int64_t)(ms - r->t0) < (int64_t)(RATE_REBASE_TAUS * r->tau * 1000))
		return;
	for (int i = 0; i < 2; i++) {
		struct rib_af *ra = &r->af[i];
		for (int k = 0; k < R_N; k++)
			ra->total[k] *= g;
		ra->cand_min = (float)(ra->cand_min * g);
		if (ra->hot_min < FLT_MAX)
			ra->hot_min = (float)(ra->hot_min * g);
		for (size_t j = 0; j < ra->nactive;) {
			struct pfx *p = rib_byid(r, ra->active[j]);
			for (int k = 0; k < R_N; k++)
				p->rate[k] = (float)(p->rate[k] * g);
			if (p->rate[R_DBYTES] < RATE_FLOOR && p->rate[R_SBYTES] < RATE_FLOOR &&
			    p->rate[R_DPKTS] < RATE_FLOOR && p->rate[R_SPKTS] < RATE_FLOOR) {
				rate_forget(r, p);
				continue;       /* the last one moved into slot j */
			}
			j++;
		}
	}
	r->t0 = ms;
	r->scale = 1;
	r->tcache = UINT64_MAX;
}

double rate_total(const struct rib *r, int af, int k)
{
	return r->af[af_idx(af)].total[k] * r->scale;
}
