/* Announce direction: route records from the input become UPDATEs.
 * The Adj-RIB-Out keeps per prefix what we want the peer to have and what
 * it has; attribute sets are interned so that prefixes sharing them pack
 * into one UPDATE. A complete state between sync markers is staged and
 * applied at its end (mark and sweep); an unfinished one is dropped. */
/* libbsd's RB_GENERATE_STATIC marks its functions __unused */
#ifndef __unused
#define __unused __attribute__((unused))
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include "speaker.h"

#define PUMP_BATCH 4096

struct ro_attr {
	RB_ENTRY(ro_attr) e;
	uint32_t refs;
	bool self;                      /* our next hop, chosen per session */
	struct ar_addr nh, nhll;        /* the record's, unless self */
	uint16_t len;
	uint8_t blob[];
};

struct ro_ent {
	RB_ENTRY(ro_ent) e;
	TAILQ_ENTRY(ro_ent) dq;
	struct ar_prefix p;
	struct ro_attr *want, *sent, *staged;
	uint32_t gen;                   /* snapshot that staged it */
	bool dirty;
	bool nosend;                    /* wanted, but not on this session: withdrawn */
};

RB_HEAD(ro_tree, ro_ent);
RB_HEAD(ra_tree, ro_attr);
TAILQ_HEAD(ro_list, ro_ent);

struct ribout {
	struct ro_tree t;
	struct ra_tree attrs;
	struct ro_list dirty;
	size_t n;
	bool in_snap;
	uint32_t gen;
	bool eor4, eor6;                /* End-of-RIB owed after the dirty list drains */
	bool eorr4, eorr6;              /* End-of-Route-Refresh owed (RFC 7313) */
	uint64_t skipped;
	struct log_rl rl;
};

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

static void attr_unref(struct ribout *ro, struct ro_attr *a)
{
	if (a && --a->refs == 0) {
		RB_REMOVE(ra_tree, &ro->attrs, a);
		free(a);
	}
}

static struct ro_attr *attr_ref(struct ro_attr *a)
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
		attr_unref(ro, e->want);
		attr_unref(ro, e->sent);
		attr_unref(ro, e->staged);
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

static void mark(struct ribout *ro, struct ro_ent *e)
{
	bool d = e->want != e->sent;
	if (d && !e->dirty)
		TAILQ_INSERT_TAIL(&ro->dirty, e, dq);
	else if (!d && e->dirty)
		TAILQ_REMOVE(&ro->dirty, e, dq);
	e->dirty = d;
}

static void maybe_free(struct ribout *ro, struct ro_ent *e)
{
	if (e->want || e->sent || e->staged || e->dirty)
		return;
	RB_REMOVE(ro_tree, &ro->t, e);
	ro->n--;
	free(e);
}

static void set_want(struct ribout *ro, struct ro_ent *e, struct ro_attr *a)
{
	attr_ref(a);
	attr_unref(ro, e->want);
	e->want = a;
	mark(ro, e);
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

/* The attribute set of an announced route, or NULL (logged) when the
 * record cannot be announced. A route without a next hop of its family,
 * or every route with --next-hop-self, gets ours when its UPDATE is built
 * (nh_for()): a record read before the session is up is not lost. */
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
static bool nh_for(const struct speaker *s, const struct ro_attr *a, int af,
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

static void snap_drop(struct ribout *ro)
{
	struct ro_ent *e, *nx;

	RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
		if (e->staged) {
			attr_unref(ro, e->staged);
			e->staged = NULL;
			maybe_free(ro, e);
		}
	}
}

void ribout_record(struct speaker *s, const struct rec *r)
{
	struct ribout *ro = s->ro;
	struct ro_ent *e, *nx;

	if (r->type == REC_SYNC) {
		if (r->u.sync.phase == SYNC_BEGIN) {
			if (ro->in_snap) {
				log_warn("input: sync begin inside a snapshot: the unfinished one is dropped");
				snap_drop(ro);
			}
			ro->in_snap = true;
			ro->gen++;
			return;
		}
		if (!ro->in_snap) {
			log_warn("input: sync end without begin: ignored");
			return;
		}
		/* sweep: what the snapshot did not hold is withdrawn */
		RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
			struct ro_attr *a = e->gen == ro->gen ? e->staged : NULL;
			set_want(ro, e, a);
			attr_unref(ro, e->staged);
			e->staged = NULL;
			maybe_free(ro, e);
		}
		ro->in_snap = false;
		return;
	}
	if (r->type != REC_ROUTE || !REC_HAS(&r->u.route, ROUTE_PREFIX))
		return;
	const struct rec_route *rt = &r->u.route;
	int af = rt->prefix.a.af;
	if ((af == AR_AF4 && !s->cfg.ipv4) || (af == AR_AF6 && !s->cfg.ipv6))
		return;
	struct ro_attr *a = NULL;
	bool add = !REC_HAS(rt, ROUTE_OP) || rt->op == ROUTE_ADD;
	if (add && !(a = route_attr(s, rt)))
		add = false;    /* cannot announce it: make sure it is not announced */
	e = ent_get(ro, &rt->prefix, add);
	if (!e)
		return;
	attr_ref(a);
	if (ro->in_snap) {
		attr_unref(ro, e->staged);
		e->staged = a;
		e->gen = add ? ro->gen : ro->gen - 1;
		maybe_free(ro, e);
		return;
	}
	set_want(ro, e, a);
	attr_unref(ro, a);
	maybe_free(ro, e);
}

void ribout_input_eof(struct speaker *s)
{
	if (s->ro->in_snap) {
		log_warn("input: end of input inside a snapshot: the unfinished one is dropped");
		snap_drop(s->ro);
		s->ro->in_snap = false;
	}
}

void ribout_session_up(struct speaker *s)
{
	struct ribout *ro = s->ro;
	struct ro_ent *e, *nx;

	nexthop_session_up(s);
	RB_FOREACH_SAFE(e, ro_tree, &ro->t, nx) {
		attr_unref(ro, e->sent);
		e->sent = NULL;
		e->nosend = false;
		mark(ro, e);
		maybe_free(ro, e);
	}
	ro->eor4 = s->ctx.v4;
	ro->eor6 = s->ctx.v6;
	ro->eorr4 = ro->eorr6 = false;
	ribout_pump(s);
}

void ribout_session_down(struct speaker *s)
{
	(void)s;        /* what was sent is forgotten at the next session_up */
}

static void send_rr_marker(struct speaker *s, uint16_t afi, uint8_t sub)
{
	uint8_t m[32];
	sess_send(s, m, bgp_rr_build(m, sizeof m, afi, SAFI_UNICAST, sub));
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
	if (s->err)
		send_rr_marker(s, afi, 1);      /* BoRR */
	/* pending withdrawals stay pending: the peer still has those routes */
	RB_FOREACH(e, ro_tree, &ro->t) {
		if (e->p.a.af != af || !e->want)
			continue;
		attr_unref(ro, e->sent);
		e->sent = NULL;
		mark(ro, e);
	}
	if (s->err) {
		if (af == AR_AF4)
			ro->eorr4 = true;
		else
			ro->eorr6 = true;
	}
	ribout_pump(s);
}

static void put16(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8); p[1] = v & 0xff; }

static void sent_done(struct speaker *s, struct ro_ent *e)
{
	struct ribout *ro = s->ro;
	e->nosend = false;
	attr_ref(e->want);
	attr_unref(ro, e->sent);
	e->sent = e->want;
	mark(ro, e);
	maybe_free(ro, e);
}

static void send_update(struct speaker *s, uint8_t *m, size_t len)
{
	bgp_hdr_put(m, len, BGP_UPDATE);
	sess_send(s, m, len);
	s->updates_out++;
}

/* Withdrawals of one family, as many per UPDATE as fit. */
static void pack_withdraw(struct speaker *s, struct ro_ent **v, size_t n, int af)
{
	uint8_t m[BGP_EXT_MAX_LEN];
	size_t max = s->ctx.max_len, i = 0;
	/* IPv4: withdrawn routes field; IPv6: MP_UNREACH_NLRI (RFC 4760 4) */
	size_t base = af == AR_AF4 ? BGP_HDR_LEN + 2 : BGP_HDR_LEN + 2 + 2 + 4 + 3;

	while (i < n) {
		size_t o = base;
		while (i < n && o + 17 <= max - (af == AR_AF4 ? 2 : 0)) {
			o += bgp_nlri_put(m + o, max - o, &v[i]->p);
			sent_done(s, v[i]);
			i++;
		}
		if (af == AR_AF4) {
			put16(m + BGP_HDR_LEN, o - base);
			put16(m + o, 0);        /* no attributes */
			o += 2;
		} else {
			put16(m + BGP_HDR_LEN, 0);
			put16(m + BGP_HDR_LEN + 2, o - (BGP_HDR_LEN + 4));
			m[BGP_HDR_LEN + 4] = AF_OPTIONAL | AF_EXTLEN;
			m[BGP_HDR_LEN + 5] = ATTR_MP_UNREACH;
			put16(m + BGP_HDR_LEN + 6, o - (BGP_HDR_LEN + 8));
			put16(m + BGP_HDR_LEN + 8, AFI_IPV6);
			m[BGP_HDR_LEN + 10] = SAFI_UNICAST;
		}
		send_update(s, m, o);
	}
}

/* Announcements sharing one attribute set, as many per UPDATE as fit. */
static void pack_announce(struct speaker *s, struct ro_ent **v, size_t n)
{
	uint8_t m[BGP_EXT_MAX_LEN], blob2[BGP_MAX_LEN * 2];
	const struct ro_attr *a = v[0]->want;
	const uint8_t *blob = a->blob;
	size_t blen = a->len, max = s->ctx.max_len, i = 0;
	int af = v[0]->p.a.af;
	struct ar_addr nh, nhll;

	nh_for(s, a, af, &nh, &nhll);   /* the caller checked it */

	if (!s->ctx.as4) {
		blen = attrs_to_as2(blob2, sizeof blob2, a->blob, a->len);
		blob = blob2;
	}
	while (i < n) {
		size_t o = BGP_HDR_LEN + 4, astart = o, mpstart = 0;
		if (af == AR_AF4) {
			if (o + blen + 7 > max)
				goto too_big;
			memcpy(m + o, blob, blen);
			o += blen;
			m[o++] = AF_TRANSITIVE;
			m[o++] = ATTR_NEXT_HOP;
			m[o++] = 4;
			memcpy(m + o, nh.b, 4);
			o += 4;
			put16(m + BGP_HDR_LEN + 2, o - astart);
			while (i < n && o + 5 <= max) {
				o += bgp_nlri_put(m + o, max - o, &v[i]->p);
				sent_done(s, v[i]);
				i++;
			}
		} else {
			size_t nhl = nhll.af ? 32 : 16;
			if (o + 4 + 5 + nhl + blen + 17 > max)
				goto too_big;
			mpstart = o;
			m[o++] = AF_OPTIONAL | AF_EXTLEN;
			m[o++] = ATTR_MP_REACH;
			o += 2;
			put16(m + o, AFI_IPV6);
			m[o + 2] = SAFI_UNICAST;
			m[o + 3] = (uint8_t)nhl;
			o += 4;
			memcpy(m + o, nh.b, 16);
			if (nhl == 32)
				memcpy(m + o + 16, nhll.b, 16);
			o += nhl;
			m[o++] = 0;
			while (i < n && o + 17 + blen <= max) {
				o += bgp_nlri_put(m + o, max - o, &v[i]->p);
				sent_done(s, v[i]);
				i++;
			}
			put16(m + mpstart + 2, o - (mpstart + 4));
			memcpy(m + o, blob, blen);
			o += blen;
			put16(m + BGP_HDR_LEN + 2, o - astart);
		}
		put16(m + BGP_HDR_LEN, 0);
		send_update(s, m, o);
	}
	return;
too_big:
	/* cannot be sent: not announced, and withdrawn if the peer has an
	 * older version (mark() queues that withdrawal) */
	for (; i < n; i++) {
		s->ro->skipped++;
		attr_unref(s->ro, v[i]->want);
		v[i]->want = NULL;
		mark(s->ro, v[i]);
		maybe_free(s->ro, v[i]);
	}
}

static bool is_withdraw(const struct ro_ent *e) { return !e->want || e->nosend; }

/* Whether the route has a next hop on this session; logged when not. The
 * route stays wanted: the next session may have one. */
static bool announceable(struct speaker *s, const struct ro_ent *e)
{
	struct ar_addr nh, nhll;
	char pb[AR_PREFIX_STRLEN];
	int af = e->p.a.af;

	if (nh_for(s, e->want, af, &nh, &nhll))
		return true;
	s->ro->skipped++;
	log_rl(&s->ro->rl, LOG_WARN, "route %s: no %s next hop on this session to announce it with",
	       prefix_fmt(&e->p, pb, sizeof pb), af == AR_AF4 ? "IPv4" : "IPv6");
	return false;
}

static int by_attr(const void *x, const void *y)
{
	const struct ro_ent *a = *(struct ro_ent *const *)x, *b = *(struct ro_ent *const *)y;
	if (a->p.a.af != b->p.a.af)
		return a->p.a.af < b->p.a.af ? -1 : 1;
	if (a->want != b->want)
		return (uintptr_t)a->want < (uintptr_t)b->want ? -1 : 1;
	return prefix_cmp(&a->p, &b->p);
}

static void send_eor(struct speaker *s, uint16_t afi)
{
	uint8_t m[BGP_HDR_LEN + 16];
	size_t o = BGP_HDR_LEN;

	put16(m + o, 0);
	if (afi == AFI_IPV4) {
		put16(m + o + 2, 0);
		o += 4;
	} else {
		put16(m + o + 2, 6);
		m[o + 4] = AF_OPTIONAL;
		m[o + 5] = ATTR_MP_UNREACH;
		m[o + 6] = 3;
		put16(m + o + 7, AFI_IPV6);
		m[o + 9] = SAFI_UNICAST;
		o += 10;
	}
	send_update(s, m, o);
}

void ribout_pump(struct speaker *s)
{
	struct ribout *ro = s->ro;
	static struct ro_ent *batch[PUMP_BATCH];

	if (s->st != ST_ESTABLISHED)
		return;
	while (!sess_send_busy(s) && !TAILQ_EMPTY(&ro->dirty)) {
		size_t n = 0, nw4 = 0, nw6 = 0, i, j;
		struct ro_ent *e;

		/* withdrawals first (v4, v6), then announcements grouped by
		 * attribute set; families the session lacks are dropped */
		while (n < PUMP_BATCH && (e = TAILQ_FIRST(&ro->dirty))) {
			TAILQ_REMOVE(&ro->dirty, e, dq);
			e->dirty = false;
			if ((e->p.a.af == AR_AF4 && !s->ctx.v4) || (e->p.a.af == AR_AF6 && !s->ctx.v6)) {
				maybe_free(ro, e);
				continue;
			}
			if (e->want && !announceable(s, e)) {
				if (!e->sent) {
					sent_done(s, e);        /* nothing to tell the peer */
					continue;
				}
				/* the peer has an older version: it goes */
				e->nosend = true;
			}
			batch[n++] = e;
			e->dirty = true;        /* until sent_done */
		}
		/* partition: withdrawals v4 | withdrawals v6 | announcements */
		for (i = 0, j = 0; i < n; i++)
			if (is_withdraw(batch[i]) && batch[i]->p.a.af == AR_AF4) {
				e = batch[i]; batch[i] = batch[j]; batch[j++] = e;
			}
		nw4 = j;
		for (i = j; i < n; i++)
			if (is_withdraw(batch[i])) {
				e = batch[i]; batch[i] = batch[j]; batch[j++] = e;
			}
		nw6 = j - nw4;
		for (i = 0; i < n; i++)
			batch[i]->dirty = false;        /* sent_done re-marks if needed */
		if (nw4)
			pack_withdraw(s, batch, nw4, AR_AF4);
		if (nw6)
			pack_withdraw(s, batch + nw4, nw6, AR_AF6);
		qsort(batch + j, n - j, sizeof batch[0], by_attr);
		for (i = j; i < n; ) {
			size_t k = i + 1;
			while (k < n && batch[k]->want == batch[i]->want && batch[k]->p.a.af == batch[i]->p.a.af)
				k++;
			pack_announce(s, batch + i, k - i);
			i = k;
		}
	}
	if (TAILQ_EMPTY(&ro->dirty)) {
		if (ro->eor4) { send_eor(s, AFI_IPV4); ro->eor4 = false; }
		if (ro->eor6) { send_eor(s, AFI_IPV6); ro->eor6 = false; }
		if (ro->eorr4) { send_rr_marker(s, AFI_IPV4, 2); ro->eorr4 = false; }
		if (ro->eorr6) { send_rr_marker(s, AFI_IPV6, 2); ro->eorr6 = false; }
	}
	if (s->fd >= 0 && (s->olen > s->ooff || ribout_has_work(ro)))
		sess_poll(s);
}
