/* The candidates of a selection: taken from the candidate list (or from
 * every prefix with traffic), and ranked: best score first, ties in a
 * fixed order, so runs repeat. Only the head of the ranking is usually
 * needed: quickselect to the front, then sorted a block at a time. */
#include <stdlib.h>
#include <string.h>

#include "cand.h"

/* The IPv6 keys for cand_cmp's rare ties (qsort passes no context; set
 * before each sort). */
static const uint8_t (*cmp_keys6)[16];

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	const struct pfx *p = a->p, *q = b->p;
	int c;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	/* Equal scores: shorter prefix, then lower address, so runs repeat. */
	if (p->plen != q->plen)
		return (int)p->plen - (int)q->plen;
	if (p->af == AR_AF4 && p->k != q->k)
		return p->k < q->k ? -1 : 1;
	if (p->af == AR_AF6 && (c = memcmp(cmp_keys6[p->k], cmp_keys6[q->k], 16)))
		return c;
	return p->id < q->id ? -1 : p->id > q->id;
}

/* Address order (then length): what a walk of an ordered tree gives. */
struct ord {
	uint64_t hi, lo;
	unsigned plen;
	struct pfx *p;
};

static int ord_cmp(const void *x, const void *y)
{
	const struct ord *a = x, *b = y;

	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (int)a->plen - (int)b->plen;
}

/* Sibling lists are in no order: put v[0..n) in address order, so output
 * repeats from run to run whatever order the routes came in. */
void addr_sort(const struct rib *r, struct pfx **v, size_t n)
{
	struct ord *o;

	if (n < 2 || !(o = calloc(n, sizeof(*o))))
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t k[16];
		pfx_key(r, v[i], k);
		for (int j = 0; j < 8; j++) {
			o[i].hi = o[i].hi << 8 | k[j];
			o[i].lo = o[i].lo << 8 | k[8 + j];
		}
		o[i].plen = v[i]->plen;
		o[i].p = v[i];
	}
	qsort(o, n, sizeof(*o), ord_cmp);
	for (size_t i = 0; i < n; i++)
		v[i] = o[i].p;
	free(o);
}

/* Move the k best candidates to the front (in no order): quickselect. */
void cand_partition(struct cand *c, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1 && k > lo && k < hi) {
		struct cand piv = c[lo + (hi - lo) / 2], t;
		size_t i = lo, j = hi - 1;
		while (i <= j) {
			while (cand_cmp(&c[i], &piv) < 0)
				i++;
			while (cand_cmp(&c[j], &piv) > 0)
				j--;
			if (i <= j) {
				t = c[i];
				c[i] = c[j];
				c[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j + 1;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

static inline void cand_swap(struct cand *a, struct cand *b)
{
	struct cand t = *a;
	*a = *b;
	*b = t;
}

/* Quicksort with the comparison inlined (qsort's callback per comparison
 * was most of a tick's sorting); cand_cmp is a total order, so the result
 * is the same as any other sort's. */
static void cand_sort(struct cand *c, size_t n)
{
	while (n > 16) {
		size_t m = n / 2, i = 0, j = n - 1;
		/* median of three to the middle */
		if (cand_cmp(&c[m], &c[0]) < 0)
			cand_swap(&c[m], &c[0]);
		if (cand_cmp(&c[n - 1], &c[m]) < 0) {
			cand_swap(&c[n - 1], &c[m]);
			if (cand_cmp(&c[m], &c[0]) < 0)
				cand_swap(&c[m], &c[0]);
		}
		struct cand piv = c[m];
		for (;;) {
			while (cand_cmp(&c[i], &piv) < 0)
				i++;
			while (cand_cmp(&piv, &c[j]) < 0)
				j--;
			if (i >= j)
				break;
			cand_swap(&c[i], &c[j]);
			i++;
			j--;
		}
		/* [0, j] <= piv <= [j + 1, n): recurse on the smaller side */
		if (j + 1 < n - j - 1) {
			cand_sort(c, j + 1);
			c += j + 1;
			n -= j + 1;
		} else {
			cand_sort(c + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct cand t = c[i];
		size_t k = i;
		for (; k > 0 && cand_cmp(&t, &c[k - 1]) < 0; k--)
			c[k] = c[k - 1];
		c[k] = t;
	}
}

/* Radix sort by score, best first (the bits of a positive double order
 * like the number), equal scores then by cand_cmp: a few linear passes
 * instead of n log n comparisons. tmp: room for n. */
#define RADIX_MAX (1u << 18)
static void cand_radix(struct cand *c, struct cand *tmp, size_t n)
{
	uint32_t cnt[2048];
	struct cand *src = c, *dst = tmp, *t;

	for (unsigned shift = 0; shift < 64; shift += 11) {
		uint64_t k;
		size_t sum = 0;
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++) {
			memcpy(&k, &src[i].score, 8);
			cnt[(~k >> shift) & 2047]++;
		}
		memcpy(&k, &src[0].score, 8);
		if (cnt[(~k >> shift) & 2047] == n)
			continue;       /* one digit for all: nothing moves */
		for (unsigned d = 0; d < 2048; d++) {
			uint32_t x = cnt[d];
			cnt[d] = (uint32_t)sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++) {
			memcpy(&k, &src[i].score, 8);
			dst[cnt[(~k >> shift) & 2047]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != c)
		memcpy(c, src, n * sizeof(*c));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && c[j].score == c[i].score; j++)
			;
		if (j - i > 1)
			cand_sort(c + i, j - i);
	}
}

size_t cand_rank(const struct rib *r, struct cand *c, size_t nc)
{
	struct cand *tmp;

	cmp_keys6 = (const uint8_t (*)[16])r->keys6;
	if (nc <= 64 || nc > RADIX_MAX || !(tmp = malloc(nc * sizeof(*c))))
		return 0;
	cand_radix(c, tmp, nc);
	free(tmp);
	return nc;
}

/* Keep c[0, *sorted) in rank order up to at least want: c[0, depth) holds
 * the best depth candidates, sorted a block at a time; past depth, all. */
void sort_upto(struct cand *c, size_t nc, size_t depth, size_t *sorted, size_t want)
{
	size_t end;

	if (want <= *sorted)
		return;
	if (want > depth) {
		cand_sort(c + *sorted, nc - *sorted);
		*sorted = nc;
		return;
	}
	end = want + 1024 < depth ? want + 1024 : depth;
	cand_partition(c + *sorted, depth - *sorted, end - *sorted);
	cand_sort(c + *sorted, end - *sorted);
	*sorted = end;
}

/* How many candidates to keep ranked exactly at each tick. */
size_t cand_depth(const struct sel_params *sp)
{
	return 2 * sp->max + 1024;
}

/* The tick's candidates: the list, compacted (faded, removed, duplicate and
 * below-threshold entries leave it). */
size_t scan_list(struct rib *r, struct rib_af *ra, const struct sel_params *sp,
			struct cand *c)
{
	size_t nc = 0, j = 0;

	for (size_t i = 0; i < ra->ncand; i++) {
		struct pfx *p = rib_byid(r, ra->cand[i]);
		if (i + 16 < ra->ncand)
			__builtin_prefetch(rib_byid(r, ra->cand[i + 16]));
		if (!(p->flags & PFX_CAND) || (p->flags & (PFX_SEEN | PFX_FREE)))
			continue;
		if (p->rate[sp->dir] < ra->cand_min && !(p->flags & (PFX_PREV | PFX_SEL))) {
			p->flags &= (uint8_t)~PFX_CAND;
			continue;
		}
		p->flags |= PFX_SEEN;
		ra->cand[j++] = p->id;
		double v = p->rate[sp->dir] * r->scale;
		if (v <= 0 || v < sp->min_value || p->plen < sp->min_prefix)
			continue;
		c[nc].p = p;
		c[nc].score = (p->flags & PFX_PREV) ? v * (1 + sp->hysteresis) : v;
		nc++;
	}
	ra->ncand = j;
	for (size_t i = 0; i < j; i++)
		rib_byid(r, ra->cand[i])->flags &= (uint8_t)~PFX_SEEN;
	return nc;
}

size_t scan_all(struct rib *r, struct rib_af *ra, const struct sel_params *sp,
		       struct cand *c)
{
	size_t nc = 0;

	for (size_t i = 0; i < ra->nactive; i++) {
		struct pfx *p = rib_byid(r, ra->active[i]);
		/* The prefixes are all over memory: ask for them ahead. */
		if (i + 16 < ra->nactive)
			__builtin_prefetch(rib_byid(r, ra->active[i + 16]));
		double v = p->rate[sp->dir] * r->scale;
		if (rate_faded(r, p) && !(p->flags & (PFX_SEL | PFX_QSEL | PFX_PREV))) {
			rate_forget(r, p);      /* swaps the last one into slot i */
			i--;
			continue;
		}
		if (v <= 0 || v < sp->min_value || p->plen < sp->min_prefix)
			continue;       /* (a prefix in the RIB always has a route) */
		c[nc].p = p;
		c[nc].score = (p->flags & PFX_PREV) && sp->bit == PFX_SEL ? v * (1 + sp->hysteresis) : v;
		nc++;
	}
	return nc;
}

/* After a full ranking: the new threshold, and the list rebuilt to hold
 * every prefix at or above it and every incumbent. */
void list_rebuild(struct rib *r, struct rib_af *ra, float min)
{
	for (size_t i = 0; i < ra->ncand; i++)
		rib_byid(r, ra->cand[i])->flags &= (uint8_t)~PFX_CAND;
	ra->ncand = 0;
	ra->cand_min = min > 0 ? min : CAND_ALL;
	for (size_t i = 0; i < ra->nactive; i++) {
		struct pfx *p = rib_byid(r, ra->active[i]);
		if ((p->rate[R_DBYTES] >= ra->cand_min) ||
		    (p->flags & (PFX_PREV | PFX_SEL)))
			cand_push(ra, p);
	}
}
