/* Collecting complete snapshots: routes between a sync begin and a sync end
 * are the whole wanted state. An unfinished snapshot is dropped, never
 * applied in part. */
#include <string.h>

#include "log.h"
#include "push.h"

/* Bytes past the address length are zero, so sets compare with memcmp. */
static void norm(struct ar_addr *a)
{
	size_t l = addr_len(a);
	memset(a->b + l, 0, sizeof(a->b) - l);
}

int snap_feed(struct snap *s, const struct rec *r)
{
	if (r->type == REC_SYNC) {
		if (r->u.sync.phase == SYNC_BEGIN) {
			if (s->open) {
				s->dropped++;
				log_warn("snapshot begun again before its end: dropping %zu routes",
					 s->cur.n);
			}
			rtset_clear(&s->cur);
			s->open = true;
			return 0;
		}
		if (!s->open) {
			log_warn("sync end without begin: ignored");
			return 0;
		}
		s->open = false;
		s->complete++;
		rtset_sort(&s->cur);
		return 1;
	}
	if (r->type != REC_ROUTE)
		return 0;
	const struct rec_route *rt = &r->u.route;
	if (!s->open) {
		s->ignored++;
		return 0;
	}
	/* a withdrawal inside a snapshot means "not in it": nothing to add */
	if (rt->op == ROUTE_DEL)
		return 0;
	if (!REC_HAS(rt, ROUTE_PREFIX) || !REC_HAS(rt, ROUTE_NEXTHOP) ||
	    rt->nexthop.af != rt->prefix.a.af) {
		s->ignored++;
		return 0;
	}
	struct rt x;
	memset(&x, 0, sizeof(x));
	x.p = rt->prefix;       /* the reader rejects host bits set */
	x.nh = rt->nexthop;
	norm(&x.p.a);
	norm(&x.nh);
	x.value = REC_HAS(rt, ROUTE_VALUE) ? rt->value : 0;
	if (rtset_push(&s->cur, &x) < 0) {
		log_err("out of memory collecting a snapshot: dropping it");
		s->open = false;
		s->dropped++;
		rtset_clear(&s->cur);
	}
	return 0;
}

void snap_take(struct snap *s, struct rtset *out)
{
	struct rtset t = *out;
	*out = s->cur;
	s->cur = t;
	rtset_clear(&s->cur);
}

void snap_abort(struct snap *s)
{
	if (s->open) {
		s->dropped++;
		log_warn("input ended inside a snapshot: dropping %zu routes", s->cur.n);
	}
	s->open = false;
	rtset_clear(&s->cur);
}

void snap_free(struct snap *s)
{
	rtset_free(&s->cur);
}
