/* Traffic rates: an exponentially weighted moving average per prefix,
 * decayed by the clock. For samples x_i at times t_i the rate at t is
 *     sum_i x_i * exp(-(t - t_i) / tau) / tau
 * which settles at the true rate for steady traffic. Rather than decaying
 * every prefix on every sample, samples are added scaled forward by
 * exp((t_i - t0) / tau) ("forward decay"); rate_tick() multiplies the
 * prefixes that have traffic by exp(-(t - t0) / tau) once and moves t0 to t.
 * So a sample costs one add, and a prefix without traffic costs nothing. */
#include <math.h>
#include <stdlib.h>

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

void rate_flow(struct rib *r, const struct ar_addr *src, const struct ar_addr *dst,
	       uint32_t len, uint32_t rate, uint64_t ms)
{
	struct rib_af *ra;
	struct pfx *p;
	double f, b, n;

	if (dst->af != AR_AF4 && dst->af != AR_AF6)
		return;
	if ((int64_t)(ms - r->t0) > (int64_t)(RATE_REBASE_TAUS * r->tau * 1000))
		rate_tick(r, ms);
	if (rate == 0)
		rate = 1;
	r->mean_rate += ((double)rate - r->mean_rate) * (r->flows ? 0.001 : 1.0);
	f = fwd(r, ms);
	b = (double)len * rate * f;
	n = (double)rate * f;
	ra = &r->af[af_idx(dst->af)];
	r->flows++;
	ra->total[R_DBYTES] += b;
	ra->total[R_DPKTS] += n;
	ra->total[R_SBYTES] += b;
	ra->total[R_SPKTS] += n;
	if ((p = rib_match(r, dst))) {
		r->matched++;
		p->rate[R_DBYTES] += (float)b;
		p->rate[R_DPKTS] += (float)n;
		activate(r, p);
		if (!(p->flags & PFX_CAND) && p->rate[R_DBYTES] >= ra->cand_min)
			cand_push(ra, p);
	}
	if (src->af == dst->af && (p = rib_match(r, src))) {
		p->rate[R_SBYTES] += (float)b;
		p->rate[R_SPKTS] += (float)n;
		activate(r, p);
	}
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
	double g = exp(-(double)(int64_t)(ms - r->t0) / 1000.0 / r->tau);

	r->scale = g;
	if ((int64_t)(ms - r->t0) < (int64_t)(RATE_REBASE_TAUS * r->tau * 1000))
		return;
	for (int i = 0; i < 2; i++) {
		struct rib_af *ra = &r->af[i];
		for (int k = 0; k < R_N; k++)
			ra->total[k] *= g;
		ra->cand_min = (float)(ra->cand_min * g);
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
