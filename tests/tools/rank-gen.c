/* Records for prefix-rank's speed benchmark.
 *   rank-gen routes N4 N6 SEED        one complete state of a synthetic table
 *   rank-gen flows N4 N6 SEED COUNT SECONDS
 *                                     COUNT flow records over SECONDS of record
 *                                     time, Zipf (1.2) over that table's prefixes,
 *                                     90% IPv4 / 10% IPv6
 * Records go to stdout. */
#include <math.h>
#include <stdio.h>

#include "rank-table.h"
#include "rec.h"

static void sync_rec(struct rec_writer *w, enum sync_phase ph)
{
	struct rec_sync s = { 0 };
	s.phase = ph;
	REC_SET(&s, SYNC_PHASE);
	rw_sync(w, &s);
}

static void flush_some(struct rec_writer *w)
{
	if (rw_pending(w) > (1u << 20))
		while (rw_flush(w) == 1)
			;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: rank-gen routes|flows N4 N6 SEED [COUNT SECONDS]\n");
		return 2;
	}
	size_t n4 = strtoul(argv[2], NULL, 10), n6 = strtoul(argv[3], NULL, 10);
	uint64_t seed = strtoull(argv[4], NULL, 10);
	struct gen_pfx *t = gen_table(n4, n6, seed);
	struct rec_writer *w = rw_new(1);
	uint32_t asp[6] = { ASPATH_SEQUENCE, 4, 65001, 3356, 1299, 0 };  /* segment form */

	if (!strcmp(argv[1], "routes")) {
		sync_rec(w, SYNC_BEGIN);
		for (size_t i = 0; i < n4 + n6; i++) {
			struct rec_route rt = { 0 };
			rt.op = ROUTE_ADD;
			rt.prefix.a.af = t[i].af;
			memcpy(rt.prefix.a.b, t[i].b, 16);
			rt.prefix.plen = t[i].plen;
			asp[5] = 64512 + (uint32_t)(i % 1000);
			rt.aspath = (struct u32s){ asp, 6 };
			rt.nexthop.af = t[i].af;
			if (t[i].af == 4) {
				rt.nexthop.b[0] = 198; rt.nexthop.b[1] = 18; rt.nexthop.b[3] = (uint8_t)(1 + i % 4);
			} else {
				rt.nexthop.b[0] = 0x20; rt.nexthop.b[1] = 0x01; rt.nexthop.b[2] = 0x0d;
				rt.nexthop.b[3] = 0xb8; rt.nexthop.b[15] = (uint8_t)(1 + i % 4);
			}
			rt.peer.af = 4;
			rt.peer.b[0] = 198; rt.peer.b[1] = 18; rt.peer.b[3] = 1;
			rt.localpref = 100;
			rt.origin = ORIGIN_IGP;
			REC_SET(&rt, ROUTE_OP); REC_SET(&rt, ROUTE_PREFIX); REC_SET(&rt, ROUTE_NEXTHOP);
			REC_SET(&rt, ROUTE_ASPATH); REC_SET(&rt, ROUTE_PEER); REC_SET(&rt, ROUTE_LOCALPREF);
			REC_SET(&rt, ROUTE_ORIGIN);
			rw_route(w, &rt);
			flush_some(w);
		}
		sync_rec(w, SYNC_END);
	} else if (!strcmp(argv[1], "flows") && argc >= 7) {
		size_t count = strtoul(argv[5], NULL, 10);
		double secs = atof(argv[6]), H4 = 0, H6 = 0;
		double *c4 = calloc(n4, sizeof(double)), *c6 = calloc(n6 ? n6 : 1, sizeof(double));
		for (size_t k = 0; k < n4; k++)
			c4[k] = (H4 += pow((double)(k + 1), -1.2));
		for (size_t k = 0; k < n6; k++)
			c6[k] = (H6 += pow((double)(k + 1), -1.2));
		struct rec_flow f = { 0 };
		f.agent.af = 4; f.agent.b[0] = 198; f.agent.b[1] = 18; f.agent.b[3] = 9;
		f.rate = 1000; f.ds = 3; f.in = 1; f.out = 2; f.proto = 6; f.sport = 443; f.dport = 51000;
		REC_SET(&f, FLOW_AGENT); REC_SET(&f, FLOW_DS); REC_SET(&f, FLOW_SEQ); REC_SET(&f, FLOW_RATE);
		REC_SET(&f, FLOW_IN); REC_SET(&f, FLOW_OUT); REC_SET(&f, FLOW_LEN); REC_SET(&f, FLOW_SRC);
		REC_SET(&f, FLOW_DST); REC_SET(&f, FLOW_PROTO); REC_SET(&f, FLOW_SPORT);
		REC_SET(&f, FLOW_DPORT); REC_SET(&f, FLOW_TS);
		for (size_t i = 0; i < count; i++) {
			bool v6 = n6 && (n4 == 0 || gen_rnd() % 10 == 0);
			double *c = v6 ? c6 : c4, u = (double)(gen_rnd() >> 11) / 9007199254740992.0 * (v6 ? H6 : H4);
			size_t lo = 0, hi = (v6 ? n6 : n4) - 1;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (c[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* rank k -> a prefix spread over the table */
			const struct gen_pfx *p = &t[(v6 ? n4 : 0) + (lo * 2654435761u) % (v6 ? n6 : n4)];
			f.dst.af = f.src.af = p->af;
			memcpy(f.dst.b, p->b, 16);
			unsigned bits = p->af == 4 ? 32 : 128;
			if (p->plen < bits)
				f.dst.b[(bits - 1) / 8] |= (uint8_t)(gen_rnd() & ((p->plen <= bits - 8) ? 0xff : (0xff >> (p->plen % 8))));
			memcpy(f.src.b, t[gen_rnd() % (n4 + n6)].b, 16);
			if (p->af == 4 && t[0].af == 4)
				f.src.af = 4;
			f.len = 64 + (uint32_t)(gen_rnd() % 1437);
			f.seq = (uint32_t)i;
			f.ts = 1700000000000000ull + (uint64_t)((double)i / (double)count * secs * 1e6);
			rw_flow(w, &f);
			flush_some(w);
		}
		free(c4);
		free(c6);
	} else {
		fprintf(stderr, "usage: rank-gen routes|flows N4 N6 SEED [COUNT SECONDS]\n");
		return 2;
	}
	while (rw_flush(w) == 1)
		;
	rw_free(w);
	free(t);
	return 0;
}
