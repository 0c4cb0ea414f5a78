/* UPDATEs from the Adj-RIB-Out: what the peer should have and does not,
 * withdrawals first, announcements grouped by attribute set, as many
 * prefixes per UPDATE as fit; End-of-RIB and End-of-Route-Refresh when the
 * queue drains. Built while the send buffer has room. */
#include <stdlib.h>
#include <string.h>

#include "rib-out.h"

#define PUMP_BATCH 4096
#define NLRI_MAX 17             /* a /128: length byte + 16 */
#define NLRI4_MAX 5             /* a /32 */

static void sent_done(struct speaker *s, struct ro_ent *e)
{
	struct ribout *ro = s->ro;
	e->nosend = false;
	e->held = false;                /* the peer now has what we said */
	ro_attr_ref(e->want);
	ro_attr_unref(ro, e->sent);
	e->sent = e->want;
	ro_mark(ro, e);
	ro_maybe_free(ro, e);
}

/* The header goes in front of the body in w; -1 when the session could
 * not take it (closed). */
static int send_update(struct speaker *s, struct wr *w)
{
	if (w->full) {
		sess_close(s, ERR_CEASE, ERR_CEASE_RESOURCES, NULL, 0, "UPDATE larger than built for");
		return -1;
	}
	bgp_hdr_put(w->p, w->n, BGP_UPDATE);
	if (sess_send(s, w->p, w->n) < 0)
		return -1;
	s->updates_out++;
	return 0;
}

int ro_send_rr_marker(struct speaker *s, uint16_t afi, uint8_t sub)
{
	uint8_t m[32];
	return sess_send(s, m, bgp_rr_build(m, sizeof m, afi, SAFI_UNICAST, sub));
}

/* Withdrawals of one family, as many per UPDATE as fit: IPv4 in the
 * withdrawn routes field, IPv6 in MP_UNREACH_NLRI (RFC 4760 4). */
static int pack_withdraw(struct speaker *s, struct ro_ent **v, size_t n, int af)
{
	uint8_t m[BGP_EXT_MAX_LEN];
	size_t max = s->ctx.max_len, i = 0;

	while (i < n) {
		struct wr w = wr_init(m, max);
		size_t wlen, alen = 0, mplen = 0, start;

		wr_hole(&w, BGP_HDR_LEN);
		wlen = wr_hole(&w, 2);
		if (af == AR_AF6) {
			alen = wr_hole(&w, 2);
			wr_u8(&w, BAF_OPTIONAL | BAF_EXTLEN);
			wr_u8(&w, ATTR_MP_UNREACH);
			mplen = wr_hole(&w, 2);
			wr_u16(&w, AFI_IPV6);
			wr_u8(&w, SAFI_UNICAST);
		}
		start = w.n;
		/* IPv4 keeps room for the attribute length after the prefixes */
		while (i < n && w.n + NLRI_MAX + (af == AR_AF4 ? 2 : 0) <= max) {
			bgp_nlri_put(&w, &v[i]->p);
			sent_done(s, v[i]);
			i++;
		}
		if (af == AR_AF4) {
			wr_put16_at(&w, wlen, w.n - start);
			wr_u16(&w, 0);  /* no attributes */
		} else {
			wr_put16_at(&w, wlen, 0);
			wr_put16_at(&w, alen, w.n - alen - 2);
			wr_put16_at(&w, mplen, w.n - mplen - 2);
		}
		if (send_update(s, &w) < 0)
			return -1;
	}
	return 0;
}

/* Cannot be sent: not announced, and withdrawn if the peer has an older
 * version (ro_mark() queues that withdrawal). */
static void too_big(struct speaker *s, struct ro_ent **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s->ro->skipped++;
		ro_attr_unref(s->ro, v[i]->want);
		v[i]->want = NULL;
		ro_mark(s->ro, v[i]);
		ro_maybe_free(s->ro, v[i]);
	}
}

/* Announcements sharing one attribute set, as many per UPDATE as fit. */
static int pack_announce(struct speaker *s, struct ro_ent **v, size_t n)
{
	uint8_t m[BGP_EXT_MAX_LEN], blob2[BGP_MAX_LEN * 2];
	const struct ro_attr *a = v[0]->want;
	const uint8_t *blob = a->blob;
	size_t blen = a->len, max = s->ctx.max_len, i = 0;
	int af = v[0]->p.a.af;
	struct ar_addr nh, nhll;

	ro_nh_for(s, a, af, &nh, &nhll);        /* the caller checked it */
	if (!s->ctx.as4) {
		blen = attrs_to_as2(blob2, sizeof blob2, a->blob, a->len);
		blob = blob2;
	}
	while (i < n) {
		struct wr w = wr_init(m, max);
		size_t alen, astart;

		wr_hole(&w, BGP_HDR_LEN);
		wr_u16(&w, 0);          /* no withdrawn routes */
		alen = wr_hole(&w, 2);
		astart = w.n;
		if (af == AR_AF4) {
			if (w.n + blen + 7 + NLRI4_MAX > max) {
				too_big(s, v + i, n - i);
				return 0;
			}
			wr_bytes(&w, blob, blen);
			attr_hdr(&w, BAF_TRANSITIVE, ATTR_NEXT_HOP, 4);
			wr_bytes(&w, nh.b, 4);
			wr_put16_at(&w, alen, w.n - astart);
			while (i < n && w.n + NLRI4_MAX <= max) {
				bgp_nlri_put(&w, &v[i]->p);
				sent_done(s, v[i]);
				i++;
			}
		} else {
			/* RFC 2545 3: global, or global and link-local */
			size_t nhl = nhll.af ? 32 : 16, mplen;
			if (w.n + 4 + 5 + nhl + blen + NLRI_MAX > max) {
				too_big(s, v + i, n - i);
				return 0;
			}
			wr_u8(&w, BAF_OPTIONAL | BAF_EXTLEN);
			wr_u8(&w, ATTR_MP_REACH);
			mplen = wr_hole(&w, 2);
			wr_u16(&w, AFI_IPV6);
			wr_u8(&w, SAFI_UNICAST);
			wr_u8(&w, (uint8_t)nhl);
			wr_bytes(&w, nh.b, 16);
			if (nhl == 32)
				wr_bytes(&w, nhll.b, 16);
			wr_u8(&w, 0);   /* reserved */
			while (i < n && w.n + NLRI_MAX + blen <= max) {
				bgp_nlri_put(&w, &v[i]->p);
				sent_done(s, v[i]);
				i++;
			}
			wr_put16_at(&w, mplen, w.n - mplen - 2);
			wr_bytes(&w, blob, blen);
			wr_put16_at(&w, alen, w.n - astart);
		}
		if (send_update(s, &w) < 0)
			return -1;
	}
	return 0;
}

static bool is_withdraw(const struct ro_ent *e) { return !e->want || e->nosend; }

/* Whether the route has a next hop on this session; logged when not. The
 * route stays wanted: the next session may have one. */
static bool announceable(struct speaker *s, const struct ro_ent *e)
{
	struct ar_addr nh, nhll;
	char pb[AR_PREFIX_STRLEN];
	int af = e->p.a.af;

	if (ro_nh_for(s, e->want, af, &nh, &nhll))
		return true;
	s->ro->skipped++;
	log_rl(&s->ro->rl, LOG_WARN, "route %s: no %s next hop on this session to announce it with",
	       prefix_fmt(&e->p, pb, sizeof pb), af == AR_AF4 ? "IPv4" : "IPv6");
	return false;
}

/* RFC 4724 2: an UPDATE with nothing in it for IPv4, an empty
 * MP_UNREACH_NLRI for IPv6 */
static int send_eor(struct speaker *s, uint16_t afi)
{
	uint8_t m[BGP_HDR_LEN + 16];
	struct wr w = wr_init(m, sizeof m);

	wr_hole(&w, BGP_HDR_LEN);
	wr_u16(&w, 0);
	if (afi == AFI_IPV4) {
		wr_u16(&w, 0);
	} else {
		wr_u16(&w, 6);
		attr_hdr(&w, BAF_OPTIONAL, ATTR_MP_UNREACH, 3);
		wr_u16(&w, AFI_IPV6);
		wr_u8(&w, SAFI_UNICAST);
	}
	return send_update(s, &w);
}

/* One batch off the dirty queue, in its order: the queue holds the
 * changes as route-push ordered them (more-specifics announced before
 * their covers, covers withdrawn first, withdrawals that make room before
 * the announcements that need it), and the peer, BIRD, applies them in
 * the order they come, straight to the kernel. Reordering them (all
 * withdrawals first, announcements by attribute set) showed in the
 * switch's `ip monitor` as routes hidden under their covers for a moment.
 * Consecutive changes of one kind (and attribute set) share an UPDATE.
 * 0, or -1 when the session closed. */
static int pump_batch(struct speaker *s)
{
	static struct ro_ent *batch[PUMP_BATCH];
	struct ribout *ro = s->ro;
	size_t n = 0, i;
	struct ro_ent *e;

	while (n < PUMP_BATCH && (e = TAILQ_FIRST(&ro->dirty))) {
		TAILQ_REMOVE(&ro->dirty, e, dq);
		e->dirty = false;
		if ((e->p.a.af == AR_AF4 && !s->ctx.v4) || (e->p.a.af == AR_AF6 && !s->ctx.v6)) {
			e->held = false;        /* the peer has no such family with us */
			ro_maybe_free(ro, e);
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
	}
	for (i = 0; i < n; ) {
		size_t k = i + 1;
		bool w = is_withdraw(batch[i]);
		int af = batch[i]->p.a.af;
		while (k < n && batch[k]->p.a.af == af && is_withdraw(batch[k]) == w &&
		       (w || batch[k]->want == batch[i]->want))
			k++;
		if ((w ? pack_withdraw(s, batch + i, k - i, af) : pack_announce(s, batch + i, k - i)) < 0)
			return -1;
		i = k;
	}
	return 0;
}

/* The markers owed once the queue is empty; -1 when the session closed. */
static int pump_markers(struct ribout *ro, struct speaker *s)
{
	if (ro->eor4 && send_eor(s, AFI_IPV4) < 0)
		return -1;
	ro->eor4 = false;
	if (ro->eor6 && send_eor(s, AFI_IPV6) < 0)
		return -1;
	ro->eor6 = false;
	if (ro->eorr4 && ro_send_rr_marker(s, AFI_IPV4, 2) < 0)
		return -1;
	ro->eorr4 = false;
	if (ro->eorr6 && ro_send_rr_marker(s, AFI_IPV6, 2) < 0)
		return -1;
	ro->eorr6 = false;
	return 0;
}

void ribout_pump(struct speaker *s)
{
	struct ribout *ro = s->ro;

	if (s->st != ST_ESTABLISHED)
		return;
	while (!sess_send_busy(s) && !TAILQ_EMPTY(&ro->dirty))
		if (pump_batch(s) < 0)
			return;
	if (TAILQ_EMPTY(&ro->dirty) && pump_markers(ro, s) < 0)
		return;
	if (sess_connected(s) && (conn_pending(&s->c) || ribout_has_work(ro)))
		sess_poll(s);
}
