/* Between ticks: a RIB change that makes the FIB hide a route is undone at
 * once, not at the next tick.
 *
 * The FIB forwards an address by its longest selected prefix. A route
 * change can make that wrong for addresses the FIB did not change for: a
 * more-specific learned (or given a new next hop) under a selected cover
 * with another next hop, a selected prefix's own next hop changing under
 * its unselected more-specifics, a selected prefix withdrawn so that its
 * more-specifics fall to its cover. fast_repair() looks at the part of the
 * tree the change touched and, when something there now resolves to a
 * selected prefix with another next hop:
 *   - takes the hidden more-specifics (the tick's closure of the cover)
 *     when they fit in the free capacity, more-specifics first;
 *   - otherwise removes the cover and every selected prefix above it, the
 *     outermost first: what they carried goes to the default route (the
 *     full-table router), which forwards everything right. Removing only
 *     the cover would hand its range to the next selected prefix up, whose
 *     next hop may differ too.
 * It never adds beyond the capacity and never evicts for room: the next
 * tick re-ranks with the new routes and may take the cover back with its
 * closure. */
#include "rank.h"

/* Does any prefix at or under at, outside selected subtrees below cover,
 * resolve to cover (at's nearest selected prefix) with another next hop? */
static bool hides(const struct rib *r, const struct pfx *cover, const struct pfx *at, uint8_t bit)
{
	const struct path *c = pfx_best(r, cover);
	const struct pfx *q = at;

	if (at != cover && !nh_same(pfx_best(r, at), c))
		return true;
	for (q = pfx_walk_next(r, at, at); q;) {
		if (q->flags & bit) {
			q = pfx_walk_skip(r, at, q);        /* forwards itself */
			continue;
		}
		if (!nh_same(pfx_best(r, q), c))
			return true;
		q = pfx_walk_next(r, at, q);
	}
	return false;
}

static size_t take_closure(struct rib *r, struct pfx *cover, const struct sel_params *sp,
			   struct sel_result *sel, fast_emit_fn *emit, void *ctx)
{
	size_t adds, n0 = sel->n;
	double gain;

	if (sel_closure(r, cover, sp, true, &adds, sel, &gain) < 0)
		return 0;       /* what was pushed is marked and listed: the tick sorts it */
	return fast_taken(r, sel, n0, emit, ctx);
}

static size_t drop_chain(struct rib *r, struct pfx *cover, struct sel_result *sel,
			 fast_emit_fn *emit, void *ctx)
{
	struct pfx *chain[130];
	size_t n = 0;

	for (struct pfx *a = cover; a && n < sizeof(chain) / sizeof(chain[0]);
	     a = sel_parent(r, a, PFX_SEL))
		chain[n++] = a;
	for (size_t k = n; k-- > 0;)
		fast_leave(sel, chain[k], emit, ctx);
	return n;
}

size_t fast_repair(struct rib *r, struct pfx *q, const struct sel_params *sp,
		   struct sel_result *sel, fast_emit_fn *emit, void *ctx)
{
	struct pfx *cover;
	size_t adds, room;
	double gain;

	if (!q || (q->flags & PFX_FREE) || !q->r0.path)
		return 0;
	if (q->flags & PFX_SEL)
		cover = q;
	else if (!(cover = sel_parent(r, q, PFX_SEL)))
		return 0;               /* the default route takes it: right */
	if (!hides(r, cover, q, PFX_SEL))
		return 0;
	if (sel_closure(r, cover, sp, false, &adds, sel, &gain) < 0)
		adds = SIZE_MAX;
	room = sp->max > sel->n ? sp->max - sel->n : 0;
	if (adds <= room)
		return take_closure(r, cover, sp, sel, emit, ctx);
	return drop_chain(r, cover, sel, emit, ctx);
}
