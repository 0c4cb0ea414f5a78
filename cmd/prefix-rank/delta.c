/* Deltas, not snapshots. After a complete state the reader holds what was
 * sent; from then on only the differences go out: an add for a prefix that
 * entered the selection or whose route changed (a replacement), a del for
 * one that left it or left the RIB. What was sent is kept as a hash of
 * prefix id -> path id, the path held so its id cannot be reused under us
 * (paths are interned: the same id is the same route). A complete state is
 * sent again after a reopen, when the output could not take a change, on
 * request, and every --full-every seconds. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pr.h"

struct sent {
	uint32_t id;                    /* 0: empty slot */
	uint32_t pid;
	uint32_t gen;
};

static inline size_t slot_of(uint32_t id, size_t cap)
{
	return (size_t)(id * 2654435761u) & (cap - 1);
}

static struct sent *find(struct pr *pr, uint32_t id)
{
	if (!pr->scap)
		return NULL;
	for (size_t i = slot_of(id, pr->scap);; i = (i + 1) & (pr->scap - 1)) {
		if (pr->sv[i].id == id)
			return &pr->sv[i];
		if (!pr->sv[i].id)
			return NULL;
	}
}

static int grow(struct pr *pr)
{
	size_t cap = pr->scap ? pr->scap * 2 : 1024;
	struct sent *v = calloc(cap, sizeof(*v)), *old = pr->sv;

	if (!v)
		return -1;
	for (size_t i = 0; i < pr->scap; i++) {
		if (!old[i].id)
			continue;
		size_t j = slot_of(old[i].id, cap);
		while (v[j].id)
			j = (j + 1) & (cap - 1);
		v[j] = old[i];
	}
	free(old);
	pr->sv = v;
	pr->scap = cap;
	return 0;
}

static struct sent *insert(struct pr *pr, uint32_t id)
{
	if (2 * (pr->sn + 1) > pr->scap && grow(pr) < 0)
		return NULL;
	size_t i = slot_of(id, pr->scap);
	while (pr->sv[i].id)
		i = (i + 1) & (pr->scap - 1);
	pr->sv[i].id = id;
	pr->sn++;
	return &pr->sv[i];
}

/* Linear probing: close the gap so later entries stay reachable. */
static void erase(struct pr *pr, struct sent *e)
{
	size_t i = (size_t)(e - pr->sv), j = i, m = pr->scap - 1;

	rib_path_release(&pr->rib, e->pid);
	pr->sv[i].id = 0;
	pr->sn--;
	for (;;) {
		j = (j + 1) & m;
		if (!pr->sv[j].id)
			return;
		size_t k = slot_of(pr->sv[j].id, pr->scap);
		/* j's entry may move to i only if its home is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			pr->sv[i] = pr->sv[j];
			pr->sv[j].id = 0;
			i = j;
		}
	}
}

static void write_del(struct pr *pr, const struct pfx *p)
{
	struct rec_route rt;

	memset(&rt, 0, sizeof(rt));
	rt.op = ROUTE_DEL;
	REC_SET(&rt, ROUTE_OP);
	pfx_prefix(&pr->rib, p, &rt.prefix);
	REC_SET(&rt, ROUTE_PREFIX);
	rw_route(out_w(pr->out), &rt);
	pr->deltas_out++;
}

static void write_add(struct pr *pr, const struct pfx *p)
{
	struct rec_route rt;

	snapshot_route(pr, p, sel_parent(&pr->rib, p, PFX_SEL), &rt);
	rw_route(out_w(pr->out), &rt);
	pr->deltas_out++;
}

/* A change can go out now; if not, the reader must get a complete state. */
static bool change_goes(struct pr *pr)
{
	if (pr->out && out_takes(pr->out))
		return true;
	delta_clear(pr);
	return false;
}

void delta_clear(struct pr *pr)
{
	for (size_t i = 0; i < pr->scap; i++)
		if (pr->sv[i].id)
			rib_path_release(&pr->rib, pr->sv[i].pid);
	if (pr->sv)
		memset(pr->sv, 0, pr->scap * sizeof(*pr->sv));
	pr->sn = 0;
	pr->delta_on = false;
}

void delta_free(struct pr *pr)
{
	delta_clear(pr);
	free(pr->sv);
	pr->sv = NULL;
	pr->scap = 0;
}

/* Remember p as sent with its current best path. */
static void note(struct pr *pr, struct pfx *p)
{
	struct sent *e = find(pr, p->id);

	if (e) {
		if (e->pid == p->r0.path) {
			e->gen = pr->sgen;
			return;
		}
		rib_path_release(&pr->rib, e->pid);
	} else if (!(e = insert(pr, p->id))) {
		/* No memory for the ledger: the next tick sends a complete state. */
		pr->delta_on = false;
		return;
	}
	e->pid = p->r0.path;
	e->gen = pr->sgen;
	rib_path_hold(&pr->rib, e->pid);
}

void delta_after_full(struct pr *pr)
{
	delta_clear(pr);
	pr->sgen++;
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < pr->prev[i].n; j++)
			note(pr, pr->prev[i].v[j]);
	pr->delta_on = true;
}

/* The tick's changes against what the reader holds. */
size_t delta_tick(struct pr *pr)
{
	uint64_t n0 = pr->deltas_out;

	pr->sgen++;
	/* Removals first: a reader with a cap makes room before it adds. */
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < pr->prev[i].n; j++) {
			struct sent *e = find(pr, pr->prev[i].v[j]->id);
			if (e)
				e->gen = pr->sgen;
		}
	for (size_t i = 0; i < pr->scap; i++) {
		struct sent *e = &pr->sv[i];
		while (e->id && e->gen != pr->sgen) {
			write_del(pr, rib_byid(&pr->rib, e->id));
			erase(pr, e);   /* may move another entry into slot i */
		}
	}
	pr->sgen++;
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < pr->prev[i].n; j++) {
			struct pfx *p = pr->prev[i].v[j];
			struct sent *e = find(pr, p->id);
			if (!e || e->pid != p->r0.path)
				write_add(pr, p);
			note(pr, p);
		}
	return (size_t)(pr->deltas_out - n0);
}

/* A change made between ticks (the fast path). */
void delta_put(struct pr *pr, struct pfx *p, bool add)
{
	struct sent *e;

	if (!pr->delta_on || !change_goes(pr))
		return;                 /* the next complete state carries it */
	e = find(pr, p->id);
	if (add) {
		if (e && e->pid == p->r0.path)
			return;
		write_add(pr, p);
		note(pr, p);
	} else if (e) {
		write_del(pr, p);
		erase(pr, e);
	}
}

/* p leaves the RIB: if the reader has it, it goes now. */
void delta_gone(struct pr *pr, struct pfx *p)
{
	struct sent *e = pr->delta_on ? find(pr, p->id) : NULL;

	if (!e || !change_goes(pr))
		return;
	write_del(pr, p);
	erase(pr, e);
}
