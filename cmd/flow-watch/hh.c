/* The heaviest keys of one definition in bounded memory: Space-Saving
 * (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and
 * top-k elements in data streams", ICDT 2005) over weights decayed by the
 * clock with forward decay (Cormode, Shkapenyuk, Srivastava, Xu, ICDE 2009),
 * the same rates prefix-rank keeps per prefix.
 *
 * Space-Saving keeps cap counters. A sample of a key that has one adds its
 * weight; a new key takes the smallest counter over, adding its weight to
 * that count and remembering the count it inherited as its error. So every
 * key whose true weight exceeds total / cap is held, a count is never below
 * the truth, and count - err never above it. Weights are stored scaled by
 * exp((t - t0) / tau): every count carries the same factor, so the order is
 * the order of the decayed rates, a sample costs one add, and a key
 * without traffic costs nothing until it is the smallest. Why this one: its
 * error bound is deterministic (no hash collisions to reason about, as a
 * Count-Min sketch has), it names the keys (a sketch needs a heap of
 * candidates besides), and under a flood of distinct keys each new one
 * costs one heap step at the root. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

#define REBASE_TAUS 10          /* rescale every count this often: floats stay finite */

struct hh {
	uint8_t *e;                     /* entries, stride bytes each */
	size_t stride, n, cap, alloc;   /* alloc: entries room for */
	struct hnode *heap;             /* 4-ary min-heap on count */
	struct hnode *heapmem;          /* its allocation (see hh_new) */
	uint32_t *pos;                  /* each entry's place in the heap */
	struct hslot *slot;             /* open addressing on the key's hash */
	size_t mask;
	double tau;                     /* seconds */
	uint64_t t0;                    /* ms */
	uint64_t tcache;
	double fcache;
};

/* The heap holds the counts beside the indexes and the slots the hashes
 * beside theirs: the walks down the heap and along a probe stay in those
 * arrays instead of visiting an entry per step. The places in the heap are
 * an array of their own for the same reason: a new key sifts down to the
 * leaves past every level, and a write per level to a large entry each
 * would be a cache miss each. */
struct hnode {
	double count;
	uint32_t idx;
	uint32_t hash;                  /* the entry's, low 32 bits: its home slot */
};
struct hslot {
	uint32_t v;                     /* entry index + 1; 0 empty */
	uint32_t hash;                  /* its low 32 bits */
};

uint64_t hh_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

static inline struct hh_entry *ent(const struct hh *h, size_t i)
{
	return (struct hh_entry *)(h->e + i * h->stride);
}

struct hh *hh_new(size_t cap, double tau, size_t keymax)
{
	struct hh *h = calloc(1, sizeof(*h));
	size_t slots = 16;

	if (!h)
		return NULL;
	while (slots < 2 * cap)
		slots *= 2;
	h->stride = (sizeof(struct hh_entry) + keymax + 7) & ~(size_t)7;
	h->cap = cap;
	h->mask = slots - 1;
	h->tau = tau;
	h->tcache = UINT64_MAX;
	/* entries are taken as keys come: a definition that sees few keys stays small */
	h->alloc = cap < 1024 ? cap : 1024;
	h->e = malloc(h->stride * h->alloc);
	/* aligned so that the four children of a node share one cache line:
	 * index 1 (the root's first child) starts a line */
	h->heapmem = aligned_alloc(64, ((cap + 3) * sizeof(*h->heap) + 63) & ~(size_t)63);
	h->heap = h->heapmem ? h->heapmem + 3 : NULL;
	h->pos = malloc(cap * sizeof(*h->pos));
	h->slot = calloc(slots, sizeof(*h->slot));
	if (!h->e || !h->heap || !h->pos || !h->slot) {
		hh_free(h);
		return NULL;
	}
	return h;
}

void hh_free(struct hh *h)
{
	if (!h)
		return;
	free(h->e);
	free(h->heapmem);
	free(h->pos);
	free(h->slot);
	free(h);
}

size_t hh_size(const struct hh *h) { return h->n; }
size_t hh_cap(const struct hh *h) { return h->cap; }
struct hh_entry *hh_at(struct hh *h, size_t i) { return ent(h, i); }

size_t hh_bytes(const struct hh *h)
{
	return sizeof(*h) + h->stride * h->alloc + h->cap * (sizeof(*h->heap) + sizeof(*h->pos)) +
	       (h->mask + 1) * sizeof(*h->slot);
}

static inline void heap_set(struct hh *h, size_t pos, struct hnode n)
{
	h->heap[pos] = n;
	h->pos[n.idx] = (uint32_t)pos;
}

/* A count grew (or a new entry sits at the end): move it down. */
static void sift_down(struct hh *h, size_t pos)
{
	struct hnode n = h->heap[pos];

	for (;;) {
		size_t c = 4 * pos + 1, m = c;
		if (c >= h->n)
			break;
		size_t end = c + 4 < h->n ? c + 4 : h->n;
		/* the first smallest child, without a branch per child: which
		 * one it is cannot be predicted */
		double b = h->heap[c].count;
		for (size_t k = c + 1; k < end; k++) {
			double x = h->heap[k].count;
			bool lt = x < b;
			m = lt ? k : m;
			b = lt ? x : b;
		}
		if (b >= n.count)
			break;
		heap_set(h, pos, h->heap[m]);
		pos = m;
	}
	heap_set(h, pos, n);
}

static void sift_up(struct hh *h, size_t pos)
{
	struct hnode n = h->heap[pos];

	while (pos) {
		size_t p = (pos - 1) / 4;
		if (h->heap[p].count <= n.count)
			break;
		heap_set(h, pos, h->heap[p]);
		pos = p;
	}
	heap_set(h, pos, n);
}

static size_t find_slot(const struct hh *h, const uint8_t *key, size_t klen, uint64_t hash)
{
	for (size_t s = hash & h->mask;; s = (s + 1) & h->mask) {
		const struct hslot *v = &h->slot[s];
		if (!v->v)
			return s;
		if (v->hash != (uint32_t)hash)
			continue;
		const struct hh_entry *e = ent(h, v->v - 1);
		if (e->hash == hash && e->klen == klen && !memcmp(e->key, key, klen))
			return s;
	}
}

/* Linear probing's deletion: later members of the cluster move back. */
static void slot_del(struct hh *h, size_t s)
{
	size_t j = s;

	h->slot[s].v = 0;
	for (;;) {
		j = (j + 1) & h->mask;
		struct hslot v = h->slot[j];
		if (!v.v)
			return;
		size_t home = v.hash & h->mask;
		/* does home lie cyclically in (s, j]? then it stays */
		if (s <= j ? (home > s && home <= j) : (home > s || home <= j))
			continue;
		h->slot[s] = v;
		h->slot[j].v = 0;
		s = j;
	}
}

static double fwd(struct hh *h, uint64_t ms)
{
	if (ms != h->tcache) {
		h->tcache = ms;
		h->fcache = exp((double)(int64_t)(ms - h->t0) / 1000.0 / h->tau) / h->tau;
	}
	return h->fcache;
}

static void rebase(struct hh *h, uint64_t ms)
{
	double g = exp(-(double)(int64_t)(ms - h->t0) / 1000.0 / h->tau);

	for (size_t i = 0; i < h->n; i++) {
		ent(h, i)->count *= g;
		ent(h, i)->err *= g;
		h->heap[i].count *= g;
	}
	h->t0 = ms;
	h->tcache = UINT64_MAX;
}

struct hh_entry *hh_add(struct hh *h, const uint8_t *key, size_t klen, uint64_t hash,
			double w, uint64_t ms)
{
	struct hh_entry *e;
	size_t s;

	if (!h->t0 && !h->n)
		h->t0 = ms;
	if ((int64_t)(ms - h->t0) > (int64_t)(REBASE_TAUS * h->tau * 1000))
		rebase(h, ms);
	w *= fwd(h, ms);
	s = find_slot(h, key, klen, hash);
	if (h->slot[s].v) {
		e = ent(h, h->slot[s].v - 1);
		e->count += w;
		uint32_t at = h->pos[h->slot[s].v - 1];
		h->heap[at].count = e->count;
		sift_down(h, at);
		return e;
	}
	if (h->n < h->cap) {
		if (h->n == h->alloc) {
			size_t more = h->alloc * 2 < h->cap ? h->alloc * 2 : h->cap;
			uint8_t *ne = realloc(h->e, more * h->stride);
			if (!ne)
				return NULL;
			h->e = ne;
			h->alloc = more;
		}
		uint32_t idx = (uint32_t)h->n++;
		e = ent(h, idx);
		e->count = w;
		e->err = 0;
		heap_set(h, h->n - 1, (struct hnode){ w, idx, (uint32_t)hash });
		sift_up(h, h->n - 1);
	} else {
		/* take the smallest counter over */
		uint32_t idx = h->heap[0].idx;
		e = ent(h, idx);
		slot_del(h, find_slot(h, e->key, e->klen, e->hash));
		s = find_slot(h, key, klen, hash);
		e->err = e->count;
		e->count += w;
		h->heap[0].count = e->count;
		h->heap[0].hash = (uint32_t)hash;
		sift_down(h, 0);
		/* the next new key evicts the new smallest: its entry and home
		 * slot are fetched now, a record ahead of their use */
		__builtin_prefetch(ent(h, h->heap[0].idx));
		__builtin_prefetch(&h->slot[h->heap[0].hash & h->mask]);
	}
	e->hash = hash;
	e->klen = (uint16_t)klen;
	memcpy(e->key, key, klen);
	h->slot[s] = (struct hslot){ (uint32_t)(((uint8_t *)e - h->e) / h->stride) + 1, (uint32_t)hash };
	return e;
}

void hh_prefetch(const struct hh *h, uint64_t hash)
{
	__builtin_prefetch(&h->slot[hash & h->mask]);
}

double hh_rate(struct hh *h, const struct hh_entry *e, uint64_t ms)
{
	double v = (e->count - e->err) / (fwd(h, ms) * h->tau);
	return v > 0 ? v : 0;
}
