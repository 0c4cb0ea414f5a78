/* BGP message framing: header, OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH
 * (RFC 4271 4, RFC 2918, RFC 7313, RFC 9003). */
#include <stdio.h>
#include <string.h>

#include "bgp.h"

static void set_err(struct bgp_error *e, uint8_t code, uint8_t sub, const char *why)
{
	e->code = code;
	e->sub = sub;
	e->data = NULL;
	e->len = 0;
	snprintf(e->why, sizeof e->why, "%s", why);
}

void bgp_hdr_put(uint8_t *buf, size_t len, uint8_t type)
{
	struct wr w = wr_init(buf, BGP_HDR_LEN);

	for (int i = 0; i < 4; i++)
		wr_u32(&w, 0xffffffff);
	wr_u16(&w, (uint16_t)len);
	wr_u8(&w, type);
}

/* RFC 4271 6.1 */
int bgp_hdr_parse(const uint8_t *p, size_t max_len, uint16_t *len, uint8_t *type,
		  struct bgp_error *err)
{
	static const uint8_t marker[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t l = (uint16_t)(p[16] << 8 | p[17]);
	uint8_t t = p[18];
	size_t min;

	if (memcmp(p, marker, 16) != 0) {
		set_err(err, ERR_HEADER, ERR_HDR_SYNC, "bad marker");
		return -1;
	}
	switch (t) {
	case BGP_OPEN: min = 29; break;
	case BGP_UPDATE: min = 23; break;
	case BGP_NOTIFICATION: min = 21; break;
	case BGP_KEEPALIVE: min = 19; break;
	case BGP_ROUTE_REFRESH: min = 23; break;
	default:
		set_err(err, ERR_HEADER, ERR_HDR_TYPE, "unknown message type");
		err->buf[0] = t;
		err->data = err->buf;
		err->len = 1;
		return -1;
	}
	/* OPEN and KEEPALIVE never use the extended size (RFC 8654 3) */
	if (t == BGP_OPEN || t == BGP_KEEPALIVE)
		max_len = BGP_MAX_LEN;
	if (l < min || l > max_len || (t == BGP_KEEPALIVE && l != 19)) {
		struct wr w = wr_init(err->buf, sizeof err->buf);
		set_err(err, ERR_HEADER, ERR_HDR_LEN, "bad message length");
		wr_u16(&w, l);
		err->data = err->buf;
		err->len = 2;
		return -1;
	}
	*len = l;
	*type = t;
	return 0;
}

static int capa_parse(struct rd *r, struct bgp_open *o)
{
	while (rd_left(r) > 0) {
		uint8_t code, len;
		struct rd v;
		uint16_t afi, u16;
		uint8_t res, safi;
		uint32_t as4;

		if (rd_u8(r, &code) < 0 || rd_u8(r, &len) < 0 || rd_sub(r, len, &v) < 0)
			goto bad_len;
		switch (code) {
		case CAPA_MP:
			if (rd_u16(&v, &afi) < 0 || rd_u8(&v, &res) < 0 || rd_u8(&v, &safi) < 0)
				goto bad_len;
			o->mp_any = true;
			if (afi == AFI_IPV4 && safi == SAFI_UNICAST)
				o->mp4 = true;
			if (afi == AFI_IPV6 && safi == SAFI_UNICAST)
				o->mp6 = true;
			break;
		case CAPA_RR:
			o->rr = true;
			break;
		case CAPA_ERR:
			o->err = true;
			break;
		case CAPA_EXTMSG:
			o->extmsg = true;
			break;
		case CAPA_AS4:
			if (rd_u32(&v, &as4) < 0)
				goto bad_len;
			o->as4 = true;
			o->as = as4;
			break;
		case CAPA_GR:       /* RFC 4724 3 */
			if (rd_u16(&v, &u16) < 0)
				goto bad_len;
			o->gr = true;
			o->gr_restarting = (u16 & 0x8000) != 0;
			o->gr_time = u16 & 0x0fff;
			/* the families whose routes a helper keeps, and whether
			 * the peer kept their forwarding state (F bit) */
			while (rd_left(&v) >= 4) {
				uint8_t fl;
				if (rd_u16(&v, &afi) < 0 || rd_u8(&v, &safi) < 0 || rd_u8(&v, &fl) < 0)
					goto bad_len;
				if (safi != SAFI_UNICAST)
					continue;
				if (afi == AFI_IPV4) {
					o->gr4 = true;
					o->gr4_fwd = (fl & 0x80) != 0;
				} else if (afi == AFI_IPV6) {
					o->gr6 = true;
					o->gr6_fwd = (fl & 0x80) != 0;
				}
			}
			break;
		default:        /* unknown capabilities are ignored (RFC 5492 3) */
			break;
		}
	}
	return 0;
bad_len:
	return -1;
}

/* RFC 4271 4.2, 6.2; RFC 5492 for capabilities. */
int bgp_open_parse(struct rd *r, struct bgp_open *o, struct bgp_error *err)
{
	uint16_t myas;
	uint8_t optlen;
	struct rd opts;

	memset(o, 0, sizeof *o);
	if (rd_u8(r, &o->version) < 0 || rd_u16(r, &myas) < 0 || rd_u16(r, &o->hold) < 0 ||
	    rd_u32(r, &o->id) < 0 || rd_u8(r, &optlen) < 0)
		goto bad_len;
	o->as = myas;
	if (o->version != 4) {
		struct wr w = wr_init(err->buf, sizeof err->buf);
		set_err(err, ERR_OPEN, ERR_OPEN_VERSION, "unsupported version");
		wr_u16(&w, 4);  /* RFC 4271 6.2: the largest version we support */
		err->data = err->buf;
		err->len = 2;
		return -1;
	}
	if (rd_sub(r, optlen, &opts) < 0 || rd_left(r) != 0)
		goto bad_len;
	while (rd_left(&opts) > 0) {
		uint8_t type, len;
		struct rd v;

		if (rd_u8(&opts, &type) < 0 || rd_u8(&opts, &len) < 0 || rd_sub(&opts, len, &v) < 0)
			goto bad_len;
		if (type != 2) {        /* only capabilities (RFC 5492) */
			set_err(err, ERR_OPEN, ERR_OPEN_OPTPARAM, "unsupported optional parameter");
			return -1;
		}
		if (capa_parse(&v, o) < 0)
			goto bad_len;
	}
	if (o->hold == 1 || o->hold == 2) {
		set_err(err, ERR_OPEN, ERR_OPEN_HOLD, "unacceptable hold time");
		return -1;
	}
	if (o->id == 0) {
		set_err(err, ERR_OPEN, ERR_OPEN_BGPID, "bad BGP identifier");
		return -1;
	}
	if (!o->mp_any)
		o->mp4 = true;  /* RFC 4760 8: no MP capability means IPv4 unicast */
	return 0;
bad_len:
	set_err(err, ERR_HEADER, ERR_HDR_LEN, "OPEN is truncated or too long");
	return -1;
}

/* RFC 4271 4.5, RFC 9003 2 */
int bgp_notif_parse(struct rd *r, struct bgp_notif *n)
{
	uint8_t len;

	n->text[0] = '\0';
	if (rd_u8(r, &n->code) < 0 || rd_u8(r, &n->sub) < 0)
		return -1;
	if (n->code == ERR_CEASE &&
	    (n->sub == ERR_CEASE_SHUTDOWN || n->sub == ERR_CEASE_RESET) &&
	    rd_u8(r, &len) == 0 && len <= rd_left(r)) {
		size_t i, k = 0;
		/* printable only: it goes into a log line and a record */
		for (i = 0; i < len && k + 1 < sizeof n->text; i++) {
			uint8_t c = r->p[i];
			n->text[k++] = (c >= 0x20 && c != 0x7f) ? (char)c : '?';
		}
		n->text[k] = '\0';
	}
	return 0;
}

/* RFC 2918 3, RFC 7313 3 */
int bgp_rr_parse(struct rd *r, uint16_t *afi, uint8_t *safi, uint8_t *sub,
		 struct bgp_error *err)
{
	if (rd_u16(r, afi) < 0 || rd_u8(r, sub) < 0 || rd_u8(r, safi) < 0 || rd_left(r) != 0) {
		set_err(err, ERR_RREFRESH, ERR_RR_LEN, "bad ROUTE-REFRESH length");
		return -1;
	}
	return 0;
}

static void capa_mp(struct wr *w, uint16_t afi)
{
	wr_u8(w, CAPA_MP);
	wr_u8(w, 4);
	wr_u16(w, afi);
	wr_u8(w, 0);
	wr_u8(w, SAFI_UNICAST);
}

static void capa_empty(struct wr *w, uint8_t code)
{
	wr_u8(w, code);
	wr_u8(w, 0);
}

/* RFC 4724 3: restart time, then AFI/SAFI with the forwarding bit: our
 * routes live on in the kernel while we restart. */
static void capa_gr(struct wr *w, const struct bgp_open *o)
{
	size_t len;

	wr_u8(w, CAPA_GR);
	len = wr_hole(w, 1);
	wr_u16(w, (uint16_t)((o->gr_restarting ? 0x8000 : 0) | (o->gr_time & 0x0fff)));
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		if (!(afi == AFI_IPV4 ? o->mp4 : o->mp6))
			continue;
		wr_u16(w, afi);
		wr_u8(w, SAFI_UNICAST);
		wr_u8(w, 0x80);
	}
	wr_put8_at(w, len, w->n - len - 1);
}

size_t bgp_open_build(uint8_t *buf, size_t cap, const struct bgp_open *o)
{
	struct wr w = wr_init(buf, cap < BGP_MAX_LEN ? cap : BGP_MAX_LEN);
	size_t optlen, capslen;

	wr_hole(&w, BGP_HDR_LEN);
	wr_u8(&w, 4);
	wr_u16(&w, o->as > 0xffff ? AS_TRANS : (uint16_t)o->as);
	wr_u16(&w, o->hold);
	wr_u32(&w, o->id);
	optlen = wr_hole(&w, 1);
	wr_u8(&w, 2);           /* capabilities parameter */
	capslen = wr_hole(&w, 1);
	if (o->mp4)
		capa_mp(&w, AFI_IPV4);
	if (o->mp6)
		capa_mp(&w, AFI_IPV6);
	if (o->rr)
		capa_empty(&w, CAPA_RR);
	if (o->err)
		capa_empty(&w, CAPA_ERR);
	if (o->extmsg)
		capa_empty(&w, CAPA_EXTMSG);
	if (o->gr)
		capa_gr(&w, o);
	wr_u8(&w, CAPA_AS4);
	wr_u8(&w, 4);
	wr_u32(&w, o->as);
	if (w.full || w.n - capslen - 1 > 255)
		return 0;
	wr_put8_at(&w, optlen, w.n - optlen - 1);
	wr_put8_at(&w, capslen, w.n - capslen - 1);
	bgp_hdr_put(buf, w.n, BGP_OPEN);
	return w.n;
}

size_t bgp_keepalive_build(uint8_t *buf, size_t cap)
{
	if (cap < BGP_HDR_LEN)
		return 0;
	bgp_hdr_put(buf, BGP_HDR_LEN, BGP_KEEPALIVE);
	return BGP_HDR_LEN;
}

size_t bgp_notif_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t sub,
		       const void *data, size_t len)
{
	size_t total = BGP_HDR_LEN + 2 + len;

	if (total > cap || total > BGP_MAX_LEN)
		return 0;
	buf[BGP_HDR_LEN] = code;
	buf[BGP_HDR_LEN + 1] = sub;
	if (len)
		memcpy(buf + BGP_HDR_LEN + 2, data, len);
	bgp_hdr_put(buf, total, BGP_NOTIFICATION);
	return total;
}

size_t bgp_rr_build(uint8_t *buf, size_t cap, uint16_t afi, uint8_t safi, uint8_t sub)
{
	struct wr w = wr_init(buf, cap);

	wr_hole(&w, BGP_HDR_LEN);
	wr_u16(&w, afi);
	wr_u8(&w, sub);
	wr_u8(&w, safi);
	if (w.full)
		return 0;
	bgp_hdr_put(buf, w.n, BGP_ROUTE_REFRESH);
	return w.n;
}

const char *bgp_type_name(uint8_t type)
{
	switch (type) {
	case BGP_OPEN: return "OPEN";
	case BGP_UPDATE: return "UPDATE";
	case BGP_NOTIFICATION: return "NOTIFICATION";
	case BGP_KEEPALIVE: return "KEEPALIVE";
	case BGP_ROUTE_REFRESH: return "ROUTE-REFRESH";
	}
	return "unknown";
}

const char *bgp_err_name(uint8_t code, uint8_t sub)
{
	static const char *const hdr[] = { NULL, "connection not synchronized",
		"bad message length", "bad message type" };
	static const char *const open[] = { NULL, "unsupported version number",
		"bad peer AS", "bad BGP identifier", "unsupported optional parameter",
		NULL, "unacceptable hold time", "unsupported capability" };
	static const char *const upd[] = { NULL, "malformed attribute list",
		"unrecognized well-known attribute", "missing well-known attribute",
		"attribute flags error", "attribute length error", "invalid ORIGIN attribute",
		NULL, "invalid NEXT_HOP attribute", "optional attribute error",
		"invalid network field", "malformed AS_PATH" };
	static const char *const cease[] = { NULL, "maximum number of prefixes reached",
		"administrative shutdown", "peer de-configured", "administrative reset",
		"connection rejected", "other configuration change",
		"connection collision resolution", "out of resources", "hard reset",
		"BFD down" };

	switch (code) {
	case ERR_HEADER:
		return sub < 4 && hdr[sub] ? hdr[sub] : "message header error";
	case ERR_OPEN:
		return sub < 8 && open[sub] ? open[sub] : "OPEN message error";
	case ERR_UPDATE:
		return sub < 12 && upd[sub] ? upd[sub] : "UPDATE message error";
	case ERR_HOLD:
		return "hold timer expired";
	case ERR_FSM:
		return "finite state machine error";
	case ERR_CEASE:
		return sub < 11 && cease[sub] ? cease[sub] : "cease";
	case ERR_RREFRESH:
		return "ROUTE-REFRESH message error";
	}
	return "unknown error";
}
