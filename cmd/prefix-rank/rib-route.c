/* The RIB's routes: per prefix the route of each peer, the best one first
 * (BGP's order); peers with generations for mark-and-sweep, and a grace
 * time for the routes of a peer that went down. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rib-int.h"

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

int route_put(struct rib *r, struct pfx *p, uint16_t pi, uint32_t pid, uint16_t gen)
{
	struct rslot *s;

	if ((s = route_of(r, p, pi))) {
		path_put(r, r->pathv[s->path]);
	} else if (!p->r0.path) {
		s = &p->r0;
		s->peer = pi;
		r->peers[pi].routes++;
	} else {
		uint32_t i = rroute_alloc(r);
		if (!i)
			return -1;
		r->rr[i].next = p->more;
		p->more = i;
		s = &r->rr[i].s;
		s->peer = pi;
		r->peers[pi].routes++;
	}
	s->path = pid;
	s->gen = gen;
	rebest(r, p);
	return 0;
}

int rib_update(struct rib *r, int pi, const struct rec_route *rt)
{
	const struct ar_prefix *pr = &rt->prefix;
	int ai = af_idx(pr->a.af);
	struct pfx *p;
	uint8_t k[16];

	if ((pr->a.af != AR_AF4 && pr->a.af != AR_AF6) || pr->plen > addr_bits(pr->a.af))
		return -1;
	rate_flush(r);          /* samples before the change count as they matched then */
	key_of(pr, k);
	if (rt->op == ROUTE_ADD && bulk_takes(r, ai)) {
		struct path *path = path_get(r, rt);
		r->route_adds++;
		if (!path)
			return -1;
		if (bulk_add(r, ai, pr, k, (uint16_t)pi, path) < 0) {
			path_put(r, path);
			return -1;
		}
		return 0;
	}
	if (r->bulk)
		bulk_settle(r, ai);
	p = cover_of(r, &r->af[ai], k, pr->plen);
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
	if (route_put(r, p, (uint16_t)pi, path->pid, (uint16_t)r->peers[pi].gen) < 0) {
		path_put(r, path);
		return -1;
	}
	return 0;
}

size_t rib_sweep(struct rib *r, int pi)
{
	uint16_t gen = (uint16_t)r->peers[pi].gen;
	size_t n = 0;

	rib_settle(r);
	rate_flush(r);
	for (uint32_t id = 1; id < r->nextid; id++) {
		struct pfx *p = rib_byid(r, id);
		struct rslot *s;
		if (p->flags & PFX_FREE)
			continue;
		if ((s = route_of(r, p, (uint16_t)pi)) && s->gen != gen) {
			route_drop(r, p, (uint16_t)pi);
			n++;
		}
	}
	return n;
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
			char a[64];
			pe->stale = false;
			size_t swept = rib_sweep(r, (int)i);
			log_info("peer %s: grace time over: %zu stale routes swept",
				 pe->addr.af ? addr_fmt(&pe->addr, a, sizeof(a)) : "(unnamed)", swept);
			n++;
		}
	}
	return n;
}
