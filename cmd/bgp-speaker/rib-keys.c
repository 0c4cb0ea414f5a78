/* The prefixes the peer has announced and not withdrawn: keys only, no
 * attributes, so that an End-of-RIB can be checked against the table the
 * readers hold (learn.c). One 64-bit fingerprint per prefix in an
 * open-addressing table (linear probing, backward-shift deletion, no
 * tombstones); bit 0 marks a prefix announced again since the last
 * rk_begin(). 16 bytes per route at most (load kept at or under 1/2). */
#include <stdlib.h>
#include <string.h>

#include "rib-keys.h"

#define RK_MIN_SLOTS 1024

struct ribkeys {
	uint64_t *slot;         /* 0: empty; else fingerprint | mark bit */
	size_t cap;             /* a power of two */
	uint64_t n;             /* keys */
	uint64_t marked;        /* keys with the mark bit */
};

/* A 63-bit fingerprint (shifted left one, never 0) of family, length and
 * the prefix bits: splitmix64's finaliser over the address words. For a
 * count, a collision (2^-63 per pair) costs at worst one route miscounted. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fingerprint(const struct ar_prefix *p)
{
	uint64_t w0 = 0, w1 = 0, h;

	memcpy(&w0, p->a.b, 8);
	if (p->a.af == AR_AF6)
		memcpy(&w1, p->a.b + 8, 8);
	h = mix(w0 ^ mix(w1 ^ ((uint64_t)p->a.af << 8 | p->plen)));
	h <<= 1;
	return h ? h : 2;
}

static size_t home(const struct ribkeys *k, uint64_t f)
{
	return (size_t)(mix(f) & (k->cap - 1));
}

/* The slot holding f, or the empty slot where it would go. */
static size_t find(const struct ribkeys *k, uint64_t f)
{
	size_t i = home(k, f);

	while (k->slot[i] && (k->slot[i] & ~1ULL) != f)
		i = (i + 1) & (k->cap - 1);
	return i;
}

static int grow(struct ribkeys *k)
{
	size_t ncap = k->cap ? k->cap * 2 : RK_MIN_SLOTS;
	uint64_t *old = k->slot, *ns = calloc(ncap, sizeof *ns);
	size_t ocap = k->cap;

	if (!ns)
		return -1;
	k->slot = ns;
	k->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			k->slot[find(k, old[i] & ~1ULL)] = old[i];
	free(old);
	return 0;
}

int rk_add(struct ribkeys **kp, const struct ar_prefix *p)
{
	struct ribkeys *k = *kp;
	uint64_t f = fingerprint(p);
	size_t i;

	if (!k && !(k = *kp = calloc(1, sizeof *k)))
		return -1;
	if ((k->n + 1) * 2 > k->cap && grow(k) < 0)
		return -1;
	i = find(k, f);
	if (!k->slot[i])
		k->n++;
	if (!(k->slot[i] & 1))
		k->marked++;
	k->slot[i] = f | 1;
	return 0;
}

void rk_del(struct ribkeys *k, const struct ar_prefix *p)
{
	size_t i, j;

	if (!k || !k->n)
		return;
	i = find(k, fingerprint(p));
	if (!k->slot[i])
		return;
	if (k->slot[i] & 1)
		k->marked--;
	k->n--;
	/* backward shift: move up every later key of the run whose home
	 * does not lie cyclically in (i, j] */
	for (j = (i + 1) & (k->cap - 1); k->slot[j]; j = (j + 1) & (k->cap - 1)) {
		size_t h = home(k, k->slot[j] & ~1ULL);
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		k->slot[i] = k->slot[j];
		i = j;
	}
	k->slot[i] = 0;
}

void rk_begin(struct ribkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->cap; i++)
		k->slot[i] &= ~1ULL;
	k->marked = 0;
}

uint64_t rk_count(const struct ribkeys *k) { return k ? k->n : 0; }

uint64_t rk_absent(const struct ribkeys *k) { return k ? k->n - k->marked : 0; }

void rk_free(struct ribkeys **kp)
{
	if (*kp)
		free((*kp)->slot);
	free(*kp);
	*kp = NULL;
}
