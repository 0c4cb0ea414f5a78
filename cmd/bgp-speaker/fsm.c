/* The BGP session's state machine (RFC 4271 8): every transition goes
 * through fsm(s, EVENT), one switch on the event; the messages that drive
 * it are cut from the connection's input here, and the timers live here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "speaker.h"

#define OBUF_BUSY (256u * 1024)
#define OPEN_HOLD 240           /* RFC 4271 8.2.2: large hold time in OpenSent */

static const char *const state_names[] = {
	"Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established",
};

const char *fsm_state_name(enum bgp_state st) { return state_names[st]; }

const char *id_str(uint32_t id, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", id >> 24, (id >> 16) & 0xff, (id >> 8) & 0xff,
		 id & 0xff);
	return buf;
}

static void set_state(struct speaker *s, enum bgp_state st)
{
	if (s->st != st)
		log_info("neighbor %s: %s -> %s", s->peername, state_names[s->st], state_names[st]);
	s->st = st;
}

void sess_poll(struct speaker *s)
{
	short ev = 0;

	if (s->c.fd < 0)
		return;
	s->out_paused = s->out && !out_takes(s->out);
	/* POLLOUT also while the Adj-RIB-Out has UPDATEs to build: they are
	 * built when the socket can take them */
	if (s->st == ST_CONNECT || conn_pending(&s->c) ||
	    (s->st == ST_ESTABLISHED && ribout_has_work(s->ro)))
		ev |= POLLOUT;
	/* a slow reader of our records stops us reading the peer: TCP flow
	 * control pushes back, while timers and keepalives go on */
	if (s->st != ST_CONNECT && !(s->out_paused && s->st == ST_ESTABLISHED))
		ev |= POLLIN;
	ev_fd_events(s->loop, s->c.fd, ev);
}

int sess_send(struct speaker *s, const uint8_t *msg, size_t len)
{
	if (s->c.fd < 0 || len == 0)
		return -1;
	if (conn_queue(&s->c, msg, len) < 0) {
		sess_close(s, ERR_CEASE, ERR_CEASE_RESOURCES, NULL, 0,
			   "out of memory for the send buffer");
		return -1;
	}
	return 0;
}

bool sess_send_busy(const struct speaker *s)
{
	return s->c.fd < 0 || conn_pending(&s->c) >= OBUF_BUSY;
}

/* Written now rather than when the socket is next writable; a write error
 * closes the session (-1). */
static int flush_now(struct speaker *s)
{
	if (conn_flush(&s->c) < 0) {
		sess_close(s, 0, 0, NULL, 0, strerror(errno));
		return -1;
	}
	return 0;
}

static int send_keepalive(struct speaker *s)
{
	uint8_t m[BGP_HDR_LEN];
	s->ka_sent = ev_now();
	return sess_send(s, m, bgp_keepalive_build(m, sizeof m));
}

static void arm_hold(struct speaker *s)
{
	unsigned h = s->st == ST_ESTABLISHED || s->st == ST_OPENCONFIRM ? s->hold : OPEN_HOLD;
	if (h)
		ev_timer_after(s->loop, &s->t_hold, (ar_msec)h * 1000);
	else
		ev_timer_stop(s->loop, &s->t_hold);
}

/* RFC 4724 4.2: the routes of a peer that kept its forwarding state for
 * every family of the session are kept when the session ends without a
 * NOTIFICATION (the TCP connection lost or reset, or replaced by the
 * peer's new one). A capability without families only says the peer
 * helps others: its routes go as usual. */
static bool gr_keep(const struct speaker *s, uint8_t code)
{
	const struct bgp_open *o = &s->theirs;

	if (!o->gr || o->gr_time == 0 || (s->ctx.v4 && !o->gr4) || (s->ctx.v6 && !o->gr6))
		return false;
	return code == 0 ? !s->notif_in : s->gr_replace;
}

/* The connection goes, with a NOTIFICATION first when code is set. */
static void close_session(struct speaker *s, const struct fsm_in *in)
{
	char why[320];

	if (s->c.fd < 0)
		return;
	if (in->code) {
		uint8_t m[BGP_MAX_LEN];
		size_t n = bgp_notif_build(m, sizeof m, in->code, in->sub, in->data, in->dlen);
		/* the NOTIFICATION goes out before anything still queued; the
		 * connection closes whatever the write does */
		s->c.olen = s->c.ooff = 0;
		if (n && conn_queue(&s->c, m, n) == 0 && conn_flush(&s->c) < 0)
			log_debug("neighbor %s: NOTIFICATION not sent: %s", s->peername, strerror(errno));
		snprintf(why, sizeof why, "%s (sent NOTIFICATION %u/%u %s)", in->reason, in->code,
			 in->sub, bgp_err_name(in->code, in->sub));
	} else {
		snprintf(why, sizeof why, "%s", in->reason);
	}
	log_warn("neighbor %s: session closed: %s", s->peername, why);
	conn_end(s, &s->c);
	ev_timer_stop(s->loop, &s->t_hold);
	ev_timer_stop(s->loop, &s->t_keepalive);
	ev_timer_stop(s->loop, &s->t_nudge);
	ev_timer_stop(s->loop, &s->t_eor);
	if (s->st == ST_ESTABLISHED) {
		if (gr_keep(s, in->code))
			learn_gr_hold(s, why);
		else
			learn_down(s, why);
		ribout_session_down(s);
	}
	s->gr_replace = s->notif_in = false;
	set_state(s, s->cfg.passive ? ST_ACTIVE : ST_IDLE);
	/* the neighbor's own connection carries on, or we try again */
	if (!collision_promote(s) && s->cfg.active)
		speaker_retry(s);
}

void sess_close(struct speaker *s, uint8_t code, uint8_t sub, const void *data,
		size_t len, const char *reason)
{
	struct fsm_in in = { .code = code, .sub = sub, .data = data, .dlen = len,
			     .reason = reason };
	fsm(s, EV_CLOSE, &in);
}

static void fail(struct speaker *s, const char *reason)
{
	sess_close(s, 0, 0, NULL, 0, reason);
}

static void on_hold(struct ev_loop *l, void *arg)
{
	(void)l;
	fsm(arg, EV_HOLD_TIMER, NULL);
}

static void on_keepalive(struct ev_loop *l, void *arg)
{
	(void)l;
	fsm(arg, EV_KEEPALIVE_TIMER, NULL);
}

/* While a table comes in and the peer falls quiet, a KEEPALIVE (at most one
 * a second, RFC 4271 4.4; none with hold time 0): BIRD 2 can leave the last
 * part of a large table and its End-of-RIB in its event queue for up to 3 s
 * until something wakes its event loop up. */
#define NUDGE_QUIET_MS 50

void sess_nudge(struct speaker *s)
{
	if (s->in_sync && s->keepalive && s->c.fd >= 0)
		ev_timer_after(s->loop, &s->t_nudge, NUDGE_QUIET_MS);
}

static void on_nudge(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	ar_msec now = ev_now();
	(void)l;

	if (!s->in_sync || !s->keepalive || s->c.fd < 0 || s->st != ST_ESTABLISHED || s->out_paused)
		return;
	if (now < s->ka_sent + 1000) {
		ev_timer_at(s->loop, &s->t_nudge, s->ka_sent + 1000);
		return;
	}
	log_debug("neighbor %s: quiet during the table: KEEPALIVE", s->peername);
	if (send_keepalive(s) < 0 || flush_now(s) < 0)
		return;
	sess_poll(s);
}

static void on_retry(struct ev_loop *l, void *arg)
{
	(void)l;
	fsm(arg, EV_RETRY_TIMER, NULL);
}

void sess_timers_init(struct speaker *s)
{
	ev_timer_init(&s->t_hold, on_hold, s);
	ev_timer_init(&s->t_keepalive, on_keepalive, s);
	ev_timer_init(&s->t_retry, on_retry, s);
	ev_timer_init(&s->t_nudge, on_nudge, s);
}

/* Our OPEN: OpenSent. */
static void send_open(struct speaker *s)
{
	uint8_t m[BGP_MAX_LEN];

	if (sess_send(s, m, bgp_open_build(m, sizeof m, &s->mine)) < 0 || flush_now(s) < 0)
		return;
	set_state(s, ST_OPENSENT);
	arm_hold(s);
}

static void fsm_error(struct speaker *s, uint8_t type)
{
	char why[64];
	snprintf(why, sizeof why, "unexpected %s in %s", bgp_type_name(type), state_names[s->st]);
	sess_close(s, ERR_FSM, 0, NULL, 0, why);
}

static void established(struct speaker *s)
{
	if (s->side.fd >= 0) {
		log_info("neighbor %s: connection collision: the Established session stays",
			 s->peername);
		collision_close(s, ERR_CEASE, ERR_CEASE_COLLISION);
	}
	set_state(s, ST_ESTABLISHED);
	arm_hold(s);
	learn_up(s);
	ribout_session_up(s);
}

static void sess_input(struct speaker *s);

void fsm(struct speaker *s, enum fsm_event ev, const struct fsm_in *in)
{
	struct rd r = in && in->msg ? rd_init(in->msg + BGP_HDR_LEN, in->len - BGP_HDR_LEN)
				    : rd_init(NULL, 0);
	uint8_t type = in && in->msg ? in->msg[18] : 0;

	switch (ev) {
	case EV_START:
		s->st = s->cfg.passive ? ST_ACTIVE : ST_IDLE;
		if (s->cfg.active)
			fsm(s, EV_RETRY_TIMER, NULL);
		return;
	case EV_RETRY_TIMER:
		if (s->c.fd < 0 && speaker_connect(s) == 0) {
			set_state(s, ST_CONNECT);
			ev_timer_after(s->loop, &s->t_hold, (ar_msec)OPEN_HOLD * 1000);
			sess_poll(s);
		}
		return;
	case EV_TCP_CONNECTED:
	case EV_TCP_ACCEPTED:
		send_open(s);
		if (s->c.fd >= 0)
			sess_poll(s);
		return;
	case EV_TCP_FAILS:
		fail(s, in->reason);
		return;
	case EV_HOLD_TIMER:
		if (s->out_paused && s->st == ST_ESTABLISHED) {
			/* we stopped reading ourselves: the peer's keepalives
			 * wait in the socket buffer, the peer is not at fault */
			arm_hold(s);
			return;
		}
		sess_close(s, ERR_HOLD, 0, NULL, 0, "hold timer expired");
		return;
	case EV_KEEPALIVE_TIMER:
		if (s->c.fd < 0 || !s->keepalive)
			return;
		if (send_keepalive(s) < 0 || flush_now(s) < 0)
			return;
		ev_timer_after(s->loop, &s->t_keepalive, (ar_msec)s->keepalive * 1000);
		sess_poll(s);
		return;
	case EV_NOTIF_MSG:
		msg_notification(s, &r);
		return;
	case EV_OPEN_MSG:
		if (s->st != ST_OPENSENT)
			break;
		if (msg_open(s, &r) < 0)
			return;
		if (send_keepalive(s) < 0 || flush_now(s) < 0)
			return;
		set_state(s, ST_OPENCONFIRM);
		arm_hold(s);
		if (s->keepalive)
			ev_timer_after(s->loop, &s->t_keepalive, (ar_msec)s->keepalive * 1000);
		return;
	case EV_KEEPALIVE_MSG:
		if (s->st == ST_OPENCONFIRM)
			established(s);
		else if (s->st == ST_ESTABLISHED)
			arm_hold(s);
		else
			break;
		return;
	case EV_UPDATE_MSG:
		if (s->st != ST_ESTABLISHED)
			break;
		arm_hold(s);
		msg_update(s, &r, in->msg, in->len);
		return;
	case EV_REFRESH_MSG:
		if (s->st != ST_ESTABLISHED)
			break;
		arm_hold(s);
		msg_refresh(s, &r);
		return;
	case EV_COLLISION_DUMP:
		/* in Connect our OPEN never went: nothing to say on it */
		if (s->st == ST_CONNECT)
			fail(s, "connection collision");
		else
			sess_close(s, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0, "connection collision");
		return;
	case EV_CLOSE:
		close_session(s, in);
		return;
	case EV_SIDE_PROMOTED:
		/* our OPEN went out on it when it was accepted */
		set_state(s, ST_OPENSENT);
		arm_hold(s);
		sess_input(s);
		if (s->c.fd >= 0)
			sess_poll(s);
		return;
	}
	/* a message the state does not expect (RFC 4271 8.2.2) */
	if (s->st == ST_ESTABLISHED)
		arm_hold(s);
	fsm_error(s, type);
}

static enum fsm_event msg_event(uint8_t type)
{
	switch (type) {
	case BGP_OPEN: return EV_OPEN_MSG;
	case BGP_UPDATE: return EV_UPDATE_MSG;
	case BGP_NOTIFICATION: return EV_NOTIF_MSG;
	case BGP_KEEPALIVE: return EV_KEEPALIVE_MSG;
	default: return EV_REFRESH_MSG;         /* bgp_hdr_parse() let no other through */
	}
}

/* The whole messages read; the session may be closed, or carried by the
 * other connection, on return. */
static void sess_input(struct speaker *s)
{
	struct conn *c = &s->c;
	size_t off = 0;
	int fd = c->fd;

	while (c->ilen - off >= BGP_HDR_LEN) {
		struct bgp_error e;
		uint16_t mlen;
		uint8_t type;
		size_t max = s->st == ST_ESTABLISHED ? s->ctx.max_len : BGP_MAX_LEN;

		if (bgp_hdr_parse(c->ibuf + off, max, &mlen, &type, &e) < 0) {
			sess_close(s, e.code, e.sub, e.data, e.len, e.why);
			return;
		}
		if (c->ilen - off < mlen)
			break;
		struct fsm_in in = { .msg = c->ibuf + off, .len = mlen };
		fsm(s, msg_event(type), &in);
		if (c->fd != fd)
			return;
		off += mlen;
	}
	memmove(c->ibuf, c->ibuf + off, c->ilen - off);
	c->ilen -= off;
	learn_output_ready(s);
}

void sess_on_sock(struct ev_loop *l, int fd, short re, void *arg)
{
	struct speaker *s = arg;
	(void)l;

	if (s->st == ST_CONNECT) {
		int err = 0;
		socklen_t el = sizeof err;
		struct fsm_in in = { 0 };
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		in.reason = strerror(err);
		fsm(s, err ? EV_TCP_FAILS : EV_TCP_CONNECTED, &in);
		return;
	}
	if (re & POLLOUT) {
		if (flush_now(s) < 0)
			return;
		if (s->st == ST_ESTABLISHED)
			ribout_pump(s);
		if (s->c.fd != fd)
			return;
	}
	if (re & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = conn_read(&s->c, SIZE_MAX);
		if (n == 0) {
			fail(s, "connection closed by peer");
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail(s, strerror(errno));
			return;
		}
		if (n > 0)
			sess_nudge(s);
		sess_input(s);
		if (s->c.fd != fd)
			return;         /* closed, or handed to the other connection */
	}
	if (flush_now(s) < 0)
		return;
	sess_poll(s);
}

/* What we offer in our OPEN. */
void sess_mine(struct speaker *s)
{
	memset(&s->mine, 0, sizeof s->mine);
	s->mine.version = 4;
	s->mine.as = s->cfg.local_as;
	s->mine.hold = (uint16_t)s->cfg.hold_time;
	s->mine.id = s->cfg.router_id;
	s->mine.mp4 = s->cfg.ipv4;
	s->mine.mp6 = s->cfg.ipv6;
	s->mine.as4 = true;
	s->mine.rr = true;
	s->mine.err = true;
	s->mine.extmsg = s->cfg.extmsg;
	s->mine.gr = s->cfg.gr_time > 0;
	s->mine.gr_time = (uint16_t)s->cfg.gr_time;
}
