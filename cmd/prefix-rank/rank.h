/* prefix-rank: the RIB, traffic rates per prefix, and the active-route choice.
 * Everything here is a pure data structure driven by explicit times, so the
 * program, the property tests and the traffic-model benchmark share it. */
#ifndef RANK_H
#define RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rec.h"

/* ---- LPM: a multibit trie with a 16-bit root, live adds and deletes ----
 * A slot holds 0 (no route), a prefix id, or LPM_CHILD|node. Prefixes are
 * expanded into the slots of the level that ends at or after their length;
 * a slot keeps the longest prefix covering it, so lookups never backtrack.
 * Below the root, 8-bit strides (IPv4 16-8-8: at most 3 steps), each node
 * stored compressed: a bitmap marks where a run of equal slots starts and
 * only the runs are kept (a /16 region of a full table holds ~50 runs, not
 * 256 slots). Slot i is v[base[i / 32] + popcount(bm[i / 32] up to i) - 1].
 * A change rewrites only the nodes under the prefix's own range. */
#define LPM_CHILD 0x80000000u
#define LPM_ROOT_BITS 16
#define LPM_STRIDE 8
#define LPM_NONE 0xffffffffu

struct lnode {
	uint32_t bm[8];                 /* bit i: slot i starts a run */
	uint8_t base[8];                /* runs before each bitmap word */
	uint16_t n, cap;                /* runs; room in v */
	uint32_t v[];
};

#define LPM_SMALL 8
struct snode {
	uint8_t n;                      /* runs */
	uint8_t st[LPM_SMALL - 1];      /* st[j - 1]: where run j starts */
	uint32_t v[];
};

struct lpm {
	uint32_t *root;                 /* 1 << LPM_ROOT_BITS slots */
	uintptr_t *np;                  /* node index -> lnode, or snode | 1 */
	uint32_t nnodes, capnodes;      /* indexes handed out; room */
	uint32_t *freeidx, nfree;       /* released indexes */
	size_t bytes;                   /* held by the nodes and slabs */
	/* Small nodes come from slabs, one free list per run count: no
	 * allocator header or rounding on 12..40 bytes. */
	void *sfree[LPM_SMALL + 1];
	void **slabs;
	size_t nslabs;
	unsigned maxbits;
	/* Length of the prefix with this id (for "longest wins" on expansion). */
	unsigned (*plen_of)(void *ctx, uint32_t id);
	void *ctx;
};

/* stride: must be LPM_STRIDE (kept for the callers' sake). */
int lpm_init(struct lpm *t, unsigned maxbits, unsigned stride,
	     unsigned (*plen_of)(void *, uint32_t), void *ctx);
void lpm_free(struct lpm *t);
/* key: the address bytes in network order (4 or 16). */
int lpm_insert(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id);
/* Slots owned by id fall back to repl (its longest covering prefix, or 0). */
void lpm_delete(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id,
		uint32_t repl);
uint32_t lpm_lookup(const struct lpm *t, const uint8_t *key);
/* Call fn for the leaf slots (0 or an id) the prefix's range spans, runs of
 * one value once where the layout allows. */
void lpm_visit(const struct lpm *t, const uint8_t *key, unsigned plen,
	       void (*fn)(void *ctx, uint32_t id), void *ctx);
/* No prefix in it. */
bool lpm_empty(const struct lpm *t);
/* An empty table filled at once with n distinct prefixes in address order,
 * then length: each node written once. ent(ctx, i, key, &plen, &id) gives
 * the i-th (key zeroed past its address). -1: no memory (the table is
 * empty again). */
int lpm_build(struct lpm *t, size_t n,
	      void (*ent)(const void *ctx, size_t i, uint8_t key[16], unsigned *plen, uint32_t *id),
	      const void *ctx);

static inline unsigned lpm_popcount(uint32_t x)
{
	/* Portable: the build does not assume a popcnt instruction. */
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
}

static inline uint32_t lnode_get(const struct lnode *n, unsigned i)
{
	unsigned w = i >> 5;
	uint32_t m = n->bm[w] & (0xffffffffu >> (31 - (i & 31)));
	return n->v[n->base[w] + lpm_popcount(m) - 1];
}

/* n (<= LPM_MANY) IPv4 lookups at once, faster than one by one. */
#define LPM_MANY 64
void lpm_lookup4_many(const struct lpm *t, const uint32_t *a, uint32_t *out, unsigned n);
void lpm_lookup_many(const struct lpm *t, const uint8_t *const *key, uint32_t *out, unsigned n);
static inline uint32_t snode_get(const struct snode *n, unsigned i)
{
	unsigned r = 0;
	for (unsigned j = 1; j < n->n; j++)
		r += i >= n->st[j - 1];
	return n->v[r];
}

/* Slot i of node idx. */
static inline uint32_t lpm_get(const struct lpm *t, uint32_t idx, unsigned i)
{
	uintptr_t p = t->np[idx];
	if (p & 1)
		return snode_get((const struct snode *)(p - 1), i);
	return lnode_get((const struct lnode *)p, i);
}

static inline uint32_t lpm_lookup4(const struct lpm *t, uint32_t a)
{
	uint32_t s = t->root[a >> 16];
	if (s & LPM_CHILD) {
		s = lpm_get(t, s & ~LPM_CHILD, (a >> 8) & 0xff);
		if (s & LPM_CHILD)
			s = lpm_get(t, s & ~LPM_CHILD, a & 0xff);
	}
	return s;
}
size_t lpm_bytes(const struct lpm *t);

/* ---- RIB ---- */

/* Interned path attributes: a full table shares a few hundred thousand. */
struct path {
	struct path *hnext;
	uint32_t refs, hash;
	struct ar_addr nexthop;
	uint8_t origin;
	uint32_t med, localpref;
	uint32_t naspath, ncomm, nlcomm;
	uint32_t hops;                  /* AS path length as best path counts it */
	uint32_t pid;                   /* its id in rib.pathv */
	uint32_t v[];                   /* aspath, communities, lcommunities */
};

/* One peer's route for a prefix (path: an id in rib.pathv). */
struct rslot {
	uint32_t path;
	uint16_t gen;                   /* peer generation it was learned in (mod 2^16) */
	uint16_t peer;
};

/* A prefix's routes after its first (best) one: a list in rib.rr. */
struct rroute {
	struct rslot s;
	uint32_t next;                  /* index in rib.rr, 0 = end */
};

/* Directions and units of the per-prefix rates. */
enum { R_DBYTES, R_DPKTS, R_SBYTES, R_SPKTS, R_N };

enum {
	PFX_ACTIVE = 1 << 0,            /* in the active (has traffic) list */
	PFX_SEL = 1 << 1,               /* in the tick's selected set */
	PFX_QSEL = 1 << 2,              /* in a query's selected set */
	PFX_PREV = 1 << 3,              /* selected at the previous tick */
	PFX_FREE = 1 << 4,
	PFX_CAND = 1 << 5,              /* in the tick's candidate list */
	PFX_SEEN = 1 << 6,              /* transient: candidate list dedup */
	PFX_HOT = 1 << 7,               /* on the fast path's list (fast.c) */
};

/* 56 bytes a prefix. Links are ids (0 = none): the prefix tree is kept as
 * parent / first child / next sibling, so subtree walks need no ordered
 * index, and exact lookups go through the LPM and the parent chain. The
 * key is the IPv4 address itself, or an index into rib.keys6. The common
 * case of one route per prefix costs nothing more than r0. */
struct pfx {
	float rate[R_N];                /* forward-scaled: see rate.c */
	struct rslot r0;                /* the best route */
	uint32_t id;
	uint32_t aidx;                  /* index in the active list */
	uint32_t parent, child, sib;    /* longest covering RIB prefix; tree links */
	uint32_t k;                     /* key: IPv4 address (host order), IPv6 index */
	uint32_t more;                  /* other peers' routes (rib.rr), 0 = none */
	uint8_t plen, af, flags;
	uint8_t tickgen;                /* fast.c: fast.gen of the last tick it was a candidate at */
};

struct peer {
	struct ar_addr addr;            /* AR_AF_NONE: routes without a peer key */
	int input;                      /* which --routes input */
	uint32_t gen;
	bool stale, syncing;
	uint64_t stale_until;           /* ms */
	uint64_t routes;
};

struct rib_af {
	struct lpm lpm;
	size_t n;
	uint32_t *active;               /* ids of the prefixes with a non-zero rate */
	size_t nactive, capactive;
	/* The tick's candidates: every prefix whose destination rate reached
	 * cand_min (forward-scaled) or that was selected last tick is here
	 * with PFX_CAND; so a tick ranks these instead of every active one. */
	uint32_t *cand;
	size_t ncand, capcand;
	float cand_min;
	double total[R_N];              /* all traffic, matched or not (forward-scaled) */
	/* Between ticks (fast.c): a prefix outside the selection whose
	 * destination rate reaches hot_min (forward-scaled) is listed here
	 * for a promotion at once. FLT_MAX: the fast path is off. */
	uint32_t *hot;
	size_t nhot, caphot, hotdone;
	float hot_min;
};

#define PFX_CHUNK 4096
/* Flow samples wait in batches, one per family (a prefix only ever sees
 * samples of its family, in order): all lookups first, with the prefixes
 * fetched ahead, then the updates (random source addresses make every
 * sample a cache miss otherwise). */
#define RATE_BATCH 32
struct qflow {
	uint8_t s[16], d[16];
	uint64_t ms;
	uint32_t len, rate;
	uint8_t saf, daf;
};

struct rib {
	struct rib_af af[2];            /* [0] IPv4, [1] IPv6 */
	struct pfx **chunks;            /* id -> pfx: chunks[id / PFX_CHUNK] */
	uint32_t nchunks, nextid;
	uint32_t freelist;              /* free prefix ids, chained through parent */
	uint8_t (*keys6)[16];           /* IPv6 keys */
	uint32_t nkeys6, capkeys6, free6;
	struct rroute *rr;              /* second and later routes; [0] unused */
	uint32_t nrr, caprr, rrfree;
	struct path **pathv;            /* path id -> path; [0] unused */
	uint32_t npathv, cappathv;
	uint32_t *pathfree;             /* released path ids */
	uint32_t npathfree;
	/* Called before a prefix leaves the RIB (selections forget it). */
	void (*on_delete)(void *ctx, struct pfx *p);
	void *on_delete_ctx;
	struct path **paths;            /* hash set of interned paths */
	size_t npaths, cappaths;
	struct peer *peers;
	size_t npeers;
	/* Rates: values are stored scaled by exp((t - t0)/tau). */
	double tau;                     /* seconds */
	uint64_t t0;                    /* ms */
	double scale;                   /* exp(-(now - t0) / tau) at the last rate_tick() */
	uint64_t tcache;
	double fcache;
	/* Counters. */
	uint64_t added, removed;        /* prefixes learned and removed */
	uint64_t route_adds, route_dels;
	uint64_t flows, matched;
	double mean_rate;               /* running mean of the sampling rates seen */
	struct qflow q[2][RATE_BATCH];
	unsigned nq[2];
	bool inflush;
	struct rib_bulk *bulk;          /* between rib_bulk_begin() and _end() */
};

static inline int af_idx(int af) { return af == AR_AF6; }

int rib_init(struct rib *r, double tau);
void rib_free(struct rib *r);
static inline struct pfx *rib_byid(const struct rib *r, uint32_t id)
{
	return &r->chunks[id / PFX_CHUNK][id % PFX_CHUNK];
}
/* The prefix with this id, or NULL for 0. */
static inline struct pfx *pfx_get(const struct rib *r, uint32_t id)
{
	return id ? rib_byid(r, id) : NULL;
}
static inline struct pfx *pfx_parent(const struct rib *r, const struct pfx *p)
{
	return pfx_get(r, p->parent);
}
struct pfx *rib_find(struct rib *r, const struct ar_prefix *p);
/* The most specific RIB prefix containing the address, or NULL. */
struct pfx *rib_match(struct rib *r, const struct ar_addr *a);
/* Every prefix of a family: start with NULL; NULL at the end. */
struct pfx *rib_next(const struct rib *r, int af, const struct pfx *p);
/* The pre-order walk's next prefix after q's subtree (NULL past top's). */
static inline struct pfx *pfx_walk_skip(const struct rib *r, const struct pfx *top,
					const struct pfx *q)
{
	while (q != top) {
		if (q->sib)
			return rib_byid(r, q->sib);
		q = rib_byid(r, q->parent);
	}
	return NULL;
}
/* Pre-order walk of top's subtree (top itself excluded): start with top. */
static inline struct pfx *pfx_walk_next(const struct rib *r, const struct pfx *top,
					const struct pfx *q)
{
	return q->child ? rib_byid(r, q->child) : pfx_walk_skip(r, top, q);
}
/* A bulk load, for a whole table that comes before anything looks at the
 * RIB (a replay's routes): a family empty at its first route keeps its new
 * prefixes out of the LPM and the tree, to build both at once in address
 * order when the RIB settles. Everything of the RIB's own settles first
 * (lookups, deletes, sweeps); readers outside it (rates, selection,
 * enrichment, rib_next) must wait for rib_bulk_end(). -1: no memory (no
 * bulk load: every route goes in at once). */
int rib_bulk_begin(struct rib *r);
void rib_bulk_end(struct rib *r);
void rib_settle_now(struct rib *r);
static inline void rib_settle(struct rib *r)
{
	if (r->bulk)
		rib_settle_now(r);
}
int rib_peer(struct rib *r, int input, const struct ar_addr *addr);
/* A route add or delete from peer index pi. 0, or -1 (no memory / bad). */
int rib_update(struct rib *r, int pi, const struct rec_route *rt);
/* Drop the routes of peer pi learned before its current generation. */
size_t rib_sweep(struct rib *r, int pi);
void rib_sync_begin(struct rib *r, int pi);
void rib_sync_end(struct rib *r, int pi);
void rib_peer_down(struct rib *r, int pi, uint64_t now, uint64_t grace_ms);
/* Sweep peers whose grace ran out; returns how many. */
int rib_expire(struct rib *r, uint64_t now);
static inline const struct path *rib_path(const struct rib *r, uint32_t pid)
{
	return pid ? r->pathv[pid] : NULL;
}
static inline const struct path *pfx_best(const struct rib *r, const struct pfx *p)
{
	return rib_path(r, p->r0.path);
}
/* p's routes, best first: n-th (0-based) or NULL past the end. */
const struct rslot *pfx_route_at(const struct rib *r, const struct pfx *p, unsigned n);
/* The prefix's address bytes (16, zero-padded for IPv4). */
void pfx_key(const struct rib *r, const struct pfx *p, uint8_t out[16]);
void pfx_prefix(const struct rib *r, const struct pfx *p, struct ar_prefix *out);
/* o covers i (o is i or a shorter prefix containing it). */
bool pfx_covers(const struct rib *r, const struct pfx *o, const struct pfx *i);
size_t rib_paths(const struct rib *r);
/* A reference to path pid held outside the RIB (its id stays its own). */
void rib_path_hold(struct rib *r, uint32_t pid);
void rib_path_release(struct rib *r, uint32_t pid);
/* Bytes held by the RIB's tables (for the stats). */
size_t rib_bytes(const struct rib *r);

/* ---- Rates (rate.c) ---- */
/* One sampled packet: frame length and sampling rate, seen at ms. It
 * counts at the next rate_flush(), which everything that reads rates or
 * changes the RIB calls first. */
void rate_flow(struct rib *r, const struct ar_addr *src, const struct ar_addr *dst,
	       uint32_t len, uint32_t rate, uint64_t ms);
void rate_flush(struct rib *r);
/* Set the clock for readers to ms; every 10 time constants also rebase the
 * stored values and drop the rates that faded out. */
void rate_tick(struct rib *r, uint64_t ms);
/* The rate of a prefix at the last rate_tick(). */
static inline double pfx_rate(const struct rib *r, const struct pfx *p, int k)
{
	return p->rate[k] * r->scale;
}
/* True when every rate of p is below the floor: it can leave the active list. */
bool rate_faded(const struct rib *r, const struct pfx *p);
double rate_total(const struct rib *r, int af, int k);
/* Put p on its family's candidate list (PFX_CAND). */
void cand_push(struct rib_af *ra, struct pfx *p);
void rate_forget(struct rib *r, struct pfx *p);

/* ---- Selection (select.c) ---- */
struct sel_params {
	size_t max;                     /* capacity */
	double min_value;
	unsigned min_prefix;
	double hysteresis;              /* incumbents rank with value * (1 + h) */
	double min_new_pps;             /* a newcomer needs at least this packet rate */
	int dir;                        /* R_DBYTES or R_SBYTES */
	bool closure;                   /* add covered more-specifics with other next hops */
	bool prune;                     /* drop covered prefixes with the parent's next hop */
	uint8_t bit;                    /* PFX_SEL or PFX_QSEL */
};

struct sel_result {
	struct pfx **v;                 /* selected, in rank order */
	struct pfx **par;               /* par[i]: v[i]'s nearest selected parent */
	bool par_ok;                    /* par is up to date */
	size_t n, cap, parcap;
	size_t covered;                 /* active prefixes covered by a selected parent */
	size_t closure;                 /* added to avoid hiding */
	double value_total, value_sel;  /* traffic; traffic that hits the selection */
	size_t adds, dels;              /* against PFX_PREV (tick selection only) */
};

int select_run(struct rib *r, int af, const struct sel_params *sp, struct sel_result *res);
/* Nearest covering prefix with flag bit set, or NULL. */
struct pfx *sel_parent(const struct rib *r, const struct pfx *p, uint8_t bit);
/* Clear bit on every member of res (queries). */
void select_clear(struct sel_result *res, uint8_t bit);
/* Turn the tick's selection into PFX_PREV marks and count churn. */
void select_commit(struct rib *r, struct sel_result *prev, struct sel_result *cur);
void sel_result_free(struct sel_result *res);
/* Add p to res (its bit is the caller's to set). 0, or -1: no memory. */
int sel_result_push(struct sel_result *res, struct pfx *p);
/* The more-specifics taking p would have to take too so that none is hidden
 * (the tick's closure, without pruning): counted, or with apply pushed on
 * res with sp->bit set. *gain: the traffic p and its uncovered subtree
 * bring, in stored (forward-scaled) units. -1: no memory while applying. */
int sel_closure(const struct rib *r, struct pfx *p, const struct sel_params *sp, bool apply,
		size_t *adds, struct sel_result *res, double *gain);
/* Forget p if it is in res (a prefix removed from the RIB). */
void sel_result_drop(struct sel_result *res, struct pfx *p);
/* The next hop two paths resolve to is the same. */
bool nh_same(const struct path *a, const struct path *b);

/* ---- Between ticks (fast.c) ----
 * After each tick, fast_prepare() sets the bar a prefix outside the
 * selection must reach to enter it before the next tick: any traffic while
 * the family has free capacity, or beating the weakest incumbent that can
 * leave without hiding anything by the hysteresis margin. fast_run() then
 * promotes the listed prefixes that clear it, with their closure, keeping
 * the capacity; each change goes to emit() as it is made. */
struct fast {
	struct pfx **ev;                /* incumbents that may make room, weakest first */
	size_t nev, capev, pos;
	uint64_t adds, dels;            /* promotions (with closures) and evictions */
	uint8_t gen;                    /* the tick's, for pfx.tickgen */
};
typedef void fast_emit_fn(void *ctx, struct pfx *p, bool add);
void fast_prepare(struct rib *r, int af, const struct sel_params *sp,
		  const struct sel_result *sel, struct fast *fs, bool on);
/* now: ms on the rates' clock. Returns the number of changes emitted. */
size_t fast_run(struct rib *r, int af, const struct sel_params *sp, struct sel_result *sel,
		struct fast *fs, uint64_t now, fast_emit_fn *emit, void *ctx);
void fast_free(struct fast *fs);
/* After a RIB change at q (a new prefix, or a new best route; for a
 * selected prefix that left the RIB, q is the selected prefix that covered
 * it): if the FIB now forwards part of q's tree by a selected prefix with
 * another next hop, take what it hides (room allowing) or remove that
 * prefix and the selected ones above it (repair.c). Returns the
 * selection changes made. */
size_t fast_repair(struct rib *r, struct pfx *q, const struct sel_params *sp,
		   struct sel_result *sel, fast_emit_fn *emit, void *ctx);
/* w leaves the selection and goes out as a removal. */
void fast_leave(struct sel_result *sel, struct pfx *w, fast_emit_fn *emit, void *ctx);
/* What was pushed on sel from n0 on (with its bit set) joins the selection
 * (PFX_PREV, a candidate) and goes out, more-specifics first. Returns how
 * many. */
size_t fast_taken(struct rib *r, struct sel_result *sel, size_t n0, fast_emit_fn *emit, void *ctx);

#endif
