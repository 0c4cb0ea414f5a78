/* UPDATE messages: NLRI encoding and the parse of a whole UPDATE
 * (RFC 4271 4.3, RFC 4760, RFC 7606 5). */
#include <string.h>

#include "bgp.h"

int bgp_nlri_get(struct rd *r, int af, struct ar_prefix *p)
{
	uint8_t plen, b[16];
	size_t n;
	struct ar_addr a;

	if (rd_u8(r, &plen) < 0)
		return -1;
	if (plen > addr_bits(af))
		return -2;
	n = (plen + 7u) / 8;
	memset(b, 0, sizeof b);
	if (rd_bytes(r, b, n) < 0)
		return -1;
	addr_from_bytes(&a, b, af == AR_AF4 ? 4 : 16);
	/* host bits set on the wire are cleared, as BIRD and OpenBGPD do */
	return prefix_make(p, &a, plen) < 0 ? -2 : 0;
}

void bgp_nlri_put(struct wr *w, const struct ar_prefix *pfx)
{
	wr_u8(w, pfx->plen);
	wr_bytes(w, pfx->a.b, (pfx->plen + 7u) / 8);
}

/* Walk a prefix list; with cb NULL only check its syntax. */
static int walk(struct rd r, int af, const struct bgp_update_cb *cb,
		const struct bgp_attrs *a)
{
	struct ar_prefix p;
	while (rd_left(&r) > 0) {
		if (bgp_nlri_get(&r, af, &p) < 0)
			return -1;
		if (cb)
			cb->route(cb->arg, &p, a);
	}
	return 0;
}

static int mp_af(uint16_t afi, uint8_t safi, const struct bgp_ctx *c)
{
	if (safi != SAFI_UNICAST)
		return 0;
	if (afi == AFI_IPV4 && c->v4)
		return AR_AF4;
	if (afi == AFI_IPV6 && c->v6)
		return AR_AF6;
	return 0;
}

int bgp_update_parse(struct rd *r, const struct bgp_ctx *c, struct bgp_scratch *s,
		     const struct bgp_update_cb *cb, const struct attr_report *rep,
		     struct bgp_error *err)
{
	uint16_t wlen, alen;
	struct rd wd, at, nlri;
	struct bgp_attrs a;
	enum attr_act act;
	int reach_af = 0, unreach_af = 0;

	/* RFC 4271 6.3, RFC 7606 5.2: lengths inconsistent with the message */
	if (rd_u16(r, &wlen) < 0 || rd_sub(r, wlen, &wd) < 0 || rd_u16(r, &alen) < 0 ||
	    rd_sub(r, alen, &at) < 0)
		goto bad_len;
	nlri = *r;

	/* every NLRI field must parse before any route is reported:
	 * RFC 7606 5.3 resets the session on an NLRI syntax error */
	if (walk(wd, AR_AF4, NULL, NULL) < 0 || walk(nlri, AR_AF4, NULL, NULL) < 0) {
		err->code = ERR_UPDATE;
		err->sub = ERR_UPD_NETWORK;
		err->data = NULL;
		err->len = 0;
		strcpy(err->why, "invalid network field");
		return -1;
	}

	act = bgp_attrs_parse(&at, c, &a, s, rd_left(&nlri) > 0, rep, err);
	if (act == ACT_RESET)
		return -1;

	if (a.mp_reach)
		reach_af = mp_af(a.reach_afi, a.reach_safi, c);
	if (a.mp_unreach)
		unreach_af = mp_af(a.unreach_afi, a.unreach_safi, c);
	if ((reach_af && walk(a.reach_nlri, reach_af, NULL, NULL) < 0) ||
	    (unreach_af && walk(a.unreach_nlri, unreach_af, NULL, NULL) < 0)) {
		err->code = ERR_UPDATE;
		err->sub = ERR_UPD_OPTATTR;     /* RFC 4760 7 */
		err->data = NULL;
		err->len = 0;
		strcpy(err->why, "invalid MP NLRI");
		return -1;
	}
	struct ar_addr nh4 = a.nexthop;
	if (reach_af) {
		a.nexthop = a.mp_nh;
		/* an IPv6 route whose MP next hop is IPv4 is not for us */
		if (reach_af == AR_AF6 && a.mp_nh.af != AR_AF6)
			a.withdraw = true;
	}

	/* End-of-RIB (RFC 4724 2) */
	if (wlen == 0 && alen == 0 && rd_left(&nlri) == 0) {
		if (cb->eor)
			cb->eor(cb->arg, AFI_IPV4);
		return 0;
	}
	if (a.mp_unreach && rd_left(&a.unreach_nlri) == 0 && !a.mp_reach &&
	    wlen == 0 && rd_left(&nlri) == 0 && (a.seen & ~((uint64_t)1 << ATTR_MP_UNREACH)) == 0) {
		if (cb->eor && unreach_af)
			cb->eor(cb->arg, a.unreach_afi);
		return 0;
	}

	walk(wd, AR_AF4, cb, NULL);
	if (unreach_af)
		walk(a.unreach_nlri, unreach_af, cb, NULL);
	if (a.withdraw) {
		walk(nlri, AR_AF4, cb, NULL);
		if (reach_af)
			walk(a.reach_nlri, reach_af, cb, NULL);
		return 0;
	}
	if (rd_left(&nlri) > 0) {
		struct bgp_attrs a4 = a;
		a4.nexthop = nh4;
		memset(&a4.mp_nhll, 0, sizeof a4.mp_nhll);
		walk(nlri, AR_AF4, cb, &a4);
	}
	if (reach_af)
		walk(a.reach_nlri, reach_af, cb, &a);
	return 0;

bad_len:
	err->code = ERR_UPDATE;
	err->sub = ERR_UPD_ATTRLIST;
	err->data = NULL;
	err->len = 0;
	strcpy(err->why, "withdrawn or attribute length exceeds the message");
	return -1;
}
