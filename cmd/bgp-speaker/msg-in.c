/* The messages that reach the session: NOTIFICATION, OPEN, UPDATE and
 * ROUTE-REFRESH, checked and handed to the learn and announce sides. The
 * state changes they cause are fsm()'s. */
#include <stdio.h>
#include <string.h>

#include "speaker.h"

void msg_notification(struct speaker *s, struct rd *r)
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

int msg_open(struct speaker *s, struct rd *r)
{
	struct bgp_error e;
	struct bgp_open *o = &s->theirs;
	char id_s[16];

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
	if (s->side.fd >= 0 && !collision_open(s, o->id))
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
	log_info("neighbor %s: OPEN AS %u id %s hold %u%s%s%s%s%s%s", s->peername,
		 o->as, id_str(o->id, id_s), o->hold, o->as4 ? " as4" : "",
		 s->ctx.v4 ? " ipv4" : "", s->ctx.v6 ? " ipv6" : "",
		 o->rr ? (s->err ? " enhanced-refresh" : " refresh") : "",
		 s->ctx.max_len > BGP_MAX_LEN ? " extended-messages" : "",
		 o->gr ? " graceful-restart" : "");
	return 0;
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

void msg_update(struct speaker *s, struct rd *r, const uint8_t *msg, size_t mlen)
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
	}
}

void msg_refresh(struct speaker *s, struct rd *r)
{
	struct bgp_error e;
	uint16_t afi;
	uint8_t safi, sub;

	if (bgp_rr_parse(r, &afi, &safi, &sub, &e) < 0) {
		sess_close(s, e.code, e.sub, e.data, e.len, e.why);
		return;
	}
	if (!s->rr || safi != SAFI_UNICAST)
		return;         /* RFC 2918 4: ignore what was not negotiated */
	if (sub == 0)
		ribout_refresh(s, afi);
	else if (sub == 1 || sub == 2)
		learn_refresh_marker(s, afi, sub);
}
