/* Complete snapshots and the changes after them: routes between a sync
 * begin and a sync end are the whole wanted state (common/collect.c
 * collects them; an unfinished one is dropped, never applied in part).
 * After a complete state, route records outside the markers are changes:
 * queued, then merged into the wanted state when the input goes idle. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "push.h"

/* Bytes past the address length are zero, so sets compare with memcmp. */
static void norm(struct ar_addr *a)
{
	size_t l = addr_len(a);
	memset(a->b + l, 0, sizeof(a->b) - l);
}

static int queue(struct snap *s, const struct rec_route *rt)
{
	if (!s->have_full) {
		s->delta_ignored++;
		return 0;
	}
	bool del = rt->op == ROUTE_DEL;
	if (!REC_HAS(rt, ROUTE_PREFIX) ||
	    (!del && (!REC_HAS(rt, ROUTE_NEXTHOP) || rt->nexthop.af != rt->prefix.a.af))) {
		s->ignored++;
		return 0;
	}
	if (s->cn == s->ccap) {
		size_t cap = s->ccap ? s->ccap * 2 : 256;
		struct chg *v = reallocarray(s->cv, cap, sizeof(*v));
		if (!v) {
			/* the writer's next complete state repairs what is lost */
			log_err("out of memory queueing a change: ignored");
			s->ignored++;
			return 0;
		}
		s->cv = v;
		s->ccap = cap;
	}
	struct chg *c = &s->cv[s->cn++];
	memset(c, 0, sizeof(*c));
	c->r.p = rt->prefix;
	norm(&c->r.p.a);
	if (!del) {
		c->r.nh = rt->nexthop;
		norm(&c->r.nh);
		c->r.value = REC_HAS(rt, ROUTE_VALUE) ? rt->value : 0;
	}
	c->del = del;
	s->deltas++;
	return 2;
}

static int chg_cmp(const void *a, const void *b)
{
	return rt_cmp(&((const struct chg *)a)->r, &((const struct chg *)b)->r);
}

int snap_merge(struct snap *s, struct rtset *w)
{
	struct rtset u = { 0 };
	size_t k = 0, i = 0, j = 0;

	/* stable: of two changes to one prefix the later stays */
	if (s->cn > 1 && mergesort(s->cv, s->cn, sizeof(*s->cv), chg_cmp) != 0)
		return -1;
	for (size_t x = 0; x < s->cn; x++) {
		if (k && rt_cmp(&s->cv[k - 1].r, &s->cv[x].r) == 0)
			s->cv[k - 1] = s->cv[x];
		else
			s->cv[k++] = s->cv[x];
	}
	while (i < w->n || j < k) {
		int c = i == w->n ? 1 : j == k ? -1 : rt_cmp(&w->v[i], &s->cv[j].r);
		const struct rt *r = c < 0 ? &w->v[i] : &s->cv[j].r;
		bool keep = c < 0 || !s->cv[j].del;
		if (keep && rtset_push(&u, r) < 0) {
			rtset_free(&u);
			return -1;
		}
		i += c <= 0;
		j += c >= 0;
	}
	s->cn = k;              /* sorted and deduplicated: merging again is the same */
	rtset_free(w);
	*w = u;
	return 0;
}

/* A route of the snapshot: a withdrawal inside one means "not in it",
 * nothing to add. */
static int take(void *arg, const struct rec *r, void *item)
{
	struct snap *s = arg;
	struct rt *x = item;

	if (r->type != REC_ROUTE || r->u.route.op == ROUTE_DEL)
		return 0;
	const struct rec_route *rt = &r->u.route;
	if (!REC_HAS(rt, ROUTE_PREFIX) || !REC_HAS(rt, ROUTE_NEXTHOP) ||
	    rt->nexthop.af != rt->prefix.a.af) {
		s->ignored++;
		return 0;
	}
	memset(x, 0, sizeof(*x));
	x->p = rt->prefix;      /* the reader rejects host bits set */
	x->nh = rt->nexthop;
	norm(&x->p.a);
	norm(&x->nh);
	x->value = REC_HAS(rt, ROUTE_VALUE) ? rt->value : 0;
	return 1;
}

/* The collected routes become the snapshot as they are: no copy. */
static void complete(void *arg, struct collect_set *set)
{
	struct snap *s = arg;

	rtset_free(&s->cur);
	s->cur = (struct rtset){ .v = set->v, .n = set->n, .cap = set->cap };
	*set = (struct collect_set){ 0 };
	rtset_sort(&s->cur);
	s->have_full = true;
	s->cn = 0;              /* the complete state supersedes them */
	s->ready = true;
}

static const struct collect_ops snap_ops = { sizeof(struct rt), take, complete, NULL };

void snap_init(struct snap *s, const char *name)
{
	collect_init(&s->col, &snap_ops, s, name);
}

int snap_feed(struct snap *s, const struct rec *r)
{
	if (collect_feed(&s->col, r)) {
		if (!s->ready)
			return 0;
		s->ready = false;
		return 1;
	}
	if (r->type != REC_ROUTE)
		return 0;
	return queue(s, &r->u.route);
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
	collect_abort(&s->col);
	s->have_full = false;   /* the next writer starts with a complete state */
	s->cn = 0;
}

void snap_free(struct snap *s)
{
	collect_free(&s->col);
	rtset_free(&s->cur);
	free(s->cv);
	s->cv = NULL;
}
