/* Property tests of prefix-rank's core (LPM, RIB, selection), against brute
 * force over random RIBs and traffic:
 *   - the LPM answers what a linear longest match over the RIB answers, for
 *     every boundary address, through random adds and deletes;
 *   - parent links are the longest covering RIB prefix;
 *   - selection never exceeds capacity, and for every address, lookup in the
 *     selected set gives the RIB's next hop or misses (no cache hiding);
 *   - with pruning, no selected prefix repeats its selected parent's next hop;
 *   - a promotion between ticks (fast.c) keeps the capacity and hides
 *     nothing, and the next tick, on the same traffic, keeps it (all but a
 *     few: when full, the tick re-decides closures globally; at most 5%);
 *   - a RIB change between ticks (a new more-specific, a new next hop, a
 *     withdrawal, of selected prefixes too), repaired at once (repair.c),
 *     leaves the capacity kept and nothing hidden.
 * Usage: rank-prop [SEED [ROUNDS]]. Prints "N passed, M failed". */
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
#include "../../cmd/prefix-rank/fast.c"
#include "../../cmd/prefix-rank/repair.c"

#define PROP_NAME "rank-prop"
#include "prop.h"

/* The mirror: what the RIB should hold. */
struct mpfx {
	struct ar_prefix p;
	int nh;                 /* index of the best next hop */
	bool live;
};
#define MAXM 600
static struct mpfx m[MAXM];
static int nm;

static void mk_addr(struct ar_addr *a, int af, uint64_t hi, uint64_t lo)
{
	memset(a, 0, sizeof(*a));
	a->af = (uint8_t)af;
	if (af == AR_AF4) {
		for (int i = 0; i < 4; i++)
			a->b[i] = (uint8_t)(lo >> (24 - 8 * i));
	} else {
		for (int i = 0; i < 8; i++) {
			a->b[i] = (uint8_t)(hi >> (56 - 8 * i));
			a->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
		}
	}
}

/* Random prefix in a small region, so that prefixes nest a lot:
 * 198.18.0.0/15 for IPv4, 2001:db8::/32 (first 40 bits vary little) for IPv6. */
static void rand_prefix(int af, struct ar_prefix *p)
{
	struct ar_addr a;
	unsigned plen;
	if (af == AR_AF4) {
		uint32_t v = 0xc6120000u | (rnd() & 0x1ffff);
		plen = 15 + rnd() % 14;          /* /15 .. /28 */
		if (rnd() % 8 == 0)
			plen = 8 + rnd() % 8;    /* a few short covering ones */
		mk_addr(&a, af, 0, v);
	} else {
		uint64_t hi = 0x20010db800000000ull | ((uint64_t)(rnd() & 0x3) << 30) |
			      ((uint64_t)rnd() << 4 & 0xffff0);
		plen = 30 + rnd() % 40;          /* /30 .. /69: crosses 4-bit strides */
		if (rnd() % 8 == 0)
			plen = 16 + rnd() % 16;
		mk_addr(&a, af, hi, (uint64_t)rnd() << 32);
	}
	prefix_make(p, &a, plen);
}

static void nh_addr(struct ar_addr *a, int af, int nh)
{
	mk_addr(a, af, 0x20010db8ffff0000ull, af == AR_AF4 ? 0xc6130100u + (unsigned)nh : (uint64_t)nh);
}

/* First address after the prefix (wraps to 0 at the end of the space). */
static void prefix_next(const struct ar_prefix *p, struct ar_addr *out)
{
	unsigned bits = addr_bits(p->a.af);
	*out = p->a;
	for (unsigned i = p->plen; i < bits; i++)
		out->b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	for (int i = (int)addr_len(out) - 1; i >= 0; i--)
		if (++out->b[i])
			break;
}

static int brute_match(const struct ar_addr *a)
{
	int best = -1;
	for (int i = 0; i < nm; i++)
		if (m[i].live && m[i].p.a.af == a->af && prefix_contains(&m[i].p, a) &&
		    (best < 0 || m[i].p.plen > m[best].p.plen))
			best = i;
	return best;
}

static int find_m(const struct ar_prefix *p)
{
	for (int i = 0; i < nm; i++)
		if (!prefix_cmp(&m[i].p, p))
			return i;
	return -1;
}

/* A random prefix into the mirror (new, or one it has) with a random next
 * hop: its index, or -1 when the mirror is full. */
static int mirror_add(int af)
{
	struct ar_prefix p;
	int k;

	rand_prefix(af, &p);
	if ((k = find_m(&p)) < 0) {
		if (nm >= MAXM)
			return -1;
		k = nm++;
		m[k].p = p;
	}
	m[k].nh = (int)(rnd() % 3);
	m[k].live = true;
	return k;
}

/* Every address where some LPM answer may change. */
static size_t boundaries(int af, struct ar_addr *out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < nm && n + 2 <= max; i++) {
		if (!m[i].live || m[i].p.a.af != af)
			continue;
		out[n++] = m[i].p.a;
		prefix_next(&m[i].p, &out[n++]);
	}
	return n;
}

static void route(struct rec_route *rt, int af, const struct ar_prefix *p, int nh, int op,
		  uint32_t lp)
{
	memset(rt, 0, sizeof(*rt));
	rt->op = op;
	rt->prefix = *p;
	REC_SET(rt, ROUTE_OP);
	REC_SET(rt, ROUTE_PREFIX);
	nh_addr(&rt->nexthop, af, nh);
	REC_SET(rt, ROUTE_NEXTHOP);
	rt->localpref = lp;
	REC_SET(rt, ROUTE_LOCALPREF);
}

static void check_lpm(struct rib *r, int af)
{
	static struct ar_addr bnd[2 * MAXM];
	size_t nb = boundaries(af, bnd, 2 * MAXM);
	for (size_t i = 0; i < nb; i++) {
		int want = brute_match(&bnd[i]);
		struct pfx *got = rib_match(r, &bnd[i]);
		struct ar_prefix gp;
		if (got)
			pfx_prefix(r, got, &gp);
		CHECK((want < 0 && !got) || (want >= 0 && got && !prefix_cmp(&gp, &m[want].p)),
		      "lpm af %d boundary %zu: want %d", af, i, want);
	}
	/* Parent links: the longest strictly covering prefix. */
	struct pfx *p;
	size_t nlive = 0, nrib = 0;
	for (int i = 0; i < nm; i++)
		nlive += m[i].live && m[i].p.a.af == af;
	for (p = rib_next(r, af, NULL); p; p = rib_next(r, af, p)) {
		struct ar_prefix pp, qp;
		int best = -1;
		nrib++;
		pfx_prefix(r, p, &pp);
		for (int i = 0; i < nm; i++)
			if (m[i].live && m[i].p.a.af == af && m[i].p.plen < pp.plen &&
			    prefix_covers(&m[i].p, &pp) && (best < 0 || m[i].p.plen > m[best].p.plen))
				best = i;
		if (p->parent)
			pfx_prefix(r, pfx_parent(r, p), &qp);
		CHECK((best < 0 && !p->parent) || (best >= 0 && p->parent && !prefix_cmp(&qp, &m[best].p)),
		      "parent link af %d", af);
		/* The tree links agree with the parent links. */
		size_t nc = 0;
		for (struct pfx *c = pfx_get(r, p->child); c; c = pfx_get(r, c->sib), nc++)
			CHECK(c->parent == p->id, "child list af %d", af);
		if (p->parent) {
			bool found = false;
			for (struct pfx *c = pfx_get(r, pfx_parent(r, p)->child); c; c = pfx_get(r, c->sib))
				found |= c == p;
			CHECK(found, "prefix missing from its parent's children af %d", af);
		}
		CHECK(rib_find(r, &pp) == p, "exact lookup af %d", af);
	}
	CHECK(nrib == nlive && nrib == r->af[af_idx(af)].n, "rib size af %d: %zu, model %zu",
	      af, nrib, nlive);
}

static void check_select(struct rib *r, int af, const struct sel_params *sp, struct sel_result *res)
{
	static struct ar_addr bnd[2 * MAXM];
	size_t nb = boundaries(af, bnd, 2 * MAXM), n = 0;

	for (size_t i = 0; i < res->n; i++)
		CHECK(res->v[i]->flags & sp->bit, "member without its bit");
	/* Count flagged prefixes independently of res. */
	struct pfx *p;
	for (p = rib_next(r, af, NULL); p; p = rib_next(r, af, p))
		if (p->flags & sp->bit)
			n++;
	CHECK(n == res->n, "selected count %zu != list %zu", n, res->n);
	CHECK(res->n <= sp->max, "capacity exceeded: %zu > %zu", res->n, sp->max);
	for (size_t i = 0; i < nb; i++) {
		struct pfx *rp = rib_match(r, &bnd[i]), *sel = NULL;
		/* Longest selected prefix containing the address. */
		for (struct pfx *q = rp; q; q = pfx_parent(r, q))
			if (q->flags & sp->bit) {
				sel = q;
				break;
			}
		if (!sel)
			continue;       /* misses: the default route takes it */
		CHECK(nh_same(pfx_best(r, sel), pfx_best(r, rp)), "hiding: af %d boundary %zu", af, i);
	}
	if (sp->prune)
		for (size_t i = 0; i < res->n; i++) {
			struct pfx *a = sel_parent(r, res->v[i], sp->bit);
			CHECK(!a || !nh_same(pfx_best(r, a), pfx_best(r, res->v[i])), "redundant member");
		}
}

/* What the fast path changed, as a reader of its output sees it. */
#define MAXFAST 256
static struct pfx *fast_added[MAXFAST];
static size_t fast_total, fast_dropped;
static size_t nfast_added;
static void fast_note(void *ctx, struct pfx *p, bool add)
{
	(void)ctx;
	if (add && nfast_added < MAXFAST)
		fast_added[nfast_added++] = p;
	if (!add)
		for (size_t i = 0; i < nfast_added; i++)
			if (fast_added[i] == p)
				fast_added[i] = fast_added[--nfast_added];
}

/* Hot traffic toward a few prefixes outside the selection, promoted between
 * ticks, checked like a tick's choice; then the next tick runs on the same
 * traffic and must keep every promotion. */
static void fast_round(struct rib *r, int af, const struct sel_params *sp, struct sel_result *prev,
		       uint64_t *now)
{
	static struct fast fs;
	struct sel_result cur = { 0 };

	fast_prepare(r, af, sp, prev, &fs, true);
	nfast_added = 0;
	for (int h = 0; h < 8 && nm; h++) {
		int i = (int)(rnd() % (unsigned)nm);
		if (!m[i].live)
			continue;
		for (int s = 0; s < 40; s++)
			rate_flow(r, &m[i].p.a, &m[i].p.a, 1500, 1000, *now + (uint64_t)s);
		fast_run(r, af, sp, prev, &fs, *now + 40, fast_note, NULL);
		check_select(r, af, &(struct sel_params){ .max = sp->max, .bit = PFX_SEL }, prev);
	}
	*now += 1000;
	rate_tick(r, *now);
	select_clear(prev, PFX_SEL);
	select_run(r, af, sp, &cur);
	check_select(r, af, sp, &cur);
	size_t kept = 0;
	for (size_t i = 0; i < nfast_added; i++) {
		struct pfx *p = fast_added[i], *a = sel_parent(r, p, PFX_SEL);
		/* Pruned under a cover that forwards it the same way: still in the FIB. */
		kept += (p->flags & PFX_SEL) || (a && nh_same(pfx_best(r, a), pfx_best(r, p)));
		if (getenv("RANK_PROP_DEBUG") && !(p->flags & PFX_SEL))
			fprintf(stderr, "dropped /%u rate %g cover %d n %zu max %zu\n", p->plen,
				(double)p->rate[R_DBYTES], a != NULL, cur.n, sp->max);
	}
	fast_total += nfast_added;
	fast_dropped += nfast_added - kept;
	select_commit(r, prev, &cur);
	struct sel_result t = *prev;
	*prev = cur;
	cur = t;
	sel_result_free(&cur);
	fast_free(&fs);
}

static size_t repair_takes, repair_drops;
static void repair_note(void *ctx, struct pfx *p, bool add)
{
	(void)ctx;
	(void)p;
	if (add)
		repair_takes++;
	else
		repair_drops++;
}

/* RIB changes between ticks, each repaired at once and checked like a
 * tick's choice (without pruning: a repair never prunes). */
static void repair_round(struct rib *r, int af, const struct sel_params *sp,
			 struct sel_result *prev, int peer)
{
	const struct sel_params chk = { .max = sp->max, .bit = PFX_SEL };

	for (int c = 0; c < 16 && nm; c++) {
		struct rec_route rt;
		struct pfx *q, *cov = NULL;
		int k = (int)(rnd() % (unsigned)nm);
		unsigned what = rnd() % 3;

		/* Half the time, the change is at a selected prefix. */
		if (what && prev->n && rnd() % 2) {
			struct ar_prefix sp_;
			pfx_prefix(r, prev->v[rnd() % prev->n], &sp_);
			if ((k = find_m(&sp_)) < 0)
				continue;
		}
		if (what == 0) {
			if ((k = mirror_add(af)) < 0)
				continue;
			route(&rt, af, &m[k].p, m[k].nh, ROUTE_ADD, 100);
			rib_update(r, peer, &rt);
			q = rib_find(r, &m[k].p);
		} else if (what == 1) {
			if (!m[k].live)
				continue;
			m[k].nh = (m[k].nh + 1 + (int)(rnd() % 2)) % 3;
			route(&rt, af, &m[k].p, m[k].nh, ROUTE_ADD, 100);
			rib_update(r, peer, &rt);
			q = rib_find(r, &m[k].p);
		} else {
			if (!m[k].live)
				continue;
			q = rib_find(r, &m[k].p);
			if (q && (q->flags & PFX_SEL)) {
				cov = sel_parent(r, q, PFX_SEL);
				sel_result_drop(prev, q);
			}
			route(&rt, af, &m[k].p, 0, ROUTE_DEL, 0);
			for (int pi = 0; pi < 2; pi++)
				rib_update(r, pi, &rt);
			m[k].live = false;
			q = cov;
		}
		fast_repair(r, q, sp, prev, repair_note, NULL);
		check_select(r, af, &chk, prev);
	}
}

static void round_one(int af)
{
	struct rib r;
	struct sel_result prev = { 0 }, cur = { 0 };
	int peers[2];
	uint64_t now = 1000;

	nm = 0;
	rib_init(&r, 10);
	peers[0] = rib_peer(&r, 0, NULL);
	peers[1] = rib_peer(&r, 1, NULL);
	int target = 50 + (int)(rnd() % 400);
	for (int step = 0; step < target * 2; step++) {
		struct rec_route rt;
		int k;
		if (nm < target && rnd() % 4) {
			if ((k = mirror_add(af)) < 0)
				continue;
			route(&rt, af, &m[k].p, m[k].nh, ROUTE_ADD, 100);
			rib_update(&r, peers[0], &rt);
			/* A worse second path from the other peer never wins. */
			route(&rt, af, &m[k].p, 7, ROUTE_ADD, 50);
			rib_update(&r, peers[1], &rt);
		} else if (nm) {
			k = (int)(rnd() % (unsigned)nm);
			if (!m[k].live)
				continue;
			route(&rt, af, &m[k].p, 0, ROUTE_DEL, 0);
			rib_update(&r, peers[1], &rt);
			if (rnd() % 2) {
				rib_update(&r, peers[0], &rt);
				m[k].live = false;
			}
		}
		if (step % 97 == 0)
			check_lpm(&r, af);
	}
	check_lpm(&r, af);
	/* Best path is peer 0's (local pref 100 over 50). */
	for (int i = 0; i < nm; i++) {
		if (!m[i].live)
			continue;
		struct pfx *p = rib_find(&r, &m[i].p);
		struct ar_addr want;
		nh_addr(&want, af, m[i].nh);
		CHECK(p && !addr_cmp(&pfx_best(&r, p)->nexthop, &want), "best path");
	}
	/* Traffic: skewed over the live prefixes; several ticks with selection. */
	for (int tick = 0; tick < 6; tick++) {
		for (int s = 0; s < 3000; s++) {
			int i = (int)(rnd() % (unsigned)(nm ? nm : 1));
			i = i * i / (nm ? nm : 1);      /* favour low indexes */
			if (!nm || !m[i].live)
				continue;
			struct ar_addr a = m[i].p.a, src = m[i].p.a;
			unsigned bits = addr_bits(af);
			for (unsigned b = m[i].p.plen; b < bits; b++)
				if (rnd() & 1)
					a.b[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			rate_flow(&r, &src, &a, 100 + rnd() % 1400, 1 + rnd() % 100, now + (uint64_t)s / 3);
		}
		now += 1000;
		rate_tick(&r, now);
		struct sel_params sp = {
			.max = 1 + rnd() % 60, .min_value = 0, .min_prefix = 1 + rnd() % 20,
			.hysteresis = 0.3, .dir = R_DBYTES, .closure = true,
			.prune = rnd() % 4 != 0, .bit = PFX_SEL,
		};
		select_clear(&prev, PFX_SEL);
		select_run(&r, af, &sp, &cur);
		check_select(&r, af, &sp, &cur);
		select_commit(&r, &prev, &cur);
		struct sel_result t = prev;
		prev = cur;
		cur = t;
		/* A query-style selection on the other bit does not disturb it. */
		struct sel_params q = sp;
		q.bit = PFX_QSEL;
		q.max = 1 + rnd() % 30;
		struct sel_result qr = { 0 };
		select_run(&r, af, &q, &qr);
		check_select(&r, af, &q, &qr);
		select_clear(&qr, PFX_QSEL);
		sel_result_free(&qr);
		CHECK(cur.n == 0 || true, "noop");
		fast_round(&r, af, &sp, &prev, &now);
		repair_round(&r, af, &sp, &prev, peers[0]);
		/* Drop some routes between ticks (selected ones too). */
		for (int d = 0; d < 5 && nm; d++) {
			int k = (int)(rnd() % (unsigned)nm);
			struct rec_route rt;
			if (!m[k].live)
				continue;
			route(&rt, af, &m[k].p, 0, ROUTE_DEL, 0);
			struct pfx *pp = rib_find(&r, &m[k].p);
			if (pp && (pp->flags & PFX_PREV))
				sel_result_drop(&prev, pp);
			rib_update(&r, peers[0], &rt);
			rib_update(&r, peers[1], &rt);
			m[k].live = false;
		}
		check_lpm(&r, af);
	}
	/* Mark and sweep: a complete state of peer 0 with half the prefixes. */
	rib_sync_begin(&r, peers[0]);
	for (int i = 0; i < nm; i++) {
		struct rec_route rt;
		if (!m[i].live)
			continue;
		if (i % 2) {
			route(&rt, af, &m[i].p, m[i].nh, ROUTE_ADD, 100);
			rib_update(&r, peers[0], &rt);
		}
	}
	rib_sync_end(&r, peers[0]);
	/* Peer 1 goes down with no grace: its routes go. */
	rib_peer_down(&r, peers[1], now, 0);
	for (int i = 0; i < nm; i++)
		if (m[i].live && !(i % 2))
			m[i].live = false;
	for (int i = 0; i < nm; i++) {
		struct pfx *p = m[i].live ? rib_find(&r, &m[i].p) : NULL;
		if (m[i].live)
			CHECK(p && !pfx_route_at(&r, p, 1), "sweep kept one route");
		else
			CHECK(!rib_find(&r, &m[i].p), "swept prefix still there");
	}
	check_lpm(&r, af);
	sel_result_free(&prev);
	sel_result_free(&cur);
	rib_free(&r);
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	int rounds = argc > 2 ? atoi(argv[2]) : 40;

	log_init("rank-prop");
	log_set_level(LOG_WARN);
	rng_s = seed * 0x9e3779b97f4a7c15ull + 1;
	for (int i = 0; i < rounds; i++) {
		round_one(AR_AF4);
		round_one(AR_AF6);
	}
	CHECK(fast_total > 0 && fast_dropped * 20 <= fast_total,
	      "the next tick dropped %zu of %zu promotions made between ticks", fast_dropped, fast_total);
	fprintf(stderr, "rank-prop: %zu promotions between ticks, %zu dropped by the next tick\n",
		fast_total, fast_dropped);
	CHECK(repair_takes > 0 && repair_drops > 0, "repairs: %zu taken, %zu removed", repair_takes,
	      repair_drops);
	fprintf(stderr, "rank-prop: repairs after RIB changes: %zu taken, %zu removed\n",
		repair_takes, repair_drops);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
