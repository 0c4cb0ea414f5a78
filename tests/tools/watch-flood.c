/* Flow records for flow-watch's memory and accuracy benchmark: a flood of
 * distinct source addresses with ten heavy sources among them.
 *   watch-flood NFLOOD SECONDS SEED
 * NFLOOD records from distinct sources (a permutation of 10.0.0.0/8 and
 * beyond: no address twice), spread evenly over SECONDS of record time;
 * heavy source i (1..10) is 198.18.0.i, sending (11 - i) * 200 sampled
 * packets a second, sampling rate 1, so its true rate in frames/s is that.
 * Records (time-ordered) go to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: watch-flood NFLOOD SECONDS SEED\n");
		return 2;
	}
	uint64_t n = strtoull(argv[1], NULL, 10), seed = strtoull(argv[3], NULL, 10);
	double secs = atof(argv[2]);
	struct rec_writer *w = rw_new(1);
	double next[11] = { 0 }, every[11];
	uint64_t t0 = 1700000000000000ull, sent = 0;
	/* an odd multiplier is a bijection mod 2^32: every flood source distinct */
	uint32_t mul = 2654435761u, add = (uint32_t)(seed * 40503u);

	for (int i = 1; i <= 10; i++)
		every[i] = 1e6 / ((11 - i) * 200.0);
	struct rec_flow f = { 0 };
	f.agent.af = f.src.af = f.dst.af = AR_AF4;
	f.agent.b[0] = 198, f.agent.b[1] = 18, f.agent.b[2] = 255, f.agent.b[3] = 1;
	f.dst.b[0] = 198, f.dst.b[1] = 19, f.dst.b[3] = 1;
	f.rate = 1;
	f.len = 64;
	f.proto = 17;
	f.has = (uint64_t)1 << FLOW_AGENT | (uint64_t)1 << FLOW_SRC | (uint64_t)1 << FLOW_DST |
		(uint64_t)1 << FLOW_RATE | (uint64_t)1 << FLOW_LEN | (uint64_t)1 << FLOW_PROTO |
		(uint64_t)1 << FLOW_TS;
	double step = secs * 1e6 / (double)n;
	for (uint64_t k = 0; k < n; k++) {
		double now = (double)k * step;
		for (int i = 1; i <= 10; i++)
			while (next[i] <= now) {
				memset(f.src.b, 0, 4);
				f.src.b[0] = 198, f.src.b[1] = 18, f.src.b[3] = (uint8_t)i;
				f.ts = t0 + (uint64_t)next[i];
				rw_flow(w, &f);
				next[i] += every[i];
				sent++;
			}
		uint32_t a = (uint32_t)k * mul + add;
		if ((a >> 8) == 0xc61200u && (a & 0xff) >= 1 && (a & 0xff) <= 10)
			continue;       /* a heavy source's address: not a flood one */
		f.src.b[0] = (uint8_t)(a >> 24), f.src.b[1] = (uint8_t)(a >> 16);
		f.src.b[2] = (uint8_t)(a >> 8), f.src.b[3] = (uint8_t)a;
		f.ts = t0 + (uint64_t)now;
		rw_flow(w, &f);
		if (rw_pending(w) > (1u << 20))
			while (rw_flush(w) == 1)
				;
	}
	while (rw_flush(w) == 1)
		;
	fprintf(stderr, "watch-flood: %llu flood + %llu heavy records\n", (unsigned long long)n,
		(unsigned long long)sent);
	return 0;
}
