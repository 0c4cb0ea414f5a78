/* Announce direction: route records from the input become UPDATEs.
 * The Adj-RIB-Out keeps per prefix what we want the peer to have and what
 * it has; attribute sets are interned so that prefixes sharing them pack
 * into one UPDATE. A complete state between sync markers (collected by
 * common/collect.c, which drops an unfinished one) is applied at its end
 * by mark and sweep; records outside the markers are changes. */
#include <stdlib.h>
#include <string.h>

#include "rib-out.h"

static int ent_cmp(const struct ro_ent *a, const struct ro_ent *b)
{
	return prefix_cmp(&a->p, &b->p);
}

static int attr_cmp(const struct ro_attr *a, const struct ro_attr *b)
{
	int c = addr_cmp(&a->nh, &b->nh);
	if (c)
		return c;
	if (a->self != b->self)
		return a->self ? 1 : -1;
	if ((c = addr_cmp(&a->nhll, &b->nhll)))
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->blob, b->blob, a->len);
}

RB_GENERATE_STATIC(ro_tree, ro_ent, e, ent_cmp)
RB_GENERATE_STATIC(ra_tree, ro_attr, e, attr_cmp)

struct ribout *ribout_new(void)
{
	struct ribout *ro = calloc(1, sizeof *ro);
	if (!ro)
		return NULL;
	RB_INIT(&ro->t);
	RB_INIT(&ro->attrs);
	TAILQ_INIT(&ro->dirty);
	return ro;
}

size_t ribout_count(const struct ribout *ro) { return ro->n; }

bool ribout_has_work(const struct ribout *ro)
{
	return !TAILQ_EMPTY(&ro->dirty) || ro->eor4 || ro->eor6 || ro->eorr4 || ro->eorr6;
}

void ro_attr_unref(struct ribout *ro, struct ro_attr *a)
{
	if (a && --a->refs == 0) {
		RB_REMOVE(ra_tree, &ro->attrs, a);
		free(a);
	}
}

struct ro_attr *ro_attr_ref(struct ro_attr *a)
{
	if (a)
		a->refs++;
	return a;
}

void ribout_free(struct ribout *ro)
{
	struct ro_ent *e, *nx;

	if (!ro)
		return;
	RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
		RB_REMOVE(ro_tree, &ro->t, e);
		ro_attr_unref(ro, e->want);
		ro_attr_unref(ro, e->sent);
		ro_attr_unref(ro, e->staged);
		free(e);
	}
	free(ro);
}

static struct ro_attr *attr_intern(struct ribout *ro, bool self, const struct ar_addr *nh,
				   const struct ar_addr *nhll, const uint8_t *blob, size_t len)
{
	struct ro_attr *key = malloc(sizeof *key + len), *found;

	if (!key)
		return NULL;
	memset(key, 0, sizeof *key);
	key->self = self;
	key->nh = *nh;
	key->nhll = *nhll;
	key->len = (uint16_t)len;
	memcpy(key->blob, blob, len);
	found = RB_FIND(ra_tree, &ro->attrs, key);
	if (found) {
		free(key);
		return found;
	}
	RB_INSERT(ra_tree, &ro->attrs, key);
	return key;
}

void ro_mark(struct ribout *ro, struct ro_ent *e)
{
	bool d = e->want != e->sent || (e->held && !e->want);
	if (d && !e->dirty)
		TAILQ_INSERT_TAIL(&ro->dirty, e, dq);
	else if (!d && e->dirty)
		TAILQ_REMOVE(&ro->dirty, e, dq);
	e->dirty = d;
}

void ro_maybe_free(struct ribout *ro, struct ro_ent *e)
{
	if (e->want || e->sent || e->staged || e->dirty || e->held)
		return;
	RB_REMOVE(ro_tree, &ro->t, e);
	ro->n--;
	free(e);
}

static void set_want(struct ribout *ro, struct ro_ent *e, struct ro_attr *a)
{
	ro_attr_ref(a);
	ro_attr_unref(ro, e->want);
	e->want = a;
	ro_mark(ro, e);
}

static struct ro_ent *ent_get(struct ribout *ro, const struct ar_prefix *p, bool create)
{
	struct ro_ent key, *e;

	key.p = *p;
	e = RB_FIND(ro_tree, &ro->t, &key);
	if (e || !create)
		return e;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->p = *p;
	RB_INSERT(ro_tree, &ro->t, e);
	ro->n++;
	return e;
}

/* A queue built from a whole table at once (a complete state's sweep, a
 * session coming up) is in prefix order, covers first: put it in an order
 * that neither hides nor overfills the peer's table, as route-push orders
 * its changes: withdrawals first, covers before what they cover (what they
 * uncover falls to the default route, or to a route about to go), then
 * announcements, more-specifics before their covers. Ties keep their
 * place. Without memory the queue stays as it is. */
struct ord { struct ro_ent *e; size_t i; };

static int ord_cmp(const void *x, const void *y)
{
	const struct ord *a = x, *b = y;
	bool wa = !a->e->want, wb = !b->e->want;

	if (wa != wb)
		return wa ? -1 : 1;
	if (a->e->p.plen != b->e->p.plen)
		return (a->e->p.plen < b->e->p.plen) == wa ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void order_dirty(struct ribout *ro)
{
	struct ro_ent *e;
	struct ord *v;
	size_t n = 0, i;

	TAILQ_FOREACH(e, &ro->dirty, dq)
		n++;
	if (n < 2 || !(v = malloc(n * sizeof *v)))
		return;
	i = 0;
	TAILQ_FOREACH(e, &ro->dirty, dq) {
		v[i].e = e;
		v[i].i = i;
		i++;
	}
	qsort(v, n, sizeof *v, ord_cmp);
	TAILQ_INIT(&ro->dirty);
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(&ro->dirty, v[i].e, dq);
	free(v);
}

/* The attribute set of an announced route, or NULL (logged) when the
 * record cannot be announced. A route without a next hop of its family,
 * or every route with --next-hop-self, gets ours when its UPDATE is built
 * (ro_nh_for()): a record read before the session is up is not lost. */
static struct ro_attr *route_attr(struct speaker *s, const struct rec_route *r)
{
	struct ribout *ro = s->ro;
	struct ar_addr nh, nhll;
	uint8_t blob[BGP_MAX_LEN];
	size_t len;
	char pb[AR_PREFIX_STRLEN];
	int af = r->prefix.a.af;
	bool ibgp = s->cfg.peer_as ? s->cfg.peer_as == s->cfg.local_as : s->ctx.ibgp;
	bool self = s->cfg.next_hop_self || !REC_HAS(r, ROUTE_NEXTHOP) || r->nexthop.af != af;

	memset(&nh, 0, sizeof nh);
	memset(&nhll, 0, sizeof nhll);
	if (!self) {
		nh = r->nexthop;
		if (af == AR_AF6 && REC_HAS(r, ROUTE_NEXTHOPLL) && r->nexthopll.af == AR_AF6)
			nhll = r->nexthopll;
	}
	len = attrs_encode(blob, sizeof blob, r, s->cfg.local_as, ibgp);
	if (len == 0) {
		ro->skipped++;
		log_rl(&ro->rl, LOG_WARN, "route %s: attributes too large or AS path malformed",
		       prefix_fmt(&r->prefix, pb, sizeof pb));
		return NULL;
	}
	return attr_intern(ro, self, &nh, &nhll, blob, len);
}

/* The next hops an attribute set goes out with on this session: false
 * when it needs ours and the session has none of the family (an IPv6
 * route on an IPv4 session whose interface has no IPv6 address). */
bool ro_nh_for(const struct speaker *s, const struct ro_attr *a, int af,
		  struct ar_addr *nh, struct ar_addr *nhll)
{
	memset(nhll, 0, sizeof *nhll);
	if (!a->self) {
		*nh = a->nh;
		*nhll = a->nhll;
		return true;
	}
	*nh = af == AR_AF4 ? s->nh4 : s->nh6;
	return nh->af == af;
}

/* One route of a complete state as the collector keeps it: a NULL
 * attribute set says "not in the state" (a del, or one we cannot announce,
 * which must then not stay announced). The item holds a reference. */
struct ro_item {
	struct ar_prefix p;
	struct ro_attr *a;
};

static bool family_on(const struct speaker *s, int af)
{
	return (af == AR_AF4 && s->cfg.ipv4) || (af == AR_AF6 && s->cfg.ipv6);
}

/* The attribute set a record asks for, NULL for a withdrawal (or a route
 * that cannot be announced: make sure it is not). */
static struct ro_attr *record_attr(struct speaker *s, const struct rec_route *rt)
{
	bool add = !REC_HAS(rt, ROUTE_OP) || rt->op == ROUTE_ADD;

	return add ? route_attr(s, rt) : NULL;
}

static int state_take(void *arg, const struct rec *r, void *item)
{
	struct speaker *s = arg;
	struct ro_item *it = item;

	if (r->type != REC_ROUTE || !REC_HAS(&r->u.route, ROUTE_PREFIX) ||
	    !family_on(s, r->u.route.prefix.a.af))
		return 0;
	it->p = r->u.route.prefix;
	it->a = ro_attr_ref(record_attr(s, &r->u.route));
	return 1;
}

static void state_release(void *arg, void *items, size_t n)
{
	struct speaker *s = arg;
	struct ro_item *v = items;

	for (size_t i = 0; i < n; i++)
		ro_attr_unref(s->ro, v[i].a);
}

/* Mark, in the order the records came (a later record of a prefix wins),
 * then sweep: what the state does not hold is withdrawn. */
static void state_complete(void *arg, struct collect_set *set)
{
	struct speaker *s = arg;
	struct ribout *ro = s->ro;
	struct ro_item *v = set->v;
	struct ro_ent *e, *nx;

	ro->gen++;
	for (size_t i = 0; i < set->n; i++) {
		e = ent_get(ro, &v[i].p, v[i].a != NULL);
		if (!e) {
			ro_attr_unref(ro, v[i].a);
			continue;
		}
		ro_attr_unref(ro, e->staged);
		e->staged = v[i].a;
		e->gen = v[i].a ? ro->gen : ro->gen - 1;
		ro_maybe_free(ro, e);
	}
	RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
		struct ro_attr *a = e->gen == ro->gen ? e->staged : NULL;
		set_want(ro, e, a);
		ro_attr_unref(ro, e->staged);
		e->staged = NULL;
		/* the first state after a start: what the peer may still hold
		 * from our previous process (route-push sends it so) */
		if (!ro->first_state && a && !e->sent)
			e->held = true;
		ro_maybe_free(ro, e);
	}
	ro->first_state = true;
	order_dirty(ro);
}

const struct collect_ops ribout_state = {
	sizeof(struct ro_item), state_take, state_complete, state_release
};

/* A change: a record outside the sync markers. */
void ribout_record(struct speaker *s, const struct rec *r)
{
	struct ribout *ro = s->ro;
	struct ro_ent *e;

	if (r->type != REC_ROUTE || !REC_HAS(&r->u.route, ROUTE_PREFIX))
		return;
	const struct rec_route *rt = &r->u.route;
	if (!family_on(s, rt->prefix.a.af))
		return;
	struct ro_attr *a = record_attr(s, rt);
	e = ent_get(ro, &rt->prefix, a != NULL);
	if (!e)
		return;
	ro_attr_ref(a);
	set_want(ro, e, a);
	ro_attr_unref(ro, a);
	ro_maybe_free(ro, e);
}

void ribout_session_up(struct speaker *s)
{
	struct ribout *ro = s->ro;
	struct ro_ent *e, *nx;

	nexthop_session_up(s);
	RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
		/* the last session's routes may be kept stale by the peer */
		if (e->sent)
			e->held = true;
		ro_attr_unref(ro, e->sent);
		e->sent = NULL;
		e->nosend = false;
		ro_mark(ro, e);
		ro_maybe_free(ro, e);
	}
	order_dirty(ro);
	ro->eor4 = s->ctx.v4;
	ro->eor6 = s->ctx.v6;
	ro->eorr4 = ro->eorr6 = false;
	ribout_pump(s);
}

void ribout_session_down(struct speaker *s)
{
	(void)s;        /* what was sent is forgotten at the next session_up */
}

void ribout_refresh(struct speaker *s, uint16_t afi)
{
	struct ribout *ro = s->ro;
	struct ro_ent *e;
	int af = afi == AFI_IPV4 ? AR_AF4 : afi == AFI_IPV6 ? AR_AF6 : 0;

	if (!af)
		return;
	log_info("neighbor %s: route refresh for %s requested", s->peername,
		 af == AR_AF4 ? "IPv4" : "IPv6");
	if (s->err && ro_send_rr_marker(s, afi, 1) < 0)     /* BoRR */
		return;
	/* pending withdrawals stay pending: the peer still has those routes */
	RB_FOREACH(e, ro_tree, &ro->t) {
		if (e->p.a.af != af || !e->want)
			continue;
		ro_attr_unref(ro, e->sent);
		e->sent = NULL;
		ro_mark(ro, e);
	}
	order_dirty(ro);
	if (s->err) {
		if (af == AR_AF4)
			ro->eorr4 = true;
		else
			ro->eorr6 = true;
	}
	ribout_pump(s);
}
