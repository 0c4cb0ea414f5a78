/* The RIB: its prefixes (stored in chunks by id, found through the LPM,
 * linked into a prefix tree) and its memory. The routes of each prefix
 * are rib-route.c's, their interned attributes rib-path.c's. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rib-int.h"

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

static unsigned plen_of(void *ctx, uint32_t id)
{
	return rib_byid(ctx, id)->plen;
}

int rib_init(struct rib *r, double tau)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2; i++)
		if (lpm_init(&r->af[i].lpm, i ? 128 : 32, LPM_STRIDE, plen_of, r) < 0)
			return -1;
	r->nextid = 1;                  /* id 0 is "no route" in the LPM */
	r->af[0].hot_min = r->af[1].hot_min = FLT_MAX;  /* no fast path before a tick */
	r->nkeys6 = r->nrr = r->npathv = 1;     /* index 0 means none */
	r->tau = tau;
	r->scale = 1;
	r->tcache = UINT64_MAX;
	r->cappaths = 1024;
	r->paths = calloc(r->cappaths, sizeof(*r->paths));
	return r->paths ? 0 : -1;
}

void pfx_key(const struct rib *r, const struct pfx *p, uint8_t out[16])
{
	if (p->af == AR_AF4) {
		memset(out, 0, 16);
		out[0] = (uint8_t)(p->k >> 24);
		out[1] = (uint8_t)(p->k >> 16);
		out[2] = (uint8_t)(p->k >> 8);
		out[3] = (uint8_t)p->k;
	} else {
		memcpy(out, r->keys6[p->k], 16);
	}
}

void pfx_prefix(const struct rib *r, const struct pfx *p, struct ar_prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->a.af = p->af;
	pfx_key(r, p, out->a.b);
	out->plen = p->plen;
}

/* ---- Prefix storage: chunks addressed by id, so the LPM holds 31-bit ids ---- */

#define HUGE_BYTES ((size_t)2 << 20)
#define CHUNK_BYTES (PFX_CHUNK * sizeof(struct pfx))

#if defined(__SANITIZE_ADDRESS__)
#define RIB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RIB_ASAN 1
#endif
#endif

#ifdef RIB_ASAN
/* Under ASan plain allocations, a chunk each: an overrun past one is
 * caught, which it is not inside a mapping. */
void *big_map(size_t bytes) { return calloc(1, bytes); }
void big_unmap(void *p, size_t bytes) { (void)bytes; free(p); }
#define PFX_GROUP 1
#else
void *big_map(size_t bytes)
{
	size_t n = (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
	char *m = mmap(NULL, n + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	size_t head;

	if (m == MAP_FAILED)
		return NULL;
	/* Trimmed to a huge page boundary at both ends, so every page of it
	 * can be a huge one. */
	head = (HUGE_BYTES - (uintptr_t)m % HUGE_BYTES) % HUGE_BYTES;
	if (head)
		munmap(m, head);
	munmap(m + head + n, HUGE_BYTES - head);
	(void)madvise(m + head, n, MADV_HUGEPAGE);     /* advice only: 4 KiB pages do too */
	return m + head;
}

void big_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
}

/* Chunks come PFX_GROUP at a time from one mapping of whole huge pages
 * (1.6% of it unused): a full table then faults in 2 MiB at a time instead
 * of 4 KiB, and page faults were the load's largest cost. */
#define PFX_GROUP (8 * HUGE_BYTES / CHUNK_BYTES)
#endif

static struct pfx *pfx_alloc(struct rib *r)
{
	struct pfx *p;
	uint32_t id;

	if (r->freelist) {
		id = r->freelist;
		p = rib_byid(r, id);
		r->freelist = p->parent;
	} else {
		uint32_t c = r->nextid / PFX_CHUNK;
		if (r->nextid >= (LPM_CHILD - 1))
			return NULL;
		if (c >= r->nchunks) {
			struct pfx **v = reallocarray(r->chunks, c + 1, sizeof(*v));
			if (!v)
				return NULL;
			r->chunks = v;
			if (c % PFX_GROUP)
				v[c] = v[c - 1] + PFX_CHUNK;
			else if (!(v[c] = big_map(PFX_GROUP * CHUNK_BYTES)))
				return NULL;
			r->nchunks = c + 1;
		}
		id = r->nextid++;
		p = rib_byid(r, id);
	}
	memset(p, 0, sizeof(*p));
	p->id = id;
	return p;
}

void pfx_release(struct rib *r, struct pfx *p)
{
	if (p->af == AR_AF6 && p->k) {
		memcpy(r->keys6[p->k], &r->free6, sizeof(r->free6));
		r->free6 = p->k;
	}
	p->flags = PFX_FREE;
	p->parent = r->freelist;
	r->freelist = p->id;
}

static uint32_t key6_alloc(struct rib *r)
{
	uint32_t k;

	if (r->free6) {
		k = r->free6;
		memcpy(&r->free6, r->keys6[k], sizeof(r->free6));
		return k;
	}
	if (r->nkeys6 >= r->capkeys6) {
		uint32_t cap = r->capkeys6 ? r->capkeys6 * 2 : 1024;
		uint8_t (*v)[16] = reallocarray(r->keys6, cap, 16);
		if (!v)
			return 0;
		r->keys6 = v;
		r->capkeys6 = cap;
	}
	return r->nkeys6++;
}

struct pfx *rib_next(const struct rib *r, int af, const struct pfx *p)
{
	for (uint32_t id = p ? p->id + 1 : 1; id < r->nextid; id++) {
		struct pfx *q = rib_byid(r, id);
		if (!(q->flags & PFX_FREE) && q->af == af)
			return q;
	}
	return NULL;
}

/* The key masked to its length: host bits never tell prefixes apart. */
void key_of(const struct ar_prefix *pr, uint8_t k[16])
{
	unsigned n = addr_len(&pr->a), full = pr->plen / 8;

	memset(k, 0, 16);
	if (full >= n) {
		memcpy(k, pr->a.b, n);
		return;
	}
	/* whole bytes, then the byte the length ends in (a bit at a time was
	 * a few percent of a full table's load) */
	memcpy(k, pr->a.b, full);
	k[full] = pr->a.b[full] & (uint8_t)(0xff00u >> (pr->plen % 8));
}

/* The longest RIB prefix of length <= plen containing the key's first
 * address: up the parent chain from the LPM's answer. */
struct pfx *cover_of(struct rib *r, struct rib_af *ra, const uint8_t *k, unsigned plen)
{
	struct pfx *q = pfx_get(r, lpm_lookup(&ra->lpm, k));

	while (q && q->plen > plen)
		q = pfx_parent(r, q);
	return q;
}

struct pfx *rib_find(struct rib *r, const struct ar_prefix *pr)
{
	uint8_t k[16];
	struct pfx *q;

	if ((pr->a.af != AR_AF4 && pr->a.af != AR_AF6) || pr->plen > addr_bits(pr->a.af))
		return NULL;
	rib_settle(r);
	key_of(pr, k);
	q = cover_of(r, &r->af[af_idx(pr->a.af)], k, pr->plen);
	return q && q->plen == pr->plen ? q : NULL;
}

struct pfx *rib_match(struct rib *r, const struct ar_addr *a)
{
	uint32_t id;

	rib_settle(r);
	if (a->af == AR_AF4)
		id = lpm_lookup4(&r->af[0].lpm, (uint32_t)a->b[0] << 24 |
				 (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3]);
	else if (a->af == AR_AF6)
		id = lpm_lookup(&r->af[1].lpm, a->b);
	else
		return NULL;
	return id ? rib_byid(r, id) : NULL;
}

bool pfx_covers(const struct rib *r, const struct pfx *o, const struct pfx *i)
{
	unsigned n = o->plen;
	uint64_t d;

	if (o->plen > i->plen)
		return false;
	if (n == 0)
		return true;
	if (o->af == AR_AF4)
		return ((o->k ^ i->k) >> (32 - n)) == 0;
	const uint8_t *a = r->keys6[o->k], *b = r->keys6[i->k];
	d = be64(a) ^ be64(b);
	if (n <= 64)
		return (d >> (64 - n)) == 0;
	if (d)
		return false;
	d = be64(a + 8) ^ be64(b + 8);
	return (d >> (128 - n)) == 0;
}

/* ---- The prefix tree ---- */

static void child_push(struct pfx *par, struct pfx *c)
{
	c->parent = par ? par->id : 0;
	if (par) {
		c->sib = par->child;
		par->child = c->id;
	} else {
		c->sib = 0;             /* top-level prefixes are in no list */
	}
}

static void child_unlink(struct rib *r, struct pfx *c)
{
	struct pfx *par = pfx_parent(r, c);
	uint32_t *pp;

	if (!par)
		return;
	for (pp = &par->child; *pp && *pp != c->id; pp = &rib_byid(r, *pp)->sib)
		;
	if (*pp)
		*pp = c->sib;
	c->sib = 0;
}

/* While p is being added: every slot of its range holds the longest prefix
 * there; those inside p lead up their parent chains to p's future
 * children (the topmost inside p), whose parent is still p's parent. */
struct adopt {
	struct rib *r;
	struct pfx *p;
	uint32_t up;                    /* p's parent id */
	uint32_t last;
	size_t n;                       /* adopted out of up's child list */
};

static void adopt_one(void *ctx, uint32_t id)
{
	struct adopt *a = ctx;
	struct pfx *c;

	if (!id || id == a->last)
		return;
	a->last = id;
	c = rib_byid(a->r, id);
	if (c->plen <= a->p->plen)
		return;                 /* p's parent or above: covers all of p */
	while (c->parent && c->parent != a->up && c->parent != a->p->id)
		c = rib_byid(a->r, c->parent);
	if (c->parent != a->up)
		return;                 /* adopted already */
	if (!a->up) {
		child_push(a->p, c);    /* top-level prefixes are in no list */
	} else {
		c->parent = a->p->id;   /* moved to p's list after the visit */
		a->n++;
	}
}

/* One pass over the old parent's children for all the adopted ones,
 * ended at the last of them (a parent may have thousands of children). */
static void adopt_finish(struct rib *r, struct adopt *a)
{
	uint32_t *pp;
	size_t left = a->n;

	for (pp = &rib_byid(r, a->up)->child; left && *pp;) {
		struct pfx *c = rib_byid(r, *pp);
		if (c->parent == a->p->id) {
			*pp = c->sib;
			child_push(a->p, c);
			left--;
		} else {
			pp = &c->sib;
		}
	}
}

struct pfx *pfx_new(struct rib *r, const struct ar_prefix *pr, const uint8_t *k)
{
	struct pfx *p = pfx_alloc(r);

	if (!p)
		return NULL;
	p->af = pr->a.af;
	p->plen = pr->plen;
	if (p->af == AR_AF4) {
		p->k = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	} else {
		if (!(p->k = key6_alloc(r))) {
			pfx_release(r, p);
			return NULL;
		}
		memcpy(r->keys6[p->k], k, 16);
	}
	return p;
}

int pfx_link(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];
	struct pfx *parent;
	uint8_t k[16];

	pfx_key(r, p, k);
	parent = cover_of(r, ra, k, p->plen);
	struct adopt ad = { r, p, parent ? parent->id : 0, 0, 0 };
	lpm_visit(&ra->lpm, k, p->plen, adopt_one, &ad);
	adopt_finish(r, &ad);
	if (lpm_insert(&ra->lpm, k, p->plen, p->id) < 0) {
		/* Give the adopted children back. */
		for (struct pfx *c = pfx_get(r, p->child), *n; c; c = n) {
			n = pfx_get(r, c->sib);
			child_push(parent, c);
		}
		p->child = 0;
		return -1;
	}
	child_push(parent, p);
	return 0;
}

struct pfx *pfx_insert(struct rib *r, const struct ar_prefix *pr, const uint8_t *k)
{
	struct pfx *p = pfx_new(r, pr, k);

	if (!p)
		return NULL;
	if (pfx_link(r, p) < 0) {
		pfx_release(r, p);
		return NULL;
	}
	r->af[af_idx(p->af)].n++;
	r->added++;
	return p;
}

void pfx_remove(struct rib *r, struct pfx *p)
{
	struct rib_af *ra = &r->af[af_idx(p->af)];
	struct pfx *par = pfx_parent(r, p);
	uint8_t k[16];

	if (r->on_delete)
		r->on_delete(r->on_delete_ctx, p);
	pfx_key(r, p, k);
	lpm_delete(&ra->lpm, k, p->plen, p->id, p->parent);
	child_unlink(r, p);
	for (struct pfx *c = pfx_get(r, p->child), *n; c; c = n) {
		n = pfx_get(r, c->sib);
		child_push(par, c);
	}
	rate_forget(r, p);
	ra->n--;
	r->removed++;
	pfx_release(r, p);
}

size_t rib_bytes(const struct rib *r)
{
	return (size_t)r->nchunks * PFX_CHUNK * sizeof(struct pfx) + (size_t)r->capkeys6 * 16 +
	       (size_t)r->caprr * sizeof(struct rroute) + lpm_bytes(&r->af[0].lpm) +
	       lpm_bytes(&r->af[1].lpm);
}

void rib_free(struct rib *r)
{
	for (int i = 0; i < 2; i++) {
		lpm_free(&r->af[i].lpm);
		free(r->af[i].active);
		free(r->af[i].cand);
		free(r->af[i].hot);
	}
	for (uint32_t id = 1; id < r->nextid; id++) {
		struct pfx *p = rib_byid(r, id);
		if (p->flags & PFX_FREE)
			continue;
		if (p->r0.path)
			path_put(r, r->pathv[p->r0.path]);
		for (uint32_t i = p->more; i; i = r->rr[i].next)
			path_put(r, r->pathv[r->rr[i].s.path]);
	}
	bulk_free(r);
	for (uint32_t c = 0; c < r->nchunks; c += PFX_GROUP)
		big_unmap(r->chunks[c], PFX_GROUP * CHUNK_BYTES);
	free(r->chunks);
	free(r->paths);
	free(r->pathv);
	free(r->pathfree);
	free(r->keys6);
	free(r->rr);
	free(r->peers);
	memset(r, 0, sizeof(*r));
}
