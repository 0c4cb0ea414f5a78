/* The RIB: per prefix the route of each peer, best first; interned path
 * attributes; peers with generations for mark-and-sweep and grace. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rank.h"

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* Address order, then length: a prefix comes right before what it covers.
 * Two 64-bit compares: this runs ~20 times per route add. */
static int pfx_cmp(const struct pfx *a, const struct pfx *b)
{
	uint64_t x = be64(a->b), y = be64(b->b);
	if (x != y)
		return x < y ? -1 : 1;
	x = be64(a->b + 8);
	y = be64(b->b + 8);
	if (x != y)
		return x < y ? -1 : 1;
	return (int)a->plen - (int)b->plen;
}

RB_GENERATE(pfx_tree, pfx, rb, pfx_cmp)

static unsigned plen_of(void *ctx, uint32_t id)
{
	return rib_byid(ctx, id)->plen;
}

int rib_init(struct rib *r, double tau)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2; i++) {
		RB_INIT(&r->af[i].tree);
		if (lpm_init(&r->af[i].lpm, i ? 128 : 32, i ? 2 : 8, plen_of, r) < 0)
			return -1;
	}
	r->nextid = 1;                  /* id 0 is "no route" in the LPM */
	r->tau = tau;
	r->scale = 1;
	r->tcache = UINT64_MAX;
	r->cappaths = 1024;
	r->paths = calloc(r->cappaths, sizeof(*r->paths));
	return r->paths ? 0 : -1;
}

void pfx_prefix(const struct pfx *p, struct ar_prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->a.af = p->af;
	memcpy(out->a.b, p->b, 16);
	out->plen = p->plen;
}

/* ---- Interned paths ---- */

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t path_hash(const struct path *k)
{
	uint32_t h = 2166136261u;
	h = fnv(h, &k->nexthop, sizeof(k->nexthop));
	h = fnv(h, &k->origin, 1);
	h = fnv(h, &k->med, 4);
	h = fnv(h, &k->localpref, 4);
	return fnv(h, k->v, (size_t)(k->naspath + k->ncomm + k->nlcomm) * 4);
}

static bool path_eq(const struct path *a, const struct path *b)
{
	return a->hash == b->hash && !memcmp(&a->nexthop, &b->nexthop, sizeof(a->nexthop)) &&
	       a->origin == b->origin && a->med == b->med && a->localpref == b->localpref &&
	       a->naspath == b->naspath && a->ncomm == b->ncomm && a->nlcomm == b->nlcomm &&
	       !memcmp(a->v, b->v, (size_t)(a->naspath + a->ncomm + a->nlcomm) * 4);
}

static int paths_grow(struct rib *r)
{
	size_t cap = r->cappaths * 2;
	struct path **v = calloc(cap, sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < r->cappaths; i++) {
		struct path *p = r->paths[i], *n;
		for (; p; p = n) {
			n = p->hnext;
			p->hnext = v[p->hash & (cap - 1)];
			v[p->hash & (cap - 1)] = p;
		}
	}
	free(r->paths);
	r->paths = v;
	r->cappaths = cap;
	return 0;
}

static struct path *path_get(struct rib *r, const struct rec_route *rt)
{
	uint32_t n = rt->aspath.n + rt->communities.n + rt->lcommunities.n;
	struct path *k = malloc(sizeof(*k) + (size_t)n * 4), *p;

	if (!k)
		return NULL;
	memset(k, 0, sizeof(*k));
	k->nexthop = rt->nexthop;
	if (!REC_HAS(rt, ROUTE_NEXTHOP))
		memset(&k->nexthop, 0, sizeof(k->nexthop));
	k->origin = REC_HAS(rt, ROUTE_ORIGIN) ? (uint8_t)rt->origin : ORIGIN_INCOMPLETE;
	k->med = REC_HAS(rt, ROUTE_MED) ? rt->med : 0;
	k->localpref = REC_HAS(rt, ROUTE_LOCALPREF) ? rt->localpref : 100;
	k->naspath = rt->aspath.n;
	k->ncomm = rt->communities.n;
	k->nlcomm = rt->lcommunities.n;
	if (rt->aspath.n)
		memcpy(k->v, rt->aspath.v, rt->aspath.n * 4);
	if (rt->communities.n)
		memcpy(k->v + k->naspath, rt->communities.v, rt->communities.n * 4);
	if (rt->lcommunities.n)
		memcpy(k->v + k->naspath + k->ncomm, rt->lcommunities.v, rt->lcommunities.n * 4);
	k->hops = aspath_hops(&rt->aspath);
	k->hash = path_hash(k);
	for (p = r->paths[k->hash & (r->cappaths - 1)]; p; p = p->hnext) {
		if (path_eq(p, k)) {
			free(k);
			p->refs++;
			return p;
		}
	}
	if (r->npaths >= r->cappaths && paths_grow(r) < 0) {
		free(k);
		return NULL;
	}
	k->refs = 1;
	k->hnext = r->paths[k->hash & (r->cappaths - 1)];
	r->paths[k->hash & (r->cappaths - 1)] = k;
	r->npaths++;
	return k;
}

static void path_put(struct rib *r, struct path *p)
{
	struct path **pp;

	if (--p->refs)
		return;
	for (pp = &r->paths[p->hash & (r->cappaths - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	}
	r->npaths--;
	free(p);
}

size_t rib_paths(const struct rib *r) { return r->npaths; }

bool nh_same(const struct path *a, const struct path *b)
{
	return !memcmp(&a->nexthop, &b->nexthop, sizeof(a->nexthop));
}

/* ---- Prefix storage: chunks addressed by id, so the LPM holds 31-bit ids ---- */

static struct pfx *pfx_alloc(struct rib *r)
{
	struct pfx *p;

	if (r->freelist) {
		p = r->freelist;
		r->freelist = p->parent;
		uint32_t id = p->id;
		memset(p, 0, sizeof(*p));
		p->id = id;
		return p;
	}
	uint32_t c = r->nextid / PFX_CHUNK;
	if (c >= r->nchunks) {
		struct pfx **v = reallocarray(r->chunks, c + 1, sizeof(*v));
		if (!v)
			return NULL;
		r->chunks = v;
		v[c] = calloc(PFX_CHUNK, sizeof(struct pfx));
		if (!v[c])
			return NULL;
		r->nchunks = c + 1;
	}
	if (r->nextid >= (LPM_CHILD - 1))
		return NULL;
	p = rib_byid(r, r->nextid);
	memset(p, 0, sizeof(*p));
	p->id = r->nextid++;
	return p;
}

struct pfx *rib_find(struct rib *r, const struct ar_prefix *pr)
{
	struct pfx k;

	if (pr->a.af != AR_AF4 && pr->a.af != AR_AF6)
		return NULL;
	memset(k.b, 0, 16);
	memcpy(k.b, pr->a.b, addr_len(&pr->a));
	k.plen = pr->plen;
	return RB_FIND(pfx_tree, &r->af[af_idx(pr->a.af)].tree, &k);
}

struct pfx *rib_match(struct rib *r, const struct ar_addr *a)
{
	uint32_t id;

	if (a->af == AR_AF4)
		id = lpm_lookup4(&r->af[0].lpm, (uint32_t)a->b[0] << 24 |
				 (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3]);
	else if (a->af == AR_AF6)
		id = lpm_lookup(&r->af[1].lpm, a->b);
	else
		return NULL;
	return id ? rib_byid(r, id) : NULL;
}

bool pfx_covers(const struct pfx *o, const struct pfx *i)
{
	unsigned n = o->plen;
	uint64_t d;

	if (o->plen > i->plen)
		return false;
	if (n == 0)
		return true;
	d = be64(o->b) ^ be64(i->b);
	if (n <= 64)
		return (d >> (64 - n)) == 0;
	if (d)
		return false;
	d = be64(o->b + 8) ^ be64(i->b + 8);
	return (d >> (128 - n)) == 0;
}

/* The first prefix after q and everything q covers, in tree order. Walks
 * over direct children use it to jump over grandchildren: O(children log n)
 * rather than O(descendants). */
struct pfx *pfx_after(struct pfx_tree *t, const struct pfx *q)
{
	struct pfx k;
	unsigned len = q->af == AR_AF4 ? 4 : 16;
	int i;

	memcpy(k.b, q->b, 16);
	for (unsigned b = q->plen; b < len * 8; b++)
		k.b[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (i = (int)len - 1; i >= 0; i--)
		if (++k.b[i])
			break;
	if (i < 0)
		return NULL;            /* q reaches the end of the address space */
	k.plen = 0;
	return RB_NFIND(pfx_tree, t, &k);
}

static struct pfx *pfx_insert(struct rib *r, const struct ar_prefix *pr)
{
	struct rib_af *ra = &r->af[af_idx(pr->a.af)];
	struct pfx *p = pfx_alloc(r), *q, *parent;
	uint32_t id;

	if (!p)
		return NULL;
	p->af = pr->a.af;
	memcpy(p->b, pr->a.b, addr_len(&pr->a));
	p->plen = pr->plen;
	/* The longest covering prefix is on the parent chain of whatever the
	 * LPM answers for the first address of the new prefix. */
	id = lpm_lookup(&ra->lpm, p->b);
	for (q = id ? rib_byid(r, id) : NULL; q && q->plen >= p->plen; q = q->parent)
		;
	parent = q;
	if (lpm_insert(&ra->lpm, p->b, p->plen, p->id) < 0) {
		p->flags = PFX_FREE;
		p->parent = r->freelist;
		r->freelist = p;
		return NULL;
	}
	p->parent = parent;
	RB_INSERT(pfx_tree, &ra->tree, p);
	/* Direct children of the new prefix were children of its parent. */
	for (q = RB_NEXT(pfx_tree, &ra->tree, p); q && pfx_covers(p, q); q = pfx_after(&ra->tree, q))
		if (q->parent == parent)
			q->parent = p;
	ra->n++;
	r->added++;
	return p;
}

static void pfx_remove(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];
	struct pfx *q;

	if (r->on_delete)
		r->on_delete(r->on_delete_ctx, p);
	lpm_delete(&ra->lpm, p->b, p->plen, p->id, p->parent ? p->parent->id : 0);
	for (q = RB_NEXT(pfx_tree, &ra->tree, p); q && pfx_covers(p, q); q = pfx_after(&ra->tree, q))
		if (q->parent == p)
			q->parent = p->parent;
	RB_REMOVE(pfx_tree, &ra->tree, p);
	rate_forget(r, p);
	ra->n--;
	r->removed++;
	p->flags = PFX_FREE;
	p->parent = r->freelist;
	r->freelist = p;
}

/* ---- Routes and best path ---- */

/* BGP's order, as far as one router's view allows: local preference, AS path
 * length, origin, MED, then the lowest peer address as the tie break. */
static int route_better(const struct rib *r, const struct rroute *a, const struct rroute *b)
{
	const struct path *x = a->path, *y = b->path;
	if (x->localpref != y->localpref)
		return x->localpref > y->localpref;
	if (x->hops != y->hops)
		return x->hops < y->hops;
	if (x->origin != y->origin)
		return x->origin < y->origin;
	if (x->med != y->med)
		return x->med < y->med;
	return addr_cmp(&r->peers[a->peer].addr, &r->peers[b->peer].addr) < 0;
}

static void rebest(const struct rib *r, struct pfx *p)
{
	struct rroute **bp = &p->routes, **pp;

	if (!p->routes || !p->routes->next)
		return;
	for (pp = &p->routes->next; *pp; pp = &(*pp)->next)
		if (route_better(r, *pp, *bp))
			bp = pp;
	if (bp != &p->routes) {
		struct rroute *b = *bp;
		*bp = b->next;
		b->next = p->routes;
		p->routes = b;
	}
}

static struct rroute *rroute_alloc(struct rib *r)
{
	struct rroute *rr;

	if (!r->rfree) {
		/* Slabs of 1024: no per-route malloc header. */
		struct rroute *v = calloc(1024, sizeof(*v));
		void **sl = reallocarray(r->slabs, r->nslabs + 1, sizeof(*sl));
		if (!v || !sl) {
			free(v);
			if (sl)
				r->slabs = sl;
			return NULL;
		}
		r->slabs = sl;
		r->slabs[r->nslabs++] = v;
		for (int i = 0; i < 1024; i++) {
			v[i].next = r->rfree;
			r->rfree = &v[i];
		}
	}
	rr = r->rfree;
	r->rfree = rr->next;
	memset(rr, 0, sizeof(*rr));
	return rr;
}

static void rroute_free(struct rib *r, struct rroute *rr)
{
	path_put(r, rr->path);
	rr->path = NULL;
	rr->next = r->rfree;
	r->rfree = rr;
}

int rib_peer(struct rib *r, int input, const struct ar_addr *addr)
{
	struct ar_addr none = { 0 };
	const struct ar_addr *a = addr ? addr : &none;
	struct peer *v;

	for (size_t i = 0; i < r->npeers; i++)
		if (r->peers[i].input == input && !memcmp(&r->peers[i].addr, a, sizeof(*a)))
			return (int)i;
	if (r->npeers >= 65535)
		return -1;
	v = reallocarray(r->peers, r->npeers + 1, sizeof(*v));
	if (!v)
		return -1;
	r->peers = v;
	memset(&v[r->npeers], 0, sizeof(v[0]));
	v[r->npeers].addr = *a;
	v[r->npeers].input = input;
	v[r->npeers].gen = 1;
	return (int)r->npeers++;
}

static void route_unlink(struct rib *r, struct pfx *p, struct rroute **pp)
{
	struct rroute *rr = *pp;
	*pp = rr->next;
	r->peers[rr->peer].routes--;
	rroute_free(r, rr);
	if (!p->routes)
		pfx_remove(r, p);
	else
		rebest(r, p);
}

int rib_update(struct rib *r, int pi, const struct rec_route *rt)
{
	const struct ar_prefix *pr = &rt->prefix;
	struct rroute **pp, *rr;
	struct pfx *p;

	if ((pr->a.af != AR_AF4 && pr->a.af != AR_AF6) || pr->plen > addr_bits(pr->a.af))
		return -1;
	p = rib_find(r, pr);
	if (rt->op == ROUTE_DEL) {
		r->route_dels++;
		if (!p)
			return 0;
		for (pp = &p->routes; *pp; pp = &(*pp)->next)
			if ((*pp)->peer == pi) {
				route_unlink(r, p, pp);
				break;
			}
		return 0;
	}
	r->route_adds++;
	struct path *path = path_get(r, rt);
	if (!path)
		return -1;
	if (!p && !(p = pfx_insert(r, pr))) {
		path_put(r, path);
		return -1;
	}
	for (rr = p->routes; rr; rr = rr->next)
		if (rr->peer == pi)
			break;
	if (rr) {
		path_put(r, rr->path);
	} else {
		if (!(rr = rroute_alloc(r))) {
			path_put(r, path);
			return -1;
		}
		rr->peer = (uint16_t)pi;
		rr->next = p->routes;
		p->routes = rr;
		r->peers[pi].routes++;
	}
	rr->path = path;
	rr->gen = r->peers[pi].gen;
	rebest(r, p);
	return 0;
}

void rib_sweep(struct rib *r, int pi)
{
	uint32_t gen = r->peers[pi].gen;

	for (int i = 0; i < 2; i++) {
		struct pfx *p, *n;
		for (p = RB_MIN(pfx_tree, &r->af[i].tree); p; p = n) {
			struct rroute **pp;
			n = RB_NEXT(pfx_tree, &r->af[i].tree, p);
			for (pp = &p->routes; *pp; pp = &(*pp)->next) {
				if ((*pp)->peer == pi && (*pp)->gen != gen) {
					route_unlink(r, p, pp);
					break;  /* one route per peer per prefix */
				}
			}
		}
	}
}

void rib_sync_begin(struct rib *r, int pi)
{
	r->peers[pi].gen++;
	r->peers[pi].syncing = true;
}

void rib_sync_end(struct rib *r, int pi)
{
	struct peer *pe = &r->peers[pi];

	if (!pe->syncing)
		return;         /* an end without its begin: nothing to sweep against */
	pe->syncing = false;
	pe->stale = false;
	rib_sweep(r, pi);
}

void rib_peer_down(struct rib *r, int pi, uint64_t now, uint64_t grace_ms)
{
	struct peer *pe = &r->peers[pi];

	pe->syncing = false;            /* an unfinished complete state is void */
	pe->gen++;                      /* what it had is now stale */
	if (!pe->stale)
		pe->stale_until = now + grace_ms;
	pe->stale = true;
	if (grace_ms == 0)
		rib_expire(r, now);
}

int rib_expire(struct rib *r, uint64_t now)
{
	int n = 0;

	for (size_t i = 0; i < r->npeers; i++) {
		struct peer *pe = &r->peers[i];
		if (pe->stale && now >= pe->stale_until) {
			log_info("peer %zu: grace time over, sweeping its stale routes", i);
			pe->stale = false;
			rib_sweep(r, (int)i);
			n++;
		}
	}
	return n;
}

void rib_free(struct rib *r)
{
	for (int i = 0; i < 2; i++) {
		lpm_free(&r->af[i].lpm);
		free(r->af[i].active);
	}
	for (uint32_t c = 0; c < r->nchunks; c++) {
		for (uint32_t j = 0; j < PFX_CHUNK; j++) {
			struct pfx *p = &r->chunks[c][j];
			struct rroute *rr, *n;
			if (p->flags & PFX_FREE)
				continue;
			for (rr = p->routes; rr; rr = n) {
				n = rr->next;
				path_put(r, rr->path);
			}
		}
		free(r->chunks[c]);
	}
	free(r->chunks);
	free(r->paths);
	free(r->peers);
	for (size_t i = 0; i < r->nslabs; i++)
		free(r->slabs[i]);
	free(r->slabs);
	memset(r, 0, sizeof(*r));
}
