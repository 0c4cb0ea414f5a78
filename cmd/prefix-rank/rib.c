/* The RIB: per prefix the route of each peer, best first; interned path
 * attributes; peers with generations for mark-and-sweep and grace. */
#include <float.h>
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

static unsigned plen_of(void *ctx, uint32_t id)
{
	return rib_byid(ctx, id)->plen;
}

int rib_init(struct rib *r, double tau)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2; i++)
		if (lpm_init(&r->af[i].lpm, i ? 128 : 32, LPM_STRIDE, plen_of, r) < 0)
			return -1;
	r->nextid = 1;                  /* id 0 is "no route" in the LPM */
	r->af[0].hot_min = r->af[1].hot_min = FLT_MAX;  /* no fast path before a tick */
	r->nkeys6 = r->nrr = r->npathv = 1;     /* index 0 means none */
	r->tau = tau;
	r->scale = 1;
	r->tcache = UINT64_MAX;
	r->cappaths = 1024;
	r->paths = calloc(r->cappaths, sizeof(*r->paths));
	return r->paths ? 0 : -1;
}

void pfx_key(const struct rib *r, const struct pfx *p, uint8_t out[16])
{
	if (p->af == AR_AF4) {
		memset(out, 0, 16);
		out[0] = (uint8_t)(p->k >> 24);
		out[1] = (uint8_t)(p->k >> 16);
		out[2] = (uint8_t)(p->k >> 8);
		out[3] = (uint8_t)p->k;
	} else {
		memcpy(out, r->keys6[p->k], 16);
	}
}

void pfx_prefix(const struct rib *r, const struct pfx *p, struct ar_prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->a.af = p->af;
	pfx_key(r, p, out->a.b);
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
	if (r->npathfree) {
		k->pid = r->pathfree[--r->npathfree];
	} else {
		if (r->npathv >= r->cappathv) {
			uint32_t cap = r->cappathv ? r->cappathv * 2 : 1024;
			struct path **v = reallocarray(r->pathv, cap, sizeof(*v));
			uint32_t *f = reallocarray(r->pathfree, cap, sizeof(*f));
			if (f)
				r->pathfree = f;
			if (!v || !f) {
				if (v)
					r->pathv = v;
				free(k);
				return NULL;
			}
			r->pathv = v;
			r->cappathv = cap;
		}
		k->pid = r->npathv++;
	}
	r->pathv[k->pid] = k;
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
	r->pathv[p->pid] = NULL;
	r->pathfree[r->npathfree++] = p->pid;   /* room: one per id ever made */
	free(p);
}

size_t rib_paths(const struct rib *r) { return r->npaths; }

void rib_path_hold(struct rib *r, uint32_t pid) { r->pathv[pid]->refs++; }
void rib_path_release(struct rib *r, uint32_t pid) { path_put(r, r->pathv[pid]); }

bool nh_same(const struct path *a, const struct path *b)
{
	return !memcmp(&a->nexthop, &b->nexthop, sizeof(a->nexthop));
}


/* ---- Prefix storage: chunks addressed by id, so the LPM holds 31-bit ids ---- */

static struct pfx *pfx_alloc(struct rib *r)
{
	struct pfx *p;
	uint32_t id;

	if (r->freelist) {
		id = r->freelist;
		p = rib_byid(r, id);
		r->freelist = p->parent;
	} else {
		uint32_t c = r->nextid / PFX_CHUNK;
		if (r->nextid >= (LPM_CHILD - 1))
			return NULL;
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
		id = r->nextid++;
		p = rib_byid(r, id);
	}
	memset(p, 0, sizeof(*p));
	p->id = id;
	return p;
}

static void pfx_release(struct rib *r, struct pfx *p)
{
	if (p->af == AR_AF6 && p->k) {
		memcpy(r->keys6[p->k], &r->free6, sizeof(r->free6));
		r->free6 = p->k;
	}
	p->flags = PFX_FREE;
	p->parent = r->freelist;
	r->freelist = p->id;
}

static uint32_t key6_alloc(struct rib *r)
{
	uint32_t k;

	if (r->free6) {
		k = r->free6;
		memcpy(&r->free6, r->keys6[k], sizeof(r->free6));
		return k;
	}
	if (r->nkeys6 >= r->capkeys6) {
		uint32_t cap = r->capkeys6 ? r->capkeys6 * 2 : 1024;
		uint8_t (*v)[16] = reallocarray(r->keys6, cap, 16);
		if (!v)
			return 0;
		r->keys6 = v;
		r->capkeys6 = cap;
	}
	return r->nkeys6++;
}

struct pfx *rib_next(const struct rib *r, int af, const struct pfx *p)
{
	for (uint32_t id = p ? p->id + 1 : 1; id < r->nextid; id++) {
		struct pfx *q = rib_byid(r, id);
		if (!(q->flags & PFX_FREE) && q->af == af)
			return q;
	}
	return NULL;
}

/* The key masked to its length: host bits never tell prefixes apart. */
static void key_of(const struct ar_prefix *pr, uint8_t k[16])
{
	unsigned n = addr_len(&pr->a);

	memset(k, 0, 16);
	memcpy(k, pr->a.b, n);
	for (unsigned b = pr->plen; b < n * 8; b++)
		k[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
}

/* The longest RIB prefix of length <= plen containing the key's first
 * address: up the parent chain from the LPM's answer. */
static struct pfx *cover_of(struct rib *r, struct rib_af *ra, const uint8_t *k, unsigned plen)
{
	struct pfx *q = pfx_get(r, lpm_lookup(&ra->lpm, k));

	while (q && q->plen > plen)
		q = pfx_parent(r, q);
	return q;
}

struct pfx *rib_find(struct rib *r, const struct ar_prefix *pr)
{
	uint8_t k[16];
	struct pfx *q;

	if ((pr->a.af != AR_AF4 && pr->a.af != AR_AF6) || pr->plen > addr_bits(pr->a.af))
		return NULL;
	key_of(pr, k);
	q = cover_of(r, &r->af[af_idx(pr->a.af)], k, pr->plen);
	return q && q->plen == pr->plen ? q : NULL;
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

bool pfx_covers(const struct rib *r, const struct pfx *o, const struct pfx *i)
{
	unsigned n = o->plen;
	uint64_t d;

	if (o->plen > i->plen)
		return false;
	if (n == 0)
		return true;
	if (o->af == AR_AF4)
		return ((o->k ^ i->k) >> (32 - n)) == 0;
	const uint8_t *a = r->keys6[o->k], *b = r->keys6[i->k];
	d = be64(a) ^ be64(b);
	if (n <= 64)
		return (d >> (64 - n)) == 0;
	if (d)
		return false;
	d = be64(a + 8) ^ be64(b + 8);
	return (d >> (128 - n)) == 0;
}

/* ---- The prefix tree ---- */

static void child_push(struct pfx *par, struct pfx *c)
{
	c->parent = par ? par->id : 0;
	if (par) {
		c->sib = par->child;
		par->child = c->id;
	} else {
		c->sib = 0;             /* top-level prefixes are in no list */
	}
}

static void child_unlink(struct rib *r, struct pfx *c)
{
	struct pfx *par = pfx_parent(r, c);
	uint32_t *pp;

	if (!par)
		return;
	for (pp = &par->child; *pp && *pp != c->id; pp = &rib_byid(r, *pp)->sib)
		;
	if (*pp)
		*pp = c->sib;
	c->sib = 0;
}

/* While p is being added: every slot of its range holds the longest prefix
 * there; those inside p lead up their parent chains to p's future
 * children (the topmost inside p), whose parent is still p's parent. */
struct adopt {
	struct rib *r;
	struct pfx *p;
	uint32_t up;                    /* p's parent id */
	uint32_t last;
	size_t n;                       /* adopted out of up's child list */
};

static void adopt_one(void *ctx, uint32_t id)
{
	struct adopt *a = ctx;
	struct pfx *c;

	if (!id || id == a->last)
		return;
	a->last = id;
	c = rib_byid(a->r, id);
	if (c->plen <= a->p->plen)
		return;                 /* p's parent or above: covers all of p */
	while (c->parent && c->parent != a->up && c->parent != a->p->id)
		c = rib_byid(a->r, c->parent);
	if (c->parent != a->up)
		return;                 /* adopted already */
	if (!a->up) {
		child_push(a->p, c);    /* top-level prefixes are in no list */
	} else {
		c->parent = a->p->id;   /* moved to p's list after the visit */
		a->n++;
	}
}

/* One pass over the old parent's children for all the adopted ones. */
static void adopt_finish(struct rib *r, struct adopt *a)
{
	uint32_t *pp;

	if (!a->n)
		return;
	for (pp = &rib_byid(r, a->up)->child; *pp;) {
		struct pfx *c = rib_byid(r, *pp);
		if (c->parent == a->p->id) {
			*pp = c->sib;
			child_push(a->p, c);
		} else {
			pp = &c->sib;
		}
	}
}

static struct pfx *pfx_insert(struct rib *r, const struct ar_prefix *pr, const uint8_t *k)
{
	struct rib_af *ra = &r->af[af_idx(pr->a.af)];
	struct pfx *p = pfx_alloc(r), *parent;

	if (!p)
		return NULL;
	p->af = pr->a.af;
	p->plen = pr->plen;
	if (p->af == AR_AF4) {
		p->k = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	} else {
		if (!(p->k = key6_alloc(r))) {
			pfx_release(r, p);
			return NULL;
		}
		memcpy(r->keys6[p->k], k, 16);
	}
	parent = cover_of(r, ra, k, p->plen);
	struct adopt ad = { r, p, parent ? parent->id : 0, 0, 0 };
	lpm_visit(&ra->lpm, k, p->plen, adopt_one, &ad);
	adopt_finish(r, &ad);
	if (lpm_insert(&ra->lpm, k, p->plen, p->id) < 0) {
		/* Give the adopted children back. */
		for (struct pfx *c = pfx_get(r, p->child), *n; c; c = n) {
			n = pfx_get(r, c->sib);
			child_push(parent, c);
		}
		pfx_release(r, p);
		return NULL;
	}
	child_push(parent, p);
	ra->n++;
	r->added++;
	return p;
}

static void pfx_remove(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];
	struct pfx *par = pfx_parent(r, p);
	uint8_t k[16];

	if (r->on_delete)
		r->on_delete(r->on_delete_ctx, p);
	pfx_key(r, p, k);
	lpm_delete(&ra->lpm, k, p->plen, p->id, p->parent);
	child_unlink(r, p);
	for (struct pfx *c = pfx_get(r, p->child), *n; c; c = n) {
		n = pfx_get(r, c->sib);
		child_push(par, c);
	}
	rate_forget(r, p);
	ra->n--;
	r->removed++;
	pfx_release(r, p);
}

/* ---- Routes and best path ---- */

/* BGP's order, as far as one router's view allows: local preference, AS path
 * length, origin, MED, then the lowest peer address as the tie break. */
static int route_better(const struct rib *r, const struct rslot *a, const struct rslot *b)
{
	const struct path *x = r->pathv[a->path], *y = r->pathv[b->path];
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

const struct rslot *pfx_route_at(const struct rib *r, const struct pfx *p, unsigned n)
{
	uint32_t i;

	if (n == 0)
		return p->r0.path ? &p->r0 : NULL;
	for (i = p->more; i && --n; i = r->rr[i].next)
		;
	return i ? &r->rr[i].s : NULL;
}

/* The best route into r0 (a swap with the list entry that beats it). */
static void rebest(const struct rib *r, struct pfx *p)
{
	struct rslot *b = &p->r0, t;

	for (uint32_t i = p->more; i; i = r->rr[i].next)
		if (route_better(r, &r->rr[i].s, b))
			b = &r->rr[i].s;
	if (b != &p->r0) {
		t = *b;
		*b = p->r0;
		p->r0 = t;
	}
}

static uint32_t rroute_alloc(struct rib *r)
{
	uint32_t i;

	if (r->rrfree) {
		i = r->rrfree;
		r->rrfree = r->rr[i].next;
	} else {
		if (r->nrr >= r->caprr) {
			uint32_t cap = r->caprr ? r->caprr * 2 : 1024;
			struct rroute *v = reallocarray(r->rr, cap, sizeof(*v));
			if (!v)
				return 0;
			r->rr = v;
			r->caprr = cap;
		}
		i = r->nrr++;
	}
	memset(&r->rr[i], 0, sizeof(r->rr[i]));
	return i;
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

/* Drop peer pi's route from p (which may leave the RIB). */
static void route_drop(struct rib *r, struct pfx *p, uint16_t pi)
{
	struct rslot *s = NULL;
	uint32_t *ip, i;

	if (p->r0.path && p->r0.peer == pi) {
		s = &p->r0;
		path_put(r, r->pathv[s->path]);
		if ((i = p->more)) {
			p->r0 = r->rr[i].s;
			p->more = r->rr[i].next;
			r->rr[i].next = r->rrfree;
			r->rrfree = i;
		} else {
			p->r0.path = 0;
		}
	} else {
		for (ip = &p->more; *ip && r->rr[*ip].s.peer != pi; ip = &r->rr[*ip].next)
			;
		if (!(i = *ip))
			return;
		path_put(r, r->pathv[r->rr[i].s.path]);
		*ip = r->rr[i].next;
		r->rr[i].next = r->rrfree;
		r->rrfree = i;
	}
	r->peers[pi].routes--;
	if (!p->r0.path)
		pfx_remove(r, p);
	else
		rebest(r, p);
}

static struct rslot *route_of(struct rib *r, struct pfx *p, uint16_t pi)
{
	if (p->r0.path && p->r0.peer == pi)
		return &p->r0;
	for (uint32_t i = p->more; i; i = r->rr[i].next)
		if (r->rr[i].s.peer == pi)
			return &r->rr[i].s;
	return NULL;
}

int rib_update(struct rib *r, int pi, const struct rec_route *rt)
{
	const struct ar_prefix *pr = &rt->prefix;
	struct rslot *s;
	struct pfx *p;
	uint8_t k[16];

	if ((pr->a.af != AR_AF4 && pr->a.af != AR_AF6) || pr->plen > addr_bits(pr->a.af))
		return -1;
	rate_flush(r);          /* samples before the change count as they matched then */
	key_of(pr, k);
	p = cover_of(r, &r->af[af_idx(pr->a.af)], k, pr->plen);
	if (p && p->plen != pr->plen)
		p = NULL;
	if (rt->op == ROUTE_DEL) {
		r->route_dels++;
		if (p)
			route_drop(r, p, (uint16_t)pi);
		return 0;
	}
	r->route_adds++;
	struct path *path = path_get(r, rt);
	if (!path)
		return -1;
	if (!p && !(p = pfx_insert(r, pr, k))) {
		path_put(r, path);
		return -1;
	}
	if ((s = route_of(r, p, (uint16_t)pi))) {
		path_put(r, r->pathv[s->path]);
	} else if (!p->r0.path) {
		s = &p->r0;
		s->peer = (uint16_t)pi;
		r->peers[pi].routes++;
	} else {
		uint32_t i = rroute_alloc(r);
		if (!i) {
			path_put(r, path);
			return -1;
		}
		r->rr[i].next = p->more;
		p->more = i;
		s = &r->rr[i].s;
		s->peer = (uint16_t)pi;
		r->peers[pi].routes++;
	}
	s->path = path->pid;
	s->gen = (uint16_t)r->peers[pi].gen;
	rebest(r, p);
	return 0;
}

void rib_sweep(struct rib *r, int pi)
{
	uint16_t gen = (uint16_t)r->peers[pi].gen;

	rate_flush(r);
	for (uint32_t id = 1; id < r->nextid; id++) {
		struct pfx *p = rib_byid(r, id);
		struct rslot *s;
		if (p->flags & PFX_FREE)
			continue;
		if ((s = route_of(r, p, (uint16_t)pi)) && s->gen != gen)
			route_drop(r, p, (uint16_t)pi);
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

size_t rib_bytes(const struct rib *r)
{
	return (size_t)r->nchunks * PFX_CHUNK * sizeof(struct pfx) + (size_t)r->capkeys6 * 16 +
	       (size_t)r->caprr * sizeof(struct rroute) + lpm_bytes(&r->af[0].lpm) +
	       lpm_bytes(&r->af[1].lpm);
}

void rib_free(struct rib *r)
{
	for (int i = 0; i < 2; i++) {
		lpm_free(&r->af[i].lpm);
		free(r->af[i].active);
		free(r->af[i].cand);
		free(r->af[i].hot);
	}
	for (uint32_t id = 1; id < r->nextid; id++) {
		struct pfx *p = rib_byid(r, id);
		if (p->flags & PFX_FREE)
			continue;
		if (p->r0.path)
			path_put(r, r->pathv[p->r0.path]);
		for (uint32_t i = p->more; i; i = r->rr[i].next)
			path_put(r, r->pathv[r->rr[i].s.path]);
	}
	for (uint32_t c = 0; c < r->nchunks; c++)
		free(r->chunks[c]);
	free(r->chunks);
	free(r->paths);
	free(r->pathv);
	free(r->pathfree);
	free(r->keys6);
	free(r->rr);
	free(r->peers);
	memset(r, 0, sizeof(*r));
}
