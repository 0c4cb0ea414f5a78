/* The RIB's insides, shared by rib.c (prefixes and the prefix tree),
 * rib-route.c (routes, best path, peers) and rib-path.c (interned paths). */
#ifndef RIB_INT_H
#define RIB_INT_H

#include "rank.h"

/* The interned path of a route record, one more reference to it (NULL: no
 * memory); path_put() lets a reference go and frees the last. */
struct path *path_get(struct rib *r, const struct rec_route *rt);
void path_put(struct rib *r, struct path *p);

/* The key masked to its length: host bits never tell prefixes apart. */
void key_of(const struct ar_prefix *pr, uint8_t k[16]);
/* The longest RIB prefix of length <= plen containing the key's first
 * address. */
struct pfx *cover_of(struct rib *r, struct rib_af *ra, const uint8_t *k, unsigned plen);
/* A new prefix in the LPM and the tree (NULL: no memory); its removal,
 * told to r->on_delete first. */
struct pfx *pfx_insert(struct rib *r, const struct ar_prefix *pr, const uint8_t *k);
void pfx_remove(struct rib *r, struct pfx *p);

#endif
