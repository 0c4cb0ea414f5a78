/* sFlow v5 datagrams: header, samples, flow and counter records.
 * Two walks over each datagram: the first checks only the framing (every
 * sample and record fits inside its parent), so a malformed datagram is
 * dropped whole and never half emitted; the second decodes. Record contents
 * are read through a sub-reader carved to the record's declared length, so a
 * decoder cannot run into the next record; bytes past what we know are
 * skipped (agents append fields). */
#include <string.h>

#include "rd.h"
#include "sflow.h"

/* Data formats: enterprise << 12 | format (sflow_version_5.txt 4). */
enum {
	SAMPLE_FLOW = 1, SAMPLE_COUNTER = 2, SAMPLE_FLOW_EXP = 3,
	SAMPLE_COUNTER_EXP = 4, SAMPLE_DISCARD = 5,
	FLOW_HEADER = 1, FLOW_IPV4 = 3, FLOW_IPV6 = 4, FLOW_SWITCH = 1001,
	FLOW_ROUTER = 1002, FLOW_GATEWAY = 1003,
	CTR_GENERIC = 1, CTR_ETHERNET = 2,
};

/* Interface formats (4 "interface"): two top bits of the compact form. */
enum { IF_INDEX = 0, IF_DISCARD = 1, IF_MULTIPLE = 2 };
#define IF_COMPACT_FORMAT(v) ((v) >> 30)
#define IF_COMPACT_VALUE(v)  ((v) & 0x3fffffffu)

struct dgram {
	struct ar_addr agent;
	uint32_t subagent, dseq, uptime;
	uint64_t ts;
};

/* What one flow sample's records said, resolved once all are read. */
struct fstate {
	bool l3_from_header;
	bool have_switch_vlan;
	uint32_t switch_vlan;
};

static const char *const bad_names[SF_BAD_N] = {
	"short", "version", "agent_type", "sample_len", "sample_count",
	"record_len", "record_count", "sample_header",
};
static const char *const rbad_names[SF_RBAD_N] = {
	"sampled_header", "sampled_ipv4", "sampled_ipv6", "extended_switch",
	"extended_router", "extended_gateway", "counter_record",
};

const char *sf_bad_name(int reason)
{
	return reason >= 0 && reason < SF_BAD_N ? bad_names[reason] : "?";
}

const char *sf_rbad_name(int reason)
{
	return reason >= 0 && reason < SF_RBAD_N ? rbad_names[reason] : "?";
}

/* address: type (0 unknown, 1 IPv4, 2 IPv6) then the bytes.
 * -1 short, -2 unknown type. */
static int read_address(struct rd *r, struct ar_addr *a)
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
			       struct fstate *fs, struct rd *r)
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
			   struct fstate *fs, struct rd *r, int af)
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

static void rec_switch(struct sf_decoder *d, struct fstate *fs, struct rd *r)
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

	if (read_address(r, &nh) != 0 || rd_u32(r, &srcmask) == -1 ||
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

	if (read_address(r, &nh) != 0 || rd_u32(r, &as) == -1 ||
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

/* ---- samples ---- */

/* Walk nrec records of a sample. With emit false only the framing is
 * checked; with emit true each record is handed to fn. */
typedef void record_fn(struct sf_decoder *d, void *ctx, uint32_t tag, struct rd *rec);

static int walk_records(struct sf_decoder *d, struct rd *r, bool emit,
			record_fn *fn, void *ctx)
{
	uint32_t nrec, i, tag, len;
	struct rd rec;

	if (rd_u32(r, &nrec) == -1)
		return SF_BAD_SAMPLE_HDR;
	/* Each record takes at least 8 bytes, so the loop ends with the bytes. */
	for (i = 0; i < nrec; i++) {
		if (rd_u32(r, &tag) == -1 || rd_u32(r, &len) == -1)
			return SF_BAD_RECORD_COUNT;
		if (rd_sub(r, len, &rec) == -1)
			return SF_BAD_RECORD_LEN;
		if (emit)
			fn(d, ctx, tag, &rec);
	}
	return -1;
}

struct flow_ctx {
	struct rec_flow *f;
	struct fstate fs;
};

static void flow_record(struct sf_decoder *d, void *ctx, uint32_t tag, struct rd *rec)
{
	struct flow_ctx *c = ctx;

	switch (tag) {
	case FLOW_HEADER:
		rec_sampled_header(d, c->f, &c->fs, rec);
		break;
	case FLOW_IPV4:
		rec_sampled_ip(d, c->f, &c->fs, rec, AR_AF4);
		break;
	case FLOW_IPV6:
		rec_sampled_ip(d, c->f, &c->fs, rec, AR_AF6);
		break;
	case FLOW_SWITCH:
		rec_switch(d, &c->fs, rec);
		break;
	case FLOW_ROUTER:
		rec_router(d, c->f, rec);
		break;
	case FLOW_GATEWAY:
		rec_gateway(d, c->f, rec);
		break;
	default:
		d->st.other_records++;
	}
}

static void flow_base(struct rec_flow *f, const struct dgram *g)
{
	memset(f, 0, sizeof(*f));
	if (g->agent.af != AR_AF_NONE) {
		f->agent = g->agent;
		REC_SET(f, FLOW_AGENT);
	}
	f->subagent = g->subagent;
	f->dseq = g->dseq;
	f->ts = g->ts;
	REC_SET(f, FLOW_SUBAGENT);
	REC_SET(f, FLOW_DSEQ);
	REC_SET(f, FLOW_TS);
}

/* Expanded source ids keep the index whole: type << 24 | index when the
 * index fits in 24 bits, the bare index otherwise. */
static uint32_t ds_expanded(uint32_t type, uint32_t index)
{
	return index < (1u << 24) ? (type & 0xff) << 24 | index : index;
}

static void set_out(struct rec_flow *f, uint32_t format, uint32_t value)
{
	switch (format) {
	case IF_INDEX:
		f->out = value;
		REC_SET(f, FLOW_OUT);
		break;
	case IF_DISCARD:
		f->dropped = true;
		f->reason = value;
		REC_SET(f, FLOW_DROPPED);
		REC_SET(f, FLOW_REASON);
		break;
	case IF_MULTIPLE:
		f->outn = value;
		REC_SET(f, FLOW_OUTN);
		break;
	}
}

/* flow_sample (0:1), expanded (0:3) and discarded_packet (0:5). */
static int sample_flow(struct sf_decoder *d, const struct dgram *g, uint32_t format,
		       struct rd *r, bool emit)
{
	struct rec_flow f;
	struct flow_ctx c = { .f = &f };
	uint32_t seq, src, type, index, rate = 0, pool = 0, drops;
	uint32_t in, out, infmt = 0, outfmt = 0, reason = 0;
	int bad;

	if (rd_u32(r, &seq) == -1)
		return SF_BAD_SAMPLE_HDR;
	if (format == SAMPLE_FLOW) {
		if (rd_u32(r, &src) == -1 || rd_u32(r, &rate) == -1 ||
		    rd_u32(r, &pool) == -1 || rd_u32(r, &drops) == -1 ||
		    rd_u32(r, &in) == -1 || rd_u32(r, &out) == -1)
			return SF_BAD_SAMPLE_HDR;
		infmt = IF_COMPACT_FORMAT(in);
		in = IF_COMPACT_VALUE(in);
		outfmt = IF_COMPACT_FORMAT(out);
		out = IF_COMPACT_VALUE(out);
	} else if (format == SAMPLE_FLOW_EXP) {
		if (rd_u32(r, &type) == -1 || rd_u32(r, &index) == -1 ||
		    rd_u32(r, &rate) == -1 || rd_u32(r, &pool) == -1 ||
		    rd_u32(r, &drops) == -1 || rd_u32(r, &infmt) == -1 ||
		    rd_u32(r, &in) == -1 || rd_u32(r, &outfmt) == -1 ||
		    rd_u32(r, &out) == -1)
			return SF_BAD_SAMPLE_HDR;
		src = ds_expanded(type, index);
	} else {
		/* drop notifications: source id is expanded, ifIndexes plain */
		if (rd_u32(r, &type) == -1 || rd_u32(r, &index) == -1 ||
		    rd_u32(r, &drops) == -1 || rd_u32(r, &in) == -1 ||
		    rd_u32(r, &out) == -1 || rd_u32(r, &reason) == -1)
			return SF_BAD_SAMPLE_HDR;
		src = ds_expanded(type, index);
	}
	if (!emit)
		return walk_records(d, r, false, NULL, NULL);

	flow_base(&f, g);
	f.ds = src;
	f.seq = seq;
	f.drops = drops;
	REC_SET(&f, FLOW_DS);
	REC_SET(&f, FLOW_SEQ);
	REC_SET(&f, FLOW_DROPS);
	if (format == SAMPLE_DISCARD) {
		f.in = in;
		f.out = out;
		f.dropped = true;
		f.reason = reason;
		REC_SET(&f, FLOW_IN);
		REC_SET(&f, FLOW_OUT);
		REC_SET(&f, FLOW_DROPPED);
		REC_SET(&f, FLOW_REASON);
		d->st.discard_samples++;
	} else {
		f.rate = rate;
		f.pool = pool;
		REC_SET(&f, FLOW_RATE);
		REC_SET(&f, FLOW_POOL);
		if (infmt == IF_INDEX) {
			f.in = in;
			REC_SET(&f, FLOW_IN);
		}
		set_out(&f, outfmt, out);
		d->st.flow_samples++;
	}
	if (d->seq != NULL)
		seq_sample(d->seq, &d->st, &g->agent, g->subagent, src,
			   format == SAMPLE_DISCARD ? 2 : 0, seq);

	bad = walk_records(d, r, true, flow_record, &c);
	if (bad != -1)
		return bad;     /* cannot happen after the framing walk */
	if (c.fs.have_switch_vlan) {
		f.vlan = (uint16_t)c.fs.switch_vlan;
		REC_SET(&f, FLOW_VLAN);
	}
	d->on_flow(d->arg, &f);
	d->st.flows_out++;
	return -1;
}

static int ctr_generic(struct rec_counter *c, struct rd *r)
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

struct ctr_ctx {
	struct rec_counter *c;
	bool any;
};

static void counter_record(struct sf_decoder *d, void *ctx, uint32_t tag, struct rd *rec)
{
	struct ctr_ctx *cc = ctx;

	switch (tag) {
	case CTR_GENERIC:
		if (ctr_generic(cc->c, rec) == -1)
			d->st.rbad[SF_RBAD_COUNTER]++;
		else
			cc->any = true;
		break;
	case CTR_ETHERNET:
		/* 13 dot3 counters; nothing in the counter record yet */
		if (rd_left(rec) < 13 * 4)
			d->st.rbad[SF_RBAD_COUNTER]++;
		break;
	default:
		d->st.other_records++;
	}
}

/* counter_sample (0:2) and expanded (0:4). */
static int sample_counter(struct sf_decoder *d, const struct dgram *g, uint32_t format,
			  struct rd *r, bool emit)
{
	struct rec_counter c;
	struct ctr_ctx cc = { .c = &c };
	uint32_t seq, src, type, index;
	int bad;

	if (rd_u32(r, &seq) == -1)
		return SF_BAD_SAMPLE_HDR;
	if (format == SAMPLE_COUNTER) {
		if (rd_u32(r, &src) == -1)
			return SF_BAD_SAMPLE_HDR;
	} else {
		if (rd_u32(r, &type) == -1 || rd_u32(r, &index) == -1)
			return SF_BAD_SAMPLE_HDR;
		src = ds_expanded(type, index);
	}
	if (!emit)
		return walk_records(d, r, false, NULL, NULL);

	d->st.counter_samples++;
	if (d->seq != NULL)
		seq_sample(d->seq, &d->st, &g->agent, g->subagent, src, 1, seq);
	memset(&c, 0, sizeof(c));
	bad = walk_records(d, r, true, counter_record, &cc);
	if (bad != -1)
		return bad;
	if (!cc.any || d->on_counter == NULL)
		return -1;
	if (g->agent.af != AR_AF_NONE) {
		c.agent = g->agent;
		REC_SET(&c, CTR_AGENT);
	}
	c.subagent = g->subagent;
	c.ds = src;
	c.ts = g->ts;
	REC_SET(&c, CTR_SUBAGENT);
	REC_SET(&c, CTR_DS);
	REC_SET(&c, CTR_TS);
	d->on_counter(d->arg, &c);
	d->st.counters_out++;
	return -1;
}

/* ---- datagram ---- */

static int read_dgram_header(struct rd *r, struct dgram *g, uint32_t *nsamples)
{
	uint32_t version;
	int rc;

	if (rd_u32(r, &version) == -1)
		return SF_BAD_SHORT;
	if (version != 5)
		return SF_BAD_VERSION;
	rc = read_address(r, &g->agent);
	if (rc == -2)
		return SF_BAD_AGENT;
	if (rc == -1 || rd_u32(r, &g->subagent) == -1 || rd_u32(r, &g->dseq) == -1 ||
	    rd_u32(r, &g->uptime) == -1 || rd_u32(r, nsamples) == -1)
		return SF_BAD_SHORT;
	return -1;
}

/* One walk over the samples; returns -1 when all went well, else SF_BAD_*. */
static int walk_samples(struct sf_decoder *d, const struct dgram *g, struct rd *r,
			uint32_t nsamples, bool emit)
{
	uint32_t i, tag, len;
	struct rd s;
	int bad;

	/* Each sample takes at least 8 bytes, so the loop ends with the bytes. */
	for (i = 0; i < nsamples; i++) {
		if (rd_u32(r, &tag) == -1 || rd_u32(r, &len) == -1)
			return SF_BAD_SAMPLE_COUNT;
		if (rd_sub(r, len, &s) == -1)
			return SF_BAD_SAMPLE_LEN;
		switch (tag) {
		case SAMPLE_FLOW:
		case SAMPLE_FLOW_EXP:
		case SAMPLE_DISCARD:
			bad = sample_flow(d, g, tag, &s, emit);
			break;
		case SAMPLE_COUNTER:
		case SAMPLE_COUNTER_EXP:
			bad = sample_counter(d, g, tag, &s, emit);
			break;
		default:
			if (emit)
				d->st.other_samples++;
			bad = -1;
		}
		if (bad != -1)
			return bad;
	}
	/* Bytes after the announced samples are ignored, as sflowtool does. */
	return -1;
}

int sf_decode(struct sf_decoder *d, const uint8_t *p, size_t n, uint64_t ts)
{
	struct rd r = rd_init(p, n), body;
	struct dgram g;
	uint32_t nsamples;
	int bad;

	d->st.datagrams++;
	d->st.bytes += n;
	memset(&g, 0, sizeof(g));
	g.ts = ts;
	bad = read_dgram_header(&r, &g, &nsamples);
	if (bad != -1)
		goto malformed;
	if (d->filter != NULL && !filter_match(d->filter, &g.agent)) {
		d->st.filtered++;
		return -1;
	}
	body = r;
	bad = walk_samples(d, &g, &body, nsamples, false);
	if (bad != -1)
		goto malformed;
	if (d->seq != NULL)
		seq_datagram(d->seq, &d->st, &g.agent, g.subagent, g.dseq, g.uptime);
	bad = walk_samples(d, &g, &r, nsamples, true);
	if (bad != -1)
		goto malformed;         /* not reached: the framing was checked */
	return 0;
malformed:
	d->st.bad[bad]++;
	d->st.malformed++;
	d->last_bad = bad;
	return -1;
}
