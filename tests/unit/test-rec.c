/* Records: typed round trips, malformed input, EPIPE and would-block. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "rec.h"
#include "rec-schema.h"
#include "unit.h"

#define FEED(r, lit) rr_feed((r), (lit), sizeof(lit) - 1)

static struct rec_reader *reader_of(struct rec_writer *w)
{
	size_t len;
	const char *p = rw_data(w, &len);
	struct rec_reader *r = rr_new(-1, "test");
	rr_set_quiet(r, true);
	rr_feed(r, p, len);
	return r;
}

static void test_route(void)
{
	static const uint32_t path[] = { ASPATH_SEQUENCE, 2, 65001, 4200000000u, ASPATH_SET, 2, 7, 8 };
	static const uint32_t comm[] = { 65000u << 16 | 100 };
	static const uint32_t lcomm[] = { 65000, 1, 2 };
	struct rec_writer *w = rw_new(-1);
	struct rec_route rt = { 0 };
	struct rec rec;
	char err[64], buf[128];

	rt.op = ROUTE_ADD;
	prefix_parse("203.0.113.0/24", &rt.prefix, err, sizeof(err));
	addr_parse("198.18.1.1", &rt.nexthop);
	rt.aspath = (struct u32s){ path, 8 };
	rt.origin = ORIGIN_INCOMPLETE;
	rt.med = 7;
	rt.localpref = 200;
	rt.communities = (struct u32s){ comm, 1 };
	rt.lcommunities = (struct u32s){ lcomm, 3 };
	rt.value = 1.5e9;
	prefix_parse("203.0.112.0/22", &rt.parent, err, sizeof(err));
	rt.has = 1ull << ROUTE_OP | 1ull << ROUTE_PREFIX | 1ull << ROUTE_NEXTHOP |
		 1ull << ROUTE_ASPATH | 1ull << ROUTE_ORIGIN | 1ull << ROUTE_MED |
		 1ull << ROUTE_LOCALPREF | 1ull << ROUTE_COMMUNITIES |
		 1ull << ROUTE_LCOMMUNITIES | 1ull << ROUTE_VALUE | 1ull << ROUTE_PARENT;
	CHECK(rw_route(w, &rt) == 0);

	struct rec_reader *r = reader_of(w);
	CHECK(rr_next(r, &rec) == 1);
	CHECK(rec.type == REC_ROUTE);
	struct rec_route *g = &rec.u.route;
	CHECK(g->has == rt.has);
	CHECK(g->op == ROUTE_ADD && g->origin == ORIGIN_INCOMPLETE);
	CHECK(prefix_cmp(&g->prefix, &rt.prefix) == 0);
	CHECK(prefix_cmp(&g->parent, &rt.parent) == 0);
	CHECK(addr_cmp(&g->nexthop, &rt.nexthop) == 0);
	CHECK(g->aspath.n == 8 && memcmp(g->aspath.v, path, sizeof(path)) == 0);
	CHECK(aspath_hops(&g->aspath) == 3);
	CHECK_STR(aspath_fmt(&g->aspath, buf, sizeof(buf)), "65001 4200000000 {7,8}");
	CHECK(g->communities.n == 1 && g->communities.v[0] == comm[0]);
	CHECK(g->lcommunities.n == 3 && g->lcommunities.v[2] == 2);
	CHECK(g->med == 7 && g->localpref == 200 && g->value == 1.5e9);
	CHECK(rr_next(r, &rec) == 0);
	CHECK(rr_stats(r)->records == 1);
	rr_free(r);
	rw_free(w);
}

static void test_all_types(void)
{
	struct rec_writer *w = rw_new(-1);
	struct rec_flow f = { 0 };
	struct rec_counter c = { 0 };
	struct rec_peer p = { 0 };
	struct rec_sync s = { 0 };
	struct rec rec;

	addr_parse("2001:db8::1", &f.dst);
	f.rate = 1000;
	f.ts = 1764000000123456ull;
	f.dropped = true;
	REC_SET(&f, FLOW_DST);
	REC_SET(&f, FLOW_RATE);
	REC_SET(&f, FLOW_TS);
	REC_SET(&f, FLOW_DROPPED);
	rw_flow(w, &f);
	c.speed = 100000000000ull;
	REC_SET(&c, CTR_SPEED);
	rw_counter(w, &c);
	p.state = PEER_UP;
	addr_parse("198.18.1.1", &p.peer);
	p.reason = "hold timer expired";
	REC_SET(&p, PEER_STATE);
	REC_SET(&p, PEER_PEER);
	REC_SET(&p, PEER_REASON);
	rw_peer(w, &p);
	s.phase = SYNC_END;
	REC_SET(&s, SYNC_PHASE);
	rw_sync(w, &s);
	rw_begin(w, "stats");
	rw_str(w, "stage", "test");
	rw_u64(w, "records", 42);
	rw_f64(w, "coverage", 99.5);
	rw_end(w);
	/* 20 keys: the map header grows to map16. */
	rw_begin(w, "stats");
	for (int i = 0; i < 19; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		rw_u64(w, k, (uint64_t)i);
	}
	rw_end(w);
	CHECK(rw_records(w) == 6);

	/* Fast path (typed only): stats come without their map. */
	struct rec_reader *r = reader_of(w);
	int k = 0;
	while (rr_next(r, &rec) == 1)
		if (k++ == 4)
			CHECK(rec.type == REC_STATS && rec.obj.type == MSGPACK_OBJECT_NIL);
	CHECK(k == 6);
	rr_free(r);

	r = reader_of(w);
	rr_keep_raw(r, true);
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_FLOW);
	CHECK(rec.u.flow.rate == 1000 && rec.u.flow.ts == f.ts && rec.u.flow.dropped);
	CHECK(REC_HAS(&rec.u.flow, FLOW_DST) && !REC_HAS(&rec.u.flow, FLOW_SRC));
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_COUNTER && rec.u.counter.speed == c.speed);
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_PEER);
	CHECK_STR(rec.u.peer.reason, "hold timer expired");
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_SYNC && rec.u.sync.phase == SYNC_END);
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_STATS && rec.obj.via.map.size == 4);
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_STATS && rec.obj.via.map.size == 20);
	CHECK(rr_next(r, &rec) == 0);
	rr_free(r);
	rw_free(w);
}

/* Malformed input is counted by reason and skipped; good records after it
 * still arrive. */
static void test_malformed(void)
{
	struct rec_writer *w = rw_new(-1);
	struct rec_sync s = { .phase = SYNC_BEGIN };
	struct rec rec;
	size_t len;
	REC_SET(&s, SYNC_PHASE);
	rw_sync(w, &s);
	const char *good = rw_data(w, &len);

	struct rec_reader *r = rr_new(-1, "t");
	rr_set_quiet(r, true);
	FEED(r, "\xc1\xc1\xc1");                         /* never-used byte */
	rr_feed(r, good, len);
	FEED(r, "\x93\x01\x02\x03");                     /* array, not a map */
	rr_feed(r, good, len);
	FEED(r, "\x81\xa1x\x01");                        /* no type */
	FEED(r, "\x82\xa4type\xa5route\xa2op\x05");     /* op not a string */
	FEED(r, "\x81\xa4type\xa7mystery");             /* unknown type: fine */
	FEED(r, "\x82\xa4type\xa4sync\xa5phase\xa3mid"); /* bad enum */
	FEED(r, "\x81\xa4type\xa4peer");                /* missing state, peer */
	/* route with host bits set */
	FEED(r, "\x84\xa4type\xa5route\xa2op\xa3""add\xa6prefix\xc4\x04\xcb\x00\x71\x01\xa4plen\x18");
	FEED(r, "\xdb\xff\xff\xff\xff");                 /* str32 of 4 GiB: too big */
	rr_feed(r, good, len);
	rr_feed(r, good, len - 1);                             /* cut short */

	int n = 0, unknown = 0;
	while (rr_next(r, &rec) == 1)
		rec.type == REC_SYNC ? n++ : unknown++;
	CHECK(n == 3);
	rr_eof(r);
	while (rr_next(r, &rec) == 1)
		rec.type == REC_SYNC ? n++ : unknown++;
	const struct rr_stats *st = rr_stats(r);
	CHECK(n == 3);
	CHECK(unknown == 1);
	CHECK(st->bad[RR_BAD_SYNTAX] == 1);
	CHECK(st->bad[RR_BAD_NOTMAP] == 1);
	CHECK(st->bad[RR_BAD_NOTYPE] == 1);
	CHECK(st->bad[RR_BAD_FIELD] == 3);
	CHECK(st->bad[RR_BAD_MISSING] == 1);
	CHECK(st->bad[RR_BAD_TOOBIG] == 1);
	CHECK(st->bad[RR_BAD_TRUNC] == 1);
	rr_free(r);
	rw_free(w);
}

/* The writer's encoder and msgpack-c's packer: the same bytes for every
 * kind of field and every header size (map16, str8, uint64, plen 128). */
static bool same_as_reference(const struct rec *r)
{
	struct rec_writer *a = rw_new(-1), *b = rw_new(-1);
	size_t la, lb;
	rw_typed(a, r);
	rw_typed_reference(b, r);
	const char *pa = rw_data(a, &la), *pb = rw_data(b, &lb);
	bool same = la == lb && memcmp(pa, pb, la) == 0;
	rw_free(a);
	rw_free(b);
	return same;
}

static void test_encoder_reference(void)
{
	static uint32_t path[600];
	static const uint32_t comm[] = { 1, 127, 128, 255, 256, 65535, 65536, 0xffffffffu };
	static const uint32_t lcomm[] = { 65000, 1, 2, 4200000000u, 300, 70000 };
	static char reason[300];
	struct rec r = { .type = REC_FLOW };
	struct rec_flow *f = &r.u.flow;
	char err[64];

	path[0] = ASPATH_SEQUENCE;
	path[1] = 255;
	for (int i = 0; i < 255; i++)
		path[2 + i] = (uint32_t)i * 70001u;
	path[257] = ASPATH_SET;
	path[258] = 3;
	path[259] = 1, path[260] = 200, path[261] = 70000;
	addr_parse("198.18.0.9", &f->agent);
	addr_parse("2001:db8::1", &f->src);
	addr_parse("2001:db8::2", &f->dst);
	addr_parse("198.18.0.1", &f->nexthop);
	f->subagent = 1, f->dseq = 200, f->ds = 70000, f->seq = 0xffffffffu, f->rate = 1000;
	f->pool = 5, f->drops = 0, f->in = 1, f->out = 2, f->outn = 3, f->len = 1514;
	f->proto = 6, f->sport = 443, f->dport = 65535, f->tos = 255, f->tcpflags = 18;
	f->vlan = 4094, f->ts = 1764000000123456ull, f->srcmask = 24, f->dstmask = 128;
	f->srcas = 65001, f->dstas = 4200000000u, f->peeras = 3356, f->localpref = 100;
	f->aspath = (struct u32s){ path, 262 };
	f->communities = (struct u32s){ comm, 8 };
	f->dropped = true, f->reason = 3;
	f->has = (1ull << FLOW_NFIELDS) - 1;
	CHECK(same_as_reference(&r));

	r.type = REC_ROUTE;
	struct rec_route *rt = &r.u.route;
	memset(rt, 0, sizeof(*rt));
	rt->op = ROUTE_DEL;
	prefix_parse("2001:db8::1/128", &rt->prefix, err, sizeof(err));
	prefix_parse("2001:db8::/32", &rt->parent, err, sizeof(err));
	addr_parse("2001:db8::ff", &rt->nexthop);
	addr_parse("fe80::1", &rt->nexthopll);
	rt->aspath = (struct u32s){ path + 257, 5 };
	rt->lcommunities = (struct u32s){ lcomm, 6 };
	rt->communities = (struct u32s){ comm, 8 };
	rt->value = 1.5e9;
	rt->pps = -0.0;
	rt->has = (1ull << ROUTE_NFIELDS) - 1;
	CHECK(same_as_reference(&r));

	r.type = REC_PEER;
	memset(&r.u.peer, 0, sizeof(r.u.peer));
	memset(reason, 'x', sizeof(reason) - 1);
	r.u.peer.reason = reason;       /* str16 */
	r.u.peer.has = (1ull << PEER_NFIELDS) - 1;
	CHECK(same_as_reference(&r));
	reason[40] = '\0';              /* str8 */
	CHECK(same_as_reference(&r));
	r.u.peer.reason = NULL;         /* written as "" */
	CHECK(same_as_reference(&r));
}

/* The same record read in one pass (clean, known keys) and through the
 * framing path (type not first, an unknown key, a key of 9 bytes, a key
 * ending in a NUL byte): the same fields either way. */
static void test_key_forms(void)
{
	struct rec rec;
	struct rec_reader *r = rr_new(-1, "t");
	rr_set_quiet(r, true);
	FEED(r, "\x83\xa4type\xa4""flow\xa4rate\xcd\x03\xe8\xa3len\xcd\x05\xdc");
	FEED(r, "\x83\xa3len\xcd\x05\xdc\xa4type\xa4""flow\xa4rate\xcd\x03\xe8");
	FEED(r, "\x84\xa4type\xa4""flow\xa5""extra\x92\x01\x02\xa4rate\xcd\x03\xe8\xa3len\xcd\x05\xdc");
	FEED(r, "\x84\xa4type\xa4""flow\xa9localpref\x07\xa4rate\xcd\x03\xe8\xa3len\xcd\x05\xdc");
	/* "len\0" is not "len": that record lacks it, so only rate is there */
	FEED(r, "\x83\xa4type\xa4""flow\xa4rate\xcd\x03\xe8\xa4len\x00\xcd\x05\xdc");
	for (int i = 0; i < 5; i++) {
		CHECK(rr_next(r, &rec) == 1 && rec.type == REC_FLOW);
		CHECK(rec.u.flow.rate == 1000);
		CHECK(i == 4 ? !REC_HAS(&rec.u.flow, FLOW_LEN) : rec.u.flow.len == 1500);
	}
	CHECK(rec.u.flow.localpref == 0);
	CHECK(rr_next(r, &rec) == 0);
	CHECK(rr_stats(r)->records == 5);
	rr_free(r);
}

/* A reader that goes away is EPIPE, not SIGPIPE; a full pipe is "would
 * block" with the data kept. */
static void test_pipe(void)
{
	int fds[2];
	struct rec_sync s = { .phase = SYNC_BEGIN };
	REC_SET(&s, SYNC_PHASE);
	signal(SIGPIPE, SIG_IGN);

	CHECK(pipe(fds) == 0);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	struct rec_writer *w = rw_new(fds[1]);
	rw_set_high_water(w, 256 * 1024);
	int i;
	for (i = 0; i < 200000 && !rw_would_block(w); i++)
		rw_sync(w, &s);
	CHECK(rw_would_block(w));
	CHECK(rw_flush(w) == 1);
	CHECK(rw_pending(w) > 0);

	/* Drain through a reader and count: nothing lost. */
	struct rec_reader *r = rr_new(fds[0], "pipe");
	struct rec rec;
	int got = 0;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	while (got < i) {
		rw_flush(w);
		if (rr_fill(r) <= 0 && rw_pending(w) == 0)
			break;
		while (rr_next(r, &rec) == 1)
			got++;
	}
	CHECK(got == i);
	rr_free(r);
	close(fds[0]);
	rw_sync(w, &s);
	CHECK(rw_flush(w) == -1 && errno == EPIPE);
	CHECK(rw_error(w) == EPIPE);
	CHECK(rw_sync(w, &s) == -1);
	rw_set_fd(w, -1);       /* reopen clears the error and the stale bytes */
	CHECK(rw_error(w) == 0 && rw_pending(w) == 0);
	rw_free(w);
	close(fds[1]);
}

/* Nesting is bounded by depth, not by the number of arrays: a route with
 * 100 large communities (100 nested arrays) is well-formed. */
static void test_many_arrays(void)
{
	static uint32_t lc[300];
	struct rec_writer *w = rw_new(-1);
	struct rec_route rt = { 0 };
	struct rec rec;
	char err[64];
	for (int i = 0; i < 300; i++)
		lc[i] = (uint32_t)i;
	rt.op = ROUTE_ADD;
	prefix_parse("198.18.0.0/15", &rt.prefix, err, sizeof(err));
	rt.lcommunities = (struct u32s){ lc, 300 };
	rt.has = 1ull << ROUTE_OP | 1ull << ROUTE_PREFIX | 1ull << ROUTE_LCOMMUNITIES;
	rw_route(w, &rt);
	for (int raw = 0; raw < 2; raw++) {
		struct rec_reader *r = reader_of(w);
		rr_keep_raw(r, raw);
		CHECK(rr_next(r, &rec) == 1 && rec.type == REC_ROUTE);
		CHECK(rec.u.route.lcommunities.n == 300 && rec.u.route.lcommunities.v[299] == 299);
		rr_free(r);
	}
	/* 33 levels of nesting is more than msgpack-c's unpacker takes: refused. */
	struct rec_reader *r = rr_new(-1, "t");
	rr_set_quiet(r, true);
	FEED(r, "\x82\xa4type\xa4sync\xa1x");
	for (int i = 0; i < 33; i++)
		FEED(r, "\x91");
	FEED(r, "\x01");
	CHECK(rr_next(r, &rec) == 0);
	CHECK(rr_stats(r)->bad[RR_BAD_SYNTAX] == 1);
	rr_free(r);
	rw_free(w);
}

/* rr_last_bytes() of each record of a drain holds its bytes while the
 * records after it are read (prefix-rank --flows-out queues them so). */
static void test_last_bytes(void)
{
	struct rec_writer *w = rw_new(-1);
	const uint8_t *at[3];
	size_t len[3], all;

	for (int i = 0; i < 3; i++) {
		rw_begin(w, "stats");
		rw_u64(w, "n", (uint64_t)i);
		rw_end(w);
	}
	const uint8_t *src = (const uint8_t *)rw_data(w, &all);
	struct rec_reader *r = reader_of(w);
	struct rec rec;
	for (int i = 0; i < 3; i++) {
		CHECK(rr_next(r, &rec) == 1);
		at[i] = rr_last_bytes(r, &len[i]);
	}
	CHECK(rr_next(r, &rec) == 0);
	CHECK(len[0] + len[1] + len[2] == all);
	CHECK(at[1] == at[0] + len[0] && at[2] == at[1] + len[1]);
	CHECK(memcmp(at[0], src, all) == 0);
	rr_free(r);
	rw_free(w);
}

/* rr_want(): the fields not asked for are passed over whatever their form
 * (integers, a bin, arrays of integers or of anything), the others read;
 * a record cut inside a skipped value is still malformed. */
static void test_want(void)
{
	static const uint32_t comm[] = { 65000u << 16 | 1, 7 }, path[] = { ASPATH_SEQUENCE, 2, 1, 4200000000u };
	struct rec_writer *w = rw_new(-1);
	struct rec_flow f = { 0 };
	struct rec rec;

	addr_parse("198.18.1.1", &f.dst);
	addr_parse("198.19.0.1", &f.ribnexthop);
	f.len = 1500;
	f.rate = 70000;
	f.tcpflags = 0x12;
	f.ribcomm = (struct u32s){ comm, 2 };
	f.ribaspath = (struct u32s){ path, 4 };
	f.has = 1ull << FLOW_DST | 1ull << FLOW_LEN | 1ull << FLOW_RATE | 1ull << FLOW_TCPFLAGS |
		1ull << FLOW_RIBNEXTHOP | 1ull << FLOW_RIBCOMM | 1ull << FLOW_RIBASPATH;
	rw_flow(w, &f);
	struct rec_reader *r = reader_of(w);
	CHECK(rr_want(r, REC_FLOW, 1ull << FLOW_LEN | 1ull << FLOW_RIBASPATH) == 0);
	CHECK(rr_next(r, &rec) == 1 && rec.type == REC_FLOW);
	CHECK(rec.u.flow.has == (1ull << FLOW_LEN | 1ull << FLOW_RIBASPATH));
	CHECK(rec.u.flow.len == 1500 && rec.u.flow.ribaspath.n == 4 && rec.u.flow.ribaspath.v[3] == path[3]);
	rr_free(r);

	/* skipped by the general way: an array holding a string and an array */
	static const char odd[] = "\x83\xa4" "type" "\xa4" "flow" "\xab" "communities"
				  "\x93\x01\xa1" "x" "\x91\x02" "\xa3" "len" "\x05";
	/* cut inside the skipped array: not a record */
	static const char cut[] = "\x83\xa4" "type" "\xa4" "flow" "\xab" "communities"
				  "\x93\x01\xce\x00";
	r = rr_new(-1, "test");
	rr_set_quiet(r, true);
	CHECK(rr_want(r, REC_FLOW, 1ull << FLOW_LEN) == 0);
	FEED(r, odd);
	CHECK(rr_next(r, &rec) == 1 && rec.u.flow.has == 1ull << FLOW_LEN && rec.u.flow.len == 5);
	FEED(r, cut);
	rr_eof(r);
	CHECK(rr_next(r, &rec) == 0);
	CHECK(rr_stats(r)->records == 1);
	rr_free(r);
	rw_free(w);
}

int main(void)
{
	unit_name = "test-rec";
	test_many_arrays();
	test_route();
	test_all_types();
	test_malformed();
	test_key_forms();
	test_encoder_reference();
	test_pipe();
	test_last_bytes();
	test_want();
	return unit_done();
}
