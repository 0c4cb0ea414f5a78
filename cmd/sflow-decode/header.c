/* The sampled packet header (sampled_header, 0:1): Ethernet with VLAN tags,
 * MPLS, IPv4 with options, IPv6 with extension headers, then TCP/UDP/SCTP
 * ports or ICMP type and code. Agents cut the header anywhere (128 bytes is
 * common): fields are set as soon as they are read, so a cut header keeps
 * what it had. */
#include "rd.h"
#include "sflow.h"

enum {
	ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8, ETH_QINQ1 = 0x9100, ETH_QINQ2 = 0x9200,
	ETH_QINQ3 = 0x9300, ETH_MPLS = 0x8847, ETH_MPLS_MC = 0x8848,
};
enum {
	IPP_ICMP = 1, IPP_TCP = 6, IPP_UDP = 17, IPP_DCCP = 33, IPP_ICMP6 = 58,
	IPP_SCTP = 132, IPP_UDPLITE = 136,
	IP6_HOPOPTS = 0, IP6_ROUTING = 43, IP6_FRAGMENT = 44, IP6_AH = 51,
	IP6_DSTOPTS = 60, IP6_MOBILITY = 135, IP6_HIP = 139, IP6_SHIM6 = 140,
};
#define MAX_TAGS 8      /* VLAN tags or MPLS labels: more is not a real packet */
#define MAX_MPLS 16

enum { DONE = 0, TRUNC = 1 };

static int l4(struct rec_flow *f, struct rd *r, uint8_t proto)
{
	uint16_t sport, dport;
	uint8_t type, code, flags;

	switch (proto) {
	case IPP_TCP:
	case IPP_UDP:
	case IPP_SCTP:
	case IPP_DCCP:
	case IPP_UDPLITE:
		if (rd_u16(r, &sport) == -1 || rd_u16(r, &dport) == -1)
			return TRUNC;
		f->sport = sport;
		f->dport = dport;
		REC_SET(f, FLOW_SPORT);
		REC_SET(f, FLOW_DPORT);
		if (proto != IPP_TCP)
			return DONE;
		/* seq, ack, data offset, then the flags byte (RFC 9293 3.1) */
		if (rd_skip(r, 9) == -1 || rd_u8(r, &flags) == -1)
			return TRUNC;
		f->tcpflags = flags;
		REC_SET(f, FLOW_TCPFLAGS);
		return DONE;
	case IPP_ICMP:
	case IPP_ICMP6:
		if (rd_u8(r, &type) == -1 || rd_u8(r, &code) == -1)
			return TRUNC;
		f->sport = type;
		f->dport = code;
		REC_SET(f, FLOW_SPORT);
		REC_SET(f, FLOW_DPORT);
		return DONE;
	}
	return DONE;
}

static int ipv4(struct rec_flow *f, struct rd *r)
{
	uint8_t vihl, tos, ttl, proto;
	uint16_t totlen, id, frag, csum;
	uint8_t src[4], dst[4];
	size_t ihl;

	if (rd_u8(r, &vihl) == -1)
		return TRUNC;
	if (vihl >> 4 != 4)
		return DONE;
	if (rd_u8(r, &tos) == -1 || rd_u16(r, &totlen) == -1 ||
	    rd_u16(r, &id) == -1 || rd_u16(r, &frag) == -1 ||
	    rd_u8(r, &ttl) == -1 || rd_u8(r, &proto) == -1 ||
	    rd_u16(r, &csum) == -1 || rd_bytes(r, src, 4) == -1 ||
	    rd_bytes(r, dst, 4) == -1)
		return TRUNC;
	addr_from_bytes(&f->src, src, 4);
	addr_from_bytes(&f->dst, dst, 4);
	f->tos = tos;
	f->proto = proto;
	REC_SET(f, FLOW_SRC);
	REC_SET(f, FLOW_DST);
	REC_SET(f, FLOW_TOS);
	REC_SET(f, FLOW_PROTO);
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return DONE;
	if (rd_skip(r, ihl - 20) == -1)         /* options */
		return TRUNC;
	if ((frag & 0x1fff) != 0)               /* later fragment: no ports */
		return DONE;
	return l4(f, r, proto);
}

static int ipv6(struct rec_flow *f, struct rd *r)
{
	uint32_t vtf;
	uint16_t plen, fragoff;
	uint8_t nh, hlim, src[16], dst[16], hdrlen;
	int i;

	if (rd_u32(r, &vtf) == -1)
		return TRUNC;
	if (vtf >> 28 != 6)
		return DONE;
	if (rd_u16(r, &plen) == -1 || rd_u8(r, &nh) == -1 ||
	    rd_u8(r, &hlim) == -1 || rd_bytes(r, src, 16) == -1 ||
	    rd_bytes(r, dst, 16) == -1)
		return TRUNC;
	addr_from_bytes(&f->src, src, 16);
	addr_from_bytes(&f->dst, dst, 16);
	f->tos = (uint8_t)(vtf >> 20);
	REC_SET(f, FLOW_SRC);
	REC_SET(f, FLOW_DST);
	REC_SET(f, FLOW_TOS);
	/* Extension headers (RFC 8200 4): each is at least 8 bytes, and the
	 * loop is bounded besides. */
	for (i = 0; i < 16; i++) {
		switch (nh) {
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
		case IP6_MOBILITY:
		case IP6_HIP:
		case IP6_SHIM6:
			if (rd_u8(r, &nh) == -1 || rd_u8(r, &hdrlen) == -1 ||
			    rd_skip(r, (size_t)hdrlen * 8 + 6) == -1)
				return TRUNC;
			continue;
		case IP6_AH:    /* RFC 4302 2.2: length in 4-byte units minus 2 */
			if (rd_u8(r, &nh) == -1 || rd_u8(r, &hdrlen) == -1 ||
			    rd_skip(r, ((size_t)hdrlen + 2) * 4 - 2) == -1)
				return TRUNC;
			continue;
		case IP6_FRAGMENT:
			if (rd_u8(r, &nh) == -1 || rd_skip(r, 1) == -1 ||
			    rd_u16(r, &fragoff) == -1 || rd_skip(r, 4) == -1)
				return TRUNC;
			if ((fragoff & 0xfff8) != 0) {
				f->proto = nh;
				REC_SET(f, FLOW_PROTO);
				return DONE;
			}
			continue;
		}
		break;
	}
	f->proto = nh;
	REC_SET(f, FLOW_PROTO);
	return l4(f, r, nh);
}

/* Which IP version follows a label stack or a raw header: the first nibble. */
static int ip_any(struct rec_flow *f, struct rd *r)
{
	if (rd_left(r) < 1)
		return TRUNC;
	switch (r->p[0] >> 4) {
	case 4:
		return ipv4(f, r);
	case 6:
		return ipv6(f, r);
	}
	return DONE;
}

static int mpls(struct rec_flow *f, struct rd *r)
{
	uint32_t label;

	for (int i = 0; i < MAX_MPLS; i++) {
		if (rd_u32(r, &label) == -1)
			return TRUNC;
		if (label & 0x100)      /* bottom of stack (RFC 3032 2.1) */
			return ip_any(f, r);
	}
	return DONE;
}

static bool eth_type_known(uint16_t type)
{
	switch (type) {
	case ETH_IPV4: case ETH_IPV6: case ETH_VLAN: case ETH_QINQ:
	case ETH_QINQ1: case ETH_QINQ2: case ETH_QINQ3: case ETH_MPLS:
	case ETH_MPLS_MC:
		return true;
	}
	return false;
}

static int ethernet(struct rec_flow *f, struct rd *r)
{
	uint16_t type, tci;
	int i;

	if (rd_skip(r, 12) == -1 || rd_u16(r, &type) == -1)
		return TRUNC;
	for (i = 0; i < MAX_TAGS; i++) {
		if (type != ETH_VLAN && type != ETH_QINQ && type != ETH_QINQ1 &&
		    type != ETH_QINQ2 && type != ETH_QINQ3)
			break;
		if (rd_u16(r, &tci) == -1 || rd_u16(r, &type) == -1)
			return TRUNC;
		if (i == 0) {   /* the outer tag is the VLAN the switch saw */
			f->vlan = tci & 0x0fff;
			REC_SET(f, FLOW_VLAN);
		}
	}
	switch (type) {
	case ETH_IPV4:
		return ipv4(f, r);
	case ETH_IPV6:
		return ipv6(f, r);
	case ETH_MPLS:
	case ETH_MPLS_MC:
		return mpls(f, r);
	}
	return DONE;
}

int sf_parse_header(struct rec_flow *f, uint32_t proto, const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);

	switch (proto) {
	case 0:
		/* Some hsflowd builds send 0: take it as Ethernet when the
		 * ethertype makes sense. */
		if (n < 14 || !eth_type_known((uint16_t)(p[12] << 8 | p[13])))
			return DONE;
		return ethernet(f, &r);
	case SF_HP_ETHERNET:
		return ethernet(f, &r);
	case SF_HP_IPV4:
		return ipv4(f, &r);
	case SF_HP_IPV6:
		return ipv6(f, &r);
	case SF_HP_MPLS:
		return mpls(f, &r);
	}
	return DONE;
}
