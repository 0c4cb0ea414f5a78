/* Multibit trie for longest-prefix match; see rank.h for the layout.
 * Adds and deletes touch only the slots of the prefix's own range, so the
 * table stays usable while the RIB changes (no rebuild). Nodes that become
 * uniform after a delete are folded back into their parent slot. */
#include <stdlib.h>
#include <string.h>

#include "rank.h"

static inline uint32_t *slotp(const struct lpm *t, int64_t node, unsigned idx)
{
	if (node < 0)
		return &t->root[idx];
	return &t->nodes[((size_t)node << t->stride) + idx];
}

/* w bits of the key starting at bit off; k is padded to 20 bytes. */
static inline unsigned kbits(const uint8_t *k, unsigned off, unsigned w)
{
	uint32_t v = (uint32_t)k[off >> 3] << 16 | (uint32_t)k[(off >> 3) + 1] << 8 |
		     k[(off >> 3) + 2];
	return (v >> (24 - (off & 7) - w)) & ((1u << w) - 1);
}

static unsigned level_of(const struct lpm *t, unsigned plen)
{
	if (plen <= LPM_ROOT_BITS)
		return 0;
	return (plen - LPM_ROOT_BITS + t->stride - 1) / t->stride;
}

static unsigned level_end(const struct lpm *t, unsigned lvl)
{
	return LPM_ROOT_BITS + lvl * t->stride;
}

static unsigned index_at(const struct lpm *t, const uint8_t *k, unsigned lvl)
{
	if (lvl == 0)
		return kbits(k, 0, LPM_ROOT_BITS);
	return kbits(k, LPM_ROOT_BITS + (lvl - 1) * t->stride, t->stride);
}

int lpm_init(struct lpm *t, unsigned maxbits, unsigned stride,
	     unsigned (*plen_of)(void *, uint32_t), void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->maxbits = maxbits;
	t->stride = stride;
	t->plen_of = plen_of;
	t->ctx = ctx;
	t->freelist = LPM_NONE;
	t->root = calloc((size_t)1 << LPM_ROOT_BITS, sizeof(uint32_t));
	return t->root ? 0 : -1;
}

void lpm_free(struct lpm *t)
{
	free(t->root);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

size_t lpm_bytes(const struct lpm *t)
{
	return ((size_t)1 << LPM_ROOT_BITS) * 4 + ((size_t)t->capnodes << t->stride) * 4;
}

/* Folded nodes are chained through their slot 0 for reuse. */
static void node_free(struct lpm *t, int64_t n)
{
	*slotp(t, n, 0) = t->freelist;
	t->freelist = (uint32_t)n;
	t->nfree++;
}

static int64_t node_new(struct lpm *t, uint32_t fill)
{
	size_t ns = (size_t)1 << t->stride;
	uint32_t n;

	if (t->freelist != LPM_NONE) {
		n = t->freelist;
		t->freelist = *slotp(t, n, 0);
		t->nfree--;
		for (size_t i = 0; i < ns; i++)
			t->nodes[((size_t)n << t->stride) + i] = fill;
		return n;
	}
	if (t->nnodes == t->capnodes) {
		uint32_t cap = t->capnodes ? t->capnodes * 2 : 1024;
		uint32_t *v;
		if (cap > (LPM_CHILD >> 1))
			return -1;
		v = reallocarray(t->nodes, (size_t)cap << t->stride, sizeof(uint32_t));
		if (!v)
			return -1;
		t->nodes = v;
		t->capnodes = cap;
	}
	n = t->nnodes++;
	for (size_t i = 0; i < ns; i++)
		t->nodes[((size_t)n << t->stride) + i] = fill;
	return n;
}

static void set_slot(struct lpm *t, int64_t node, unsigned idx, uint32_t id, unsigned plen)
{
	uint32_t *sp = slotp(t, node, idx), s = *sp;

	if (s & LPM_CHILD) {
		int64_t c = s & ~LPM_CHILD;
		for (unsigned j = 0; j < (1u << t->stride); j++)
			set_slot(t, c, j, id, plen);
	} else if (s == 0 || s == id || t->plen_of(t->ctx, s) <= plen) {
		*sp = id;
	}
}

int lpm_insert(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id)
{
	uint8_t k[20] = { 0 };
	unsigned lvl, end, span, base;
	int64_t node = -1;

	if (plen > t->maxbits || id == 0 || (id & LPM_CHILD))
		return -1;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(t, plen);
	for (unsigned l = 0; l < lvl; l++) {
		unsigned idx = index_at(t, k, l);
		uint32_t s = *slotp(t, node, idx);
		if (s & LPM_CHILD) {
			node = s & ~LPM_CHILD;
			continue;
		}
		int64_t n = node_new(t, s);
		if (n < 0)
			return -1;
		*slotp(t, node, idx) = LPM_CHILD | (uint32_t)n;
		node = n;
	}
	end = level_end(t, lvl);
	span = end - plen;
	base = index_at(t, k, lvl) & ~((1u << span) - 1);
	for (unsigned i = base; i < base + (1u << span); i++)
		set_slot(t, node, i, id, plen);
	return 0;
}

/* A node whose slots all hold the same leaf can be replaced by that leaf. */
static bool node_uniform(const struct lpm *t, int64_t n, uint32_t *leaf)
{
	const uint32_t *v = slotp(t, n, 0);
	for (unsigned j = 0; j < (1u << t->stride); j++)
		if ((v[j] & LPM_CHILD) || v[j] != v[0])
			return false;
	*leaf = v[0];
	return true;
}

static void replace_slot(struct lpm *t, int64_t node, unsigned idx, uint32_t id, uint32_t repl)
{
	uint32_t *sp = slotp(t, node, idx), s = *sp, leaf;

	if (s & LPM_CHILD) {
		int64_t c = s & ~LPM_CHILD;
		for (unsigned j = 0; j < (1u << t->stride); j++)
			replace_slot(t, c, j, id, repl);
		if (node_uniform(t, c, &leaf)) {
			*slotp(t, node, idx) = leaf;
			node_free(t, c);
		}
	} else if (s == id) {
		*sp = repl;
	}
}

void lpm_delete(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id, uint32_t repl)
{
	uint8_t k[20] = { 0 };
	int64_t path[130];
	unsigned pidx[130];
	unsigned lvl, span, base;
	int64_t node = -1;

	if (plen > t->maxbits)
		return;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(t, plen);
	for (unsigned l = 0; l < lvl; l++) {
		unsigned idx = index_at(t, k, l);
		uint32_t s = *slotp(t, node, idx);
		if (!(s & LPM_CHILD))
			return;         /* never inserted */
		path[l] = node;
		pidx[l] = idx;
		node = s & ~LPM_CHILD;
	}
	span = level_end(t, lvl) - plen;
	base = index_at(t, k, lvl) & ~((1u << span) - 1);
	for (unsigned i = base; i < base + (1u << span); i++)
		replace_slot(t, node, i, id, repl);
	/* Fold the nodes on the way down that became uniform, bottom up. */
	for (unsigned l = lvl; l-- > 0;) {
		uint32_t leaf;
		if (!node_uniform(t, node, &leaf))
			break;
		*slotp(t, path[l], pidx[l]) = leaf;
		node_free(t, node);
		node = path[l];
		if (node < 0)
			break;
	}
}

static void visit_node(const struct lpm *t, int64_t node, unsigned lo, unsigned hi,
		       void (*fn)(void *, uint32_t), void *ctx)
{
	uint32_t last = LPM_NONE;

	for (unsigned i = lo; i < hi; i++) {
		uint32_t s = *slotp(t, node, i);
		if (s & LPM_CHILD) {
			visit_node(t, s & ~LPM_CHILD, 0, 1u << t->stride, fn, ctx);
			last = LPM_NONE;
		} else if (s != last) {
			fn(ctx, s);
			last = s;
		}
	}
}

void lpm_visit(const struct lpm *t, const uint8_t *key, unsigned plen,
	       void (*fn)(void *ctx, uint32_t id), void *ctx)
{
	uint8_t k[20] = { 0 };
	unsigned lvl, span, base;
	int64_t node = -1;

	if (plen > t->maxbits)
		return;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(t, plen);
	for (unsigned l = 0; l < lvl; l++) {
		uint32_t s = *slotp(t, node, index_at(t, k, l));
		if (!(s & LPM_CHILD)) {
			fn(ctx, s);     /* one value covers the whole range */
			return;
		}
		node = s & ~LPM_CHILD;
	}
	span = level_end(t, lvl) - plen;
	base = index_at(t, k, lvl) & ~((1u << span) - 1);
	visit_node(t, node, base, base + (1u << span), fn, ctx);
}

uint32_t lpm_lookup(const struct lpm *t, const uint8_t *key)
{
	uint8_t k[20] = { 0 };
	uint32_t s;
	unsigned off = LPM_ROOT_BITS;

	if (t->maxbits == 32 && t->stride == 8)
		return lpm_lookup4(t, (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
				   (uint32_t)key[2] << 8 | key[3]);
	memcpy(k, key, t->maxbits / 8);
	s = t->root[kbits(k, 0, LPM_ROOT_BITS)];
	while (s & LPM_CHILD) {
		s = *slotp(t, s & ~LPM_CHILD, kbits(k, off, t->stride));
		off += t->stride;
	}
	return s;
}
