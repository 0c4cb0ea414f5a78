/* Records: typed round trips, malformed input, EPIPE and would-block. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "rec.h"
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

int main(void)
{
	unit_name = "test-rec";
	test_many_arrays();
	test_route();
	test_all_types();
	test_malformed();
	test_key_forms();
	test_pipe();
	return unit_done();
}
