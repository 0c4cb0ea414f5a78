/* Property test of prefix-rank's bulk load (rib-bulk.c) against the one by
 * one way: random route adds (both families, nested prefixes, duplicates,
 * several peers, two of them with the same address so the best path comes
 * down to arrival order) go into one RIB as they come and into others as a
 * bulk load, settled by the sort, by the one-by-one fallback, and with a
 * delete half way (a settle in the middle). Every RIB must then hold the
 * same prefixes with the same routes in the same order, the same parents
 * and children, the same LPM answers and counts; the sorted build's
 * sibling lists are in address order and its LPM nodes those one by one
 * makes, each in its shortest form.
 * Usage: rank-bulk [SEED [ROUNDS]]. Prints "N passed, M failed". */
#include "../../cmd/prefix-rank/lpm.c"
#include "../../cmd/prefix-rank/lpm-build.c"
#include "../../cmd/prefix-rank/lpm-lookup.c"
#include "../../cmd/prefix-rank/rib.c"
#include "../../cmd/prefix-rank/rib-path.c"
#include "../../cmd/prefix-rank/rib-route.c"
#include "../../cmd/prefix-rank/rib-bulk.c"
#include "../../cmd/prefix-rank/rate.c"
#include "../../cmd/prefix-rank/cand.c"

#define PROP_NAME "rank-bulk"
#include "prop.h"

/* Prefixes in small regions so that they nest (and repeat) a lot. */
static void rand_prefix(int af, struct ar_prefix *p)
{
	struct ar_addr a = { 0 };
	unsigned plen;

	a.af = (uint8_t)af;
	if (af == AR_AF4) {
		uint32_t v = (rnd() % 3 ? 0xc6120000u : 0x0a000000u) | (rnd() & 0x1ffff);
		plen = rnd() % 16 ? 12 + rnd() % 21 : rnd() % 12;
		for (int i = 0; i < 4; i++)
			a.b[i] = (uint8_t)(v >> (24 - 8 * i));
	} else {
		a.b[0] = 0x20;
		a.b[1] = 0x01;
		a.b[2] = 0x0d;
		a.b[3] = 0xb8;
		for (int i = 4; i < 16; i++)
			a.b[i] = (uint8_t)(i < 7 ? rnd() & 3 : rnd());
		plen = rnd() % 16 ? 24 + rnd() % 105 : rnd() % 24;
	}
	prefix_make(p, &a, plen);
}

#define NOPS 3000
#define NPFX 700
static struct rec_route ops[NOPS];
static int opeer[NOPS];
static uint32_t asp[NOPS][2];

static void make_ops(void)
{
	static struct ar_prefix pool[NPFX];

	for (int i = 0; i < NPFX; i++)
		rand_prefix(rnd() % 3 ? AR_AF4 : AR_AF6, &pool[i]);
	for (int i = 0; i < NOPS; i++) {
		struct rec_route *rt = &ops[i];
		memset(rt, 0, sizeof(*rt));
		rt->op = ROUTE_ADD;
		rt->prefix = pool[rnd() % NPFX];
		REC_SET(rt, ROUTE_OP);
		REC_SET(rt, ROUTE_PREFIX);
		rt->nexthop.af = rt->prefix.a.af;
		rt->nexthop.b[0] = 198;
		rt->nexthop.b[3] = (uint8_t)(rnd() % 4);
		REC_SET(rt, ROUTE_NEXTHOP);
		if (rnd() % 2) {
			rt->localpref = 100 + rnd() % 3;
			REC_SET(rt, ROUTE_LOCALPREF);
		}
		asp[i][0] = 65000 + rnd() % 3;
		asp[i][1] = 65100;
		rt->aspath = (struct u32s){ asp[i], rnd() % 3 };
		if (rt->aspath.n)
			REC_SET(rt, ROUTE_ASPATH);
		opeer[i] = (int)(rnd() % 4);
	}
}

/* Peers 0 and 1 share an address (two inputs): their routes tie. */
static void peers(struct rib *r, int *pi)
{
	struct ar_addr a = { .af = AR_AF4, .b = { 198, 18, 0, 1 } }, b = a;

	b.b[3] = 2;
	pi[0] = rib_peer(r, 0, &a);
	pi[1] = rib_peer(r, 1, &a);
	pi[2] = rib_peer(r, 0, &b);
	pi[3] = rib_peer(r, 1, NULL);
}

enum how { ONE_BY_ONE, SORTED, SLOW, MIDWAY };

static void load(struct rib *r, enum how how)
{
	int pi[4];

	rib_init(r, 10);
	peers(r, pi);
	if (how != ONE_BY_ONE)
		rib_bulk_begin(r);
	for (int i = 0; i < NOPS; i++) {
		if (how == MIDWAY && i == NOPS / 2) {
			/* Prefixes never added: the deletes change nothing but
			 * settle both families, the rest goes in one by one. */
			struct rec_route d = { .op = ROUTE_DEL };
			d.prefix.a = (struct ar_addr){ .af = AR_AF4, .b = { 203, 0, 113, 1 } };
			d.prefix.plen = 32;
			rib_update(r, pi[0], &d);
			d.prefix.a = (struct ar_addr){ .af = AR_AF6, .b = { 0x3f, 0xff } };
			d.prefix.plen = 128;
			rib_update(r, pi[0], &d);
		}
		CHECK(rib_update(r, pi[opeer[i]], &ops[i]) == 0, "update %d", i);
	}
	if (how == SLOW && r->bulk) {
		settle_slow(r, 0);
		settle_slow(r, 1);
		r->bulk->npend[0] = r->bulk->npend[1] = 0;
	}
	rib_bulk_end(r);
}

static bool path_same(const struct path *a, const struct path *b)
{
	return a && b && path_eq(a, b);
}

/* Children of p as a sorted list of prefixes. */
static size_t children(struct rib *r, const struct pfx *p, struct ar_prefix *out, size_t max)
{
	size_t n = 0;

	for (const struct pfx *c = pfx_get(r, p->child); c && n < max; c = pfx_get(r, c->sib))
		pfx_prefix(r, c, &out[n++]);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && prefix_cmp(&out[j - 1], &out[j]) > 0; j--) {
			struct ar_prefix t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static void compare(struct rib *a, struct rib *b, const char *what)
{
	static struct ar_prefix ca[NPFX], cb[NPFX];

	for (int af = AR_AF4; af; af = af == AR_AF4 ? AR_AF6 : 0) {
		int ai = af_idx(af);
		CHECK(a->af[ai].n == b->af[ai].n, "%s: af %d size %zu vs %zu", what, af, a->af[ai].n,
		      b->af[ai].n);
		for (struct pfx *p = rib_next(a, af, NULL); p; p = rib_next(a, af, p)) {
			struct ar_prefix pp, x, y;
			struct pfx *q;
			pfx_prefix(a, p, &pp);
			q = rib_find(b, &pp);
			CHECK(q != NULL, "%s: af %d prefix missing", what, af);
			if (!q)
				continue;
			for (unsigned n = 0;; n++) {
				const struct rslot *s = pfx_route_at(a, p, n), *t = pfx_route_at(b, q, n);
				CHECK(!s == !t, "%s: route count", what);
				if (!s || !t)
					break;
				CHECK(s->peer == t->peer && s->gen == t->gen &&
				      path_same(rib_path(a, s->path), rib_path(b, t->path)),
				      "%s: route %u differs", what, n);
			}
			CHECK(!p->parent == !q->parent, "%s: parent", what);
			if (p->parent && q->parent) {
				pfx_prefix(a, pfx_parent(a, p), &x);
				pfx_prefix(b, pfx_parent(b, q), &y);
				CHECK(!prefix_cmp(&x, &y), "%s: parent differs", what);
			}
			size_t na = children(a, p, ca, NPFX), nb = children(b, q, cb, NPFX);
			CHECK(na == nb, "%s: children %zu vs %zu", what, na, nb);
			for (size_t i = 0; i < na && i < nb; i++)
				CHECK(!prefix_cmp(&ca[i], &cb[i]), "%s: child %zu differs", what, i);
			for (const struct pfx *c = pfx_get(a, p->child); c; c = pfx_get(a, c->sib))
				CHECK(c->parent == p->id, "%s: child's parent link", what);
			/* LPM: the prefix's first and last address, and one past. */
			struct ar_addr lo = pp.a, hi = pp.a;
			for (unsigned i = pp.plen; i < addr_bits(af); i++)
				hi.b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			struct ar_addr probe[3] = { lo, hi, hi };
			for (int i = (int)addr_len(&hi) - 1; i >= 0; i--)
				if (++probe[2].b[i])
					break;
			for (int i = 0; i < 3; i++) {
				struct pfx *ma = rib_match(a, &probe[i]), *mb = rib_match(b, &probe[i]);
				CHECK(!ma == !mb, "%s: lpm answer", what);
				if (ma && mb) {
					pfx_prefix(a, ma, &x);
					pfx_prefix(b, mb, &y);
					CHECK(!prefix_cmp(&x, &y), "%s: lpm answer differs", what);
				}
			}
		}
	}
	CHECK(a->added == b->added && rib_paths(a) == rib_paths(b), "%s: counters", what);
	for (size_t i = 0; i < a->npeers && i < b->npeers; i++)
		CHECK(a->peers[i].routes == b->peers[i].routes, "%s: peer %zu routes %llu vs %llu",
		      what, i, (unsigned long long)a->peers[i].routes,
		      (unsigned long long)b->peers[i].routes);
}

/* The sorted build's invariant: every sibling list in address order. */
static void siblings_ordered(struct rib *r)
{
	for (int af = AR_AF4; af; af = af == AR_AF4 ? AR_AF6 : 0)
		for (struct pfx *p = rib_next(r, af, NULL); p; p = rib_next(r, af, p))
			for (struct pfx *c = pfx_get(r, p->child); c && c->sib; c = pfx_get(r, c->sib)) {
				struct ar_prefix x, y;
				pfx_prefix(r, c, &x);
				pfx_prefix(r, rib_byid(r, c->sib), &y);
				CHECK(prefix_cmp(&x, &y) < 0, "sibling order");
			}
}

/* The built LPM's nodes as adds one by one leave them: as many, each in
 * its shortest form (no two neighbouring runs alike, small when it fits). */
static void lpm_same_shape(const struct lpm *a, const struct lpm *b, const char *what)
{
	uint32_t buf[NSLOT];
	uint32_t live = 0;

	for (uint32_t i = 0; i < a->nnodes; i++) {
		uintptr_t p = a->np[i];
		unsigned runs = 1, n;
		if (!p)
			continue;
		live++;
		expand(a, i, buf);
		for (unsigned x = 1; x < NSLOT; x++)
			runs += buf[x] != buf[x - 1];
		n = p & 1 ? ((const struct snode *)(p - 1))->n : ((const struct lnode *)p)->n;
		CHECK(n == runs && (runs <= LPM_SMALL) == (p & 1), "%s: node %u: %u runs kept, %u there",
		      what, i, n, runs);
	}
	CHECK(live == b->nnodes - b->nfree, "%s: %u nodes, %u one by one", what, live,
	      b->nnodes - b->nfree);
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	int rounds = argc > 2 ? atoi(argv[2]) : 20;

	log_init("rank-bulk");
	log_set_level(LOG_WARN);
	rng_s = seed * 0x9e3779b97f4a7c15ull + 7;
	for (int k = 0; k < rounds; k++) {
		struct rib one, sorted, slow, mid;
		make_ops();
		load(&one, ONE_BY_ONE);
		load(&sorted, SORTED);
		load(&slow, SLOW);
		load(&mid, MIDWAY);
		compare(&sorted, &one, "sorted");
		compare(&one, &sorted, "sorted (reverse)");
		compare(&slow, &one, "slow");
		compare(&mid, &one, "midway");
		siblings_ordered(&sorted);
		lpm_same_shape(&sorted.af[0].lpm, &one.af[0].lpm, "sorted lpm4");
		lpm_same_shape(&sorted.af[1].lpm, &one.af[1].lpm, "sorted lpm6");
		rib_free(&one);
		rib_free(&sorted);
		rib_free(&slow);
		rib_free(&mid);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
