/* LPM lookups: one address, and many at a time so their cache misses
 * overlap. */
#include <stdbool.h>

#include "rank.h"

uint32_t lpm_lookup(const struct lpm *t, const uint8_t *key)
{
	uint32_t s;

	if (t->maxbits == 32)
		return lpm_lookup4(t, (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
				   (uint32_t)key[2] << 8 | key[3]);
	s = t->root[(unsigned)key[0] << 8 | key[1]];
	for (unsigned off = 2; (s & LPM_CHILD) && off < 16; off++)
		s = lpm_get(t, s & ~LPM_CHILD, key[off]);
	return s;
}

/* Lookups of many addresses in passes (root slots, node bitmaps, node
 * runs), so the cache misses of different addresses overlap instead of
 * each lookup waiting out its own chain. */
void lpm_lookup4_many(const struct lpm *t, const uint32_t *a, uint32_t *out, unsigned n)
{
	const struct lnode *nd[LPM_MANY];

	for (unsigned i = 0; i < n; i++) {
		uint32_t s = t->root[a[i] >> 16];
		nd[i] = NULL;
		out[i] = s;
		if (s & LPM_CHILD) {
			uintptr_t p = t->np[s & ~LPM_CHILD];
			if (p & 1) {
				out[i] = snode_get((const struct snode *)(p - 1), (a[i] >> 8) & 0xff);
			} else {
				nd[i] = (const struct lnode *)p;
				__builtin_prefetch(&nd[i]->bm[((a[i] >> 8) & 0xff) >> 5]);
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!nd[i])
			continue;
		unsigned x = (a[i] >> 8) & 0xff, w = x >> 5;
		uint32_t m = nd[i]->bm[w] & (0xffffffffu >> (31 - (x & 31)));
		out[i] = nd[i]->base[w] + lpm_popcount(m) - 1;
		__builtin_prefetch(&nd[i]->v[out[i]]);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = nd[i] ? nd[i]->v[out[i]] : out[i];
		if (s & LPM_CHILD)
			s = lpm_get(t, s & ~LPM_CHILD, a[i] & 0xff);
		out[i] = s;
	}
}

/* Any family: the same in rounds, one level of every pending lookup per
 * round, the next nodes fetched ahead. */
void lpm_lookup_many(const struct lpm *t, const uint8_t *const *key, uint32_t *out, unsigned n)
{
	unsigned off = 2;
	bool more = false;

	for (unsigned i = 0; i < n; i++) {
		out[i] = t->root[(unsigned)key[i][0] << 8 | key[i][1]];
		if (out[i] & LPM_CHILD) {
			__builtin_prefetch((const void *)(t->np[out[i] & ~LPM_CHILD] & ~(uintptr_t)1));
			more = true;
		}
	}
	for (; more && off < t->maxbits / 8; off++) {
		more = false;
		for (unsigned i = 0; i < n; i++) {
			if (!(out[i] & LPM_CHILD))
				continue;
			out[i] = lpm_get(t, out[i] & ~LPM_CHILD, key[i][off]);
			if (out[i] & LPM_CHILD) {
				__builtin_prefetch((const void *)(t->np[out[i] & ~LPM_CHILD] & ~(uintptr_t)1));
				more = true;
			}
		}
	}
}
