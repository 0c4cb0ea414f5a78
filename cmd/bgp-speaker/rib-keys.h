/* The prefixes learned from the peer, without attributes (rib-keys.c). */
#ifndef RIB_KEYS_H
#define RIB_KEYS_H

#include <stdint.h>

#include "addr.h"

struct ribkeys;

/* Add p (allocating *kp on first use) and mark it announced since the
 * last rk_begin(). -1: out of memory. */
int rk_add(struct ribkeys **kp, const struct ar_prefix *p);
void rk_del(struct ribkeys *k, const struct ar_prefix *p);
/* A new table starts: every key unmarked. */
void rk_begin(struct ribkeys *k);
uint64_t rk_count(const struct ribkeys *k);
/* Keys not announced again since rk_begin(): what a sync end now sweeps. */
uint64_t rk_absent(const struct ribkeys *k);
void rk_free(struct ribkeys **kp);

#endif
