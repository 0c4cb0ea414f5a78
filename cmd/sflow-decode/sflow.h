/* sFlow v5 datagram decoder (sflow.org sflow_version_5.txt, and the drop
 * notification extension for discarded_packet samples).
 * A datagram goes in; flow and counter records come out through callbacks.
 * The decoder never reads past the datagram, never allocates, and bounds
 * every loop by the bytes it has, not by a count from the wire. */
#ifndef SFLOW_H
#define SFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define SFLOW_PORT 6343

/* Why a datagram was dropped whole; the order is the order of the checks.
 * The walks return SF_OK (0) when all went well, as everything else here
 * returns 0 for success. */
enum sf_bad {
	SF_OK,
	SF_BAD_SHORT,           /* ends inside the datagram header */
	SF_BAD_VERSION,         /* not version 5 */
	SF_BAD_AGENT,           /* agent address type not 0, 1 or 2 */
	SF_BAD_SAMPLE_LEN,      /* a sample runs past the datagram */
	SF_BAD_SAMPLE_COUNT,    /* fewer samples than announced, or bytes left over */
	SF_BAD_RECORD_LEN,      /* a record runs past its sample */
	SF_BAD_RECORD_COUNT,    /* fewer records than announced in a sample */
	SF_BAD_SAMPLE_HDR,      /* a sample too short for its fixed fields */
	SF_BAD_N,
	SF_BAD_FIRST = SF_BAD_SHORT
};
const char *sf_bad_name(int reason);

/* Problems inside one record: the record is ignored, the sample kept. */
enum sf_rbad {
	SF_RBAD_HEADER,         /* sampled_header shorter than its fixed fields */
	SF_RBAD_IPV4,           /* sampled_ipv4 too short */
	SF_RBAD_IPV6,           /* sampled_ipv6 too short */
	SF_RBAD_SWITCH,         /* extended_switch too short */
	SF_RBAD_ROUTER,         /* extended_router too short or bad address type */
	SF_RBAD_GATEWAY,        /* extended_gateway too short or bad address type */
	SF_RBAD_COUNTER,        /* a counter record too short */
	SF_RBAD_N
};
const char *sf_rbad_name(int reason);

struct sf_stats {
	uint64_t datagrams;             /* handed to the decoder */
	uint64_t bytes;
	uint64_t filtered;              /* sender or agent not in --agents */
	uint64_t filtered_source;       /* of which the UDP source was not */
	uint64_t bad_rate;              /* flow samples refused: rate 0 or past --max-rate */
	uint64_t malformed;             /* sum of bad[] */
	uint64_t bad[SF_BAD_N];
	uint64_t rbad[SF_RBAD_N];
	uint64_t flow_samples;          /* 0:1 and 0:3 */
	uint64_t counter_samples;       /* 0:2 and 0:4 */
	uint64_t discard_samples;       /* 0:5 */
	uint64_t other_samples;         /* skipped by length */
	uint64_t other_records;         /* flow/counter records skipped by length */
	uint64_t headers_truncated;     /* sampled headers that ended early */
	uint64_t flows_out;             /* flow records written */
	uint64_t counters_out;          /* counter records written */
	uint64_t hosts_out;             /* host records written */
	uint64_t asics_out;             /* asic records written */
	uint64_t host_cut;              /* adapters or MACs past what a host record keeps */
	/* sequence tracking (seq.c) */
	uint64_t dgram_lost;            /* datagrams missing by sequence number */
	uint64_t dgram_reordered;       /* arrived late or twice */
	uint64_t sample_lost;           /* samples missing per source */
	uint64_t sample_reordered;
	uint64_t restarts;              /* agent restarts (uptime or sequence reset) */
	uint64_t dgram_jumps;           /* datagram numbers past --max-seq-gap: not losses */
	uint64_t sample_jumps;          /* sample numbers past --max-seq-gap */
	uint64_t untracked;             /* sequence table full */
};

struct seqtab;
struct agent_filter;

typedef void sf_flow_fn(void *arg, const struct rec_flow *f);
typedef void sf_counter_fn(void *arg, const struct rec_counter *c);
typedef void sf_host_fn(void *arg, const struct rec_host *h);
typedef void sf_asic_fn(void *arg, const struct rec_asic *a);

/* Counter record formats: enterprise << 12 | format. */
enum {
	SF_CTR_HOST_DESCR = 2000, SF_CTR_HOST_ADAPTERS = 2001, SF_CTR_HOST_PARENT = 2002,
	SF_CTR_HOST_CPU = 2003, SF_CTR_HOST_MEMORY = 2004, SF_CTR_HOST_DISK_IO = 2005,
	SF_CTR_HOST_NET_IO = 2006,
	SF_CTR_BCM_TABLES = 4413u << 12 | 3,
};

/* Scratch for the text and arrays of the host record being built. */
#define SF_MAX_ADAPTERS 32
struct sf_hostbuf {
	char hostname[65];
	char uuid[37];
	char osrelease[33];
	char macs[18 * SF_MAX_ADAPTERS];
	uint32_t adapters[SF_MAX_ADAPTERS];
};

struct sf_decoder {
	sf_flow_fn *on_flow;
	sf_counter_fn *on_counter;      /* NULL: counter samples are only counted */
	sf_host_fn *on_host;            /* NULL: host records are not made */
	sf_asic_fn *on_asic;            /* NULL: asic records are not made */
	void *arg;
	const struct agent_filter *filter;  /* NULL: every agent */
	struct seqtab *seq;             /* NULL: no sequence tracking */
	uint32_t max_rate;              /* largest sampling rate believed; 0: no bound */
	struct sf_stats st;
	int last_bad;                   /* SF_BAD_* of the last malformed one */
	/* Scratch for the arrays of the current flow record (bounded, not sized
	 * by the wire: longer paths are cut and counted). */
	uint32_t aspath[256];
	uint32_t communities[256];
	uint64_t aspath_cut;
	struct sf_hostbuf hb;
};

/* Decode one datagram received at ts (microseconds since the epoch) from
 * the address from (the UDP source; NULL when not known). With a filter,
 * both the sender and the agent address inside must be in it.
 * Returns 0, or -1 when it was malformed (counted in st.bad[]) or filtered. */
int sf_decode(struct sf_decoder *d, const uint8_t *p, size_t n, uint64_t ts,
	      const struct ar_addr *from);

/* Records inside samples (records.c). */
struct rd;
/* What one flow sample's records said, resolved once all are read. */
struct sf_fstate {
	bool l3_from_header;
	bool have_switch_vlan;
	uint32_t switch_vlan;
};
/* address: type (0 unknown, 1 IPv4, 2 IPv6) then the bytes. 0, -1 short,
 * -2 unknown type. */
int sf_read_address(struct rd *r, struct ar_addr *a);
/* One flow record (enterprise << 12 | format in tag) into f. */
void sf_flow_record(struct sf_decoder *d, struct rec_flow *f, struct sf_fstate *fs,
		    uint32_t tag, struct rd *rec);
/* Generic interface counters (0:1) into c; -1 when short. */
int sf_counter_generic(struct rec_counter *c, struct rd *r);
int sf_counter_ethernet(struct rec_counter *c, struct rd *r);
/* Host structures (host.c): one of the SF_CTR_HOST_* records into h
 * (strings and arrays in d->hb); -1 when short or malformed. */
int sf_counter_host(struct sf_decoder *d, struct rec_host *h, uint32_t tag, struct rd *r);
/* Broadcom hw_tables (4413:3) into a; -1 when short. */
int sf_counter_asic(struct rec_asic *a, struct rd *r);

/* Sampled packet header parsing (header.c), exposed for the decoder. */
enum sf_hdrproto {
	SF_HP_ETHERNET = 1, SF_HP_IPV4 = 11, SF_HP_IPV6 = 12, SF_HP_MPLS = 13,
};
/* Fills the L2-L4 fields it finds; returns 1 when the header ended before
 * the transport ports (truncated), 0 otherwise. */
int sf_parse_header(struct rec_flow *f, uint32_t proto, const uint8_t *p, size_t n);

/* Agent filter (filter.c): a list of prefixes. */
struct agent_filter *filter_new(void);
void filter_free(struct agent_filter *af);
/* "ADDR[/LEN][,ADDR[/LEN]...]": 0, or -1 with a message on stderr. */
int filter_add(struct agent_filter *af, const char *list);
bool filter_match(const struct agent_filter *af, const struct ar_addr *a);
size_t filter_count(const struct agent_filter *af);

/* Sequence tracking (seq.c): fixed-size tables allocated once. */
/* max_gap: a sequence number further ahead than this is a jump (a garbled
 * or reset number, counted apart), not that many losses; 0: no bound. */
struct seqtab *seq_new(size_t max_sources, uint32_t max_gap);
void seq_free(struct seqtab *t);
void seq_datagram(struct seqtab *t, struct sf_stats *st, const struct ar_addr *agent,
		  uint32_t subagent, uint32_t dseq, uint32_t uptime);
/* kind: 0 flow, 1 counter, 2 discard */
void seq_sample(struct seqtab *t, struct sf_stats *st, const struct ar_addr *agent,
		uint32_t subagent, uint32_t ds, unsigned kind, uint32_t seq);

#endif
