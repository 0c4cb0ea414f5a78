/* Field tables for every record type: activeroute-records(5) as data.
 * Add a field: the enum and struct member in rec.h, a row here, and a line
 * in man/man5/activeroute-records.5. */
#include <stddef.h>
#include <string.h>

#include "rec-schema.h"

#define F(st, nm, kd, mem) { nm, kd, (uint16_t)offsetof(st, mem), NULL, NULL, false }
#define FP(st, nm, mem, lk) { nm, K_PREFIX, (uint16_t)offsetof(st, mem), lk, NULL, false }
#define FE(st, nm, mem, en, req) { nm, K_ENUM, (uint16_t)offsetof(st, mem), NULL, en, req }
#define FR(st, nm, kd, mem) { nm, kd, (uint16_t)offsetof(st, mem), NULL, NULL, true }

static const char *const route_ops[] = { "add", "del", NULL };
static const char *const origins[] = { "igp", "egp", "incomplete", NULL };
static const char *const peer_states[] = { "down", "up", NULL };
static const char *const sync_phases[] = { "begin", "end", NULL };

/* Row order must follow enum flow_field. */
static const struct rec_field flow_fields[FLOW_NFIELDS] = {
	F(struct rec_flow, "agent", K_ADDR, agent),
	F(struct rec_flow, "subagent", K_U32, subagent),
	F(struct rec_flow, "dseq", K_U32, dseq),
	F(struct rec_flow, "ds", K_U32, ds),
	F(struct rec_flow, "seq", K_U32, seq),
	F(struct rec_flow, "rate", K_U32, rate),
	F(struct rec_flow, "pool", K_U32, pool),
	F(struct rec_flow, "drops", K_U32, drops),
	F(struct rec_flow, "in", K_U32, in),
	F(struct rec_flow, "out", K_U32, out),
	F(struct rec_flow, "outn", K_U32, outn),
	F(struct rec_flow, "len", K_U32, len),
	F(struct rec_flow, "src", K_ADDR, src),
	F(struct rec_flow, "dst", K_ADDR, dst),
	F(struct rec_flow, "proto", K_U8, proto),
	F(struct rec_flow, "sport", K_U16, sport),
	F(struct rec_flow, "dport", K_U16, dport),
	F(struct rec_flow, "tos", K_U8, tos),
	F(struct rec_flow, "tcpflags", K_U8, tcpflags),
	F(struct rec_flow, "vlan", K_U16, vlan),
	F(struct rec_flow, "ts", K_U64, ts),
	F(struct rec_flow, "srcmask", K_U8, srcmask),
	F(struct rec_flow, "dstmask", K_U8, dstmask),
	F(struct rec_flow, "nexthop", K_ADDR, nexthop),
	F(struct rec_flow, "srcas", K_U32, srcas),
	F(struct rec_flow, "dstas", K_U32, dstas),
	F(struct rec_flow, "peeras", K_U32, peeras),
	F(struct rec_flow, "aspath", K_ASPATH, aspath),
	F(struct rec_flow, "communities", K_COMM, communities),
	F(struct rec_flow, "localpref", K_U32, localpref),
	F(struct rec_flow, "dropped", K_BOOL, dropped),
	F(struct rec_flow, "reason", K_U32, reason),
	F(struct rec_flow, "ribdstlen", K_U8, ribdstlen),
	F(struct rec_flow, "ribsrclen", K_U8, ribsrclen),
	F(struct rec_flow, "ribnexthop", K_ADDR, ribnexthop),
	F(struct rec_flow, "ribaspath", K_ASPATH, ribaspath),
	F(struct rec_flow, "ribdstas", K_U32, ribdstas),
	F(struct rec_flow, "ribdstpeeras", K_U32, ribdstpeeras),
	F(struct rec_flow, "ribsrcas", K_U32, ribsrcas),
	F(struct rec_flow, "ribsrcpeeras", K_U32, ribsrcpeeras),
	F(struct rec_flow, "ribcommunities", K_COMM, ribcomm),
	F(struct rec_flow, "riblcommunities", K_LCOMM, riblcomm),
	F(struct rec_flow, "riblocalpref", K_U32, riblocalpref),
};

static const struct rec_field counter_fields[CTR_NFIELDS] = {
	F(struct rec_counter, "agent", K_ADDR, agent),
	F(struct rec_counter, "subagent", K_U32, subagent),
	F(struct rec_counter, "ds", K_U32, ds),
	F(struct rec_counter, "ifindex", K_U32, ifindex),
	F(struct rec_counter, "iftype", K_U32, iftype),
	F(struct rec_counter, "speed", K_U64, speed),
	F(struct rec_counter, "ifstatus", K_U32, ifstatus),
	F(struct rec_counter, "inoctets", K_U64, inoctets),
	F(struct rec_counter, "outoctets", K_U64, outoctets),
	F(struct rec_counter, "inpkts", K_U64, inpkts),
	F(struct rec_counter, "outpkts", K_U64, outpkts),
	F(struct rec_counter, "inerrors", K_U32, inerrors),
	F(struct rec_counter, "outerrors", K_U32, outerrors),
	F(struct rec_counter, "indiscards", K_U32, indiscards),
	F(struct rec_counter, "outdiscards", K_U32, outdiscards),
	F(struct rec_counter, "ts", K_U64, ts),
	F(struct rec_counter, "alignerrors", K_U32, alignerrors),
	F(struct rec_counter, "fcserrors", K_U32, fcserrors),
	F(struct rec_counter, "singlecollisions", K_U32, singlecoll),
	F(struct rec_counter, "multiplecollisions", K_U32, multicoll),
	F(struct rec_counter, "sqeerrors", K_U32, sqeerrors),
	F(struct rec_counter, "deferred", K_U32, deferred),
	F(struct rec_counter, "latecollisions", K_U32, latecoll),
	F(struct rec_counter, "excessivecollisions", K_U32, excesscoll),
	F(struct rec_counter, "mactxerrors", K_U32, mactxerrors),
	F(struct rec_counter, "carriererrors", K_U32, carriererrors),
	F(struct rec_counter, "toolong", K_U32, toolong),
	F(struct rec_counter, "macrxerrors", K_U32, macrxerrors),
	F(struct rec_counter, "symbolerrors", K_U32, symbolerrors),
};

static const struct rec_field host_fields[HOST_NFIELDS] = {
	F(struct rec_host, "agent", K_ADDR, agent),
	F(struct rec_host, "subagent", K_U32, subagent),
	F(struct rec_host, "ds", K_U32, ds),
	F(struct rec_host, "ts", K_U64, ts),
	F(struct rec_host, "hostname", K_STR, hostname),
	F(struct rec_host, "uuid", K_STR, uuid),
	F(struct rec_host, "machinetype", K_U32, machinetype),
	F(struct rec_host, "osname", K_U32, osname),
	F(struct rec_host, "osrelease", K_STR, osrelease),
	F(struct rec_host, "adapters", K_U32ARR, adapters),
	F(struct rec_host, "macs", K_STR, macs),
	F(struct rec_host, "parenttype", K_U32, parenttype),
	F(struct rec_host, "parentindex", K_U32, parentindex),
	F(struct rec_host, "load1", K_F64, load1),
	F(struct rec_host, "load5", K_F64, load5),
	F(struct rec_host, "load15", K_F64, load15),
	F(struct rec_host, "procrun", K_U32, procrun),
	F(struct rec_host, "proctotal", K_U32, proctotal),
	F(struct rec_host, "cpunum", K_U32, cpunum),
	F(struct rec_host, "cpuspeed", K_U32, cpuspeed),
	F(struct rec_host, "uptime", K_U32, uptime),
	F(struct rec_host, "cpuuser", K_U32, cpuuser),
	F(struct rec_host, "cpunice", K_U32, cpunice),
	F(struct rec_host, "cpusystem", K_U32, cpusystem),
	F(struct rec_host, "cpuidle", K_U32, cpuidle),
	F(struct rec_host, "cpuwio", K_U32, cpuwio),
	F(struct rec_host, "cpuintr", K_U32, cpuintr),
	F(struct rec_host, "cpusintr", K_U32, cpusintr),
	F(struct rec_host, "interrupts", K_U32, interrupts),
	F(struct rec_host, "contexts", K_U32, contexts),
	F(struct rec_host, "cpusteal", K_U32, cpusteal),
	F(struct rec_host, "cpuguest", K_U32, cpuguest),
	F(struct rec_host, "cpuguestnice", K_U32, cpuguestnice),
	F(struct rec_host, "memtotal", K_U64, memtotal),
	F(struct rec_host, "memfree", K_U64, memfree),
	F(struct rec_host, "memshared", K_U64, memshared),
	F(struct rec_host, "membuffers", K_U64, membuffers),
	F(struct rec_host, "memcached", K_U64, memcached),
	F(struct rec_host, "swaptotal", K_U64, swaptotal),
	F(struct rec_host, "swapfree", K_U64, swapfree),
	F(struct rec_host, "pagein", K_U32, pagein),
	F(struct rec_host, "pageout", K_U32, pageout),
	F(struct rec_host, "swapin", K_U32, swapin),
	F(struct rec_host, "swapout", K_U32, swapout),
	F(struct rec_host, "disktotal", K_U64, disktotal),
	F(struct rec_host, "diskfree", K_U64, diskfree),
	F(struct rec_host, "partmaxused", K_U32, partmaxused),
	F(struct rec_host, "diskreads", K_U32, diskreads),
	F(struct rec_host, "diskreadbytes", K_U64, diskreadbytes),
	F(struct rec_host, "diskreadtime", K_U32, diskreadtime),
	F(struct rec_host, "diskwrites", K_U32, diskwrites),
	F(struct rec_host, "diskwritebytes", K_U64, diskwritebytes),
	F(struct rec_host, "diskwritetime", K_U32, diskwritetime),
	F(struct rec_host, "netbytesin", K_U64, netbytesin),
	F(struct rec_host, "netpktsin", K_U32, netpktsin),
	F(struct rec_host, "neterrsin", K_U32, neterrsin),
	F(struct rec_host, "netdropsin", K_U32, netdropsin),
	F(struct rec_host, "netbytesout", K_U64, netbytesout),
	F(struct rec_host, "netpktsout", K_U32, netpktsout),
	F(struct rec_host, "neterrsout", K_U32, neterrsout),
	F(struct rec_host, "netdropsout", K_U32, netdropsout),
};

#define FA(nm, i) { nm, K_U32, (uint16_t)offsetof(struct rec_asic, v[(i) - ASIC_HOST]), NULL, NULL, false }
static const struct rec_field asic_fields[ASIC_NFIELDS] = {
	F(struct rec_asic, "agent", K_ADDR, agent),
	F(struct rec_asic, "subagent", K_U32, subagent),
	F(struct rec_asic, "ds", K_U32, ds),
	F(struct rec_asic, "ts", K_U64, ts),
	FA("host", ASIC_HOST), FA("hostmax", ASIC_HOSTMAX),
	FA("ipv4", ASIC_IPV4), FA("ipv4max", ASIC_IPV4MAX),
	FA("ipv6", ASIC_IPV6), FA("ipv6max", ASIC_IPV6MAX),
	FA("ipv46", ASIC_IPV46), FA("ipv46max", ASIC_IPV46MAX),
	FA("ipv6long", ASIC_IPV6LONG), FA("ipv6longmax", ASIC_IPV6LONGMAX),
	FA("routes", ASIC_ROUTES), FA("routesmax", ASIC_ROUTESMAX),
	FA("ecmp", ASIC_ECMP), FA("ecmpmax", ASIC_ECMPMAX),
	FA("mac", ASIC_MAC), FA("macmax", ASIC_MACMAX),
	FA("ipv4nbr", ASIC_IPV4NBR), FA("ipv6nbr", ASIC_IPV6NBR),
	FA("ipv4routes", ASIC_IPV4ROUTES), FA("ipv6routes", ASIC_IPV6ROUTES),
	FA("aclin", ASIC_ACLIN), FA("aclinmax", ASIC_ACLINMAX),
	FA("aclinctr", ASIC_ACLINCTR), FA("aclinctrmax", ASIC_ACLINCTRMAX),
	FA("aclinmeter", ASIC_ACLINMETER), FA("aclinmetermax", ASIC_ACLINMETERMAX),
	FA("aclinslice", ASIC_ACLINSLICE), FA("aclinslicemax", ASIC_ACLINSLICEMAX),
	FA("aclout", ASIC_ACLOUT), FA("acloutmax", ASIC_ACLOUTMAX),
	FA("acloutctr", ASIC_ACLOUTCTR), FA("acloutctrmax", ASIC_ACLOUTCTRMAX),
	FA("acloutmeter", ASIC_ACLOUTMETER), FA("acloutmetermax", ASIC_ACLOUTMETERMAX),
	FA("acloutslice", ASIC_ACLOUTSLICE), FA("acloutslicemax", ASIC_ACLOUTSLICEMAX),
};

static const struct rec_field route_fields[ROUTE_NFIELDS] = {
	FE(struct rec_route, "op", op, route_ops, true),
	{ "prefix", K_PREFIX, (uint16_t)offsetof(struct rec_route, prefix), "plen", NULL, true },
	F(struct rec_route, "nexthop", K_ADDR, nexthop),
	F(struct rec_route, "nexthopll", K_ADDR, nexthopll),
	F(struct rec_route, "aspath", K_ASPATH, aspath),
	FE(struct rec_route, "origin", origin, origins, false),
	F(struct rec_route, "med", K_U32, med),
	F(struct rec_route, "localpref", K_U32, localpref),
	F(struct rec_route, "communities", K_COMM, communities),
	F(struct rec_route, "lcommunities", K_LCOMM, lcommunities),
	F(struct rec_route, "extcommunities", K_EXTCOMM, extcommunities),
	F(struct rec_route, "atomic", K_BOOL, atomic),
	F(struct rec_route, "aggas", K_U32, aggas),
	F(struct rec_route, "aggid", K_ADDR, aggid),
	F(struct rec_route, "originator", K_ADDR, originator),
	F(struct rec_route, "clusterlist", K_U32ARR, clusterlist),
	F(struct rec_route, "peer", K_ADDR, peer),
	F(struct rec_route, "value", K_F64, value),
	F(struct rec_route, "pps", K_F64, pps),
	FP(struct rec_route, "parent", parent, "parentlen"),
};

static const struct rec_field peer_fields[PEER_NFIELDS] = {
	FE(struct rec_peer, "state", state, peer_states, true),
	FR(struct rec_peer, "peer", K_ADDR, peer),
	F(struct rec_peer, "as", K_U32, as),
	F(struct rec_peer, "id", K_ADDR, id),
	F(struct rec_peer, "hold", K_U32, hold),
	F(struct rec_peer, "reason", K_STR, reason),
};

static const struct rec_field sync_fields[SYNC_NFIELDS] = {
	FE(struct rec_sync, "phase", phase, sync_phases, true),
	F(struct rec_sync, "peer", K_ADDR, peer),
};

static const struct rec_field event_fields[EV_NFIELDS] = {
	FR(struct rec_event, "eventid", K_U64, eventid),
	F(struct rec_event, "thresholdid", K_STR, thresholdid),
	F(struct rec_event, "metric", K_STR, metric),
	F(struct rec_event, "flowkey", K_STR, flowkey),
	F(struct rec_event, "value", K_F64, value),
	F(struct rec_event, "threshold", K_F64, threshold),
	F(struct rec_event, "agent", K_ADDR, agent),
	F(struct rec_event, "ts", K_U64, ts),
};

static const struct rec_schema schemas[REC_NTYPES] = {
	[REC_FLOW] = { "flow", flow_fields, FLOW_NFIELDS, sizeof(struct rec_flow),
		       offsetof(struct rec, u.flow) },
	[REC_COUNTER] = { "counter", counter_fields, CTR_NFIELDS, sizeof(struct rec_counter),
			  offsetof(struct rec, u.counter) },
	[REC_ROUTE] = { "route", route_fields, ROUTE_NFIELDS, sizeof(struct rec_route),
			offsetof(struct rec, u.route) },
	[REC_PEER] = { "peer", peer_fields, PEER_NFIELDS, sizeof(struct rec_peer),
		       offsetof(struct rec, u.peer) },
	[REC_SYNC] = { "sync", sync_fields, SYNC_NFIELDS, sizeof(struct rec_sync),
		       offsetof(struct rec, u.sync) },
	[REC_HOST] = { "host", host_fields, HOST_NFIELDS, sizeof(struct rec_host),
		       offsetof(struct rec, u.host) },
	[REC_ASIC] = { "asic", asic_fields, ASIC_NFIELDS, sizeof(struct rec_asic),
		       offsetof(struct rec, u.asic) },
	[REC_EVENT] = { "event", event_fields, EV_NFIELDS, sizeof(struct rec_event),
			offsetof(struct rec, u.event) },
};

static const char *const type_names[REC_NTYPES] = {
	[REC_UNKNOWN] = "unknown", [REC_FLOW] = "flow", [REC_COUNTER] = "counter",
	[REC_ROUTE] = "route", [REC_PEER] = "peer", [REC_SYNC] = "sync", [REC_STATS] = "stats",
	[REC_HOST] = "host", [REC_ASIC] = "asic",
	[REC_EVENT] = "event",
};

const char *rec_type_name(enum rec_type t)
{
	return (unsigned)t < REC_NTYPES ? type_names[t] : "unknown";
}

enum rec_type rec_type_from_name(const char *s, size_t len)
{
	for (int t = 1; t < REC_NTYPES; t++)
		if (strlen(type_names[t]) == len && memcmp(type_names[t], s, len) == 0)
			return (enum rec_type)t;
	return REC_UNKNOWN;
}

const struct rec_schema *rec_schema(enum rec_type t)
{
	if ((unsigned)t >= REC_NTYPES || !schemas[t].name)
		return NULL;
	return &schemas[t];
}

/* Keys are short and few: one open-addressed table per type, hashed by
 * multiply-shift on the length and the first 8 bytes as a little-endian
 * word. A key of up to 8 bytes is then one word compare (the reader's hot
 * path looks up every key of millions of records); a longer one compares
 * its remaining bytes too. Built once, with what else is derived from the
 * tables: the masks of required and prefix fields. */
#define KEY_SLOTS 128u
struct key_slot {
	uint64_t word;          /* the first 8 bytes, zero-padded */
	uint8_t len;            /* 0: empty (no key is empty) */
	uint8_t code;           /* field index; 0x80 bit = length key */
};
static struct {
	struct key_slot slot[REC_NTYPES][KEY_SLOTS];
	uint64_t required[REC_NTYPES], prefixes[REC_NTYPES];
	bool built;
} idx;

static uint64_t key_word(const char *k, size_t len)
{
	uint64_t w = 0;
	for (size_t i = 0; i < len && i < 8; i++)
		w |= (uint64_t)(uint8_t)k[i] << (8 * i);
	return w;
}

static unsigned key_hash(uint64_t w, size_t len)
{
	return (unsigned)(((w + len) * 0x9e3779b97f4a7c15ull) >> 57) % KEY_SLOTS;
}

static void index_key(int t, const char *name, uint8_t code)
{
	size_t len = strlen(name);
	uint64_t w = key_word(name, len);
	unsigned h = key_hash(w, len);
	while (idx.slot[t][h].len)
		h = (h + 1) % KEY_SLOTS;
	idx.slot[t][h] = (struct key_slot){ w, (uint8_t)len, code };
}

static void build_index(void)
{
	for (int t = 0; t < REC_NTYPES; t++) {
		const struct rec_schema *s = rec_schema((enum rec_type)t);
		if (!s)
			continue;
		for (unsigned i = 0; i < s->n; i++) {
			index_key(t, s->f[i].name, (uint8_t)i);
			if (s->f[i].lenkey)
				index_key(t, s->f[i].lenkey, (uint8_t)(i | 0x80));
			if (s->f[i].required)
				idx.required[t] |= (uint64_t)1 << i;
			if (s->f[i].kind == K_PREFIX)
				idx.prefixes[t] |= (uint64_t)1 << i;
		}
	}
	idx.built = true;
}

/* The slot of a key given as its word and length; longer keys: rest. */
static const struct rec_field *find(const struct rec_schema *s, uint64_t w, size_t len,
				    const char *rest, bool *is_len)
{
	int t = (int)(s - schemas);
	if (!idx.built)
		build_index();
	for (unsigned h = key_hash(w, len); idx.slot[t][h].len; h = (h + 1) % KEY_SLOTS) {
		const struct key_slot *k = &idx.slot[t][h];
		if (k->word != w || k->len != len)
			continue;
		const struct rec_field *f = &s->f[k->code & 0x7f];
		const char *name = (k->code & 0x80) ? f->lenkey : f->name;
		/* keys from the wire may hold NUL bytes: compare bytes, not strings */
		if (len > 8 && memcmp(name + 8, rest, len - 8) != 0)
			continue;
		*is_len = (k->code & 0x80) != 0;
		return f;
	}
	return NULL;
}

const struct rec_field *rec_field_find(const struct rec_schema *s, const char *key,
				       size_t len, bool *is_len)
{
	if (len == 0 || len > 255)
		return NULL;
	return find(s, key_word(key, len), len, len > 8 ? key + 8 : NULL, is_len);
}

const struct rec_field *rec_field_find_word(const struct rec_schema *s, uint64_t word,
					    unsigned len, bool *is_len)
{
	return find(s, word, len, NULL, is_len);
}

void rec_schema_masks(const struct rec_schema *s, uint64_t *required, uint64_t *prefixes)
{
	int t = (int)(s - schemas);
	if (!idx.built)
		build_index();
	*required = idx.required[t];
	*prefixes = idx.prefixes[t];
}
