/* The RIB's bulk load: a whole table (a replay's routes) goes in before
 * anything looks at the RIB. One by one, each new prefix costs an LPM node
 * rewritten, a search for its cover and for the children it takes over;
 * for a family that is empty when the load starts, its prefixes are only
 * stored (duplicates too) and the settle does the rest at once: a radix
 * sort into address order, the duplicates merged in arrival order (what
 * one by one would have done), the LPM built node by node and the tree
 * linked in one pass with the open covers on a stack. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rib-int.h"

/* Arrival positions fit the sort keys' low bits: a longer load settles
 * and goes on one by one. */
#define POS_BITS 26
#define POS_MAX ((uint32_t)1 << POS_BITS)

struct rib_bulk {
	uint32_t *pend[2];              /* ids per family, in arrival order */
	size_t npend[2], cap[2];
	uint64_t lost;                  /* routes dropped for want of memory */
};

static void pend_free(struct rib_bulk *b, int ai)
{
	big_unmap(b->pend[ai], b->cap[ai] * sizeof(uint32_t));
	b->pend[ai] = NULL;
	b->npend[ai] = b->cap[ai] = 0;
}

int rib_bulk_begin(struct rib *r)
{
	if (r->bulk)
		return 0;
	return (r->bulk = calloc(1, sizeof(*r->bulk))) ? 0 : -1;
}

bool bulk_takes(const struct rib *r, int ai)
{
	const struct rib_bulk *b = r->bulk;

	return b && (b->npend[ai] || r->af[ai].n == 0) && b->npend[ai] < POS_MAX;
}

int bulk_add(struct rib *r, int ai, const struct ar_prefix *pr, const uint8_t *k,
	     uint16_t pi, struct path *path)
{
	struct rib_bulk *b = r->bulk;
	struct pfx *p;

	if (b->npend[ai] == b->cap[ai]) {
		/* Whole huge pages (see big_map()), copied over when it grows. */
		size_t cap = b->cap[ai] ? b->cap[ai] * 2 : ((size_t)2 << 20) / sizeof(uint32_t);
		uint32_t *v = big_map(cap * sizeof(*v));
		if (!v)
			return -1;
		if (b->npend[ai])
			memcpy(v, b->pend[ai], b->npend[ai] * sizeof(*v));
		big_unmap(b->pend[ai], b->cap[ai] * sizeof(*v));
		b->pend[ai] = v;
		b->cap[ai] = cap;
	}
	if (!(p = pfx_new(r, pr, k)))
		return -1;
	p->r0.path = path->pid;
	p->r0.peer = pi;
	p->r0.gen = (uint16_t)r->peers[pi].gen;
	r->peers[pi].routes++;
	r->af[ai].n++;
	r->added++;
	b->pend[ai][b->npend[ai]++] = p->id;
	return 0;
}

/* d, a later copy of q's prefix, into q as a second route of the same
 * prefix would have gone, then given back. */
static void merge(struct rib *r, struct pfx *q, struct pfx *d)
{
	uint16_t pi = d->r0.peer;

	r->peers[pi].routes--;
	if (route_put(r, q, pi, d->r0.path, d->r0.gen) < 0) {
		path_put(r, r->pathv[d->r0.path]);
		r->bulk->lost++;
	}
	d->r0.path = 0;
	r->af[af_idx(d->af)].n--;
	r->added--;
	pfx_release(r, d);
}

/* A prefix whose links failed leaves again, its route with it. */
static void drop(struct rib *r, struct pfx *p)
{
	r->peers[p->r0.peer].routes--;
	path_put(r, r->pathv[p->r0.path]);
	p->r0.path = 0;
	r->af[af_idx(p->af)].n--;
	r->added--;
	r->bulk->lost++;
	pfx_release(r, p);
}

/* One by one in arrival order: the way without the sort's memory. */
static void settle_slow(struct rib *r, int ai)
{
	struct rib_bulk *b = r->bulk;

	for (size_t i = 0; i < b->npend[ai]; i++) {
		struct pfx *p = rib_byid(r, b->pend[ai][i]), *q;
		uint8_t k[16];
		pfx_key(r, p, k);
		q = cover_of(r, &r->af[ai], k, p->plen);
		if (q && q->plen == p->plen)
			merge(r, q, p);
		else if (pfx_link(r, p) < 0)
			drop(r, p);
	}
}

/* Stable LSD radix sort of n records of w 64-bit words by word f, a byte
 * at a time from byte lo up; bytes where every record agrees are skipped.
 * The result is in *v (the buffers may swap). */
static void radix_by(uint64_t **v, uint64_t **tmp, size_t n, unsigned w, unsigned f, unsigned lo)
{
	size_t cnt[8][256] = { { 0 } };

	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 8; d++)
			cnt[d][((*v)[i * w + f] >> (8 * d)) & 0xff]++;
	for (unsigned d = lo; d < 8; d++) {
		size_t at = 0, c;
		uint64_t *s = *v, *o = *tmp;
		if (cnt[d][((*v)[f] >> (8 * d)) & 0xff] == n)
			continue;
		for (unsigned x = 0; x < 256; x++) {
			c = cnt[d][x];
			cnt[d][x] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t to = cnt[d][(s[i * w + f] >> (8 * d)) & 0xff]++;
			memcpy(&o[to * w], &s[i * w], w * sizeof(uint64_t));
		}
		*v = o;
		*tmp = s;
	}
}

/* The sort records: IPv4 one word, key << 32 | plen << 26 | arrival;
 * IPv6 three, the key's halves and plen << 26 | arrival. */
struct sorted {
	const uint64_t *v;
	const uint32_t *id;
	unsigned w;
};

static void ent(const void *ctx, size_t i, uint8_t key[16], unsigned *plen, uint32_t *id)
{
	const struct sorted *s = ctx;
	const uint64_t *e = &s->v[i * s->w];

	if (s->w == 1) {
		uint32_t a = (uint32_t)(e[0] >> 32);
		key[0] = (uint8_t)(a >> 24);
		key[1] = (uint8_t)(a >> 16);
		key[2] = (uint8_t)(a >> 8);
		key[3] = (uint8_t)a;
		*plen = (unsigned)(e[0] >> POS_BITS) & 63;
	} else {
		for (int j = 0; j < 8; j++) {
			key[j] = (uint8_t)(e[0] >> (56 - 8 * j));
			key[8 + j] = (uint8_t)(e[1] >> (56 - 8 * j));
		}
		*plen = (unsigned)(e[2] >> POS_BITS);
	}
	*id = s->id[i];
}

/* The same prefix: the records agree but for the arrival. */
static bool same(const uint64_t *a, const uint64_t *b, unsigned w)
{
	if (w == 1)
		return a[0] >> POS_BITS == b[0] >> POS_BITS;
	return a[0] == b[0] && a[1] == b[1] && a[2] >> POS_BITS == b[2] >> POS_BITS;
}

/* Record a covers record b (b comes later in address order). */
static bool covers(const uint64_t *a, const uint64_t *b, unsigned w)
{
	if (w == 1) {
		unsigned n = (unsigned)(a[0] >> POS_BITS) & 63;
		return n == 0 || ((a[0] ^ b[0]) >> 32 >> (32 - n)) == 0;
	}
	unsigned n = (unsigned)(a[2] >> POS_BITS);
	if (n == 0)
		return true;
	if (n <= 64)
		return ((a[0] ^ b[0]) >> (64 - n)) == 0;
	return a[0] == b[0] && (n == 128 || ((a[1] ^ b[1]) >> (128 - n)) == 0);
}

/* The tree in address order: the stack holds the open covers, each with
 * its last child so far (siblings end up in address order). */
static void link_tree(struct rib *r, const struct sorted *s, size_t n)
{
	struct { struct pfx *p; const uint64_t *e; uint32_t last; } st[130];
	unsigned top = 0;

	for (size_t i = 0; i < n; i++) {
		const uint64_t *e = &s->v[i * s->w];
		struct pfx *p = rib_byid(r, s->id[i]);
		if (i + 16 < n)
			__builtin_prefetch(rib_byid(r, s->id[i + 16]), 1);
		while (top && !covers(st[top - 1].e, e, s->w))
			top--;
		p->child = p->sib = 0;
		if (top) {
			struct pfx *par = st[top - 1].p;
			p->parent = par->id;
			if (st[top - 1].last)
				rib_byid(r, st[top - 1].last)->sib = p->id;
			else
				par->child = p->id;
			st[top - 1].last = p->id;
		} else {
			p->parent = 0;  /* top-level prefixes are in no list */
		}
		st[top].p = p;
		st[top].e = e;
		st[top++].last = 0;
	}
}

/* -1: no memory for the sort (nothing changed). */
static int settle_sorted(struct rib *r, int ai)
{
	struct rib_bulk *b = r->bulk;
	size_t n = b->npend[ai], m = 0;
	unsigned w = ai ? 3 : 1;
	size_t bytes = n * w * sizeof(uint64_t);
	uint64_t *v = big_map(bytes), *tmp = big_map(bytes);
	uint32_t *id;

	if (!v || !tmp || !lpm_empty(&r->af[ai].lpm)) {
		big_unmap(v, bytes);
		big_unmap(tmp, bytes);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pfx *p = rib_byid(r, b->pend[ai][i]);
		if (!ai) {
			v[i] = (uint64_t)p->k << 32 | (uint64_t)p->plen << POS_BITS | i;
		} else {
			const uint8_t *k = r->keys6[p->k];
			uint64_t hi = 0, lo = 0;
			for (int j = 0; j < 8; j++) {
				hi = hi << 8 | k[j];
				lo = lo << 8 | k[8 + j];
			}
			v[3 * i] = hi;
			v[3 * i + 1] = lo;
			v[3 * i + 2] = (uint64_t)p->plen << POS_BITS | i;
		}
	}
	/* The records start in arrival order and the sort is stable: the
	 * bytes holding only arrival bits need no pass. */
	for (unsigned f = w; f-- > 0;)
		radix_by(&v, &tmp, n, w, f, f == w - 1 ? POS_BITS / 8 : 0);
	/* The ids in sorted order, the duplicates merged into the first to
	 * come and their records dropped; tmp's room is free for the ids. */
	id = (uint32_t *)tmp;
	for (size_t i = 0; i < n; i++) {
		const uint64_t *e = &v[i * w];
		uint32_t pid = b->pend[ai][e[w - 1] & (POS_MAX - 1)];
		if (m && same(&v[(m - 1) * w], e, w)) {
			merge(r, rib_byid(r, id[m - 1]), rib_byid(r, pid));
			continue;
		}
		memmove(&v[m * w], e, w * sizeof(uint64_t));
		id[m++] = pid;
	}
	pend_free(b, ai);
	struct sorted s = { v, id, w };
	if (lpm_build(&r->af[ai].lpm, m, ent, &s) < 0) {
		/* One by one after all, each with its own (smaller) allocations. */
		for (size_t i = 0; i < m; i++) {
			struct pfx *p = rib_byid(r, id[i]);
			if (pfx_link(r, p) < 0)
				drop(r, p);
		}
	} else {
		link_tree(r, &s, m);
	}
	big_unmap(v, bytes);
	big_unmap(tmp, bytes);
	return 0;
}

void bulk_settle(struct rib *r, int ai)
{
	struct rib_bulk *b = r->bulk;

	if (!b->npend[ai])
		return;
	if (settle_sorted(r, ai) < 0)
		settle_slow(r, ai);
	pend_free(b, ai);
	if (b->lost)
		log_err("bulk load: %llu routes dropped: out of memory", (unsigned long long)b->lost);
	b->lost = 0;
}

void rib_settle_now(struct rib *r)
{
	bulk_settle(r, 0);
	bulk_settle(r, 1);
}

void rib_bulk_end(struct rib *r)
{
	if (!r->bulk)
		return;
	rib_settle_now(r);
	bulk_free(r);
}

void bulk_free(struct rib *r)
{
	if (!r->bulk)
		return;
	pend_free(r->bulk, 0);
	pend_free(r->bulk, 1);
	free(r->bulk);
	r->bulk = NULL;
}
