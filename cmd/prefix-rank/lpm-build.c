/* The LPM built at once from prefixes in address order (a first complete
 * state): every node written once, its runs in one pass. */
#include <string.h>

#include "rank.h"
#include "lpm-int.h"

struct build {
	struct lpm *t;
	void (*ent)(const void *, size_t, uint8_t *, unsigned *, uint32_t *);
	const void *ctx;
};

/* A node's runs as the build makes them, in slot order: the ranges still
 * open (each inside the one below it; the node's fill at the bottom) on a
 * stack, a run written as each is left or entered. */
struct runs {
	uint8_t st[NSLOT];
	uint32_t v[NSLOT];
	unsigned n, pos, top;
	struct { unsigned end; uint32_t v; } open[LPM_STRIDE + 4];
};

static void runs_emit(struct runs *R, unsigned upto, uint32_t v)
{
	if (R->pos >= upto)
		return;
	if (!R->n || R->v[R->n - 1] != v) {
		R->st[R->n] = (uint8_t)R->pos;
		R->v[R->n++] = v;
	}
	R->pos = upto;
}

/* Everything before slot s written; the value there so far returned. */
static uint32_t runs_to(struct runs *R, unsigned s)
{
	while (R->top && R->open[R->top - 1].end <= s) {
		runs_emit(R, R->open[R->top - 1].end, R->open[R->top - 1].v);
		R->top--;
	}
	if (!R->top)
		return 0;
	runs_emit(R, s, R->open[R->top - 1].v);
	return R->open[R->top - 1].v;
}

/* Slots [lo, hi) hold v (the root's in place, or a range on the stack);
 * returns what they held before. */
static uint32_t paint(struct lpm *t, struct runs *R, unsigned lo, unsigned hi, uint32_t v)
{
	uint32_t was;

	if (!R) {
		was = t->root[lo];
		for (unsigned y = lo; y < hi; y++)
			t->root[y] = v;
		return was;
	}
	was = runs_to(R, lo);
	R->open[R->top].end = hi;
	R->open[R->top++].v = v;
	return was;
}

/* Entries [i, j), all inside node idx (-1: the root), whose every slot
 * holds fill before. In address order a prefix comes after those covering
 * it and before those it covers, and the prefixes below one slot are next
 * to each other: painting in order leaves the longest in each slot, and a
 * node's ranges nest, so its runs come out in one pass. */
static int build_node(const struct build *b, int64_t idx, unsigned lvl, size_t i, size_t j,
		      uint32_t fill)
{
	struct runs runs, *R = idx < 0 ? NULL : &runs;
	unsigned end = level_end(lvl);

	if (R) {
		R->n = R->pos = 0;
		R->top = 1;
		R->open[0].end = NSLOT;
		R->open[0].v = fill;
	}
	while (i < j) {
		uint8_t k[17] = { 0 }, k2[17] = { 0 };
		unsigned plen, plen2, x;
		uint32_t id, id2;
		size_t e;
		int64_t c;

		b->ent(b->ctx, i, k, &plen, &id);
		x = index_at(k, lvl);
		if (plen <= end) {
			unsigned span = end - plen, base = x & ~((1u << span) - 1);
			paint(b->t, R, base, base + (1u << span), id);
			i++;
			continue;
		}
		for (e = i + 1; e < j; e++) {
			b->ent(b->ctx, e, k2, &plen2, &id2);
			if (plen2 <= end || index_at(k2, lvl) != x)
				break;
		}
		if ((c = lpm_node_idx(b->t)) < 0)
			return -1;
		/* (freed with the table if it fails) */
		fill = paint(b->t, R, x, x + 1, LPM_CHILD | (uint32_t)c);
		if (build_node(b, c, lvl + 1, i, e, fill) < 0)
			return -1;
		i = e;
	}
	if (!R)
		return 0;
	runs_to(R, NSLOT);
	return lpm_store_runs(b->t, (uint32_t)idx, R->st, R->v, R->n);
}

int lpm_build(struct lpm *t, size_t n,
	      void (*ent)(const void *ctx, size_t i, uint8_t key[16], unsigned *plen, uint32_t *id),
	      const void *ctx)
{
	struct build b = { t, ent, ctx };

	if (!lpm_empty(t))
		return -1;
	if (build_node(&b, -1, 0, 0, n, 0) == 0)
		return 0;
	/* Empty again: no node is referenced from outside the table. */
	lpm_clear_nodes(t);
	memset(t->root, 0, ((size_t)1 << LPM_ROOT_BITS) * sizeof(*t->root));
	return -1;
}
