/* Quality of prefix-rank's choice against a traffic model and its oracle,
 * side by side with the Active Route Manager's rule.
 *
 * Model: P prefixes (flat /24s), Zipf-distributed traffic (exponent S) over a
 * random order of them, G Gb/s of 800-byte packets, sampled 1 in N. Shifts:
 * at SHIFT1 s a prefix that carried nothing carries 1% of the traffic; at
 * SHIFT2 s the heaviest prefix goes silent. The exact unsampled rates are the
 * oracle. Every second:
 *   ours: prefix-rank's core (EWMA, hysteresis, no-hiding selection);
 *   ARM:  top K by a 10 s moving average of the samples, no hysteresis.
 * Reported: traffic covered by each selection as a percentage of what the
 * oracle's best K covers (mean over the run after a warm-up), churn per tick
 * (mean), and seconds from SHIFT1 until the new prefix is selected.
 * Usage: rank-model [-n SAMPLING] [-p PREFIXES] [-k CAPACITY] [-t SECONDS]
 *                   [-s EXPONENT] [-h HYSTERESIS] [-T TAU] [-r SEED]
 * Prints one line of key=value results. */
#include "../../cmd/prefix-rank/lpm.c"
#include "../../cmd/prefix-rank/lpm-build.c"
#include "../../cmd/prefix-rank/lpm-lookup.c"
#include "../../cmd/prefix-rank/rib.c"
#include "../../cmd/prefix-rank/rib-path.c"
#include "../../cmd/prefix-rank/rib-route.c"
#include "../../cmd/prefix-rank/rib-bulk.c"
#include "../../cmd/prefix-rank/rate.c"
#include "../../cmd/prefix-rank/cand.c"
#include "../../cmd/prefix-rank/select.c"

#include <getopt.h>
#include <math.h>
#include <stdio.h>

static uint64_t rs;
static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

struct sample {
	uint64_t ms;
	uint32_t p;
};

static int dcmp_desc(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? 1 : a > b ? -1 : 0;
}

struct armc {
	double v;
	uint32_t p;
};
static int armc_cmp(const void *x, const void *y)
{
	const struct armc *a = x, *b = y;
	if (a->v != b->v)
		return a->v < b->v ? 1 : -1;
	return a->p < b->p ? -1 : a->p > b->p;
}

int main(int argc, char **argv)
{
	unsigned long np = 1000000, cap = 10000, secs = 60, nsamp = 1000, seed = 1;
	double expo = 1.2, gbps = 10, pktlen = 800, hyst = 0.5, tau = 10;
	double shift1 = 20, shift2 = 40, warm = 12, minsamp = 1;   /* as prefix-rank */
	int c;

	while ((c = getopt(argc, argv, "n:p:k:t:s:h:T:r:m:w:")) != -1) {
		switch (c) {
		case 'n': nsamp = strtoul(optarg, NULL, 10); break;
		case 'p': np = strtoul(optarg, NULL, 10); break;
		case 'k': cap = strtoul(optarg, NULL, 10); break;
		case 't': secs = strtoul(optarg, NULL, 10); break;
		case 's': expo = atof(optarg); break;
		case 'h': hyst = atof(optarg); break;
		case 'T': tau = atof(optarg); break;
		case 'r': seed = strtoul(optarg, NULL, 10); break;
		case 'm': minsamp = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		default:
			fprintf(stderr, "usage: rank-model [-n N] [-p P] [-k K] [-t S] [-s E] [-h H] [-T TAU] [-r SEED]\n");
			return 2;
		}
	}
	log_init("rank-model");
	log_set_level(LOG_WARN);
	rs = seed * 0x9e3779b97f4a7c15ull + 7;

	/* Zipf weights by rank, and a random prefix for each rank. */
	double *w = calloc(np, sizeof(double)), *cdf = calloc(np, sizeof(double));
	uint32_t *byrank = calloc(np, sizeof(uint32_t));
	double *truth = calloc(np, sizeof(double)), *armsum = calloc(np, sizeof(double));
	double H = 0;
	for (unsigned long k = 0; k < np; k++)
		H += pow((double)(k + 1), -expo);
	for (unsigned long k = 0; k < np; k++) {
		w[k] = pow((double)(k + 1), -expo) / H;
		cdf[k] = (k ? cdf[k - 1] : 0) + w[k];
		byrank[k] = (uint32_t)k;
	}
	for (unsigned long k = np - 1; k > 0; k--) {
		unsigned long j = (unsigned long)(urand() * (double)(k + 1));
		uint32_t t = byrank[k];
		byrank[k] = byrank[j];
		byrank[j] = t;
	}
	uint32_t newp = byrank[np - 1];         /* carried ~nothing before the shift */
	uint32_t heavy = byrank[0];

	struct rib r;
	rib_init(&r, tau);
	int peer = rib_peer(&r, 0, NULL);
	for (unsigned long i = 0; i < np; i++) {
		struct rec_route rt = { 0 };
		uint32_t a = 0x10000000u + (uint32_t)i * 256;
		rt.op = ROUTE_ADD;
		rt.prefix.a.af = AR_AF4;
		rt.prefix.a.b[0] = (uint8_t)(a >> 24);
		rt.prefix.a.b[1] = (uint8_t)(a >> 16);
		rt.prefix.a.b[2] = (uint8_t)(a >> 8);
		rt.prefix.plen = 24;
		rt.nexthop.af = AR_AF4;
		rt.nexthop.b[0] = 198;
		rt.nexthop.b[1] = 18;
		rt.nexthop.b[3] = (uint8_t)(1 + i % 4);
		REC_SET(&rt, ROUTE_NEXTHOP);
		rib_update(&r, peer, &rt);
	}
	struct pfx **pf = calloc(np, sizeof(*pf));
	for (unsigned long i = 0; i < np; i++) {
		struct ar_prefix q = { .a = { .af = AR_AF4 }, .plen = 24 };
		uint32_t a = 0x10000000u + (uint32_t)i * 256;
		q.a.b[0] = (uint8_t)(a >> 24);
		q.a.b[1] = (uint8_t)(a >> 16);
		q.a.b[2] = (uint8_t)(a >> 8);
		pf[i] = rib_find(&r, &q);
	}

	double total_Bps = gbps * 1e9 / 8, pps = total_Bps / pktlen;
	double lambda = pps / (double)nsamp;    /* samples per second */
	struct sample *ring = calloc((size_t)(lambda * 11) + 1024, sizeof(*ring));
	size_t rhead = 0, rtail = 0, rcap = (size_t)(lambda * 11) + 1024;
	struct sel_result prev = { 0 }, cur = { 0 };
	struct sel_params sp = {
		.max = cap, .min_value = 0, .min_prefix = 1, .hysteresis = hyst,
		.dir = R_DBYTES, .closure = true, .prune = true, .bit = PFX_SEL,
	};
	sp.min_new_pps = minsamp * (double)nsamp / tau;
	uint8_t *armsel = calloc(np, 1), *armnew = calloc(np, 1);
	double *tv = calloc(np, sizeof(double));
	struct armc *ac = calloc((size_t)(lambda * 11) + 1024, sizeof(*ac));
	double cov_ours = 0, cov_arm = 0, cov_n = 0, churn_ours = 0, churn_arm = 0, churn_n = 0;
	double t_new_ours = -1, t_new_arm = -1, next = 0;
	double cov_ours_min = 1e9, cov_arm_min = 1e9;

	for (unsigned long sec = 1; sec <= secs; sec++) {
		/* One second of samples. */
		for (; next < (double)sec; next += 1.0 / lambda) {
			double u = urand();
			uint32_t p;
			if (next >= shift1 && urand() < 0.01) {
				p = newp;
			} else {
				unsigned long lo = 0, hi = np - 1;
				while (lo < hi) {
					unsigned long mid = (lo + hi) / 2;
					if (cdf[mid] < u)
						lo = mid + 1;
					else
						hi = mid;
				}
				p = byrank[lo];
			}
			if (next >= shift2 && p == heavy)
				continue;
			uint64_t ms = (uint64_t)(next * 1000);
			struct ar_addr src = { .af = AR_AF4, .b = { 198, 19, 0, 1 } }, dst = { .af = AR_AF4 };
			uint32_t a = 0x10000000u + p * 256 + 7;
			dst.b[0] = (uint8_t)(a >> 24);
			dst.b[1] = (uint8_t)(a >> 16);
			dst.b[2] = (uint8_t)(a >> 8);
			dst.b[3] = 7;
			rate_flow(&r, &src, &dst, (uint32_t)pktlen, (uint32_t)nsamp, ms);
			/* ARM: a 10 s window of samples. */
			ring[rhead].ms = ms;
			ring[rhead].p = p;
			rhead = (rhead + 1) % rcap;
			armsum[p] += pktlen * (double)nsamp / 10.0;
		}
		uint64_t now = sec * 1000;
		while (rtail != rhead && ring[rtail].ms + 10000 <= now) {
			armsum[ring[rtail].p] -= pktlen * (double)nsamp / 10.0;
			rtail = (rtail + 1) % rcap;
		}
		/* Ours. */
		rate_tick(&r, now);
		select_clear(&prev, PFX_SEL);
		select_run(&r, AR_AF4, &sp, &cur);
		select_commit(&r, &prev, &cur);
		struct sel_result t = prev;
		prev = cur;
		cur = t;
		/* ARM: top K of the window's nonzero sums. */
		size_t na = 0;
		for (size_t i = rtail; i != rhead; i = (i + 1) % rcap) {
			uint32_t p = ring[i].p;
			if (armnew[p] == 2)
				continue;
			armnew[p] = 2;  /* seen */
			ac[na].v = armsum[p];
			ac[na].p = p;
			na++;
		}
		qsort(ac, na, sizeof(*ac), armc_cmp);
		size_t arm_adds = 0, arm_dels = 0;
		for (size_t i = 0; i < na; i++)
			armnew[ac[i].p] = i < cap && ac[i].v > 1e-9 ? 1 : 0;
		for (unsigned long i = 0; i < np; i++) {
			if (armnew[i] == 1 && !armsel[i])
				arm_adds++;
			if (armsel[i] && armnew[i] != 1)
				arm_dels++;
			armsel[i] = armnew[i] == 1;
			armnew[i] = 0;
		}
		/* The oracle: the exact rates now. */
		double tot = 0;
		for (unsigned long k = 0; k < np; k++) {
			uint32_t p = byrank[k];
			double v = w[k] * total_Bps * ((double)sec >= shift1 ? 0.99 : 1);
			if (p == newp && (double)sec >= shift1)
				v += 0.01 * total_Bps;
			if (p == heavy && (double)sec >= shift2)
				v = 0;
			truth[p] = v;
			tv[k] = v;
			tot += v;
		}
		qsort(tv, np, sizeof(double), dcmp_desc);
		double best = 0;
		for (unsigned long k = 0; k < cap && k < np; k++)
			best += tv[k];
		double ours = 0, arm = 0;
		for (size_t i = 0; i < prev.n; i++) {
			uint32_t idx = (prev.v[i]->k - 0x10000000u) / 256;
			ours += truth[idx];
		}
		for (unsigned long i = 0; i < np; i++)
			if (armsel[i])
				arm += truth[i];
		if ((double)sec >= warm) {
			double co = 100 * ours / best, ca = 100 * arm / best;
			cov_ours += co;
			cov_arm += ca;
			cov_n++;
			if (co < cov_ours_min)
				cov_ours_min = co;
			if (ca < cov_arm_min)
				cov_arm_min = ca;
			churn_ours += (double)(prev.adds + prev.dels);
			churn_arm += (double)(arm_adds + arm_dels);
			churn_n++;
		}
		if ((double)sec >= shift1 && t_new_ours < 0 && (pf[newp]->flags & PFX_SEL))
			t_new_ours = (double)sec - shift1;
		if ((double)sec >= shift1 && t_new_arm < 0 && armsel[newp])
			t_new_arm = (double)sec - shift1;
		(void)tot;
		if (getenv("RANK_MODEL_TRACE"))
			fprintf(stderr, "t=%lu active=%zu sel=%zu adds=%zu dels=%zu arm=%zu/%zu cov=%.2f/%.2f\n",
				sec, r.af[0].nactive, prev.n, prev.adds, prev.dels, arm_adds, arm_dels,
				100 * ours / best, 100 * arm / best);
	}
	printf("sampling=%lu prefixes=%lu capacity=%lu seconds=%lu "
	       "coverage_ours=%.2f coverage_arm=%.2f coverage_ours_min=%.2f coverage_arm_min=%.2f "
	       "churn_ours=%.1f churn_arm=%.1f select_new_ours=%.0f select_new_arm=%.0f\n",
	       nsamp, np, cap, secs, cov_ours / cov_n, cov_arm / cov_n, cov_ours_min, cov_arm_min,
	       churn_ours / churn_n, churn_arm / churn_n, t_new_ours, t_new_arm);
	sel_result_free(&prev);
	sel_result_free(&cur);
	rib_free(&r);
	free(w); free(cdf); free(byrank); free(truth); free(armsum); free(ring);
	free(armsel); free(armnew); free(tv); free(ac); free(pf);
	return 0;
}
