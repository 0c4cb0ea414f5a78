/* libFuzzer target: arbitrary record streams into the RIB and the rates
 * (routes, syncs, peers on a route input; then the same bytes as flows),
 * then a selection; checks capacity and that nothing is hidden. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "pr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct pr *pr, int af, size_t max)
{
	struct sel_result *s = &pr->prev[af_idx(af)];
	struct rib *r = &pr->rib;
	struct pfx *p;

	if (s->n > max)
		__builtin_trap();
	/* Every RIB prefix resolves, through its nearest selected ancestor,
	 * to its own next hop, or to none. */
	for (p = rib_next(r, af, NULL); p; p = rib_next(r, af, p)) {
		struct pfx *a = (p->flags & PFX_SEL) ? p : sel_parent(r, p, PFX_SEL);
		if (!a)
			continue;
		/* the address range of p not covered by its children resolves to
		 * p in the RIB and to a in the FIB */
		if (a != p && !nh_same(pfx_best(r, a), pfx_best(r, p))) {
			/* p is hidden unless its children tile it completely; the
			 * fuzzer's tables never do that on purpose: trap. */
			__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pr_opts o = { .tick = 1, .tau = 10, .grace = 0, .max4 = 3, .max6 = 2,
				    .min_prefix = 0, .hysteresis = 0.5, .min_samples = 1, .replay = true };
	static bool init;
	struct pr pr;
	struct rec rec;

	if (!init) {
		log_init("fuzz-rank-records");
		log_set_level(LOG_ERR);
		init = true;
	}
	memset(&pr, 0, sizeof(pr));
	pr.o = &o;
	pr.ctl = -1;
	if (rib_init(&pr.rib, o.tau) < 0)
		return 0;
	for (int k = 0; k < 2; k++) {
		struct input *in = &pr.in[pr.nin++];
		in->pr = &pr;
		in->kind = k ? IN_FLOWS : IN_ROUTES;
		in->path = k ? "flows" : "routes";
		in->fd = -1;
		in->rr = rr_new(-1, in->path);
		rr_set_quiet(in->rr, true);
		rr_feed(in->rr, data, size);
		rr_eof(in->rr);
		while (rr_next(in->rr, &rec) == 1)
			pr_record(&pr, in, &rec);
	}
	pr_tick(&pr);
	check(&pr, AR_AF4, o.max4);
	check(&pr, AR_AF6, o.max6);
	for (int k = 0; k < pr.nin; k++)
		rr_free(pr.in[k].rr);
	delta_free(&pr);
	fast_free(&pr.fast[0]);
	fast_free(&pr.fast[1]);
	for (int i = 0; i < 2; i++) {
		sel_result_free(&pr.prev[i]);
		sel_result_free(&pr.cur[i]);
	}
	rib_free(&pr.rib);
	return 0;
}
