/* bgp-speaker: the session, its configuration and the two directions. */
#ifndef SPEAKER_H
#define SPEAKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bgp.h"
#include "ev.h"
#include "log.h"
#include "rec.h"

struct speaker_cfg {
	struct sockaddr_storage listen;
	unsigned listen_len;
	bool active;                    /* --connect */
	bool passive;                   /* --listen, or no --connect */
	struct sockaddr_storage remote;
	unsigned remote_len;
	struct ar_addr neighbor;        /* AR_AF_NONE: any (passive only) */
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

struct speaker {
	struct speaker_cfg cfg;
	struct ev_loop *loop;
	int lfd;                        /* listening socket, or -1 */
	int fd;                         /* the session's socket, or -1 */
	enum bgp_state st;
	char peername[AR_ADDR_STRLEN];
	struct ar_addr peer_addr, local_addr;

	bool outbound;                  /* fd is a connection we initiated */
	/* RFC 4271 6.8: the neighbor's own connection while ours is in the
	 * OPEN exchange; one of the two goes at the first OPEN received */
	int fd2;
	uint8_t ibuf2[BGP_MAX_LEN];
	size_t ilen2;
	bool gr_replace;                /* closing: a GR peer's new connection */
	bool notif_in;                  /* closing: the peer sent a NOTIFICATION */

	uint8_t *ibuf;                  /* bytes read from the peer */
	size_t ilen;
	uint8_t *obuf;                  /* bytes to send to the peer */
	size_t olen, ooff, ocap;

	struct bgp_open mine, theirs;
	struct bgp_ctx ctx;
	unsigned hold, keepalive;
	bool rr, err;                   /* route refresh, enhanced, negotiated */
	struct ev_timer t_hold, t_keepalive, t_retry, t_eor, t_reopen;
	struct ev_timer t_gr;           /* the restarting peer's restart time */
	struct ev_timer t_nudge;        /* the peer quiet while a table comes in */
	ar_msec ka_sent;                /* our last KEEPALIVE */

	struct bgp_scratch *scr;

	/* learn direction */
	struct rec_writer *out;
	int out_fd;
	bool out_paused;                /* stopped reading the peer for stdout */
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
	int in_fd;
	struct ribout *ro;

	/* counters */
	uint64_t updates_in, routes_in, withdraws_in, treat_withdraw, attr_discard;
	uint64_t updates_out;

	struct log_rl rl_attr;
	struct log_rl rl_accept;        /* refused connections */
	int exit_code;
};

/* session.c */
int speaker_start(struct speaker *s);
void speaker_stop(struct speaker *s);
void speaker_free(struct speaker *s);
/* Queue a whole message for the peer. */
int sess_send(struct speaker *s, const uint8_t *msg, size_t len);
/* Room left in the send buffer before the announce side should wait. */
bool sess_send_busy(const struct speaker *s);
/* A table is coming in: a KEEPALIVE when the peer falls quiet. */
void sess_nudge(struct speaker *s);
/* Recompute what the session socket waits for (input paused, output due). */
void sess_poll(struct speaker *s);
void sess_close(struct speaker *s, uint8_t code, uint8_t sub, const void *data,
		size_t len, const char *reason);

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
/* The output went away (EPIPE) or came back. */
int learn_output_open(struct speaker *s);
void learn_output_ready(struct speaker *s);
void learn_on_output(struct ev_loop *l, int fd, short re, void *arg);
void learn_reopen_timer(struct ev_loop *l, void *arg);

/* rib-out.c */
struct ribout *ribout_new(void);
void ribout_free(struct ribout *ro);
/* Apply one record read from stdin. */
void ribout_record(struct speaker *s, const struct rec *r);
/* stdin closed: an unfinished snapshot is dropped. */
void ribout_input_eof(struct speaker *s);
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
void ribout_on_input(struct ev_loop *l, int fd, short re, void *arg);

/* attrs-out.c: path attributes for an announced route, from a record. */
size_t attrs_encode(uint8_t *buf, size_t cap, const struct rec_route *r,
		    uint32_t local_as, bool ibgp);
/* The same attributes rewritten for a 2-byte-AS peer (RFC 6793 4.2.2). */
size_t attrs_to_as2(uint8_t *out, size_t cap, const uint8_t *in, size_t len);

#endif
