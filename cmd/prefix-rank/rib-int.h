/* The RIB's insides, shared by rib.c (prefixes and the prefix tree),
 * rib-route.c (routes, best path, peers) and rib-path.c (interned paths). */
#ifndef RIB_INT_H
#define RIB_INT_H

#include "rank.h"

/* Zeroed memory in whole huge pages, advised to be backed by them (NULL:
 * no memory), and its return: for big arrays that would otherwise fault in
 * 4 KiB at a time. */
void *big_map(size_t bytes);
void big_unmap(void *p, size_t bytes);

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
/* pfx_insert() in its steps: a prefix stored but in neither the LPM nor
 * the tree (NULL: no memory); linked into both (-1: no memory, p as it
 * was); given back unlinked. */
struct pfx *pfx_new(struct rib *r, const struct ar_prefix *pr, const uint8_t *k);
int pfx_link(struct rib *r, struct pfx *p);
void pfx_release(struct rib *r, struct pfx *p);

/* Peer pi's route of p becomes path pid (the reference passes to p),
 * learned in generation gen: its slot replaced, or a new one; the best
 * first again. -1: no memory (the reference is still the caller's). */
int route_put(struct rib *r, struct pfx *p, uint16_t pi, uint32_t pid, uint16_t gen);

/* The bulk load (rib-bulk.c). A family that is empty when a bulk load
 * takes its first route keeps its new prefixes apart until the settle. */
struct rib_bulk;
bool bulk_takes(const struct rib *r, int ai);
/* Peer pi's route to a prefix of family ai, kept for the settle. -1: no
 * memory (the path reference is still the caller's). */
int bulk_add(struct rib *r, int ai, const struct ar_prefix *pr, const uint8_t *k,
	     uint16_t pi, struct path *path);
/* Family ai's waiting prefixes into the LPM and the tree (r->bulk set). */
void bulk_settle(struct rib *r, int ai);
/* A bulk load's own memory, its prefixes left as they are (rib_free()). */
void bulk_free(struct rib *r);

#endif
