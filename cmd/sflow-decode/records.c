/* Flow and counter records inside a sample, each read through a reader
 * carved to the record's declared length (decode.c): a short record is
 * counted and ignored, bytes past what we know are left unread. */
#include <string.h>

#include "rd.h"
#include "sflow.h"

enum {
	FLOW_HEADER = 1, FLOW_IPV4 = 3, FLOW_IPV6 = 4, FLOW_SWITCH = 1001,
	FLOW_ROUTER = 1002, FLOW_GATEWAY = 1003,
};

/* address: type (0 unknown, 1 IPv4, 2 IPv6) then the bytes.
 * -1 short, -2 unknown type. */
int sf_read_address(struct rd *r, struct ar_addr *a)
{
	uint32_t type;

	memset(a, 0, sizeof(*a));
	if (rd_u32(r, &type) == -1)
		return -1;
	switch (type) {
	case 0:
		return 0;
	case 1:
		a->af = AR_AF4;
		return rd_bytes(r, a->b, 4);
	case 2:
		a->af = AR_AF6;
		return rd_bytes(r, a->b, 16);
	}
	return -2;
}

/* ---- flow records ---- */

static void rec_sampled_header(struct sf_decoder *d, struct rec_flow *f,
			       struct sf_fstate *fs, struct rd *r)
{
	uint32_t proto, frame_len, stripped, hlen;
	const uint8_t *hp;
	size_t hn;

	if (rd_u32(r, &proto) == -1 || rd_u32(r, &frame_len) == -1 ||
	    rd_u32(r, &stripped) == -1 || rd_u32(r, &hlen) == -1) {
		d->st.rbad[SF_RBAD_HEADER]++;
		return;
	}
	(void)stripped;
	f->len = frame_len;
	REC_SET(f, FLOW_LEN);
	/* XDR pads the header to 4 bytes, but some agents do not pad, and
	 * some declare more than they send: keep what is there. */
	hp = r->p;
	hn = hlen < rd_left(r) ? hlen : rd_left(r);
	if (sf_parse_header(f, proto, hp, hn) == 1 || hn < hlen)
		d->st.headers_truncated++;
	if (REC_HAS(f, FLOW_SRC))
		fs->l3_from_header = true;
}

/* sampled_ipv4 (0:3) and sampled_ipv6 (0:4): a decoded header wins. */
static void rec_sampled_ip(struct sf_decoder *d, struct rec_flow *f,
			   struct sf_fstate *fs, struct rd *r, int af)
{
	uint32_t len, proto, sport, dport, flags, tos;
	uint8_t src[16], dst[16];
	size_t alen = af == AR_AF4 ? 4 : 16;

	if (rd_u32(r, &len) == -1 || rd_u32(r, &proto) == -1 ||
	    rd_bytes(r, src, alen) == -1 || rd_bytes(r, dst, alen) == -1 ||
	    rd_u32(r, &sport) == -1 || rd_u32(r, &dport) == -1 ||
	    rd_u32(r, &flags) == -1 || rd_u32(r, &tos) == -1) {
		d->st.rbad[af == AR_AF4 ? SF_RBAD_IPV4 : SF_RBAD_IPV6]++;
		return;
	}
	if (!REC_HAS(f, FLOW_LEN)) {
		f->len = len;
		REC_SET(f, FLOW_LEN);
	}
	/* a decoded header wins; of two sampled_ip records the first does */
	if (fs->l3_from_header || REC_HAS(f, FLOW_SRC))
		return;
	addr_from_bytes(&f->src, src, alen);
	addr_from_bytes(&f->dst, dst, alen);
	f->proto = (uint8_t)proto;
	f->sport = (uint16_t)sport;
	f->dport = (uint16_t)dport;
	f->tcpflags = (uint8_t)flags;
	f->tos = (uint8_t)tos;
	REC_SET(f, FLOW_SRC);
	REC_SET(f, FLOW_DST);
	REC_SET(f, FLOW_PROTO);
	REC_SET(f, FLOW_TOS);
	if (proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58) {
		REC_SET(f, FLOW_SPORT);
		REC_SET(f, FLOW_DPORT);
	}
	if (proto == 6)
		REC_SET(f, FLOW_TCPFLAGS);
}

static void rec_switch(struct sf_decoder *d, struct sf_fstate *fs, struct rd *r)
{
	uint32_t src_vlan, src_pri, dst_vlan, dst_pri;

	if (rd_u32(r, &src_vlan) == -1 || rd_u32(r, &src_pri) == -1 ||
	    rd_u32(r, &dst_vlan) == -1 || rd_u32(r, &dst_pri) == -1) {
		d->st.rbad[SF_RBAD_SWITCH]++;
		return;
	}
	/* Some agents send 0xffffffff for "unknown": only a real VLAN id. */
	if (src_vlan > 0 && src_vlan < 4095) {
		fs->have_switch_vlan = true;
		fs->switch_vlan = src_vlan;
	}
}

static void rec_router(struct sf_decoder *d, struct rec_flow *f, struct rd *r)
{
	struct ar_addr nh;
	uint32_t srcmask, dstmask;

	if (sf_read_address(r, &nh) != 0 || rd_u32(r, &srcmask) == -1 ||
	    rd_u32(r, &dstmask) == -1) {
		d->st.rbad[SF_RBAD_ROUTER]++;
		return;
	}
	if (nh.af != AR_AF_NONE) {
		f->nexthop = nh;
		REC_SET(f, FLOW_NEXTHOP);
	}
	if (srcmask <= 128) {
		f->srcmask = (uint8_t)srcmask;
		REC_SET(f, FLOW_SRCMASK);
	}
	if (dstmask <= 128) {
		f->dstmask = (uint8_t)dstmask;
		REC_SET(f, FLOW_DSTMASK);
	}
}

/* AS path segments into d->aspath as [type, count, as...]; a path longer
 * than the scratch array is cut at a segment boundary and counted. */
static int read_aspath(struct sf_decoder *d, struct rd *r, uint32_t *used,
		       uint32_t *last_as)
{
	uint32_t nseg, i, j, type, count, as;
	const size_t cap = sizeof(d->aspath) / sizeof(d->aspath[0]);
	bool cut = false;

	*used = 0;
	if (rd_u32(r, &nseg) == -1)
		return -1;
	for (i = 0; i < nseg; i++) {
		if (rd_u32(r, &type) == -1 || rd_u32(r, &count) == -1)
			return -1;
		/* check before reading: count ASes of 4 bytes each */
		if ((uint64_t)count * 4 > rd_left(r))
			return -1;
		if (cut || *used + 2 + (uint64_t)count > cap) {
			/* keep the destination AS right even when cut */
			cut = true;
			if (count > 0 && (rd_skip(r, ((size_t)count - 1) * 4) == -1 ||
					  rd_u32(r, last_as) == -1))
				return -1;
			continue;
		}
		d->aspath[(*used)++] = type;
		d->aspath[(*used)++] = count;
		for (j = 0; j < count; j++) {
			if (rd_u32(r, &as) == -1)
				return -1;
			d->aspath[(*used)++] = as;
			*last_as = as;
		}
	}
	if (cut)
		d->aspath_cut++;
	return 0;
}

static void rec_gateway(struct sf_decoder *d, struct rec_flow *f, struct rd *r)
{
	struct ar_addr nh;
	uint32_t as, srcas, peeras, npath = 0, ncomm, i, c, lp;
	uint32_t last_as = 0, kept = 0;
	const size_t cap = sizeof(d->communities) / sizeof(d->communities[0]);

	if (sf_read_address(r, &nh) != 0 || rd_u32(r, &as) == -1 ||
	    rd_u32(r, &srcas) == -1 || rd_u32(r, &peeras) == -1)
		goto bad;
	if (read_aspath(d, r, &npath, &last_as) == -1)
		goto bad;
	if (rd_u32(r, &ncomm) == -1 || (uint64_t)ncomm * 4 > rd_left(r))
		goto bad;
	for (i = 0; i < ncomm; i++) {
		if (rd_u32(r, &c) == -1)
			goto bad;
		if (kept < cap)
			d->communities[kept++] = c;
		else if (i == cap)
			d->aspath_cut++;
	}
	if (rd_u32(r, &lp) == -1)
		goto bad;

	if (nh.af != AR_AF_NONE && !REC_HAS(f, FLOW_NEXTHOP)) {
		f->nexthop = nh;
		REC_SET(f, FLOW_NEXTHOP);
	}
	f->srcas = srcas;
	f->peeras = peeras;
	/* The destination AS ends the path; an empty path means the
	 * destination is in the router's own AS. */
	f->dstas = npath > 0 ? last_as : as;
	REC_SET(f, FLOW_SRCAS);
	REC_SET(f, FLOW_PEERAS);
	REC_SET(f, FLOW_DSTAS);
	if (npath > 0) {
		f->aspath.v = d->aspath;
		f->aspath.n = npath;
		REC_SET(f, FLOW_ASPATH);
	}
	if (kept > 0) {
		f->communities.v = d->communities;
		f->communities.n = kept;
		REC_SET(f, FLOW_COMMUNITIES);
	}
	f->localpref = lp;
	REC_SET(f, FLOW_LOCALPREF);
	return;
bad:
	d->st.rbad[SF_RBAD_GATEWAY]++;
}

void sf_flow_record(struct sf_decoder *d, struct rec_flow *f, struct sf_fstate *fs,
		    uint32_t tag, struct rd *rec)
{
	switch (tag) {
	case FLOW_HEADER:
		rec_sampled_header(d, f, fs, rec);
		break;
	case FLOW_IPV4:
		rec_sampled_ip(d, f, fs, rec, AR_AF4);
		break;
	case FLOW_IPV6:
		rec_sampled_ip(d, f, fs, rec, AR_AF6);
		break;
	case FLOW_SWITCH:
		rec_switch(d, fs, rec);
		break;
	case FLOW_ROUTER:
		rec_router(d, f, rec);
		break;
	case FLOW_GATEWAY:
		rec_gateway(d, f, rec);
		break;
	default:
		d->st.other_records++;
	}
}

/* ethernet_counters (0:2): the 13 dot3Stats counters, in the order of
 * sFlow v5's structure, into the counter record's fields of the same order. */
int sf_counter_ethernet(struct rec_counter *c, struct rd *r)
{
	uint32_t v[13];
	for (int i = 0; i < 13; i++)
		if (rd_u32(r, &v[i]) == -1)
			return -1;
	c->alignerrors = v[0];
	c->fcserrors = v[1];
	c->singlecoll = v[2];
	c->multicoll = v[3];
	c->sqeerrors = v[4];
	c->deferred = v[5];
	c->latecoll = v[6];
	c->excesscoll = v[7];
	c->mactxerrors = v[8];
	c->carriererrors = v[9];
	c->toolong = v[10];
	c->macrxerrors = v[11];
	c->symbolerrors = v[12];
	for (int fld = CTR_ALIGNERRORS; fld <= CTR_SYMBOLERRORS; fld++)
		REC_SET(c, fld);
	return 0;
}

int sf_counter_generic(struct rec_counter *c, struct rd *r)
{
	uint32_t ifindex, iftype, dir, status, inu, inm, inb, indisc, inerr, unk;
	uint32_t outu, outm, outb, outdisc, outerr, promisc;
	uint64_t speed, inoct, outoct;

	if (rd_u32(r, &ifindex) == -1 || rd_u32(r, &iftype) == -1 ||
	    rd_u64(r, &speed) == -1 || rd_u32(r, &dir) == -1 ||
	    rd_u32(r, &status) == -1 || rd_u64(r, &inoct) == -1 ||
	    rd_u32(r, &inu) == -1 || rd_u32(r, &inm) == -1 ||
	    rd_u32(r, &inb) == -1 || rd_u32(r, &indisc) == -1 ||
	    rd_u32(r, &inerr) == -1 || rd_u32(r, &unk) == -1 ||
	    rd_u64(r, &outoct) == -1 || rd_u32(r, &outu) == -1 ||
	    rd_u32(r, &outm) == -1 || rd_u32(r, &outb) == -1 ||
	    rd_u32(r, &outdisc) == -1 || rd_u32(r, &outerr) == -1 ||
	    rd_u32(r, &promisc) == -1)
		return -1;
	(void)dir;
	(void)unk;
	(void)promisc;
	c->ifindex = ifindex;
	c->iftype = iftype;
	c->speed = speed;
	c->ifstatus = status;
	c->inoctets = inoct;
	c->outoctets = outoct;
	c->inpkts = (uint64_t)inu + inm + inb;
	c->outpkts = (uint64_t)outu + outm + outb;
	c->inerrors = inerr;
	c->outerrors = outerr;
	c->indiscards = indisc;
	c->outdiscards = outdisc;
	for (int fld = CTR_IFINDEX; fld <= CTR_OUTDISCARDS; fld++)
		REC_SET(c, fld);
	return 0;
}
