/* The RIB's interned path attributes: a full table shares a few hundred
 * thousand, so each is kept once, found by hash, counted by reference and
 * known by a small id (what the route slots and the delta ledger hold). */
#include <stdlib.h>
#include <string.h>

#include "rib-int.h"

/* A word at a time: a byte-wise hash over the AS path was a tenth of a
 * full table's load (every route hashes its path, most paths repeat). */
static inline uint64_t mix(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint32_t path_hash(const struct path *k)
{
	uint32_t n = k->naspath + k->ncomm + k->nlcomm, i;
	uint64_t a, b, h = n;

	memcpy(&a, k->nexthop.b, 8);
	memcpy(&b, k->nexthop.b + 8, 8);
	h = mix(h, a);
	h = mix(h, b);
	h = mix(h, (uint64_t)k->nexthop.af << 8 | k->origin);
	h = mix(h, (uint64_t)k->med << 32 | k->localpref);
	/* the counts apart, so [a, b | c] and [a | b, c] differ */
	h = mix(h, (uint64_t)k->naspath << 32 | k->ncomm);
	for (i = 0; i + 1 < n; i += 2)
		h = mix(h, (uint64_t)k->v[i] << 32 | k->v[i + 1]);
	if (i < n)
		h = mix(h, k->v[i]);
	return (uint32_t)(h * 0x9e3779b97f4a7c15ull >> 32);
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

struct path *path_get(struct rib *r, const struct rec_route *rt)
{
	uint32_t n = rt->aspath.n + rt->communities.n + rt->lcommunities.n;
	/* The key on the stack when it fits: most paths are found, not new. */
	union { struct path p; uint8_t b[sizeof(struct path) + 64 * 4]; } kbuf;
	struct path *big = n > 64 ? malloc(sizeof(*big) + (size_t)n * 4) : NULL;
	struct path *k = big ? big : &kbuf.p, *p;

	if (n > 64 && !big)
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
			free(big);
			p->refs++;
			return p;
		}
	}
	if (!(p = malloc(sizeof(*p) + (size_t)n * 4))) {
		free(big);
		return NULL;
	}
	memcpy(p, k, sizeof(*p) + (size_t)n * 4);
	free(big);
	k = p;
	/* at most half full: every route looks its path up */
	if (r->npaths * 2 >= r->cappaths && paths_grow(r) < 0) {
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

void path_put(struct rib *r, struct path *p)
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
