/* Connection collision (RFC 4271 6.8): the neighbor connects while our own
 * connection is in the OPEN exchange. Both go on, ours in s->c and the
 * neighbor's in s->side (the same struct conn), until an OPEN tells the
 * neighbor's BGP identifier: the connection opened by the higher one stays.
 * A new connection beside an Established session is refused, unless the
 * neighbor does graceful restart (RFC 4724 4.2): then it replaces it. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "speaker.h"

void collision_close(struct speaker *s, uint8_t code, uint8_t sub)
{
	if (s->side.fd < 0)
		return;
	if (code) {
		uint8_t m[BGP_HDR_LEN + 2];
		size_t n = bgp_notif_build(m, sizeof m, code, sub, NULL, 0);
		/* best effort: the connection closes whatever the write does */
		if (conn_queue(&s->side, m, n) == 0 && conn_flush(&s->side) < 0)
			log_debug("neighbor %s: second connection: NOTIFICATION not sent: %s",
				  s->peername, strerror(errno));
	}
	conn_end(s, &s->side);
}

bool collision_promote(struct speaker *s)
{
	struct conn c;

	if (s->side.fd < 0)
		return false;
	/* what it brought is already in its ibuf */
	ev_fd_del(s->loop, s->side.fd);
	c = s->c;
	s->c = s->side;
	s->side = c;
	ev_fd_add(s->loop, s->c.fd, POLLIN, sess_on_sock, s);
	log_info("neighbor %s: the neighbor's connection carries the session", s->peername);
	fsm(s, EV_SIDE_PROMOTED, NULL);
	return true;
}

/* s->c is always ours here: a second connection is kept only beside our
 * own. */
bool collision_open(struct speaker *s, uint32_t id)
{
	bool ours = s->cfg.router_id > id;
	char theirs_s[16], ours_s[16];

	log_info("neighbor %s: connection collision: BGP identifier %s against ours %s: "
		 "the connection %s opened stays", s->peername, id_str(id, theirs_s),
		 id_str(s->cfg.router_id, ours_s), ours ? "we" : "the neighbor");
	if (ours) {
		collision_close(s, ERR_CEASE, ERR_CEASE_COLLISION);
		return true;
	}
	/* the close hands the session to the neighbor's connection */
	fsm(s, EV_COLLISION_DUMP, NULL);
	return false;
}

static void on_side(struct ev_loop *l, int fd, short re, void *arg)
{
	struct speaker *s = arg;
	struct conn *c = &s->side;
	struct bgp_error e;
	struct bgp_open o;
	struct rd r;
	uint16_t mlen;
	uint8_t type;
	ssize_t n;
	(void)l; (void)fd; (void)re;

	/* an OPEN is at most 4096 bytes (RFC 8654 3): it fits */
	n = conn_read(c, BGP_MAX_LEN);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_info("neighbor %s: the second connection closed", s->peername);
		collision_close(s, 0, 0);
		return;
	}
	if (c->ilen < BGP_HDR_LEN)
		return;
	if (bgp_hdr_parse(c->ibuf, BGP_MAX_LEN, &mlen, &type, &e) < 0)
		goto fail;
	if (c->ilen < mlen)
		return;
	if (type != BGP_OPEN) {
		log_warn("neighbor %s: second connection: %s before OPEN", s->peername,
			 bgp_type_name(type));
		collision_close(s, type == BGP_NOTIFICATION ? 0 : ERR_FSM, 0);
		return;
	}
	r = rd_init(c->ibuf + BGP_HDR_LEN, mlen - BGP_HDR_LEN);
	if (bgp_open_parse(&r, &o, &e) < 0)
		goto fail;
	collision_open(s, o.id);
	return;
fail:
	log_warn("neighbor %s: second connection: %s", s->peername, e.why);
	collision_close(s, e.code, e.sub);
}

bool collision_accept(struct speaker *s, int fd, const char *name)
{
	if (s->c.fd < 0)
		return false;
	if (s->c.outbound && s->st != ST_ESTABLISHED) {
		/* we connected too: both go on until an OPEN tells the
		 * neighbor's identifier; our OPEN goes on it now */
		uint8_t m[BGP_MAX_LEN];
		size_t n = bgp_open_build(m, sizeof m, &s->mine);

		collision_close(s, 0, 0);       /* an older second connection */
		conn_begin(s, &s->side, fd, false, on_side);
		if (conn_queue(&s->side, m, n) < 0 || conn_flush(&s->side) < 0 ||
		    conn_pending(&s->side) > 0) {
			log_warn("neighbor %s: second connection: %s", name,
				 conn_pending(&s->side) > 0 ? "OPEN not written" : strerror(errno));
			conn_end(s, &s->side);
			return true;
		}
		log_info("neighbor %s: connection accepted while ours is in %s: a collision",
			 name, fsm_state_name(s->st));
		return true;
	}
	if (s->st == ST_ESTABLISHED && !s->theirs.gr) {
		/* RFC 4271 6.8: an Established session wins the collision */
		uint8_t m[BGP_HDR_LEN + 2];
		size_t n = bgp_notif_build(m, sizeof m, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0);
		log_warn("neighbor %s: second connection refused: session is Established", name);
		if (write(fd, m, n) < 0)
			log_debug("neighbor %s: refused connection: %s", name, strerror(errno));
		close(fd);
		return true;
	}
	/* RFC 4724 4.2: a restarting peer's new connection replaces the old
	 * session; so does a fresh one during the OPEN exchange */
	s->gr_replace = s->st == ST_ESTABLISHED;
	sess_close(s, ERR_CEASE, ERR_CEASE_COLLISION, NULL, 0, "new connection from the neighbor");
	return false;
}
