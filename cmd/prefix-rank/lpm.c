/* Multibit trie for longest-prefix match; see rank.h for the layout.
 * Adds and deletes touch only the slots of the prefix's own range, so the
 * table stays usable while the RIB changes (no rebuild). A node changes by
 * being expanded to its 256 slots, edited and compressed again in place
 * (its index, which the parent holds, stays). Nodes that become uniform
 * after a delete are folded back into their parent slot. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"
#include "lpm-int.h"

static size_t node_size(unsigned cap)
{
	return sizeof(struct lnode) + (size_t)cap * sizeof(uint32_t);
}

static size_t snode_size(unsigned n)
{
	return sizeof(struct snode) + (size_t)n * sizeof(uint32_t);
}

#define SLAB_BYTES 65536

/* A small node of n runs from its slab list (a new slab when empty). */
static struct snode *snode_alloc(struct lpm *t, unsigned n)
{
	void *it = t->sfree[n];
	size_t sz = snode_size(n);

	if (!it) {
		void **v = reallocarray(t->slabs, t->nslabs + 1, sizeof(*v));
		char *s;
		if (!v)
			return NULL;
		t->slabs = v;
		if (!(s = malloc(SLAB_BYTES)))
			return NULL;
		t->slabs[t->nslabs++] = s;
		t->bytes += SLAB_BYTES;
		for (size_t o = 0; o + sz <= SLAB_BYTES; o += sz) {
			memcpy(s + o, &t->sfree[n], sizeof(void *));
			t->sfree[n] = s + o;
		}
		it = t->sfree[n];
	}
	memcpy(&t->sfree[n], it, sizeof(void *));
	return it;
}

static void snode_release(struct lpm *t, struct snode *s)
{
	unsigned n = s->n;

	memcpy(s, &t->sfree[n], sizeof(void *));
	t->sfree[n] = s;
}

/* Give back what node idx holds. */
static void node_release(struct lpm *t, uint32_t idx)
{
	uintptr_t p = t->np[idx];

	if (!p)
		return;         /* a fresh index (lpm_build) holds nothing yet */
	if (p & 1) {
		snode_release(t, (struct snode *)(p - 1));
	} else {
		t->bytes -= node_size(((struct lnode *)p)->cap);
		free((void *)p);
	}
	t->np[idx] = 0;
}

static void expand(const struct lpm *t, uint32_t idx, uint32_t *out)
{
	uintptr_t p = t->np[idx];
	unsigned r = 0, start = 0;

	if (p & 1) {
		const struct snode *n = (const struct snode *)(p - 1);
		for (unsigned j = 0; j < n->n; j++) {
			unsigned end = j + 1 < n->n ? n->st[j] : NSLOT;
			for (; start < end; start++)
				out[start] = n->v[j];
		}
		return;
	}
	const struct lnode *n = (const struct lnode *)p;
	/* Run starts in order: each run fills up to the next start. */
	for (unsigned w = 0; w < 8; w++) {
		for (uint32_t b = n->bm[w]; b; b &= b - 1) {
			unsigned i = w * 32 + (unsigned)__builtin_ctz(b);
			if (i > 0)
				for (; start < i; start++)
					out[start] = n->v[r - 1];
			r++;
		}
	}
	for (; start < NSLOT; start++)
		out[start] = n->v[r - 1];
}

/* The runs st[] (where each starts; st[0] = 0) and val[] (their values,
 * no two neighbours equal) into node idx, in the small form when they
 * allow, resizing it when they do not fit (or leave much room). -1: no
 * memory to grow (the node is unchanged). */
int lpm_store_runs(struct lpm *t, uint32_t idx, const uint8_t *st, const uint32_t *val,
		   unsigned runs)
{
	uintptr_t p = t->np[idx];

	if (runs <= LPM_SMALL) {
		struct snode *n = (struct snode *)(p - 1);
		if (!(p & 1) || n->n != runs) {
			/* the runs hold everything: a fresh node, the old one back */
			if (!(n = snode_alloc(t, runs)))
				return -1;
			node_release(t, idx);
		}
		n->n = (uint8_t)runs;
		for (unsigned r = 0; r < runs; r++) {
			if (r > 0)
				n->st[r - 1] = st[r];
			n->v[r] = val[r];
		}
		t->np[idx] = (uintptr_t)n | 1;
		return 0;
	}
	struct lnode *n = (struct lnode *)p;
	if (!p || (p & 1)) {
		unsigned cap = (runs + 3) & ~3u;
		if (!(n = malloc(node_size(cap))))
			return -1;
		node_release(t, idx);
		t->bytes += node_size(cap);
		n->cap = (uint16_t)cap;
	} else if (runs > n->cap || n->cap > 2 * runs + 8) {
		unsigned cap = (runs + 3) & ~3u, old = n->cap;
		struct lnode *m = realloc(n, node_size(cap));
		if (!m)
			return -1;
		t->bytes = t->bytes - node_size(old) + node_size(cap);
		n = m;
		n->cap = (uint16_t)cap;
	}
	memset(n->bm, 0, sizeof(n->bm));
	for (unsigned r = 0; r < runs; r++) {
		n->bm[st[r] >> 5] |= 1u << (st[r] & 31);
		n->v[r] = val[r];
	}
	for (unsigned w = 0, r = 0; w < 8; w++) {
		n->base[w] = (uint8_t)r;
		r += lpm_popcount(n->bm[w]);
	}
	n->n = (uint16_t)runs;
	t->np[idx] = (uintptr_t)n;
	return 0;
}

/* in[]'s 256 slots into node idx, as lpm_store_runs(). */
static int store(struct lpm *t, uint32_t idx, const uint32_t *in)
{
	uint8_t st[NSLOT];
	uint32_t val[NSLOT];
	unsigned runs = 1;

	st[0] = 0;
	val[0] = in[0];
	for (unsigned i = 1; i < NSLOT; i++) {
		if (in[i] != in[i - 1]) {
			st[runs] = (uint8_t)i;
			val[runs++] = in[i];
		}
	}
	return lpm_store_runs(t, idx, st, val, runs);
}

/* A node index, holding nothing yet (NULL). -1: no memory. */
int64_t lpm_node_idx(struct lpm *t)
{
	if (t->nfree)
		return t->freeidx[--t->nfree];
	if (t->nnodes == t->capnodes) {
		uint32_t cap = t->capnodes ? t->capnodes * 2 : 1024;
		uintptr_t *v;
		uint32_t *f;
		if (cap > (LPM_CHILD >> 1))
			return -1;
		if (!(v = reallocarray(t->np, cap, sizeof(*v))))
			return -1;
		t->np = v;
		if (!(f = reallocarray(t->freeidx, cap, sizeof(*f))))
			return -1;
		t->freeidx = f;
		t->capnodes = cap;
	}
	t->np[t->nnodes] = 0;
	return t->nnodes++;
}

static int64_t node_new(struct lpm *t, uint32_t fill)
{
	int64_t idx = lpm_node_idx(t);
	struct snode *n;

	if (idx < 0)
		return -1;
	if (!(n = snode_alloc(t, 1))) {
		t->freeidx[t->nfree++] = (uint32_t)idx;
		return -1;
	}
	n->n = 1;
	n->v[0] = fill;
	t->np[idx] = (uintptr_t)n | 1;
	return idx;
}

static void node_free(struct lpm *t, uint32_t idx)
{
	node_release(t, idx);
	t->freeidx[t->nfree++] = idx;
}

static unsigned level_of(unsigned plen)
{
	if (plen <= LPM_ROOT_BITS)
		return 0;
	return (plen - LPM_ROOT_BITS + LPM_STRIDE - 1) / LPM_STRIDE;
}

static uint32_t get(const struct lpm *t, int64_t node, unsigned i)
{
	return node < 0 ? t->root[i] : lpm_get(t, (uint32_t)node, i);
}

static int set(struct lpm *t, int64_t node, unsigned i, uint32_t v)
{
	uint32_t buf[NSLOT];

	if (node < 0) {
		t->root[i] = v;
		return 0;
	}
	expand(t, (uint32_t)node, buf);
	buf[i] = v;
	return store(t, (uint32_t)node, buf);
}

int lpm_init(struct lpm *t, unsigned maxbits, unsigned stride,
	     unsigned (*plen_of)(void *, uint32_t), void *ctx)
{
	memset(t, 0, sizeof(*t));
	if (stride != LPM_STRIDE || maxbits % 8 || maxbits > 128)
		return -1;
	t->maxbits = maxbits;
	t->plen_of = plen_of;
	t->ctx = ctx;
	t->root = calloc((size_t)1 << LPM_ROOT_BITS, sizeof(uint32_t));
	return t->root ? 0 : -1;
}

void lpm_clear_nodes(struct lpm *t)
{
	for (uint32_t i = 0; i < t->nnodes; i++)
		if (!(t->np[i] & 1))
			free((void *)t->np[i]);
	for (size_t i = 0; i < t->nslabs; i++)
		free(t->slabs[i]);
	free(t->slabs);
	t->slabs = NULL;
	t->nslabs = 0;
	memset(t->sfree, 0, sizeof(t->sfree));
	t->nnodes = t->nfree = 0;
	t->bytes = 0;
}

void lpm_free(struct lpm *t)
{
	lpm_clear_nodes(t);
	free(t->np);
	free(t->freeidx);
	free(t->root);
	memset(t, 0, sizeof(*t));
}

size_t lpm_bytes(const struct lpm *t)
{
	return ((size_t)1 << LPM_ROOT_BITS) * 4 + t->bytes +
	       (size_t)t->capnodes * (sizeof(*t->np) + sizeof(*t->freeidx));
}

/* The slots of node idx to read and change: the root's own (-1), or the
 * node expanded into buf (the caller stores it back). */
static uint32_t *slots(struct lpm *t, int64_t idx, uint32_t *buf)
{
	if (idx < 0)
		return t->root;
	expand(t, (uint32_t)idx, buf);
	return buf;
}

/* id into slots [lo, hi) of node idx (-1: the root) and all below, where
 * it is longer than what is there. */
static int apply(struct lpm *t, int64_t idx, unsigned lo, unsigned hi, uint32_t id, unsigned plen)
{
	uint32_t buf[NSLOT], *v = slots(t, idx, buf), last = LPM_NONE;
	bool win = false;

	for (unsigned i = lo; i < hi; i++) {
		uint32_t s = v[i];
		if (s & LPM_CHILD) {
			if (apply(t, s & ~LPM_CHILD, 0, NSLOT, id, plen) < 0)
				return -1;
			continue;
		}
		if (s != last) {
			last = s;
			win = s == 0 || s == id || t->plen_of(t->ctx, s) <= plen;
		}
		if (win)
			v[i] = id;
	}
	return idx < 0 ? 0 : store(t, (uint32_t)idx, buf);
}

int lpm_insert(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id)
{
	uint8_t k[17] = { 0 };
	unsigned lvl, span, base;
	int64_t node = -1;

	if (plen > t->maxbits || id == 0 || (id & LPM_CHILD))
		return -1;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(plen);
	for (unsigned l = 0; l < lvl; l++) {
		unsigned i = index_at(k, l);
		uint32_t s = get(t, node, i);
		if (!(s & LPM_CHILD)) {
			int64_t n = node_new(t, s);
			if (n < 0)
				return -1;
			if (set(t, node, i, LPM_CHILD | (uint32_t)n) < 0) {
				node_free(t, (uint32_t)n);
				return -1;
			}
			s = LPM_CHILD | (uint32_t)n;
		}
		node = s & ~LPM_CHILD;
	}
	span = level_end(lvl) - plen;
	base = index_at(k, lvl) & ~((1u << span) - 1);
	return apply(t, node, base, base + (1u << span), id, plen);
}

static bool uniform(const struct lpm *t, uint32_t idx, uint32_t *leaf)
{
	uintptr_t p = t->np[idx];
	const struct snode *n = (const struct snode *)(p - 1);

	/* One run is always the small form. */
	if (!(p & 1) || n->n != 1 || (n->v[0] & LPM_CHILD))
		return false;
	*leaf = n->v[0];
	return true;
}

/* Slots of id in [lo, hi) of node idx and below become repl; nodes that
 * turn uniform fold into their slot. (Never more runs than before.) */
static void replace(struct lpm *t, int64_t idx, unsigned lo, unsigned hi, uint32_t id,
		    uint32_t repl)
{
	uint32_t buf[NSLOT], *v = slots(t, idx, buf), leaf;
	bool changed = false;

	for (unsigned i = lo; i < hi; i++) {
		uint32_t s = v[i];
		if (s & LPM_CHILD) {
			uint32_t c = s & ~LPM_CHILD;
			replace(t, c, 0, NSLOT, id, repl);
			if (uniform(t, c, &leaf)) {
				v[i] = leaf;
				node_free(t, c);
				changed = true;
			}
		} else if (s == id) {
			v[i] = repl;
			changed = true;
		}
	}
	if (idx >= 0 && changed)
		store(t, (uint32_t)idx, buf);
}

void lpm_delete(struct lpm *t, const uint8_t *key, unsigned plen, uint32_t id, uint32_t repl)
{
	uint8_t k[17] = { 0 };
	int64_t path[20];
	unsigned pidx[20];
	unsigned lvl, span, base;
	int64_t node = -1;

	if (plen > t->maxbits)
		return;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(plen);
	for (unsigned l = 0; l < lvl; l++) {
		unsigned idx = index_at(k, l);
		uint32_t s = get(t, node, idx);
		if (!(s & LPM_CHILD))
			return;         /* never inserted */
		path[l] = node;
		pidx[l] = idx;
		node = s & ~LPM_CHILD;
	}
	span = level_end(lvl) - plen;
	base = index_at(k, lvl) & ~((1u << span) - 1);
	replace(t, node, base, base + (1u << span), id, repl);
	/* Fold the nodes on the way down that became uniform, bottom up. */
	for (unsigned l = lvl; l-- > 0;) {
		uint32_t leaf;
		if (!uniform(t, (uint32_t)node, &leaf))
			break;
		set(t, path[l], pidx[l], leaf);  /* fewer runs: cannot fail */
		node_free(t, (uint32_t)node);
		node = path[l];
		if (node < 0)
			break;
	}
}

static void visit_node(const struct lpm *t, int64_t idx, unsigned lo, unsigned hi,
		       void (*fn)(void *, uint32_t), void *ctx)
{
	uint32_t buf[NSLOT], last = LPM_NONE;
	const uint32_t *v = NULL;

	if (idx < 0)
		v = t->root;
	else if (hi - lo > 8) {
		expand(t, (uint32_t)idx, buf);
		v = buf;
	}
	for (unsigned i = lo; i < hi; i++) {
		uint32_t s = v ? v[i] : lpm_get(t, (uint32_t)idx, i);
		if (s & LPM_CHILD) {
			visit_node(t, s & ~LPM_CHILD, 0, NSLOT, fn, ctx);
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
	uint8_t k[17] = { 0 };
	unsigned lvl, span, base;
	int64_t node = -1;

	if (plen > t->maxbits)
		return;
	memcpy(k, key, t->maxbits / 8);
	lvl = level_of(plen);
	for (unsigned l = 0; l < lvl; l++) {
		uint32_t s = get(t, node, index_at(k, l));
		if (!(s & LPM_CHILD)) {
			fn(ctx, s);     /* one value covers the whole range */
			return;
		}
		node = s & ~LPM_CHILD;
	}
	span = level_end(lvl) - plen;
	base = index_at(k, lvl) & ~((1u << span) - 1);
	visit_node(t, node, base, base + (1u << span), fn, ctx);
}

bool lpm_empty(const struct lpm *t)
{
	if (t->nnodes != t->nfree)
		return false;
	for (size_t i = 0; i < (size_t)1 << LPM_ROOT_BITS; i++)
		if (t->root[i])
			return false;
	return true;
}
