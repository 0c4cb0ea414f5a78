/* Learn direction: routes from the session become records on the output.
 * No Adj-RIB-In is kept: a reopened output gets the complete table again by
 * (enhanced) route refresh toward the peer (RFC 2918, RFC 7313). Only the
 * prefixes are (rib-keys.c), to check an End-of-RIB against them. */
#include <stdlib.h>
#include <string.h>

#include "rib-keys.h"
#include "speaker.h"

/* An End-of-RIB is not always the end: FRR 8.4 sends it before it has
 * re-learned its own feeds (after its restart, or with two clients coming
 * up at once), holding a few percent of its table. The sync end would have
 * the readers sweep every route not yet sent again. So when prefixes the
 * readers hold have not been announced again at End-of-RIB, the sync end
 * waits until at most 1/HOLD_SHARE of the table is still missing and no
 * UPDATE came for HOLD_QUIET_MS, or until --eor-hold seconds are over; it
 * comes at once when nothing is missing (a peer that does it right, or the
 * first table). No peer's timing is trusted: a table that shrank for real
 * is swept at the bound. */
#define HOLD_QUIET_MS 1000
#define HOLD_SHARE 16

static bool out_ok(const struct speaker *s) { return s->out && out_up(s->out); }

/* How long the table may stay quiet before we take it as complete. A peer
 * without graceful restart may never send End-of-RIB (GoBGP does not), so
 * it gets at most 5 s. */
static ar_msec eor_quiet_ms(const struct speaker *s)
{
	unsigned t = s->cfg.eor_timeout;
	if (!s->theirs.gr && t > 5)
		t = 5;
	return (ar_msec)t * 1000;
}

/* Reading the peer again once the output takes records (sess_poll()
 * stopped it while the reader was slow or gone). */
static void resume(struct speaker *s)
{
	if (s->out_paused && out_takes(s->out) && sess_connected(s)) {
		s->out_paused = false;
		sess_poll(s);
	}
}

/* Called after a batch of records: push them out; the rest waits for the
 * reader (out.c). */
void learn_output_ready(struct speaker *s)
{
	if (!s->out)
		return;
	out_flush(s->out);
	resume(s);
}

static void write_peer(struct speaker *s, bool up, const char *reason)
{
	struct rec_peer p;

	memset(&p, 0, sizeof p);
	p.state = up ? PEER_UP : PEER_DOWN;
	REC_SET(&p, PEER_STATE);
	p.peer = s->peer_addr;
	REC_SET(&p, PEER_PEER);
	if (s->theirs.as) {
		p.as = s->theirs.as;
		REC_SET(&p, PEER_AS);
		p.id.af = AR_AF4;
		p.id.b[0] = s->theirs.id >> 24;
		p.id.b[1] = s->theirs.id >> 16;
		p.id.b[2] = s->theirs.id >> 8;
		p.id.b[3] = s->theirs.id;
		REC_SET(&p, PEER_ID);
	}
	if (up) {
		p.hold = s->hold;
		REC_SET(&p, PEER_HOLD);
	}
	if (reason) {
		p.reason = reason;
		REC_SET(&p, PEER_REASON);
	}
	rw_peer(out_w(s->out), &p);
}

static void write_sync(struct speaker *s, enum sync_phase ph)
{
	struct rec_sync y;

	memset(&y, 0, sizeof y);
	y.phase = ph;
	REC_SET(&y, SYNC_PHASE);
	y.peer = s->peer_addr;
	REC_SET(&y, SYNC_PEER);
	rw_sync(out_w(s->out), &y);
}

static void begin_table(struct speaker *s)
{
	write_peer(s, true, NULL);
	write_sync(s, SYNC_BEGIN);
	s->in_sync = true;
	s->table_routes = 0;
	s->eor_held = false;
	rk_begin(s->keys);
	s->eor4 = !s->ctx.v4;
	s->eor6 = !s->ctx.v6;
	ev_timer_after(s->loop, &s->t_eor, eor_quiet_ms(s));
	sess_nudge(s);
}

static void end_table(struct speaker *s, const char *why)
{
	if (!s->in_sync)
		return;
	write_sync(s, SYNC_END);
	s->in_sync = false;
	s->refresh_wait = false;
	s->eor_held = false;
	ev_timer_stop(s->loop, &s->t_eor);
	log_info("neighbor %s: complete table delivered (%s): %llu routes, %llu from before swept, the last UPDATE %llu ms before",
		 s->peername, why, (unsigned long long)s->table_routes,
		 (unsigned long long)rk_absent(s->keys),
		 (unsigned long long)(ev_now() - s->last_update));
	learn_output_ready(s);
}

/* The restarting peer's routes go: a peer down record and an empty
 * complete state, so that readers drop them now rather than after their
 * own grace time. */
static void gr_flush(struct speaker *s, const char *why)
{
	log_warn("neighbor %s: graceful restart: %s: its routes withdrawn", s->peername, why);
	s->gr_stale = false;
	ev_timer_stop(s->loop, &s->t_gr);
	rk_free(&s->keys);
	if (!out_ok(s))
		return;
	write_peer(s, false, why);
	write_sync(s, SYNC_BEGIN);
	write_sync(s, SYNC_END);
	learn_output_ready(s);
}

void learn_gr_hold(struct speaker *s, const char *reason)
{
	s->in_sync = false;
	s->refresh_wait = false;
	s->eor_held = false;
	ev_timer_stop(s->loop, &s->t_eor);
	s->gr_stale = true;
	ev_timer_after(s->loop, &s->t_gr, (ar_msec)s->theirs.gr_time * 1000);
	log_warn("neighbor %s: graceful restart (%s): its routes kept for up to %u s",
		 s->peername, reason, s->theirs.gr_time);
}

void learn_gr_expire(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	(void)l;
	if (s->gr_stale)
		gr_flush(s, "restart time expired");
}

/* SIGTERM while the peer restarts: it is down as far as we know. */
void learn_stop(struct speaker *s)
{
	rk_free(&s->keys);
	if (!s->gr_stale)
		return;
	s->gr_stale = false;
	if (out_ok(s))
		write_peer(s, false, "shutting down during the peer's graceful restart");
}

void learn_up(struct speaker *s)
{
	s->refresh_wait = false;
	if (s->gr_stale) {
		const struct bgp_open *o = &s->theirs;
		/* RFC 4724 4.2: back in time; routes of a family whose
		 * forwarding state was not kept go at once, the rest are
		 * replaced by the new table, at its End-of-RIB */
		ev_timer_stop(s->loop, &s->t_gr);
		s->gr_stale = false;
		if (!o->gr || (s->ctx.v4 && !o->gr4_fwd) || (s->ctx.v6 && !o->gr6_fwd))
			gr_flush(s, "back without its forwarding state");
		else
			log_info("neighbor %s: graceful restart: back, stale routes replaced at End-of-RIB",
				 s->peername);
	}
	if (!out_ok(s))
		return;         /* the reopen sends the whole table */
	begin_table(s);
	learn_output_ready(s);
}

void learn_down(struct speaker *s, const char *reason)
{
	s->in_sync = false;
	s->refresh_wait = false;
	s->eor_held = false;
	ev_timer_stop(s->loop, &s->t_eor);
	if (!out_ok(s))
		return;
	write_peer(s, false, reason);
	learn_output_ready(s);
}

/* While a sync end is held: wake when the table has been quiet, or at
 * the bound. */
static void hold_arm(struct speaker *s)
{
	ar_msec q = ev_now() + HOLD_QUIET_MS;
	ev_timer_at(s->loop, &s->t_eor, q < s->hold_until ? q : s->hold_until);
}

static bool few_absent(const struct speaker *s)
{
	return rk_absent(s->keys) * HOLD_SHARE <= rk_count(s->keys);
}

void learn_note_update(struct speaker *s)
{
	s->last_update = ev_now();
	if (s->in_sync && s->eor_held)
		hold_arm(s);
	else if (s->in_sync)
		ev_timer_after(s->loop, &s->t_eor, eor_quiet_ms(s));
}

void learn_route(void *arg, const struct ar_prefix *p, const struct bgp_attrs *a)
{
	struct speaker *s = arg;
	struct rec_route r;

	/* the keys follow the peer even while no reader is there: the
	 * reopen's refresh is checked against what the readers kept */
	if (!a)
		rk_del(s->keys, p);
	else if (rk_add(&s->keys, p) < 0)
		log_rl(&s->rl_attr, LOG_WARN, "neighbor %s: out of memory for the table's keys",
		       s->peername);
	if (!out_ok(s))
		return;
	memset(&r, 0, sizeof r);
	r.prefix = *p;
	REC_SET(&r, ROUTE_OP);
	REC_SET(&r, ROUTE_PREFIX);
	r.peer = s->peer_addr;
	REC_SET(&r, ROUTE_PEER);
	if (!a) {
		r.op = ROUTE_DEL;
		s->withdraws_in++;
		rw_route(out_w(s->out), &r);
		goto held;
	}
	s->routes_in++;
	s->table_routes++;
	r.op = ROUTE_ADD;
	if (a->nexthop.af) {
		r.nexthop = a->nexthop;
		REC_SET(&r, ROUTE_NEXTHOP);
	}
	if (a->mp_nhll.af && p->a.af == AR_AF6) {
		r.nexthopll = a->mp_nhll;
		REC_SET(&r, ROUTE_NEXTHOPLL);
	}
	r.aspath.v = a->aspath.v;
	r.aspath.n = a->aspath.n;
	REC_SET(&r, ROUTE_ASPATH);
	r.origin = (enum route_origin)a->origin;
	REC_SET(&r, ROUTE_ORIGIN);
	if (a->seen & (1u << ATTR_MED)) {
		r.med = a->med;
		REC_SET(&r, ROUTE_MED);
	}
	if (a->seen & (1u << ATTR_LOCAL_PREF)) {
		r.localpref = a->localpref;
		REC_SET(&r, ROUTE_LOCALPREF);
	}
	if (a->communities.n) {
		r.communities.v = a->communities.v;
		r.communities.n = a->communities.n;
		REC_SET(&r, ROUTE_COMMUNITIES);
	}
	if (a->lcommunities.n) {
		r.lcommunities.v = a->lcommunities.v;
		r.lcommunities.n = a->lcommunities.n;
		REC_SET(&r, ROUTE_LCOMMUNITIES);
	}
	if (a->extcommunities.n) {
		r.extcommunities.v = a->extcommunities.v;
		r.extcommunities.n = a->extcommunities.n;
		REC_SET(&r, ROUTE_EXTCOMMUNITIES);
	}
	if (a->atomic) {
		r.atomic = true;
		REC_SET(&r, ROUTE_ATOMIC);
	}
	if (a->seen & (1u << ATTR_AGGREGATOR)) {
		r.aggas = a->aggas;
		REC_SET(&r, ROUTE_AGGAS);
		r.aggid.af = AR_AF4;
		r.aggid.b[0] = a->aggid >> 24;
		r.aggid.b[1] = a->aggid >> 16;
		r.aggid.b[2] = a->aggid >> 8;
		r.aggid.b[3] = a->aggid;
		REC_SET(&r, ROUTE_AGGID);
	}
	if (a->seen & (1u << ATTR_ORIGINATOR_ID)) {
		r.originator.af = AR_AF4;
		r.originator.b[0] = a->originator >> 24;
		r.originator.b[1] = a->originator >> 16;
		r.originator.b[2] = a->originator >> 8;
		r.originator.b[3] = a->originator;
		REC_SET(&r, ROUTE_ORIGINATOR);
	}
	if (a->clusterlist.n) {
		r.clusterlist.v = a->clusterlist.v;
		r.clusterlist.n = a->clusterlist.n;
		REC_SET(&r, ROUTE_CLUSTERLIST);
	}
	rw_route(out_w(s->out), &r);
held:
	if (s->eor_held && rk_absent(s->keys) == 0)
		end_table(s, "End-of-RIB, then the rest of the table");
}

static void check_done(struct speaker *s, const char *why)
{
	if (!s->in_sync || !s->eor4 || !s->eor6)
		return;
	if (!s->cfg.eor_hold || rk_absent(s->keys) == 0) {
		end_table(s, why);
		return;
	}
	if (s->eor_held)
		return;
	s->eor_held = true;
	s->hold_until = ev_now() + (ar_msec)s->cfg.eor_hold * 1000;
	log_info("neighbor %s: %s with %llu of %llu routes from before not sent again: "
		 "table held open until it is quiet, for at most %u s",
		 s->peername, why, (unsigned long long)rk_absent(s->keys),
		 (unsigned long long)rk_count(s->keys), s->cfg.eor_hold);
	hold_arm(s);
}

void learn_eor(void *arg, int afi)
{
	struct speaker *s = arg;

	log_info("neighbor %s: End-of-RIB for %s", s->peername, afi == AFI_IPV6 ? "IPv6" : "IPv4");
	if (s->refresh_wait)
		return;         /* after a plain refresh only the quiet timer ends it */
	if (afi == AFI_IPV4)
		s->eor4 = true;
	if (afi == AFI_IPV6)
		s->eor6 = true;
	check_done(s, "End-of-RIB");
}

void learn_refresh_marker(struct speaker *s, uint16_t afi, uint8_t sub)
{
	if (sub != 2)           /* BoRR: our sync begin was written already */
		return;
	if (afi == AFI_IPV4)
		s->eor4 = true;
	if (afi == AFI_IPV6)
		s->eor6 = true;
	if (s->eor4 && s->eor6)
		s->refresh_wait = false;
	check_done(s, "End-of-Route-Refresh");
}

void learn_eor_timeout(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	(void)l;
	if (s->out_paused) {    /* the quiet is ours, not the peer's */
		learn_note_update(s);
		return;
	}
	if (s->in_sync && s->eor_held) {
		if (ev_now() >= s->hold_until) {
			log_warn("neighbor %s: %llu routes from before still not sent again %u s after End-of-RIB; swept",
				 s->peername, (unsigned long long)rk_absent(s->keys), s->cfg.eor_hold);
			end_table(s, "End-of-RIB, hold time over");
		} else if (few_absent(s)) {
			end_table(s, "End-of-RIB, then quiet");
		} else {
			ev_timer_at(s->loop, &s->t_eor, s->hold_until);
		}
		return;
	}
	if (s->in_sync) {
		log_warn("neighbor %s: no End-of-RIB after %llu s without UPDATEs; table taken as complete",
			 s->peername, (unsigned long long)eor_quiet_ms(s) / 1000);
		s->eor4 = s->eor6 = true;
		end_table(s, "timeout");
	}
}

/* The reader is back (or was never there): the whole table again, in sync
 * markers, by route refresh; a peer without route refresh gets a reset. */
static void resync(struct speaker *s)
{
	uint8_t m[32];

	if (s->st != ST_ESTABLISHED)
		return;
	if (!s->rr) {
		sess_close(s, ERR_CEASE, ERR_CEASE_RESET, NULL, 0,
			   "output reopened and the peer has no route refresh");
		return;
	}
	begin_table(s);
	s->refresh_wait = true;  /* an End-of-RIB still queued from before does not end it */
	if (s->ctx.v4 && sess_send(s, m, bgp_rr_build(m, sizeof m, AFI_IPV4, SAFI_UNICAST, 0)) < 0)
		return;
	if (s->ctx.v6 && sess_send(s, m, bgp_rr_build(m, sizeof m, AFI_IPV6, SAFI_UNICAST, 0)) < 0)
		return;
	log_info("neighbor %s: output reopened: route refresh sent%s", s->peername,
		 s->err ? " (enhanced)" : "");
	learn_output_ready(s);
	if (sess_connected(s))
		sess_poll(s);
}

/* The reader went away: its successor gets the whole table (resync()). */
static void on_out_lost(void *arg)
{
	struct speaker *s = arg;

	s->in_sync = false;
}

static void on_out_opened(void *arg)
{
	struct speaker *s = arg;

	resync(s);
	if (s->out_paused && sess_connected(s))
		sess_poll(s);
}

static void on_out_blocked(void *arg, bool blocked)
{
	if (!blocked)
		resume(arg);
}

/* stdout gone, or a write error: nothing to deliver the table to */
static void on_out_failed(void *arg, int e)
{
	struct speaker *s = arg;
	(void)e;

	s->exit_code = EXIT_FAILURE;
	ev_break(s->loop);
}

static const struct out_ops learn_out = { on_out_opened, on_out_lost, on_out_blocked, on_out_failed };

int learn_output_open(struct speaker *s)
{
	s->out = out_new(s->loop, s->cfg.output, &learn_out, s);
	if (!s->out) {
		log_err("out of memory");
		return -1;
	}
	if (s->cfg.out_high_water)
		out_set_high_water(s->out, s->cfg.out_high_water);
	return out_start(s->out);
}
