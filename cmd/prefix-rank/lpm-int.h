/* What the LPM's files share inside prefix-rank (see rank.h for the
 * table itself). */
#ifndef LPM_INT_H
#define LPM_INT_H

#include <stdint.h>

#include "rank.h"

#define NSLOT (1u << LPM_STRIDE)

static inline unsigned level_end(unsigned lvl)
{
	return LPM_ROOT_BITS + lvl * LPM_STRIDE;
}

/* k is the key padded to 17 bytes; levels below the root are whole bytes. */
static inline unsigned index_at(const uint8_t *k, unsigned lvl)
{
	if (lvl == 0)
		return (unsigned)k[0] << 8 | k[1];
	return k[1 + lvl];
}

/* A node index, holding nothing yet (NULL). -1: no memory. */
int64_t lpm_node_idx(struct lpm *t);
/* Runs st[] (starts, st[0] = 0) with values val[] into node idx. -1: no
 * memory (the node is unchanged). */
int lpm_store_runs(struct lpm *t, uint32_t idx, const uint8_t *st, const uint32_t *val,
		   unsigned runs);
/* Every node and slab freed; the root's slots are left as they are. */
void lpm_clear_nodes(struct lpm *t);

#endif
