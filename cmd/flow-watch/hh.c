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
 * costs one walk down the heap from the root. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

#define REBASE_TAUS 10          /* rescale every count this often: floats stay finite */
#define LINE 64

struct hh {
	uint8_t *e;                     /* entries, stride bytes each, line-aligned */
	size_t stride, n, cap, alloc;   /* alloc: entries room for */
	struct hnode *heap;             /* 8-ary min-heap on count */
	struct hnode *heapmem;          /* its allocation (see hh_new) */
	struct hslot *slot;             /* open addressing on the key's hash */
	size_t mask;
	double tau;                     /* seconds */
	int64_t rebase_ms;              /* REBASE_TAUS * tau, in ms: not worked out every sample */
	uint64_t t0;                    /* ms */
	uint64_t tcache;
	double fcache;
};

/* The heap holds the counts beside the indexes and the slots the hashes
 * beside theirs: the walks down the heap and along a probe stay in those
 * arrays instead of visiting an entry per step. A heap count is a lower
 * bound of its entry's (see heap_min), so a float rounded down will do:
 * eight nodes to a cache line, the eight children of a node in one line,
 * the walk down from the root half as deep as with four. An entry does not
 * know its place in the heap: only the root is ever looked at. */
struct hnode {
	float count;
	uint32_t idx;
};
struct hslot {
	uint32_t v;                     /* entry index + 1; 0 empty */
	uint32_t hash;                  /* its low 32 bits */
};

static inline uint64_t hash_of(const uint8_t *p, size_t n)
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

/* The largest float not above x. Counts are not negative: when the nearest
 * float is above x (f > x >= 0), the one below a positive float is its
 * bits less one. Without a branch: which way x rounds cannot be predicted. */
static inline float lower(double x)
{
	float f = (float)x;
	uint32_t u;

	memcpy(&u, &f, 4);
	u -= (uint32_t)((double)f > x);
	memcpy(&f, &u, 4);
	return f;
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* Entries that start a cache line (or share one evenly): a sample of a key
 * touches one line for the counts, the agent and a short key. */
static size_t entry_stride(size_t keymax)
{
	size_t n = offsetof(struct hh_entry, key) + keymax, s = 16;

	if (n > LINE)
		return round_up(n, LINE);
	while (s < n)
		s *= 2;
	return s;
}

static uint8_t *entries_alloc(const struct hh *h, size_t n)
{
	return aligned_alloc(LINE, round_up(n * h->stride, LINE));
}

struct hh *hh_new(size_t cap, double tau, size_t keymax)
{
	struct hh *h = calloc(1, sizeof(*h));
	size_t slots = 16;

	if (!h)
		return NULL;
	while (slots < 2 * cap)
		slots *= 2;
	h->stride = entry_stride(keymax);
	h->cap = cap;
	h->mask = slots - 1;
	h->tau = tau;
	h->rebase_ms = (int64_t)(REBASE_TAUS * h->tau * 1000);
	h->tcache = UINT64_MAX;
	/* entries are taken as keys come: a definition that sees few keys stays small */
	h->alloc = cap < 1024 ? cap : 1024;
	h->e = entries_alloc(h, h->alloc);
	/* index 1 (the root's first child) starts a line: so does every
	 * node's first child (8p + 1) */
	h->heapmem = aligned_alloc(LINE, round_up((cap + 7) * sizeof(*h->heap), LINE));
	h->heap = h->heapmem ? h->heapmem + 7 : NULL;
	h->slot = calloc(slots, sizeof(*h->slot));
	if (!h->e || !h->heap || !h->slot) {
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
	free(h->slot);
	free(h);
}

size_t hh_size(const struct hh *h) { return h->n; }
size_t hh_cap(const struct hh *h) { return h->cap; }
struct hh_entry *hh_at(struct hh *h, size_t i) { return ent(h, i); }

size_t hh_bytes(const struct hh *h)
{
	return sizeof(*h) + h->stride * h->alloc + h->cap * sizeof(*h->heap) +
	       (h->mask + 1) * sizeof(*h->slot);
}

/* A count grew (or a new entry sits at the end): move it down. */
static void sift_down(struct hh *h, size_t pos)
{
	struct hnode n = h->heap[pos];

	for (;;) {
		size_t c = 8 * pos + 1, m = c;
		if (c >= h->n)
			break;
		/* the first smallest child, without a branch per child (which
		 * one it is cannot be predicted); of eight, as a tournament of
		 * three rounds rather than a chain of seven compares */
		const struct hnode *k = &h->heap[c];
		float b;
		if (c + 8 <= h->n) {
			/* the counts read once, each round's winner carried with
			 * its index (selects by mask, mins as minss: a branch
			 * would be mispredicted half the time, a load again of
			 * a winner's count waits on the round before) */
			float a0 = k[0].count, a1 = k[1].count, a2 = k[2].count, a3 = k[3].count;
			float a4 = k[4].count, a5 = k[5].count, a6 = k[6].count, a7 = k[7].count;
			size_t i0 = a1 < a0, i1 = 2 + (a3 < a2), i2 = 4 + (a5 < a4), i3 = 6 + (a7 < a6);
			float w0 = a1 < a0 ? a1 : a0, w1 = a3 < a2 ? a3 : a2;
			float w2 = a5 < a4 ? a5 : a4, w3 = a7 < a6 ? a7 : a6;
			size_t r0 = -(size_t)(w1 < w0), r2 = -(size_t)(w3 < w2);
			size_t j0 = i0 ^ ((i0 ^ i1) & r0), j2 = i2 ^ ((i2 ^ i3) & r2);
			float x0 = w1 < w0 ? w1 : w0, x2 = w3 < w2 ? w3 : w2;
			size_t r = -(size_t)(x2 < x0);
			m = c + (j0 ^ ((j0 ^ j2) & r));
			b = x2 < x0 ? x2 : x0;
		} else {
			b = k[0].count;
			for (size_t x = c + 1; x < h->n; x++) {
				bool lt = h->heap[x].count < b;
				m = lt ? x : m;
				b = lt ? h->heap[x].count : b;
			}
		}
		if (b >= n.count)
			break;
		h->heap[pos] = h->heap[m];
		pos = m;
	}
	h->heap[pos] = n;
}

static void sift_up(struct hh *h, size_t pos)
{
	struct hnode n = h->heap[pos];

	while (pos) {
		size_t p = (pos - 1) / 8;
		if (h->heap[p].count <= n.count)
			break;
		h->heap[pos] = h->heap[p];
		pos = p;
	}
	h->heap[pos] = n;
}

/* The entry of the smallest count. The heap's counts are lower bounds:
 * a sample of a held key adds to the entry alone (counts only grow), so the
 * hot path touches no heap. A root whose count is behind its entry's takes
 * the entry's and sinks, until the root's is its entry's; then no entry
 * can be below it (each is at least its heap count, each heap count at
 * least the root's). Each such step is paid for by an update before it. */
static struct hh_entry *heap_min(struct hh *h)
{
	for (;;) {
		struct hh_entry *e = ent(h, h->heap[0].idx);
		float c = lower(e->count);
		if (h->heap[0].count == c)
			return e;
		h->heap[0].count = c;
		sift_down(h, 0);
	}
}

/* Keys are short: word compares in line, not a call to memcmp. */
static inline bool key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y, d = 0;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		d |= x ^ y;
	}
	while (n--)
		d |= (uint64_t)(*a++ ^ *b++);
	return !d;
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
		if (e->klen == klen && key_eq(e->key, key, klen))
			return s;
	}
}

/* The slot of entry idx: its index is in the slot, no key to compare. */
static size_t slot_of(const struct hh *h, uint32_t idx, uint32_t hash)
{
	size_t s = hash & h->mask;
	while (h->slot[s].v != idx + 1)
		s = (s + 1) & h->mask;
	return s;
}

/* The empty slot a key not in the table goes to. */
static size_t free_slot(const struct hh *h, uint64_t hash)
{
	size_t s = hash & h->mask;
	while (h->slot[s].v)
		s = (s + 1) & h->mask;
	return s;
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

/* Every count scaled down to a new origin; the heap is built again from
 * them (its counts rounded down once more would drift from the entries'). */
static void rebase(struct hh *h, uint64_t ms)
{
	double g = exp(-(double)(int64_t)(ms - h->t0) / 1000.0 / h->tau);

	for (size_t i = 0; i < h->n; i++) {
		ent(h, i)->count *= g;
		ent(h, i)->err *= g;
	}
	for (size_t i = 0; i < h->n; i++)
		h->heap[i].count = lower(ent(h, h->heap[i].idx)->count);
	for (size_t i = h->n / 8 + 1; i-- > 0;)
		if (i < h->n)
			sift_down(h, i);
	h->t0 = ms;
	h->tcache = UINT64_MAX;
}

static int grow(struct hh *h)
{
	size_t more = h->alloc * 2 < h->cap ? h->alloc * 2 : h->cap;
	uint8_t *ne = entries_alloc(h, more);

	if (!ne)
		return -1;
	memcpy(ne, h->e, h->n * h->stride);
	free(h->e);
	h->e = ne;
	h->alloc = more;
	return 0;
}

struct hh_entry *hh_add(struct hh *h, const uint8_t *key, size_t klen, uint64_t hash,
			double w, uint64_t ms)
{
	struct hh_entry *e;
	size_t s;

	if (!h->t0 && !h->n)
		h->t0 = ms;
	if ((int64_t)(ms - h->t0) > h->rebase_ms)
		rebase(h, ms);
	w *= fwd(h, ms);
	s = find_slot(h, key, klen, hash);
	if (h->slot[s].v) {
		/* the heap is left as it is: its count for the entry is now
		 * below the entry's, which only the eviction needs to know */
		e = ent(h, h->slot[s].v - 1);
		e->count += w;
		return e;
	}
	if (h->n < h->cap) {
		if (h->n == h->alloc && grow(h) < 0)
			return NULL;
		uint32_t idx = (uint32_t)h->n++;
		e = ent(h, idx);
		e->count = w;
		e->err = 0;
		h->heap[h->n - 1] = (struct hnode){ lower(w), idx };
		sift_up(h, h->n - 1);
	} else {
		/* take the smallest counter over */
		e = heap_min(h);
		slot_del(h, slot_of(h, h->heap[0].idx, e->hash));
		s = free_slot(h, hash);
		e->err = e->count;
		e->count += w;
		h->heap[0].count = lower(e->count);
		sift_down(h, 0);
		/* the next new key evicts the new smallest: its entry is
		 * fetched now, a record ahead of its use */
		__builtin_prefetch(ent(h, h->heap[0].idx));
	}
	e->hash = (uint32_t)hash;
	e->klen = (uint16_t)klen;
	memcpy(e->key, key, klen);
	h->slot[s] = (struct hslot){ (uint32_t)(((uint8_t *)e - h->e) / h->stride) + 1, (uint32_t)hash };
	return e;
}

uint64_t hh_hash(const uint8_t *p, size_t n)
{
	return hash_of(p, n);
}

uint64_t hh_hash_prefetch(const struct hh *h, const uint8_t *key, size_t klen)
{
	uint64_t hash = hash_of(key, klen);

	__builtin_prefetch(&h->slot[hash & h->mask]);
	return hash;
}

void hh_prefetch_entry(const struct hh *h, uint64_t hash)
{
	const struct hslot *v = &h->slot[hash & h->mask];

	if (v->v && v->hash == (uint32_t)hash)
		__builtin_prefetch(ent(h, v->v - 1));
	else if (h->n == h->cap)
		/* likely a new key: it evicts the smallest, whose entry was
		 * fetched at the last eviction; its slot is needed then */
		__builtin_prefetch(&h->slot[ent(h, h->heap[0].idx)->hash & h->mask]);
}

double hh_rate(struct hh *h, const struct hh_entry *e, uint64_t ms)
{
	double v = (e->count - e->err) / (fwd(h, ms) * h->tau);
	return v > 0 ? v : 0;
}
