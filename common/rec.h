/* Records: the msgpack maps that flow between the stages.
 * activeroute-records(5) is the contract; the field tables in rec-schema.c
 * follow it one to one (name, msgpack kind, struct member). Unknown keys are
 * ignored by readers; a known key of the wrong kind makes the record
 * malformed (counted, skipped). */
#ifndef AR_REC_H
#define AR_REC_H

#include <stdbool.h>
#include <stddef.h>

#include "ev.h"
#include <stdint.h>
#include <msgpack.h>

#include "addr.h"

enum rec_type {
	REC_UNKNOWN = 0,        /* a map with a type we do not know: skip it */
	REC_FLOW,
	REC_COUNTER,
	REC_ROUTE,
	REC_PEER,
	REC_SYNC,
	REC_STATS,
	REC_HOST,               /* host counters (sFlow host structures) */
	REC_ASIC,               /* switch ASIC table use (Broadcom 4413:3) */
	REC_EVENT,              /* a flow-watch threshold crossed */
	REC_NTYPES
};

/* Arrays decoded from a record point into the reader's scratch memory and
 * stay valid until the next rr_next(). */
struct u32s {
	const uint32_t *v;
	uint32_t n;
};

struct u64s {
	const uint64_t *v;
	uint32_t n;
};

/* AS paths are kept as BGP keeps them: segments of [type, count, as...]
 * (type 1 AS_SET, 2 AS_SEQUENCE). In msgpack and JSON a sequence member is a
 * number and an AS_SET is a nested array: [65001, 65002, [65003, 65004]]. */
enum { ASPATH_SET = 1, ASPATH_SEQUENCE = 2 };
/* Path length as BGP best-path counts it: each member of a sequence 1, a set 1. */
unsigned aspath_hops(const struct u32s *p);
/* Text form "65001 65002 {65003,65004}"; returns buf. */
const char *aspath_fmt(const struct u32s *p, char *buf, size_t len);

enum route_op { ROUTE_ADD = 0, ROUTE_DEL = 1 };
enum route_origin { ORIGIN_IGP = 0, ORIGIN_EGP = 1, ORIGIN_INCOMPLETE = 2 };
enum peer_state { PEER_DOWN = 0, PEER_UP = 1 };
enum sync_phase { SYNC_BEGIN = 0, SYNC_END = 1 };

/* Field bits: REC_HAS(r, FLOW_SRC) says whether the key was present. */
#define REC_HAS(r, f)  (((r)->has >> (f)) & 1)
#define REC_SET(r, f)  ((r)->has |= (uint64_t)1 << (f))

enum flow_field {
	FLOW_AGENT, FLOW_SUBAGENT, FLOW_DSEQ, FLOW_DS, FLOW_SEQ, FLOW_RATE,
	FLOW_POOL, FLOW_DROPS, FLOW_IN, FLOW_OUT, FLOW_OUTN, FLOW_LEN,
	FLOW_SRC, FLOW_DST, FLOW_PROTO, FLOW_SPORT, FLOW_DPORT, FLOW_TOS,
	FLOW_TCPFLAGS, FLOW_VLAN, FLOW_TS, FLOW_SRCMASK, FLOW_DSTMASK,
	FLOW_NEXTHOP, FLOW_SRCAS, FLOW_DSTAS, FLOW_PEERAS, FLOW_ASPATH,
	FLOW_COMMUNITIES, FLOW_LOCALPREF, FLOW_DROPPED, FLOW_REASON,
	/* from prefix-rank's RIB (--flows-out), beside the agent's own above */
	FLOW_RIBDSTLEN, FLOW_RIBSRCLEN, FLOW_RIBNEXTHOP, FLOW_RIBASPATH,
	FLOW_RIBDSTAS, FLOW_RIBDSTPEERAS, FLOW_RIBSRCAS, FLOW_RIBSRCPEERAS,
	FLOW_RIBCOMM, FLOW_RIBLCOMM, FLOW_RIBLOCALPREF,
	FLOW_NFIELDS
};

struct rec_flow {
	uint64_t has;
	struct ar_addr agent;
	uint32_t subagent;
	uint32_t dseq;          /* datagram sequence number */
	uint32_t ds;            /* source id: type << 24 | index (expanded: as sent) */
	uint32_t seq;           /* sample sequence number */
	uint32_t rate;          /* sampling rate (1 in N) */
	uint32_t pool;          /* sample pool */
	uint32_t drops;
	uint32_t in, out;       /* ifIndex; out for "multiple" is outn interfaces */
	uint32_t outn;
	uint32_t len;           /* frame length, bytes */
	struct ar_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;  /* ICMP: type and code */
	uint8_t tos;
	uint8_t tcpflags;
	uint16_t vlan;
	uint64_t ts;            /* receive time, microseconds since the epoch */
	uint8_t srcmask, dstmask;
	struct ar_addr nexthop;
	uint32_t srcas, dstas, peeras;
	struct u32s aspath;
	struct u32s communities;
	uint32_t localpref;
	bool dropped;
	uint32_t reason;
	/* The RIB's answer for dst (and src): matched prefix lengths, the best
	 * route's attributes; AS numbers: origin (last of the path), peer (first). */
	uint8_t ribdstlen, ribsrclen;
	struct ar_addr ribnexthop;
	struct u32s ribaspath;
	uint32_t ribdstas, ribdstpeeras, ribsrcas, ribsrcpeeras;
	struct u32s ribcomm, riblcomm;
	uint32_t riblocalpref;
};

enum counter_field {
	CTR_AGENT, CTR_SUBAGENT, CTR_DS, CTR_IFINDEX, CTR_IFTYPE, CTR_SPEED,
	CTR_IFSTATUS, CTR_INOCTETS, CTR_OUTOCTETS, CTR_INPKTS, CTR_OUTPKTS,
	CTR_INERRORS, CTR_OUTERRORS, CTR_INDISCARDS, CTR_OUTDISCARDS, CTR_TS,
	/* ethernet interface counters (sFlow 0:2, dot3Stats of RFC 3635) */
	CTR_ALIGNERRORS, CTR_FCSERRORS, CTR_SINGLECOLL, CTR_MULTICOLL, CTR_SQEERRORS,
	CTR_DEFERRED, CTR_LATECOLL, CTR_EXCESSCOLL, CTR_MACTXERRORS, CTR_CARRIERERRORS,
	CTR_TOOLONG, CTR_MACRXERRORS, CTR_SYMBOLERRORS,
	CTR_NFIELDS
};

struct rec_counter {
	uint64_t has;
	struct ar_addr agent;
	uint32_t subagent, ds, ifindex, iftype;
	uint64_t speed;         /* bits per second */
	uint32_t ifstatus;
	uint64_t inoctets, outoctets, inpkts, outpkts;
	uint32_t inerrors, outerrors, indiscards, outdiscards;
	uint64_t ts;
	uint32_t alignerrors, fcserrors, singlecoll, multicoll, sqeerrors, deferred,
		 latecoll, excesscoll, mactxerrors, carriererrors, toolong, macrxerrors,
		 symbolerrors;
};

/* One counter sample's host structures (sflow_host.txt): description,
 * adapters, parent, CPU, memory, disk and network I/O. */
enum host_field {
	HOST_AGENT, HOST_SUBAGENT, HOST_DS, HOST_TS,
	HOST_HOSTNAME, HOST_UUID, HOST_MACHINETYPE, HOST_OSNAME, HOST_OSRELEASE,
	HOST_ADAPTERS, HOST_MACS, HOST_PARENTTYPE, HOST_PARENTINDEX,
	HOST_LOAD1, HOST_LOAD5, HOST_LOAD15, HOST_PROCRUN, HOST_PROCTOTAL,
	HOST_CPUNUM, HOST_CPUSPEED, HOST_UPTIME, HOST_CPUUSER, HOST_CPUNICE,
	HOST_CPUSYSTEM, HOST_CPUIDLE, HOST_CPUWIO, HOST_CPUINTR, HOST_CPUSINTR,
	HOST_INTERRUPTS, HOST_CONTEXTS, HOST_CPUSTEAL, HOST_CPUGUEST, HOST_CPUGUESTNICE,
	HOST_MEMTOTAL, HOST_MEMFREE, HOST_MEMSHARED, HOST_MEMBUFFERS, HOST_MEMCACHED,
	HOST_SWAPTOTAL, HOST_SWAPFREE, HOST_PAGEIN, HOST_PAGEOUT, HOST_SWAPIN, HOST_SWAPOUT,
	HOST_DISKTOTAL, HOST_DISKFREE, HOST_PARTMAXUSED, HOST_DISKREADS, HOST_DISKREADBYTES,
	HOST_DISKREADTIME, HOST_DISKWRITES, HOST_DISKWRITEBYTES, HOST_DISKWRITETIME,
	HOST_NETBYTESIN, HOST_NETPKTSIN, HOST_NETERRSIN, HOST_NETDROPSIN,
	HOST_NETBYTESOUT, HOST_NETPKTSOUT, HOST_NETERRSOUT, HOST_NETDROPSOUT,
	HOST_NFIELDS
};

struct rec_host {
	uint64_t has;
	struct ar_addr agent;
	uint32_t subagent, ds;
	uint64_t ts;
	const char *hostname;           /* host_descr (0:2000) */
	const char *uuid;               /* text form, 8-4-4-4-12 hex */
	uint32_t machinetype, osname;   /* the spec's enumerations, as numbers */
	const char *osrelease;
	struct u32s adapters;           /* host_adapters (0:2001): ifIndex each */
	const char *macs;               /* their MAC addresses, comma-separated */
	uint32_t parenttype, parentindex;       /* host_parent (0:2002) */
	double load1, load5, load15;    /* host_cpu (0:2003) */
	uint32_t procrun, proctotal, cpunum, cpuspeed, uptime;
	uint32_t cpuuser, cpunice, cpusystem, cpuidle, cpuwio, cpuintr, cpusintr;
	uint32_t interrupts, contexts, cpusteal, cpuguest, cpuguestnice;
	uint64_t memtotal, memfree, memshared, membuffers, memcached;   /* host_memory (0:2004) */
	uint64_t swaptotal, swapfree;
	uint32_t pagein, pageout, swapin, swapout;
	uint64_t disktotal, diskfree;   /* host_disk_io (0:2005) */
	uint32_t partmaxused;           /* hundredths of a percent */
	uint32_t diskreads;
	uint64_t diskreadbytes;
	uint32_t diskreadtime, diskwrites;
	uint64_t diskwritebytes;
	uint32_t diskwritetime;
	uint64_t netbytesin;            /* host_net_io (0:2006) */
	uint32_t netpktsin, neterrsin, netdropsin;
	uint64_t netbytesout;
	uint32_t netpktsout, neterrsout, netdropsout;
};

/* The ASIC's forwarding tables: entries in use and the most it holds
 * (Broadcom's hw_tables, enterprise 4413, counter format 3). */
enum asic_field {
	ASIC_AGENT, ASIC_SUBAGENT, ASIC_DS, ASIC_TS,
	ASIC_HOST, ASIC_HOSTMAX, ASIC_IPV4, ASIC_IPV4MAX, ASIC_IPV6, ASIC_IPV6MAX,
	ASIC_IPV46, ASIC_IPV46MAX, ASIC_IPV6LONG, ASIC_IPV6LONGMAX,
	ASIC_ROUTES, ASIC_ROUTESMAX, ASIC_ECMP, ASIC_ECMPMAX, ASIC_MAC, ASIC_MACMAX,
	ASIC_IPV4NBR, ASIC_IPV6NBR, ASIC_IPV4ROUTES, ASIC_IPV6ROUTES,
	ASIC_ACLIN, ASIC_ACLINMAX, ASIC_ACLINCTR, ASIC_ACLINCTRMAX,
	ASIC_ACLINMETER, ASIC_ACLINMETERMAX, ASIC_ACLINSLICE, ASIC_ACLINSLICEMAX,
	ASIC_ACLOUT, ASIC_ACLOUTMAX, ASIC_ACLOUTCTR, ASIC_ACLOUTCTRMAX,
	ASIC_ACLOUTMETER, ASIC_ACLOUTMETERMAX, ASIC_ACLOUTSLICE, ASIC_ACLOUTSLICEMAX,
	ASIC_NFIELDS
};
/* The 36 table numbers in the order of the structure on the wire. */
#define ASIC_NTABLE (ASIC_NFIELDS - ASIC_HOST)

struct rec_asic {
	uint64_t has;
	struct ar_addr agent;
	uint32_t subagent, ds;
	uint64_t ts;
	uint32_t v[ASIC_NTABLE];        /* v[f - ASIC_HOST] for field f */
};

enum route_field {
	ROUTE_OP, ROUTE_PREFIX, ROUTE_NEXTHOP, ROUTE_NEXTHOPLL, ROUTE_ASPATH,
	ROUTE_ORIGIN, ROUTE_MED, ROUTE_LOCALPREF, ROUTE_COMMUNITIES,
	ROUTE_LCOMMUNITIES, ROUTE_EXTCOMMUNITIES, ROUTE_ATOMIC, ROUTE_AGGAS, ROUTE_AGGID,
	ROUTE_ORIGINATOR, ROUTE_CLUSTERLIST, ROUTE_PEER, ROUTE_VALUE, ROUTE_PPS,
	ROUTE_PARENT,
	ROUTE_NFIELDS
};

struct rec_route {
	uint64_t has;
	enum route_op op;
	struct ar_prefix prefix;        /* keys "prefix" (bin) + "plen" */
	struct ar_addr nexthop;
	struct ar_addr nexthopll;       /* IPv6 link-local next hop */
	struct u32s aspath;
	enum route_origin origin;
	uint32_t med, localpref;
	struct u32s communities;        /* (asn << 16 | value) each */
	struct u32s lcommunities;       /* 3 numbers per large community */
	struct u64s extcommunities;     /* RFC 4360: the 8 bytes of each, big-endian */
	bool atomic;
	uint32_t aggas;
	struct ar_addr aggid;
	struct ar_addr originator;
	struct u32s clusterlist;
	struct ar_addr peer;            /* the BGP neighbor it came from */
	double value;                   /* FIB snapshots: bytes per second */
	double pps;                     /* FIB snapshots: packets per second */
	struct ar_prefix parent;        /* keys "parent" (bin) + "parentlen" */
};

enum peer_field { PEER_STATE, PEER_PEER, PEER_AS, PEER_ID, PEER_HOLD, PEER_REASON, PEER_NFIELDS };

struct rec_peer {
	uint64_t has;
	enum peer_state state;
	struct ar_addr peer;
	uint32_t as;
	struct ar_addr id;              /* router id, 4-byte bin */
	uint32_t hold;                  /* negotiated hold time, seconds */
	const char *reason;
};

enum sync_field { SYNC_PHASE, SYNC_PEER, SYNC_NFIELDS };

struct rec_sync {
	uint64_t has;
	enum sync_phase phase;
	struct ar_addr peer;
};

enum event_field {
	EV_EVENTID, EV_THRESHOLDID, EV_METRIC, EV_FLOWKEY, EV_VALUE, EV_THRESHOLD,
	EV_AGENT, EV_TS, EV_NFIELDS
};

struct rec_event {
	uint64_t has;
	uint64_t eventid;               /* increasing, per flow-watch run */
	const char *thresholdid, *metric, *flowkey;
	double value, threshold;        /* per second, as the metric counts */
	struct ar_addr agent;
	uint64_t ts;                    /* microseconds since the epoch */
};

/* stats records are open-ended (stage, then one key per counter): build them
 * with rw_begin()/rw_u64()/rw_f64()/rw_end(); readers see them as REC_STATS
 * with the raw map in rec.obj. */

struct rec {
	enum rec_type type;
	msgpack_object obj;             /* the whole map, valid until next rr_next(),
					 * when the reader was asked rr_keep_raw();
					 * otherwise type MSGPACK_OBJECT_NIL */
	union {
		struct rec_flow flow;
		struct rec_counter counter;
		struct rec_route route;
		struct rec_peer peer;
		struct rec_sync sync;
		struct rec_host host;
		struct rec_asic asic;
		struct rec_event event;
	} u;
};

const char *rec_type_name(enum rec_type t);
enum rec_type rec_type_from_name(const char *s, size_t len);

/* Decode the bytes of one msgpack map into a typed record. 0 on success,
 * -1 when malformed, with the reason (one of the RR_BAD_* below) in *bad and
 * the offending key in *badkey (may be NULL). Arrays and strings are
 * allocated in zone; out->obj is left empty. */
int rec_decode_bytes(const uint8_t *p, size_t len, struct rec *out, msgpack_zone *zone,
		     int *bad, const char **badkey);

/* ---- Reading ---- */

enum rr_bad {
	RR_BAD_SYNTAX,          /* not msgpack: bytes skipped to resynchronise */
	RR_BAD_NOTMAP,          /* a msgpack value that is not a map */
	RR_BAD_NOTYPE,          /* a map without a string "type" */
	RR_BAD_FIELD,           /* a known key with a value of the wrong kind */
	RR_BAD_MISSING,         /* a key the type requires is absent */
	RR_BAD_TOOBIG,          /* larger than RR_MAX_RECORD */
	RR_BAD_TRUNC,           /* cut short by end of input */
	RR_BAD_N
};
#define RR_MAX_RECORD (1u << 20)
const char *rr_bad_name(int reason);

struct rr_stats {
	uint64_t records;               /* well-formed records handed out */
	uint64_t unknown;               /* maps of unknown type (skipped, not malformed) */
	uint64_t bytes;
	uint64_t bad[RR_BAD_N];
};

struct rec_reader;
/* fd may be blocking or not; name is used in messages. */
struct rec_reader *rr_new(int fd, const char *name);
void rr_free(struct rec_reader *r);
int rr_fd(const struct rec_reader *r);
/* Replace the fd (a reopened FIFO); buffered partial data is dropped
 * (counted as truncated if any): drain with rr_eof() first to keep it. */
void rr_set_fd(struct rec_reader *r, int fd);
/* A FIFO input whose writer went away, waiting for the next one: PATH is
 * opened again (non-blocking) before the old fd is closed, so a writer
 * never finds it without a reader, and the reader reads the new fd (Linux
 * reports no hang-up on it until a writer has come and gone). The new fd,
 * or -1 with errno (the reader is then left without one). */
int rr_reopen(struct rec_reader *r, const char *path);
/* rr_reopen() for an input watched on loop l (its old fd no longer
 * watched): the new fd is watched for POLLIN with fn(arg). The new fd, or
 * -1 logged (nothing watched then). */
int rr_rewatch(struct rec_reader *r, const char *path, struct ev_loop *l, ev_fd_fn *fn,
	       void *arg);
/* One read(): >0 bytes read, 0 end of input, -1 error (errno; EAGAIN when a
 * non-blocking fd has nothing). */
ssize_t rr_fill(struct rec_reader *r);
/* Feed bytes directly (tests, fuzzers, files already in memory). */
int rr_feed(struct rec_reader *r, const void *p, size_t n);
/* Next well-formed record of a known or unknown type: 1 and *out filled,
 * 0 when more input is needed. Malformed input is counted, logged (rate
 * limited, with the byte offset) and skipped. Records of unknown type are
 * returned with out->type == REC_UNKNOWN. */
int rr_next(struct rec_reader *r, struct rec *out);
/* At end of input: from here rr_next() treats a value cut short as
 * truncated and resynchronises on what follows it, so the records after a
 * cut one are still returned. Call it when rr_fill() returns 0, then drain
 * with rr_next() as usual; the reader is then ready for a new stream. */
void rr_eof(struct rec_reader *r);
const struct rr_stats *rr_stats(const struct rec_reader *r);
/* Byte offset in the stream of the start of the last record returned. */
uint64_t rr_offset(const struct rec_reader *r);
/* The bytes of the last record returned, as they came (a stage that passes
 * records on with a few keys added copies them instead of encoding them
 * again); valid until the reader's buffer is filled again (rr_fill(),
 * rr_feed(), rr_set_fd()): rr_next() calls after it leave them in place,
 * so a stage may queue the records of one drain by these pointers. */
const uint8_t *rr_last_bytes(const struct rec_reader *r, size_t *len);
/* Log malformed input (default on). */
void rr_set_quiet(struct rec_reader *r, bool quiet);
/* Also hand out each record as a msgpack object in rec.obj (rec-json, tools
 * that copy records). Off by default: typed decoding straight from the bytes
 * is several times faster. */
void rr_keep_raw(struct rec_reader *r, bool keep);
/* Decode only these fields (REC_HAS bits) of records of type t, and the
 * type's required ones: the others are passed over, unchecked, and read as
 * absent (a stage that needs a few fields of a wide record). 0, or -1. */
int rr_want(struct rec_reader *r, enum rec_type t, uint64_t fields);

/* ---- Writing ---- */

struct rec_writer;
struct rec_writer *rw_new(int fd);
void rw_free(struct rec_writer *w);
int rw_fd(const struct rec_writer *w);
/* A reopened output: pending bytes are dropped, the error is cleared. */
void rw_set_fd(struct rec_writer *w, int fd);
size_t rw_pending(const struct rec_writer *w);
/* True when the caller should stop producing until the output drains
 * (pending >= high water, 4 MiB by default). */
bool rw_would_block(const struct rec_writer *w);
void rw_set_high_water(struct rec_writer *w, size_t bytes);
/* Write what can be written: 0 all written, 1 some left (EAGAIN), -1 error
 * (errno; EPIPE when the reader went away). Errors are latched: see rw_error(). */
int rw_flush(struct rec_writer *w);
int rw_error(const struct rec_writer *w);      /* latched errno or 0 */
uint64_t rw_records(const struct rec_writer *w);
uint64_t rw_written(const struct rec_writer *w);       /* bytes the fd took */

/* Typed writers: only the fields whose bit is set in ->has are written.
 * Return 0, or -1 when the writer has a latched error. Records are buffered;
 * a buffer past 64 KiB is flushed as far as the fd takes it. */
int rw_flow(struct rec_writer *w, const struct rec_flow *f);
int rw_counter(struct rec_writer *w, const struct rec_counter *c);
int rw_route(struct rec_writer *w, const struct rec_route *r);
int rw_peer(struct rec_writer *w, const struct rec_peer *p);
int rw_sync(struct rec_writer *w, const struct rec_sync *s);
int rw_event(struct rec_writer *w, const struct rec_event *e);
int rw_typed(struct rec_writer *w, const struct rec *r);
/* A record copied as is (tee-like tools), as an object or as the bytes of
 * one record already packed (an encoder of a stage's own, rec-json -r). */
int rw_raw(struct rec_writer *w, const msgpack_object *obj);
int rw_bytes(struct rec_writer *w, const void *p, size_t len);
/* The same built in place, saving a copy: rw_room() gives room for n bytes
 * at the end of the buffer (NULL when out of memory), rw_commit() makes the
 * first n of them (at most what was asked) one record. */
uint8_t *rw_room(struct rec_writer *w, size_t n);
int rw_commit(struct rec_writer *w, size_t n);

/* Generic builder, for stats and tests: rw_begin() writes "type", each
 * rw_KEY() adds one key, rw_end() closes the map. */
void rw_begin(struct rec_writer *w, const char *type);
void rw_u64(struct rec_writer *w, const char *key, uint64_t v);
void rw_i64(struct rec_writer *w, const char *key, int64_t v);
void rw_f64(struct rec_writer *w, const char *key, double v);
void rw_str(struct rec_writer *w, const char *key, const char *v);
void rw_bool(struct rec_writer *w, const char *key, bool v);
void rw_addr(struct rec_writer *w, const char *key, const struct ar_addr *a);
int rw_end(struct rec_writer *w);
/* For values no rw_KEY() covers: rw_key() adds a key to the open record,
 * then pack its value with msgpack-c on rw_packer(). */
void rw_key(struct rec_writer *w, const char *key, size_t len);
msgpack_packer *rw_packer(struct rec_writer *w);
/* The bytes not yet written (a scratch writer on fd -1 is a record builder). */
const char *rw_data(const struct rec_writer *w, size_t *len);

/* Write what a scratch writer (fd -1) holds to path atomically (path.tmp,
 * then rename), and empty the writer: a file that always holds the last
 * stats record, for `active-route status` to read. 0, or -1 with errno. */
int rw_replace_file(struct rec_writer *w, const char *path);

/* ---- Files and FIFOs ---- */
/* "-" is stdin/stdout. Outputs open O_WRONLY (a FIFO waits for its reader
 * unless nonblock). Return the fd or -1 with errno. */
int rec_open_input(const char *path, bool nonblock);
int rec_open_output(const char *path, bool nonblock);

#endif
