/* sFlow v5 datagrams: header and samples (records.c reads the records).
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


static const char *const bad_names[SF_BAD_N] = {
	[SF_OK] = "ok", [SF_BAD_SHORT] = "short", [SF_BAD_VERSION] = "version",
	[SF_BAD_AGENT] = "agent_type", [SF_BAD_SAMPLE_LEN] = "sample_len",
	[SF_BAD_SAMPLE_COUNT] = "sample_count", [SF_BAD_RECORD_LEN] = "record_len",
	[SF_BAD_RECORD_COUNT] = "record_count", [SF_BAD_SAMPLE_HDR] = "sample_header",
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
	return SF_OK;
}

struct flow_ctx {
	struct rec_flow *f;
	struct sf_fstate fs;
};

static void flow_record(struct sf_decoder *d, void *ctx, uint32_t tag, struct rd *rec)
{
	struct flow_ctx *c = ctx;

	sf_flow_record(d, c->f, &c->fs, tag, rec);
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
	if (d->seq != NULL)
		seq_sample(d->seq, &d->st, &g->agent, g->subagent, src,
			   format == SAMPLE_DISCARD ? 2 : 0, seq);
	if (format == SAMPLE_DISCARD)
		d->st.discard_samples++;
	else
		d->st.flow_samples++;
	/* A rate is a weight downstream: one sample of 1 in 2^31 would carry
	 * a prefix into the FIB. A rate of 0 or past the bound is a garbled or
	 * forged number: the sample is refused, not believed. */
	if (format != SAMPLE_DISCARD &&
	    (rate == 0 || (d->max_rate != 0 && rate > d->max_rate))) {
		d->st.bad_rate++;
		return SF_OK;
	}

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
	}

	bad = walk_records(d, r, true, flow_record, &c);
	if (bad != SF_OK)
		return bad;     /* cannot happen after the framing walk */
	if (c.fs.have_switch_vlan) {
		f.vlan = (uint16_t)c.fs.switch_vlan;
		REC_SET(&f, FLOW_VLAN);
	}
	d->on_flow(d->arg, &f);
	d->st.flows_out++;
	return SF_OK;
}

struct ctr_ctx {
	struct rec_counter *c;
	struct rec_host *h;
	struct rec_asic *a;
	bool any, anyhost, anyasic;
};

static void counter_record(struct sf_decoder *d, void *ctx, uint32_t tag, struct rd *rec)
{
	struct ctr_ctx *cc = ctx;

	switch (tag) {
	case CTR_GENERIC:
		if (sf_counter_generic(cc->c, rec) == -1)
			d->st.rbad[SF_RBAD_COUNTER]++;
		else
			cc->any = true;
		break;
	case CTR_ETHERNET:
		if (sf_counter_ethernet(cc->c, rec) == -1)
			d->st.rbad[SF_RBAD_COUNTER]++;
		else
			cc->any = true;
		break;
	case SF_CTR_HOST_DESCR: case SF_CTR_HOST_ADAPTERS: case SF_CTR_HOST_PARENT:
	case SF_CTR_HOST_CPU: case SF_CTR_HOST_MEMORY: case SF_CTR_HOST_DISK_IO:
	case SF_CTR_HOST_NET_IO:
		if (d->on_host == NULL)
			break;
		if (!cc->anyhost)
			memset(cc->h, 0, sizeof(*cc->h));
		if (sf_counter_host(d, cc->h, tag, rec) == -1)
			d->st.rbad[SF_RBAD_COUNTER]++;
		else
			cc->anyhost = true;
		break;
	case SF_CTR_BCM_TABLES:
		if (d->on_asic == NULL)
			break;
		memset(cc->a, 0, sizeof(*cc->a));
		if (sf_counter_asic(cc->a, rec) == -1)
			d->st.rbad[SF_RBAD_COUNTER]++;
		else
			cc->anyasic = true;
		break;
	default:
		d->st.other_records++;
	}
}

/* The fields every record of a counter sample starts with. */
#define CTR_BASE(rec, g, src, AGENT, SUBAGENT, DS, TS) do {             \
		if ((g)->agent.af != AR_AF_NONE) {                      \
			(rec)->agent = (g)->agent;                      \
			REC_SET(rec, AGENT);                            \
		}                                                       \
		(rec)->subagent = (g)->subagent;                        \
		(rec)->ds = (src);                                      \
		(rec)->ts = (g)->ts;                                    \
		REC_SET(rec, SUBAGENT);                                 \
		REC_SET(rec, DS);                                       \
		REC_SET(rec, TS);                                       \
	} while (0)

/* counter_sample (0:2) and expanded (0:4). */
static int sample_counter(struct sf_decoder *d, const struct dgram *g, uint32_t format,
			  struct rd *r, bool emit)
{
	struct rec_counter c;
	struct rec_host h;
	struct rec_asic a;
	struct ctr_ctx cc = { .c = &c, .h = &h, .a = &a };
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
	if (bad != SF_OK)
		return bad;
	if (cc.anyhost) {
		CTR_BASE(&h, g, src, HOST_AGENT, HOST_SUBAGENT, HOST_DS, HOST_TS);
		d->on_host(d->arg, &h);
		d->st.hosts_out++;
	}
	if (cc.anyasic) {
		CTR_BASE(&a, g, src, ASIC_AGENT, ASIC_SUBAGENT, ASIC_DS, ASIC_TS);
		d->on_asic(d->arg, &a);
		d->st.asics_out++;
	}
	if (!cc.any || d->on_counter == NULL)
		return SF_OK;
	CTR_BASE(&c, g, src, CTR_AGENT, CTR_SUBAGENT, CTR_DS, CTR_TS);
	d->on_counter(d->arg, &c);
	d->st.counters_out++;
	return SF_OK;
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
	rc = sf_read_address(r, &g->agent);
	if (rc == -2)
		return SF_BAD_AGENT;
	if (rc == -1 || rd_u32(r, &g->subagent) == -1 || rd_u32(r, &g->dseq) == -1 ||
	    rd_u32(r, &g->uptime) == -1 || rd_u32(r, nsamples) == -1)
		return SF_BAD_SHORT;
	return SF_OK;
}

/* One walk over the samples; returns SF_OK when all went well, else SF_BAD_*. */
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
			bad = SF_OK;
		}
		if (bad != SF_OK)
			return bad;
	}
	/* Bytes after the announced samples are ignored, as sflowtool does. */
	return SF_OK;
}

int sf_decode(struct sf_decoder *d, const uint8_t *p, size_t n, uint64_t ts,
	      const struct ar_addr *from)
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
	if (bad != SF_OK)
		goto malformed;
	/* The agent field is whatever the sender wrote: the allow-list holds
	 * for where the datagram came from too. */
	if (d->filter != NULL && from != NULL && !filter_match(d->filter, from)) {
		d->st.filtered++;
		d->st.filtered_source++;
		return -1;
	}
	if (d->filter != NULL && !filter_match(d->filter, &g.agent)) {
		d->st.filtered++;
		return -1;
	}
	body = r;
	bad = walk_samples(d, &g, &body, nsamples, false);
	if (bad != SF_OK)
		goto malformed;
	if (d->seq != NULL)
		seq_datagram(d->seq, &d->st, &g.agent, g.subagent, g.dseq, g.uptime);
	bad = walk_samples(d, &g, &r, nsamples, true);
	if (bad != SF_OK)
		goto malformed;         /* not reached: the framing was checked */
	return 0;
malformed:
	d->st.bad[bad]++;
	d->st.malformed++;
	d->last_bad = bad;
	return -1;
}
