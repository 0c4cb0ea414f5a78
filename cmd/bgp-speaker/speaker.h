/* bgp-speaker: the session, its configuration and the two directions. */
#ifndef SPEAKER_H
#define SPEAKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bgp.h"
#include "collect.h"
#include "ev.h"
#include "log.h"
#include "out.h"
#include "rec.h"

struct speaker_cfg {
	struct sockaddr_storage listen;
	unsigned listen_len;
	bool active;                    /* --connect */
	bool passive;                   /* --listen, or no --connect */
	struct sockaddr_storage remote;
	unsigned remote_len;
	struct ar_addr neighbor;        /* AR_AF_NONE: any (passive only) */
	struct ar_addr source;          /* --connect from; AR_AF_NONE: the kernel's choice */
	uint32_t local_as, peer_as;
	uint32_t router_id;
	unsigned hold_time;
	unsigned connect_retry;
	unsigned eor_timeout;
	unsigned eor_hold;              /* s; 0: End-of-RIB ends the table at once */
	unsigned gr_time;               /* 0: no graceful restart capability */
	char md5[81];
	bool next_hop_self;
	bool ipv4, ipv6;
	bool extmsg;
	char *output;                   /* "-" stdout */
	char *input;                    /* "-" stdin, "" none */
	char *shutdown_msg;
	unsigned out_high_water;        /* bytes; 0: the writer's default */
};

enum bgp_state {
	ST_IDLE, ST_CONNECT, ST_ACTIVE, ST_OPENSENT, ST_OPENCONFIRM, ST_ESTABLISHED,
};

struct ribout;

/* One TCP connection to the neighbor: the session's, or a colliding
 * second one while ours is in the OPEN exchange (RFC 4271 6.8). */
struct conn {
	int fd;                         /* -1: none */
	bool outbound;                  /* we initiated it */
	uint8_t *ibuf;                  /* bytes read, not yet a whole message */
	size_t ilen;
	uint8_t *obuf;                  /* bytes to send */
	size_t olen, ooff, ocap;
	struct ar_addr local;           /* our end */
};

/* RFC 4271 8.1 events, the ones this speaker acts on */
enum fsm_event {
	EV_START,                       /* ManualStart: connect and/or listen */
	EV_RETRY_TIMER,                 /* ConnectRetryTimer_Expires */
	EV_HOLD_TIMER,                  /* HoldTimer_Expires */
	EV_KEEPALIVE_TIMER,             /* KeepaliveTimer_Expires */
	EV_TCP_CONNECTED,               /* Tcp_CR_Acked: our connect() done */
	EV_TCP_ACCEPTED,                /* TcpConnectionConfirmed: accepted */
	EV_TCP_FAILS,                   /* TcpConnectionFails: reason in fsm_in */
	EV_OPEN_MSG,                    /* BGPOpen */
	EV_KEEPALIVE_MSG,               /* KeepAliveMsg */
	EV_UPDATE_MSG,                  /* UpdateMsg */
	EV_NOTIF_MSG,                   /* NotifMsg */
	EV_REFRESH_MSG,                 /* ROUTE-REFRESH (RFC 2918) */
	EV_CLOSE,                       /* an error or a stop: NOTIFICATION in fsm_in */
	EV_COLLISION_DUMP,              /* OpenCollisionDump */
	EV_SIDE_PROMOTED,               /* our connection gone, the neighbor's carries on */
};

/* What an event brings: a message, or the reason and NOTIFICATION of a close. */
struct fsm_in {
	const uint8_t *msg;             /* whole message, header included */
	size_t len;
	uint8_t code, sub;              /* NOTIFICATION to send, 0: none */
	const void *data;
	size_t dlen;
	const char *reason;
};

struct speaker {
	struct speaker_cfg cfg;
	struct ev_loop *loop;
	int lfd;                        /* listening socket, or -1 */
	struct conn c;                  /* the session's connection */
	struct conn side;               /* the neighbor's colliding one (collision.c) */
	enum bgp_state st;
	char peername[AR_ADDR_STRLEN];
	struct ar_addr peer_addr;
	struct ar_addr nh4, nh6;        /* our next hops for this session (nexthop.c) */

	bool gr_replace;                /* closing: a GR peer's new connection */
	bool notif_in;                  /* closing: the peer sent a NOTIFICATION */

	struct bgp_open mine, theirs;
	struct bgp_ctx ctx;
	unsigned hold, keepalive;
	bool rr, err;                   /* route refresh, enhanced, negotiated */
	struct ev_timer t_hold, t_keepalive, t_retry, t_eor;
	struct ev_timer t_gr;           /* the restarting peer's restart time */
	struct ev_timer t_nudge;        /* the peer quiet while a table comes in */
	ar_msec ka_sent;                /* our last KEEPALIVE */

	struct bgp_scratch *scr;

	/* learn direction */
	struct out *out;
	bool out_paused;                /* stopped reading the peer for the output */
	bool in_sync;                   /* between our sync begin and end */
	bool eor4, eor6;
	bool refresh_wait;              /* a refresh toward the peer is pending */
	bool down_reported;
	bool gr_stale;                  /* peer restarting: its routes kept (RFC 4724) */
	ar_msec last_update;             /* when the last UPDATE arrived */
	uint64_t table_routes;          /* routes since our sync begin */
	struct ribkeys *keys;           /* the prefixes readers hold from us */
	bool eor_held;                  /* End-of-RIB seen, sync end held back */
	ar_msec hold_until;

	/* announce direction */
	struct rec_reader *in;
	struct collect col;             /* the input's complete states */
	int in_fd;
	bool in_fifo;                   /* a named FIFO: reopened at EOF */
	struct ribout *ro;

	/* counters */
	uint64_t updates_in, routes_in, withdraws_in, treat_withdraw, attr_discard;
	uint64_t updates_out;

	struct log_rl rl_attr;
	struct log_rl rl_accept;        /* refused connections */
	int exit_code;
};

/* run.c: the program's lifecycle */
int speaker_start(struct speaker *s);
void speaker_stop(struct speaker *s);
void speaker_free(struct speaker *s);
void speaker_retry(struct speaker *s);  /* a connect attempt after connect-retry */
/* A connect() under way on s->c: 0, or -1 (logged, retry armed). */
int speaker_connect(struct speaker *s);

/* fsm.c: every transition of the session goes through fsm() */
void fsm(struct speaker *s, enum fsm_event ev, const struct fsm_in *in);
const char *fsm_state_name(enum bgp_state st);
/* Queue a whole message for the peer; -1 (session closed) when it cannot. */
int sess_send(struct speaker *s, const uint8_t *msg, size_t len);
/* Room left in the send buffer before the announce side should wait. */
bool sess_send_busy(const struct speaker *s);
static inline bool sess_connected(const struct speaker *s) { return s->c.fd >= 0; }
/* A table is coming in: a KEEPALIVE when the peer falls quiet. */
void sess_nudge(struct speaker *s);
/* Recompute what the session socket waits for (input paused, output due). */
void sess_poll(struct speaker *s);
/* EV_CLOSE: a NOTIFICATION code/sub (0: none) and the reason for the log. */
void sess_close(struct speaker *s, uint8_t code, uint8_t sub, const void *data,
		size_t len, const char *reason);
/* The session's socket is readable or writable. */
void sess_on_sock(struct ev_loop *l, int fd, short re, void *arg);
void sess_timers_init(struct speaker *s);
/* A BGP identifier as a dotted quad, for logs. */
const char *id_str(uint32_t id, char buf[16]);
/* What we offer in our OPEN, into s->mine. */
void sess_mine(struct speaker *s);

/* msg-in.c: the messages of the Established session and the OPEN exchange */
void msg_notification(struct speaker *s, struct rd *r);
/* The neighbor's OPEN checked and the session's parameters set: 0, or -1
 * when the session was closed (or lost a collision). */
int msg_open(struct speaker *s, struct rd *r);
void msg_update(struct speaker *s, struct rd *r, const uint8_t *msg, size_t mlen);
void msg_refresh(struct speaker *s, struct rd *r);

/* conn.c: one connection's socket and buffers */
int conn_alloc(struct conn *c);
void conn_free(struct conn *c);
/* Take fd; its handler is fn. */
void conn_begin(struct speaker *s, struct conn *c, int fd, bool outbound,
		void (*fn)(struct ev_loop *, int, short, void *));
void conn_end(struct speaker *s, struct conn *c);
int conn_queue(struct conn *c, const uint8_t *msg, size_t len);
/* Write what is queued: 0 (maybe not all), -1 with errno. */
int conn_flush(struct conn *c);
static inline size_t conn_pending(const struct conn *c) { return c->olen - c->ooff; }
/* Read into ibuf: >0 bytes, 0 closed, -1 errno (EAGAIN: nothing). */
ssize_t conn_read(struct conn *c, size_t cap);
int conn_set_md5(struct speaker *s, int fd);
int conn_bind_source(struct speaker *s, int fd);

/* collision.c: a second connection from the neighbor (RFC 4271 6.8, RFC 4724 4.2) */
/* An accepted connection while the session has one: true when it was
 * taken (as the side connection, or replacing the session's). */
bool collision_accept(struct speaker *s, int fd, const char *name);
/* The OPEN on our connection told the neighbor's identifier: false when
 * our connection lost (the session carries on on the neighbor's). */
bool collision_open(struct speaker *s, uint32_t id);
void collision_close(struct speaker *s, uint8_t code, uint8_t sub);
/* Our connection closed: the neighbor's carries on, if there is one. */
bool collision_promote(struct speaker *s);

/* learn.c */
void learn_up(struct speaker *s);
void learn_down(struct speaker *s, const char *reason);
/* The session of a graceful-restart peer ended without a NOTIFICATION:
 * its routes stay until it is back or its restart time is over. */
void learn_gr_hold(struct speaker *s, const char *reason);
void learn_gr_expire(struct ev_loop *l, void *arg);
void learn_stop(struct speaker *s);
void learn_route(void *arg, const struct ar_prefix *p, const struct bgp_attrs *a);
void learn_eor(void *arg, int afi);
void learn_eor_timeout(struct ev_loop *l, void *arg);
void learn_refresh_marker(struct speaker *s, uint16_t afi, uint8_t sub);
void learn_note_update(struct speaker *s);
/* The output (out.c: a reader that comes back gets the table again). */
int learn_output_open(struct speaker *s);
void learn_output_ready(struct speaker *s);

/* rib-out.c */
struct ribout *ribout_new(void);
void ribout_free(struct ribout *ro);
/* A record read outside sync markers: a change. */
void ribout_record(struct speaker *s, const struct rec *r);
/* The collector of the input's complete states (arg: the speaker). */
extern const struct collect_ops ribout_state;
/* Session up: everything wanted is to be sent again, then End-of-RIB. */
void ribout_session_up(struct speaker *s);
void ribout_session_down(struct speaker *s);
/* A ROUTE-REFRESH from the peer for afi. */
void ribout_refresh(struct speaker *s, uint16_t afi);
/* Build UPDATEs while the send buffer has room. */
void ribout_pump(struct speaker *s);
size_t ribout_count(const struct ribout *ro);
/* UPDATEs or End-of-RIB markers still to build. */
bool ribout_has_work(const struct ribout *ro);

/* input.c: the records to announce. A FIFO whose writer went away is
 * opened again; what it had sent stays (stale) until its next complete
 * state. */
int input_open(struct speaker *s);

/* nexthop.c: our IPv4 and IPv6 next hops, at the session's start. */
void nexthop_session_up(struct speaker *s);

#endif
