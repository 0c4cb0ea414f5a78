/* The BGP session: sockets, the RFC 4271 8 state machine, timers. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speaker.h"

#define IBUF_SIZE (4 * BGP_EXT_MAX_LEN)
#define OBUF_BUSY (256u * 1024)
#define OPEN_HOLD 240           /* RFC 4271 8.2.2: large hold time in OpenSent */

static const char *const state_names[] = {
	"Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established",
};

static void set_state(struct speaker *s, enum bgp_state st)
{
	if (s->st != st)
		log_info("neighbor %s: %s -> %s", s->peername, state_names[s->st], state_names[st]);
	s->st = st;
}

void sess_poll(struct speaker *s)
{
	short ev = 0;

	if (s->fd < 0)
		return;
	s->out_paused = s->out && (s->out_fd < 0 || rw_would_block(s->out));
	/* POLLOUT also while the Adj-RIB-Out has UPDATEs to build: they are
	 * built when the socket can take them */
	if (s->st == ST_CONNECT || s->olen > s->ooff ||
	    (s->st == ST_ESTABLISHED && ribout_has_work(s->ro)))
		ev |= POLLOUT;
	/* a slow reader of our records stops us reading the peer: TCP flow
	 * control pushes back, while timers and keepalives go on */
	if (s->st != ST_CONNECT && !(s->out_paused && s->st == ST_ESTABLISHED))
		ev |= POLLIN;
	ev_fd_events(s->loop, s->fd, ev);
}

static int sess_flush(struct speaker *s)
{
	while (s->ooff < s->olen) {
		ssize_t n = write(s->fd, s->obuf + s->ooff, s->olen - s->ooff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		s->ooff += (size_t)n;
	}
	if (s->ooff == s->olen)
		s->ooff = s->olen = 0;
	return 0;
}

int sess_send(struct speaker *s, const uint8_t *msg, size_t len)
{
	if (s->fd < 0)
		return -1;
	if (s->ooff > 0 && s->ooff == s->olen)
		s->ooff = s->olen = 0;
	if (s->olen + len > s->ocap) {
		size_t ncap = s->ocap ? s->ocap : 65536;
		uint8_t *nb;
		if (s->ooff > 0) {
			memmove(s->obuf, s->obuf + s->ooff, s->olen - s->ooff);
			s->olen -= s->ooff;
			s->ooff = 0;
		}
		while (ncap < s->olen + len)
			ncap *= 2;
		if (ncap != s->ocap) {
			nb = realloc(s->obuf, ncap);
			if (!nb)
				return -1;
			s->obuf = nb;
			s->ocap = ncap;
		}
	}
	memcpy(s->obuf + s->olen, msg, len);
	s->olen += len;
	return 0;
}

bool sess_send_busy(const struct speaker *s)
{
	return s->fd < 0 || s->olen - s->ooff >= OBUF_BUSY;
}

static void send_keepalive(struct speaker *s)
{
	uint8_t m[BGP_HDR_LEN];
	sess_send(s, m, bgp_keepalive_build(m, sizeof m));
	s->ka_sent = ev_now();
}

static void arm_hold(struct speaker *s)
{
	unsigned h = s->st == ST_ESTABLISHED || s->st == ST_OPENCONFIRM ? s->hold : OPEN_HOLD;
	if (h)
		ev_timer_after(s->loop, &s->t_hold, (ar_msec)h * 1000);
	else
		ev_timer_stop(s->loop, &s->t_hold);
}

static void start_retry(struct speaker *s);
static void side_promote(struct speaker *s);

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

void sess_close(struct speaker *s, uint8_t code, uint8_t sub, const void *data,
		size_t len, const char *reason)
{
	char why[320];

	if (s->fd < 0)
		return;
	if (code) {
		uint8_t m[BGP_MAX_LEN];
		size_t n = bgp_notif_build(m, sizeof m, code, sub, data, len);
		/* the NOTIFICATION goes out before anything still queued */
		s->olen = s->ooff = 0;
		if (n)
			sess_send(s, m, n);
		sess_flush(s);
		snprintf(why, sizeof why, "%s (sent NOTIFICATION %u/%u %s)", reason, code, sub,
			 bgp_err_name(code, sub));
	} else {
		snprintf(why, sizeof why, "%s", reason);
	}
	log_warn("neighbor %s: session closed: %s", s->peername, why);
	ev_fd_del(s->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	s->ilen = 0;
	s->olen = s->ooff = 0;
	ev_timer_stop(s->loop, &s->t_hold);
	ev_timer_stop(s->loop, &s->t_keepalive);
	ev_timer_stop(s->loop, &s->t_nudge);
	ev_timer_stop(s->loop, &s->t_eor);
	if (s->st == ST_ESTABLISHED) {
		if (gr_keep(s, code))
			learn_gr_hold(s, why);
		else
			learn_down(s, why);
		ribout_session_down(s);
	}
	s->gr_replace = s->notif_in = false;
	set_state(s, s->cfg.passive ? ST_ACTIVE : ST_IDLE);
	if (s->fd2 >= 0)
		side_promote(s);        /* the neighbor's own connection carries on */
	else if (s->cfg.active)
		start_retry(s);
}

static void on_hold(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	(void)l;
	if (s->out_paused && s->st == ST_ESTABLISHED) {
		/* we stopped reading ourselves: the peer's keepalives wait in
		 * the socket buffer, the peer is not at fault */
		arm_hold(s);
		return;
	}
	sess_close(s, ERR_HOLD, 0, NULL, 0, "hold timer expired");
}

/* While a table comes in and the peer falls quiet, a KEEPALIVE (at most one
 * a second, RFC 4271 4.4; none with hold time 0): BIRD 2 can leave the last
 * part of a large table and its End-of-RIB in its event queue for up to 3 s
 * until something wakes its event loop up. */
#define NUDGE_QUIET_MS 50

void sess_nudge(struct speaker *s)
{
	if (s->in_sync && s->keepalive && s->fd >= 0)
		ev_timer_after(s->loop, &s->t_nudge, NUDGE_QUIET_MS);
}

static void on_nudge(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	ar_msec now = ev_now();
	(void)l;

	if (!s->in_sync || !s->keepalive || s->fd < 0 || s->st != ST_ESTABLISHED || s->out_paused)
		return;
	if (now < s->ka_sent + 1000) {
		ev_timer_at(s->loop, &s->t_nudge, s->ka_sent + 1000);
		return;
	}
	log_debug("neighbor %s: quiet during the table: KEEPALIVE", s->peername);
	send_keepalive(s);
	if (sess_flush(s) < 0) {
		sess_close(s, 0, 0, NULL, 0, strerror(errno));
		return;
	}
	sess_poll(s);
}

static void on_keepalive(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	(void)l;
	if (s->fd < 0 || !s->keepalive)
		return;
	send_keepalive(s);
	if (sess_flush(s) < 0) {
		sess_close(s, 0, 0, NULL, 0, strerror(errno));
		return;
	}
	ev_timer_after(s->loop, &s->t_keepalive, (ar_msec)s->keepalive * 1000);
	sess_poll(s);
}

static void notif_received(struct speaker *s, struct rd *r)
{
	struct bgp_notif n;
	char why[400];

	if (bgp_notif_parse(r, &n) < 0) {
		sess_close(s, 0, 0, NULL, 0, "short NOTIFICATION received");
		return;
	}
	if (n.text[0])
		snprintf(why, sizeof why, "received NOTIFICATION %u/%u %s: \"%s\"", n.code, n.sub,
			 bgp_err_name(n.code, n.sub), n.text);
	else
		snprintf(why, sizeof why, "received NOTIFICATION %u/%u %s", n.code, n.sub,
			 bgp_err_name(n.code, n.sub));
	s->notif_in = true;
	sess_close(s, 0, 0, NULL, 0, why);
}

static size_t build_open(struct speaker *s, uint8_t *m, size_t cap)
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
	return bgp_open_build(m, cap, &s->mine);
}

static void send_open(struct speaker *s)
{
	uint8_t m[BGP_MAX_LEN];

	sess_send(s, m, build_open(s, m, sizeof m));
	sess_flush(s);
	set_state(s, ST_OPENSENT);
	arm_hold(s);
}

/* A BGP identifier as a dotted quad, for logs. */
static const char *id_str(uint32_t id, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", id >> 24, (id >> 16) & 0xff, (id >> 8) & 0xff,
		 id & 0xff);
	return buf;
}

/* --- connection collision (RFC 4271 6.8) --- */

static void sess_begin(struct speaker *s, int fd, bool outbound);
static void sess_input(struct speaker *s);

static void side_close(struct speaker *s, uint8_t code, uint8_t sub)
{
	if (s->fd2 < 0)
		return;
	if (code) {
		uint8_t m[BGP_HDR_LEN + 2];
		size_t n = bgp_notif_build(m, sizeof m, code, sub, NULL, 0);
		if (write(s->fd2, m, n) < 0) {
			/* nothing to do: the connection is closed anyway */
		}
	}
	ev_fd_del(s->loop, s->fd2);
	close(s->fd2);
	s->fd2 = -1;
	s->ilen2 = 0;
}

/* The neighbor's connection becomes the session's. Our OPEN went out on it
 * when it was accepted: OpenSent, with what it brought already read. */
static void side_promote(struct speaker *s)
{
	int fd = s->fd2;

	ev_fd_del(s->loop, fd);
	s->fd2 = -1;
	sess_begin(s, fd, false);
	memcpy(s->ibuf, s->ibuf2, s->ilen2);
	s->ilen = s->ilen2;
	s->ilen2 = 0;
	log_info("neighbor %s: the neighbor's connection carries the session", s->peername);
	set_state(s, ST_OPENSENT);
	arm_hold(s);
	sess_input(s);
	if (s->fd >= 0)
		sess_poll(s);
}

/* Both connections exist and an OPEN told us the neighbor's identifier: the
 * one initiated by the higher identifier stays, the other is closed with a
 * Cease, Connection Collision Resolution. s->fd is always ours here (a
 * second connection is kept only beside our own). Returns true when ours
 * stays. */
static bool collision(struct speaker *s, uint32_t id)
{
	bool ours = s->cfg.router_id > id;
	char theirs_s[16], ours_s[16];

	log_info("neighbor %s: connection collision: BGP identifier %s against ours %s: "
		 "the connection %s opened stays", s->peername, id_str(id, theirs_s),
		 id_str(s->cfg.router_id, ours_s), ours ? "we" : "the neighbor");
	if (ours) {
		side_close(s, ERR_CEASE, ERR_CEASE_COLLISION);
		return true;
	}
	/* sess_close() hands the session to the neighbor's connection */
	if (s->st == ST_CONNECT)
		sess_close(s, 0, 0, NULL, 0, "connection collision");
	else
		sess_close(s, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0, "connection collision");
	return false;
}

static void on_side(struct ev_loop *l, int fd, short re, void *arg)
{
	struct speaker *s = arg;
	struct bgp_error e;
	struct bgp_open o;
	struct rd r;
	uint16_t mlen;
	uint8_t type;
	ssize_t n;
	(void)l; (void)re;

	n = read(fd, s->ibuf2 + s->ilen2, sizeof s->ibuf2 - s->ilen2);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_info("neighbor %s: the second connection closed", s->peername);
		side_close(s, 0, 0);
		return;
	}
	s->ilen2 += (size_t)n;
	if (s->ilen2 < BGP_HDR_LEN)
		return;
	if (bgp_hdr_parse(s->ibuf2, BGP_MAX_LEN, &mlen, &type, &e) < 0)
		goto fail;
	if (s->ilen2 < mlen)
		return;
	if (type != BGP_OPEN) {
		log_warn("neighbor %s: second connection: %s before OPEN", s->peername,
			 bgp_type_name(type));
		side_close(s, type == BGP_NOTIFICATION ? 0 : ERR_FSM, 0);
		return;
	}
	r = rd_init(s->ibuf2 + BGP_HDR_LEN, mlen - BGP_HDR_LEN);
	if (bgp_open_parse(&r, &o, &e) < 0)
		goto fail;
	collision(s, o.id);
	return;
fail:
	log_warn("neighbor %s: second connection: %s", s->peername, e.why);
	side_close(s, e.code, e.sub);
}

static int open_received(struct speaker *s, struct rd *r)
{
	struct bgp_error e;
	struct bgp_open *o = &s->theirs;

	if (bgp_open_parse(r, o, &e) < 0) {
		sess_close(s, e.code, e.sub, e.data, e.len, e.why);
		return -1;
	}
	if (s->cfg.peer_as && o->as != s->cfg.peer_as) {
		char why[64];
		snprintf(why, sizeof why, "OPEN from AS %u, expected AS %u", o->as, s->cfg.peer_as);
		sess_close(s, ERR_OPEN, ERR_OPEN_PEER_AS, NULL, 0, why);
		return -1;
	}
	if (o->id == s->cfg.router_id) {
		sess_close(s, ERR_OPEN, ERR_OPEN_BGPID, NULL, 0, "peer has our router id");
		return -1;
	}
	if (s->fd2 >= 0 && !collision(s, o->id))
		return -1;
	s->ctx.as4 = o->as4;
	s->ctx.peer_as = o->as;
	s->ctx.ibgp = o->as == s->cfg.local_as;
	s->ctx.v4 = s->mine.mp4 && o->mp4;
	s->ctx.v6 = s->mine.mp6 && o->mp6;
	s->ctx.max_len = s->mine.extmsg && o->extmsg ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	if (!s->ctx.v4 && !s->ctx.v6) {
		uint8_t d[8] = { CAPA_MP, 4, 0, AFI_IPV4, 0, SAFI_UNICAST };
		sess_close(s, ERR_OPEN, ERR_OPEN_CAPA, d, 6, "no common address family");
		return -1;
	}
	s->rr = o->rr;
	s->err = o->rr && o->err;
	/* RFC 4271 4.2: the smaller hold time, 0 or at least 3 */
	s->hold = s->cfg.hold_time < o->hold ? s->cfg.hold_time : o->hold;
	s->keepalive = s->hold / 3;
	char id_s[16];
	log_info("neighbor %s: OPEN AS %u id %s hold %u%s%s%s%s%s%s", s->peername,
		 o->as, id_str(o->id, id_s), o->hold, o->as4 ? " as4" : "", s->ctx.v4 ? " ipv4" : "", s->ctx.v6 ? " ipv6" : "",
		 o->rr ? (s->err ? " enhanced-refresh" : " refresh") : "",
		 s->ctx.max_len > BGP_MAX_LEN ? " extended-messages" : "",
		 o->gr ? " graceful-restart" : "");
	send_keepalive(s);
	sess_flush(s);
	set_state(s, ST_OPENCONFIRM);
	arm_hold(s);
	if (s->keepalive)
		ev_timer_after(s->loop, &s->t_keepalive, (ar_msec)s->keepalive * 1000);
	return 0;
}

static void established(struct speaker *s)
{
	if (s->fd2 >= 0) {
		log_info("neighbor %s: connection collision: the Established session stays",
			 s->peername);
		side_close(s, ERR_CEASE, ERR_CEASE_COLLISION);
	}
	set_state(s, ST_ESTABLISHED);
	arm_hold(s);
	learn_up(s);
	ribout_session_up(s);
}

static void report_attr(void *arg, const char *what, uint8_t type, enum attr_act act,
			const uint8_t *p, size_t len)
{
	struct speaker *s = arg;
	static const char *const acts[] = { "ignored", "attribute discarded",
		"treat-as-withdraw", "session reset" };
	char hex[200];

	if (act == ACT_DISCARD)
		s->attr_discard++;
	if (act == ACT_WITHDRAW)
		s->treat_withdraw++;
	log_rl(&s->rl_attr, LOG_WARN, "neighbor %s: UPDATE: %s %s (type %u): %s; bytes: %s",
	       s->peername, what, attr_name(type), type, acts[act],
	       log_hex(p, len, 48, hex, sizeof hex));
}

static int update_received(struct speaker *s, struct rd *r, const uint8_t *msg, size_t mlen)
{
	struct bgp_error e;
	struct bgp_update_cb cb = { learn_route, learn_eor, s };
	struct attr_report rep = { report_attr, s };
	char hex[200];

	s->updates_in++;
	learn_note_update(s);
	if (bgp_update_parse(r, &s->ctx, s->scr, &cb, &rep, &e) < 0) {
		log_rl(&s->rl_attr, LOG_WARN, "neighbor %s: UPDATE: %s; message: %s",
		       s->peername, e.why, log_hex(msg, mlen, 64, hex, sizeof hex));
		sess_close(s, e.code, e.sub, e.data, e.len, e.why);
		return -1;
	}
	return 0;
}

static int rr_received(struct speaker *s, struct rd *r)
{
	struct bgp_error e;
	uint16_t afi;
	uint8_t safi, sub;

	if (bgp_rr_parse(r, &afi, &safi, &sub, &e) < 0) {
		sess_close(s, e.code, e.sub, e.data, e.len, e.why);
		return -1;
	}
	if (!s->rr || safi != SAFI_UNICAST)
		return 0;       /* RFC 2918 4: ignore what was not negotiated */
	if (sub == 0)
		ribout_refresh(s, afi);
	else if (sub == 1 || sub == 2)
		learn_refresh_marker(s, afi, sub);
	return 0;
}

/* One whole message: -1 when the session was closed. */
static int handle(struct speaker *s, const uint8_t *msg, size_t len, uint8_t type)
{
	struct rd r = rd_init(msg + BGP_HDR_LEN, len - BGP_HDR_LEN);

	if (type == BGP_NOTIFICATION) {
		notif_received(s, &r);
		return -1;
	}
	switch (s->st) {
	case ST_OPENSENT:
		if (type != BGP_OPEN)
			goto fsm;
		return open_received(s, &r);
	case ST_OPENCONFIRM:
		if (type != BGP_KEEPALIVE)
			goto fsm;
		established(s);
		return 0;
	case ST_ESTABLISHED:
		arm_hold(s);
		if (type == BGP_UPDATE)
			return update_received(s, &r, msg, len);
		if (type == BGP_ROUTE_REFRESH)
			return rr_received(s, &r);
		if (type == BGP_KEEPALIVE)
			return 0;
		goto fsm;
	default:
		goto fsm;
	}
fsm:
	{
		char why[64];
		snprintf(why, sizeof why, "unexpected %s in %s", bgp_type_name(type),
			 state_names[s->st]);
		sess_close(s, ERR_FSM, 0, NULL, 0, why);
	}
	return -1;
}

static void on_sock(struct ev_loop *l, int fd, short re, void *arg)
{
	struct speaker *s = arg;
	(void)l;

	if (s->st == ST_CONNECT) {
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			sess_close(s, 0, 0, NULL, 0, strerror(err));
			return;
		}
		send_open(s);
		sess_poll(s);
		return;
	}
	if (re & POLLOUT) {
		if (sess_flush(s) < 0) {
			sess_close(s, 0, 0, NULL, 0, strerror(errno));
			return;
		}
		if (s->st == ST_ESTABLISHED)
			ribout_pump(s);
	}
	if (re & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = read(fd, s->ibuf + s->ilen, IBUF_SIZE - s->ilen);
		if (n == 0) {
			sess_close(s, 0, 0, NULL, 0, "connection closed by peer");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				sess_close(s, 0, 0, NULL, 0, strerror(errno));
			if (s->fd < 0 || s->fd != fd)
				return;
			n = 0;
		}
		s->ilen += (size_t)n;
		if (n > 0)
			sess_nudge(s);
		sess_input(s);
		if (s->fd != fd)
			return;         /* closed, or handed to the other connection */
	}
	if (s->fd >= 0 && sess_flush(s) < 0) {
		sess_close(s, 0, 0, NULL, 0, strerror(errno));
		return;
	}
	sess_poll(s);
}

/* The whole messages in ibuf; the session may be closed on return. */
static void sess_input(struct speaker *s)
{
	size_t off = 0;
	int fd = s->fd;

	while (s->ilen - off >= BGP_HDR_LEN) {
		struct bgp_error e;
		uint16_t mlen;
		uint8_t type;
		size_t max = s->st == ST_ESTABLISHED ? s->ctx.max_len : BGP_MAX_LEN;

		if (bgp_hdr_parse(s->ibuf + off, max, &mlen, &type, &e) < 0) {
			sess_close(s, e.code, e.sub, e.data, e.len, e.why);
			return;
		}
		if (s->ilen - off < mlen)
			break;
		if (handle(s, s->ibuf + off, mlen, type) < 0 || s->fd != fd)
			return;
		off += mlen;
	}
	memmove(s->ibuf, s->ibuf + off, s->ilen - off);
	s->ilen -= off;
	learn_output_ready(s);
}

static int set_md5(struct speaker *s, int fd)
{
	struct tcp_md5sig md;
	struct sockaddr_in *sin = (struct sockaddr_in *)&md.tcpm_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&md.tcpm_addr;
	bool v6sock = false;
	int dom;
	socklen_t dl = sizeof dom;

	if (!s->cfg.md5[0])
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) == 0)
		v6sock = dom == AF_INET6;
	memset(&md, 0, sizeof md);
	if (s->cfg.neighbor.af == AR_AF4 && !v6sock) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, s->cfg.neighbor.b, 4);
	} else if (s->cfg.neighbor.af == AR_AF4) {
		/* an IPv4 peer on a dual-stack socket: the mapped address */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], s->cfg.neighbor.b, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, s->cfg.neighbor.b, 16);
	}
	md.tcpm_keylen = (uint16_t)strlen(s->cfg.md5);
	memcpy(md.tcpm_key, s->cfg.md5, md.tcpm_keylen);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md, sizeof md) < 0) {
		log_err("TCP_MD5SIG: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void sess_begin(struct speaker *s, int fd, bool outbound)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int one = 1;

	s->fd = fd;
	s->outbound = outbound;
	s->ilen = 0;
	s->olen = s->ooff = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_from_sockaddr(&s->local_addr, &ss);
	ev_fd_add(s->loop, fd, POLLIN, on_sock, s);
}

static void on_accept(struct ev_loop *l, int lfd, short re, void *arg)
{
	struct speaker *s = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct ar_addr a;
	char name[AR_ADDR_STRLEN];
	int fd;
	(void)l; (void)re;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	addr_from_sockaddr(&a, &ss);
	addr_fmt(&a, name, sizeof name);
	if (s->cfg.neighbor.af != AR_AF_NONE && addr_cmp(&a, &s->cfg.neighbor) != 0) {
		log_rl(&s->rl_accept, LOG_WARN, "connection from %s refused: not the configured neighbor", name);
		close(fd);
		return;
	}
	if (s->fd >= 0 && s->outbound && s->st != ST_ESTABLISHED) {
		/* we connected too: both go on until an OPEN tells the
		 * neighbor's identifier (RFC 4271 6.8) */
		uint8_t m[BGP_MAX_LEN];
		size_t n = build_open(s, m, sizeof m);

		side_close(s, 0, 0);    /* an older second connection */
		if (write(fd, m, n) != (ssize_t)n) {
			log_warn("neighbor %s: second connection: %s", name, strerror(errno));
			close(fd);
			return;
		}
		s->fd2 = fd;
		s->ilen2 = 0;
		ev_fd_add(s->loop, fd, POLLIN, on_side, s);
		log_info("neighbor %s: connection accepted while ours is in %s: a collision",
			 name, state_names[s->st]);
		return;
	}
	if (s->fd >= 0) {
		if (s->st == ST_ESTABLISHED && !s->theirs.gr) {
			/* RFC 4271 6.8: an Established session wins the collision */
			uint8_t m[BGP_HDR_LEN + 2];
			size_t n = bgp_notif_build(m, sizeof m, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0);
			log_warn("neighbor %s: second connection refused: session is Established", name);
			if (write(fd, m, n) < 0) {
				/* nothing to do: the connection is closed anyway */
			}
			close(fd);
			return;
		}
		/* RFC 4724 4.2: a restarting peer's new connection replaces the
		 * old session; so does a fresh one during the OPEN exchange */
		s->gr_replace = s->st == ST_ESTABLISHED;
		sess_close(s, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0,
			   "new connection from the neighbor");
	}
	s->peer_addr = a;
	memcpy(s->peername, name, sizeof name);
	log_info("neighbor %s: connection accepted", name);
	sess_begin(s, fd, false);
	send_open(s);
	sess_poll(s);
}

/* --source (or the --listen address): the connection leaves from the
 * address the neighbor has configured for us, not from the interface's
 * primary one. */
static int bind_source(struct speaker *s, int fd)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	char b[AR_ADDR_STRLEN];

	if (s->cfg.source.af == AR_AF_NONE)
		return 0;
	memset(&ss, 0, sizeof ss);
	if (s->cfg.source.af == AR_AF4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, s->cfg.source.b, 4);
		sl = sizeof *sin;
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, s->cfg.source.b, 16);
		sl = sizeof *sin6;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		log_warn("neighbor %s: cannot bind to source %s: %s", s->peername,
			 addr_fmt(&s->cfg.source, b, sizeof b), strerror(errno));
		return -1;
	}
	return 0;
}

static void do_connect(struct ev_loop *l, void *arg)
{
	struct speaker *s = arg;
	int fd;
	(void)l;

	if (s->fd >= 0)
		return;
	fd = socket(s->cfg.remote.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		start_retry(s);
		return;
	}
	if (set_md5(s, fd) < 0 || bind_source(s, fd) < 0) {
		close(fd);
		start_retry(s);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->cfg.remote, s->cfg.remote_len) < 0 &&
	    errno != EINPROGRESS) {
		log_warn("neighbor %s: connect: %s", s->peername, strerror(errno));
		close(fd);
		start_retry(s);
		return;
	}
	sess_begin(s, fd, true);
	set_state(s, ST_CONNECT);
	ev_timer_after(s->loop, &s->t_hold, (ar_msec)OPEN_HOLD * 1000);
	sess_poll(s);
}

static void start_retry(struct speaker *s)
{
	ev_timer_after(s->loop, &s->t_retry, (ar_msec)s->cfg.connect_retry * 1000);
}

static int listen_start(struct speaker *s)
{
	int one = 1, zero = 0;
	int fd = socket(s->cfg.listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char buf[80];

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s->cfg.listen.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (set_md5(s, fd) < 0) {
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&s->cfg.listen, s->cfg.listen_len) < 0 ||
	    listen(fd, 8) < 0) {
		close(fd);
		goto fail;
	}
	s->lfd = fd;
	ev_fd_add(s->loop, fd, POLLIN, on_accept, s);
	log_info("listening on %s", sockaddr_fmt(&s->cfg.listen, buf, sizeof buf));
	return 0;
fail:
	log_err("cannot listen on %s: %s", sockaddr_fmt(&s->cfg.listen, buf, sizeof buf),
		strerror(errno));
	return -1;
}

static void on_retry(struct ev_loop *l, void *arg)
{
	do_connect(l, arg);
}

int speaker_start(struct speaker *s)
{
	s->lfd = s->fd = s->fd2 = -1;
	s->ibuf = malloc(IBUF_SIZE);
	s->scr = malloc(sizeof *s->scr);
	s->ro = ribout_new();
	if (!s->ibuf || !s->scr || !s->ro) {
		log_err("out of memory");
		return -1;
	}
	ev_timer_init(&s->t_hold, on_hold, s);
	ev_timer_init(&s->t_keepalive, on_keepalive, s);
	ev_timer_init(&s->t_retry, on_retry, s);
	ev_timer_init(&s->t_eor, learn_eor_timeout, s);
	ev_timer_init(&s->t_reopen, learn_reopen_timer, s);
	ev_timer_init(&s->t_gr, learn_gr_expire, s);
	ev_timer_init(&s->t_nudge, on_nudge, s);

	if (learn_output_open(s) < 0)
		return -1;
	if (input_open(s) < 0)
		return -1;
	if (s->cfg.active) {
		struct ar_addr a;
		addr_from_sockaddr(&a, &s->cfg.remote);
		addr_fmt(&a, s->peername, sizeof s->peername);
		s->peer_addr = a;
		if (s->cfg.neighbor.af == AR_AF_NONE)
			s->cfg.neighbor = a;
		s->st = ST_IDLE;
		/* --listen too: listen first, so that a neighbor connecting
		 * while we do meets a listener (and the collision rules) */
		if (s->cfg.passive) {
			s->st = ST_ACTIVE;
			if (listen_start(s) < 0)
				return -1;
		}
		do_connect(s->loop, s);
		return 0;
	}
	if (s->cfg.neighbor.af != AR_AF_NONE)
		addr_fmt(&s->cfg.neighbor, s->peername, sizeof s->peername);
	else
		strcpy(s->peername, "*");
	s->st = ST_ACTIVE;
	return listen_start(s);
}

void speaker_free(struct speaker *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->fd2 >= 0)
		close(s->fd2);
	if (s->out_fd > 2)
		close(s->out_fd);
	if (s->in_fd > 2)
		close(s->in_fd);
	rw_free(s->out);
	rr_free(s->in);
	ribout_free(s->ro);
	ev_free(s->loop);
	free(s->ibuf);
	free(s->obuf);
	free(s->scr);
	free(s);
}

/* SIGTERM: a Cease with the shutdown communication (RFC 9003), sent before
 * we go; the records written so far are flushed. */
void speaker_stop(struct speaker *s)
{
	const char *msg = s->cfg.shutdown_msg;
	uint8_t d[256];
	size_t n = strlen(msg);

	if (n > 255)
		n = 255;
	d[0] = (uint8_t)n;
	memcpy(d + 1, msg, n);
	side_close(s, ERR_CEASE, ERR_CEASE_SHUTDOWN);
	if (s->fd >= 0 && s->st >= ST_OPENSENT) {
		sess_close(s, ERR_CEASE, ERR_CEASE_SHUTDOWN, d, n + 1, "shutting down");
	} else if (s->fd >= 0) {
		sess_close(s, 0, 0, NULL, 0, "shutting down");
	}
	learn_stop(s);
	if (s->out) {
		/* a bounded wait for the reader: never hang on a stopped one */
		for (int i = 0; i < 20 && rw_pending(s->out) > 0; i++) {
			struct pollfd p = { s->out_fd, POLLOUT, 0 };
			if (rw_flush(s->out) < 0)
				break;
			if (rw_pending(s->out) > 0)
				poll(&p, 1, 50);
		}
	}
	log_info("stopped: %llu UPDATEs in, %llu routes, %llu withdrawals, "
		 "%llu treat-as-withdraw, %llu attributes discarded, %llu UPDATEs out",
		 (unsigned long long)s->updates_in, (unsigned long long)s->routes_in,
		 (unsigned long long)s->withdraws_in, (unsigned long long)s->treat_withdraw,
		 (unsigned long long)s->attr_discard, (unsigned long long)s->updates_out);
}
