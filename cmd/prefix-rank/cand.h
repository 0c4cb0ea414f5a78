/* A selection's candidates and their ranking (cand.c), for select.c. */
#ifndef CAND_H
#define CAND_H

#include "rank.h"

struct cand {
	struct pfx *p;
	double score;
};

/* The smallest positive threshold: no prefix with traffic is below it. */
#define CAND_ALL 1e-30f

/* The tick's candidates into c: the list, compacted (faded, removed,
 * duplicate and below-threshold entries leave it); or every prefix with
 * traffic. Return how many. */
size_t scan_list(struct rib *r, struct rib_af *ra, const struct sel_params *sp, struct cand *c);
size_t scan_all(struct rib *r, struct rib_af *ra, const struct sel_params *sp, struct cand *c);
/* After a full ranking: the new threshold, the list rebuilt to it. */
void list_rebuild(struct rib *r, struct rib_af *ra, float min);
/* How many candidates to keep ranked exactly at each tick. */
size_t cand_depth(const struct sel_params *sp);

/* Rank all of c[0, nc) when that is cheap (a radix sort): returns nc, or
 * 0 when left to cand_partition() and sort_upto(). Call it first: it also
 * sets the IPv6 keys the comparison needs. */
size_t cand_rank(const struct rib *r, struct cand *c, size_t nc);
/* Move the k best candidates to the front (in no order). */
void cand_partition(struct cand *c, size_t n, size_t k);
/* Keep c[0, *sorted) in rank order up to at least want: c[0, depth) holds
 * the best depth candidates, sorted a block at a time; past depth, all. */
void sort_upto(struct cand *c, size_t nc, size_t depth, size_t *sorted, size_t want);
/* v[0..n) in address order (then length). */
void addr_sort(const struct rib *r, struct pfx **v, size_t n);

#endif
