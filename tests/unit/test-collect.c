/* collect.c: a complete state handed over whole, an unfinished one
 * dropped (a second begin, the input ending, no memory), records outside
 * the markers left to the owner. */
#include <stdlib.h>

#include "collect.h"
#include "log.h"
#include "unit.h"

struct owner {
	int completes, released, held;  /* held: items taken and not let go */
	size_t last_n;
	int last_first;
	bool adopt, fail_next;
	void *kept;
};

static int take(void *arg, const struct rec *r, void *item)
{
	struct owner *o = arg;

	if (r->type != REC_ROUTE)
		return 0;               /* not part of the state */
	if (o->fail_next) {
		o->fail_next = false;
		return -1;
	}
	*(int *)item = r->u.route.prefix.plen;
	o->held++;
	return 1;
}

static void complete(void *arg, struct collect_set *set)
{
	struct owner *o = arg;

	o->completes++;
	o->last_n = set->n;
	o->last_first = set->n ? ((int *)set->v)[0] : -1;
	o->held -= (int)set->n;
	if (o->adopt) {
		free(o->kept);
		o->kept = set->v;
		*set = (struct collect_set){ 0 };
	}
}

static void release(void *arg, void *items, size_t n)
{
	struct owner *o = arg;
	(void)items;
	o->released += (int)n;
	o->held -= (int)n;
}

static const struct collect_ops ops = { sizeof(int), take, complete, release };

static struct rec sync_rec(enum sync_phase ph)
{
	struct rec r = { .type = REC_SYNC };
	r.u.sync.phase = ph;
	return r;
}

static struct rec route(int plen)
{
	struct rec r = { .type = REC_ROUTE };
	r.u.route.prefix.plen = (uint8_t)plen;
	return r;
}

int main(void)
{
	struct owner o = { 0 };
	struct collect c;
	struct rec b = sync_rec(SYNC_BEGIN), e = sync_rec(SYNC_END), peer = { .type = REC_PEER };
	struct rec r;
	unit_name = "test-collect";

	log_init("test-collect");
	log_set_level(LOG_ERR);
	collect_init(&c, &ops, &o, "test");

	/* outside the markers: the owner's */
	r = route(8);
	CHECK(collect_feed(&c, &r) == 0);
	CHECK(collect_feed(&c, &peer) == 0);
	/* an end without begin is taken and ignored */
	CHECK(collect_feed(&c, &e) == 1 && o.completes == 0);

	/* a complete state, a record that is not part of it skipped */
	CHECK(collect_feed(&c, &b) == 1);
	int taken = 0;
	for (int i = 0; i < 3000; i++) {
		r = route(i % 33);
		taken += collect_feed(&c, &r);
	}
	CHECK(taken == 3000);
	CHECK(collect_feed(&c, &peer) == 1);
	CHECK(o.completes == 0);
	CHECK(collect_feed(&c, &e) == 1);
	CHECK(o.completes == 1 && o.last_n == 3000 && o.last_first == 0 && c.complete == 1);

	/* begun again before its end: the first is dropped, the second counts */
	collect_feed(&c, &b);
	r = route(1);
	collect_feed(&c, &r);
	collect_feed(&c, &b);
	r = route(2);
	collect_feed(&c, &r);
	collect_feed(&c, &e);
	CHECK(o.released == 1 && c.dropped == 1);
	CHECK(o.completes == 2 && o.last_n == 1 && o.last_first == 2);

	/* the input ends inside a state: dropped, never handed over */
	collect_feed(&c, &b);
	r = route(3);
	collect_feed(&c, &r);
	collect_abort(&c);
	CHECK(o.released == 2 && c.dropped == 2 && o.completes == 2);
	r = route(4);
	CHECK(collect_feed(&c, &r) == 0);       /* outside again */

	/* no memory for an item: the state is dropped, its rest is not changes */
	collect_feed(&c, &b);
	r = route(5);
	collect_feed(&c, &r);
	o.fail_next = true;
	collect_feed(&c, &r);
	CHECK(o.released == 3 && c.dropped == 3);
	CHECK(collect_feed(&c, &r) == 1);
	CHECK(collect_feed(&c, &e) == 1 && o.completes == 2);
	CHECK(collect_feed(&c, &r) == 0);

	/* the owner keeps the items: the next state has a set of its own */
	o.adopt = true;
	collect_feed(&c, &b);
	r = route(6);
	collect_feed(&c, &r);
	collect_feed(&c, &e);
	CHECK(o.kept && ((int *)o.kept)[0] == 6 && c.set.v == NULL);
	collect_feed(&c, &b);
	r = route(7);
	collect_feed(&c, &r);
	collect_feed(&c, &e);
	CHECK(o.completes == 4 && o.last_first == 7 && ((int *)o.kept)[0] == 7);

	/* freed while open: what the items hold is let go */
	collect_feed(&c, &b);
	collect_feed(&c, &r);
	collect_free(&c);
	CHECK(o.held == 0);
	free(o.kept);
	return unit_done();
}
