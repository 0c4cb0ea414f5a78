/* --flows-out: every flow record read, written again with the RIB's answer
 * for its addresses (records(5): the rib* keys). prefix-rank holds the RIB
 * and looks the destination up anyway; flow-watch reads this stream to key
 * flows by prefix, AS and AS path without a RIB of its own.
 * The agent's own keys (srcmask, dstas, aspath, ...) pass through as they
 * came: the RIB's answer has keys of its own, so a reader knows which is which.
 * The output never holds up the flow path: while it has no reader, or its
 * reader is slow and the records reach the writer's high water, they are
 * dropped and counted (common/out.c reopens a FIFO whose reader left). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pr.h"

/* The encoded rib* keys of a prefix's answer, per prefix id: most flows go
 * to prefixes seen a moment ago, so their keys are copied, not encoded.
 * An entry holds while the prefix, its best path and the RIB's change
 * count are what they were (any route record or removal counts).
 * Direct-mapped on the id: as many slots as a table of every /16 has
 * prefixes, so the destinations of one traffic mix rarely evict each other
 * (a miss costs a lookup and an encoding, ten hits' worth). A slot is small
 * and points into an arena the keys are appended to, so the prefixes with
 * traffic take a few cache lines each, next to each other, rather than a
 * fixed stretch apiece over megabytes (a page and a cache miss per flow).
 * The arena starts again, every slot void (a new epoch), when the RIB
 * changes or it is full; only between batches, so the keys a record is
 * being written with stay. */
#define CACHE_SLOTS 65536
#define ARENA_BYTES (2u << 20)
#define BLOB_MAX 2048                   /* keys longer are encoded every time */
struct cslot {
	uint32_t id, path;
	uint32_t off;                   /* in the arena: a blob */
	uint32_t epoch;                 /* the arena's when written; 0 never */
};
struct blob {                           /* in the arena, 4-byte aligned */
	uint16_t len;
	uint8_t nkeys;
	uint8_t b[];
};

/* Records wait in a short queue: their prefixes and cache entries are
 * looked up and fetched ahead for the whole queue, then the records are
 * written in order (random addresses make every one a cache miss else).
 * A queued record's bytes are the reader's, not a copy (one copy less of
 * every record): the input empties the queue (enrich_drained) before it
 * reads into that buffer again. */
#define PEND_MAX 32
_Static_assert(2 * PEND_MAX <= LPM_MANY, "a queue's addresses are one batch of lookups");
#define PEND_BYTES 4096
struct pend {
	const uint8_t *raw;
	uint32_t len;
	uint32_t id[2];                 /* prefix ids of dst and src (0: none) */
	bool has[2];
	struct ar_addr a[2];
};

struct enrich {
	struct cslot *slot[2];          /* [0] destination keys, [1] source keys */
	uint8_t *arena;
	size_t used;
	uint32_t epoch;
	uint64_t gen;                   /* the RIB's change count the arena holds */
	struct pend pend[PEND_MAX];
	unsigned npend;
	struct out *out;
	struct rec_writer *w;           /* out's writer */
	struct rec_writer *scratch;     /* encodes the added keys alone */
	uint64_t written, dropped;
};

/* First and last AS of a path in segment form (an AS_SET counts as its
 * first member, as sFlow-RT reports it). 0 for an empty path: our own AS. */
static void path_ends(const struct path *pa, uint32_t *first, uint32_t *last)
{
	*first = *last = 0;
	for (uint32_t i = 0; i + 1 < pa->naspath; i += 2 + pa->v[i + 1]) {
		uint32_t n = pa->v[i + 1];
		if (n == 0 || i + 2 + n > pa->naspath)
			break;
		if (!*first)
			*first = pa->v[i + 2];
		*last = pa->v[i] == ASPATH_SET ? pa->v[i + 2] : pa->v[i + 1 + n];
	}
}

int enrich_open(struct pr *pr)
{
	struct enrich *e = calloc(1, sizeof(*e));

	/* live, a FIFO never holds the flow path up; a replay waits for its reader */
	if (!e || !(e->out = out_new(pr->ev, pr->o->flows_out, NULL, NULL)) ||
	    !(e->scratch = rw_new(-1)) ||
	    !(e->slot[0] = calloc(CACHE_SLOTS, sizeof(struct cslot))) ||
	    !(e->slot[1] = calloc(CACHE_SLOTS, sizeof(struct cslot))) ||
	    !(e->arena = malloc(ARENA_BYTES))) {
		if (e) {
			out_free(e->out);
			rw_free(e->scratch);
			free(e->slot[0]);
			free(e->slot[1]);
		}
		free(e);
		log_err("out of memory");
		return -1;
	}
	e->w = out_w(e->out);
	e->epoch = 1;
	pr->enrich = e;
	/* a larger pipe: fewer wakeups of both sides, room for bursts */
	out_set_pipe_size(e->out, 1 << 20);
	return out_start(e->out);
}

#define RIB_BITS (((uint64_t)1 << (FLOW_RIBLOCALPREF + 1)) - ((uint64_t)1 << FLOW_RIBDSTLEN))

/* The RIB's answer for the record's addresses, as rib* fields of a. */
static void answer(struct pr *pr, const struct rec_flow *in, struct rec_flow *a)
{
	const struct pfx *p;
	const struct path *pa;

	a->has = 0;
	if (REC_HAS(in, FLOW_DST) && (p = rib_match(&pr->rib, &in->dst)) && (pa = pfx_best(&pr->rib, p))) {
		a->ribdstlen = p->plen;
		if (pa->nexthop.af != AR_AF_NONE) {
			a->ribnexthop = pa->nexthop;
			REC_SET(a, FLOW_RIBNEXTHOP);
		}
		a->ribaspath = (struct u32s){ pa->v, pa->naspath };
		path_ends(pa, &a->ribdstpeeras, &a->ribdstas);
		a->has |= (uint64_t)1 << FLOW_RIBDSTLEN | (uint64_t)1 << FLOW_RIBASPATH |
			  (uint64_t)1 << FLOW_RIBDSTAS | (uint64_t)1 << FLOW_RIBDSTPEERAS |
			  (uint64_t)1 << FLOW_RIBLOCALPREF;
		a->riblocalpref = pa->localpref;
		if (pa->ncomm) {
			a->ribcomm = (struct u32s){ pa->v + pa->naspath, pa->ncomm };
			REC_SET(a, FLOW_RIBCOMM);
		}
		if (pa->nlcomm) {
			a->riblcomm = (struct u32s){ pa->v + pa->naspath + pa->ncomm, pa->nlcomm };
			REC_SET(a, FLOW_RIBLCOMM);
		}
	}
	if (REC_HAS(in, FLOW_SRC) && (p = rib_match(&pr->rib, &in->src)) && (pa = pfx_best(&pr->rib, p))) {
		a->ribsrclen = p->plen;
		path_ends(pa, &a->ribsrcpeeras, &a->ribsrcas);
		a->has |= (uint64_t)1 << FLOW_RIBSRCLEN | (uint64_t)1 << FLOW_RIBSRCAS |
			  (uint64_t)1 << FLOW_RIBSRCPEERAS;
	}
}

static uint64_t rib_gen(const struct rib *r)
{
	return r->route_adds + r->route_dels + r->removed;
}

/* Before a batch: an arena that the RIB's changes made void, or without
 * room for the batch's keys, starts again. */
static void arena_check(const struct rib *r, struct enrich *e)
{
	if (rib_gen(r) == e->gen && e->used + 2 * PEND_MAX * (sizeof(struct blob) + BLOB_MAX) <=
	    ARENA_BYTES)
		return;
	e->gen = rib_gen(r);
	e->used = 0;
	if (++e->epoch == 0) {
		/* after 2^32 epochs a slot's could come round again */
		memset(e->slot[0], 0, CACHE_SLOTS * sizeof(struct cslot));
		memset(e->slot[1], 0, CACHE_SLOTS * sizeof(struct cslot));
		e->epoch = 1;
	}
}

/* The rib* keys for one address (dir 0: dst, 1: src), encoded: from the
 * cache, or encoded now (kept when they fit, else copied to buf). NULL
 * when the RIB has no answer; -1 in *n on failure. */
static const uint8_t *keys_for(struct pr *pr, struct enrich *e, int dir, uint32_t id,
			       const struct ar_addr *addr, size_t *len, uint32_t *n, uint8_t *buf,
			       size_t bufsz)
{
	static const uint8_t type[10] = { 0xa4, 't', 'y', 'p', 'e', 0xa4, 'f', 'l', 'o', 'w' };
	const struct rib *r = &pr->rib;
	const struct pfx *p = id ? rib_byid(r, id) : NULL;
	struct rec_flow a, in;
	const uint8_t *add;
	size_t an;

	*n = 0;
	if (!p || !p->r0.path)
		return NULL;
	struct cslot *c = &e->slot[dir][p->id % CACHE_SLOTS];
	if (c->id == p->id && c->path == p->r0.path && c->epoch == e->epoch) {
		struct blob *b = (struct blob *)(e->arena + c->off);
		*len = b->len;
		*n = b->nkeys;
		return b->b;
	}
	in.has = (uint64_t)1 << (dir ? FLOW_SRC : FLOW_DST);
	in.src = in.dst = *addr;
	answer(pr, &in, &a);
	if (!a.has)
		return NULL;
	rw_set_fd(e->scratch, -1);     /* empties it */
	rw_flow(e->scratch, &a);
	add = (const uint8_t *)rw_data(e->scratch, &an);
	*n = (uint32_t)__builtin_popcountll(a.has);
	/* what it wrote: a fixmap header, "type": "flow", then the fields */
	if (an < 11 || add[0] != (0x80 | (*n + 1)) || memcmp(add + 1, type, sizeof(type))) {
		*n = (uint32_t)-1;
		return NULL;
	}
	*len = an - 11;
	if (*len <= BLOB_MAX) {
		/* arena_check() left room for every key of the batch */
		struct blob *b = (struct blob *)(e->arena + e->used);
		b->len = (uint16_t)*len;
		b->nkeys = (uint8_t)*n;
		memcpy(b->b, add + 11, *len);
		*c = (struct cslot){ p->id, p->r0.path, (uint32_t)e->used, e->epoch };
		e->used += (sizeof(*b) + *len + 3) & ~(size_t)3;
		return b->b;
	}
	if (*len > bufsz) {
		*n = (uint32_t)-1;
		return NULL;
	}
	memcpy(buf, add + 11, *len);
	return buf;
}

/* The record's own bytes with the rib* keys appended (its map header
 * grown), built in the writer's buffer: the usual case, one copy instead
 * of encoding every field again. -1 when it does not apply (no bytes, too
 * large, odd header). */
static int append_rib(struct pr *pr, struct enrich *e, const uint8_t *raw, size_t len,
		      const struct pend *q)
{
	uint8_t dbuf[2048], sbuf[2048], *out;
	const uint8_t *d = NULL, *s = NULL;
	size_t hl, o = 0, dl = 0, sl = 0;
	uint32_t n, dn = 0, sn = 0;

	if (!raw || len < 1 || len > 4096)
		return -1;
	if ((raw[0] & 0xf0) == 0x80)
		n = raw[0] & 0x0f, hl = 1;
	else if (raw[0] == 0xde && len >= 3)
		n = (uint32_t)raw[1] << 8 | raw[2], hl = 3;
	else
		return -1;
	if (q->has[0])
		d = keys_for(pr, e, 0, q->id[0], &q->a[0], &dl, &dn, dbuf, sizeof(dbuf));
	if (dn == (uint32_t)-1)
		return -1;
	if (q->has[1])
		s = keys_for(pr, e, 1, q->id[1], &q->a[1], &sl, &sn, sbuf, sizeof(sbuf));
	if (sn == (uint32_t)-1)
		return -1;
	if (!dn && !sn)
		return rw_bytes(e->w, raw, len) < 0 ? -2 : 0;
	if (!(out = rw_room(e->w, 3 + len - hl + dl + sl)))
		return -1;
	n += dn + sn;
	if (n <= 15) {
		out[o++] = (uint8_t)(0x80 | n);
	} else {
		out[o++] = 0xde;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
	}
	memcpy(out + o, raw + hl, len - hl);
	o += len - hl;
	if (dn) {
		memcpy(out + o, d, dl);
		o += dl;
	}
	if (sn) {
		memcpy(out + o, s, sl);
		o += sl;
	}
	return rw_commit(e->w, o) < 0 ? -2 : 0;
}

/* The prefix ids of the queue's addresses, looked up together (the cache
 * misses of one overlap those of the others, see lpm_lookup4_many), then
 * their prefixes, cache slots and the keys these point at fetched ahead of
 * the writing. Looked up
 * when written, so the answer is the RIB's at that moment, whatever
 * changed while the record waited. */
static void lookup_all(struct pr *pr, struct enrich *e)
{
	const struct rib *r = &pr->rib;
	uint32_t k4[2 * PEND_MAX], id4[2 * PEND_MAX], id6[2 * PEND_MAX], *at4[2 * PEND_MAX],
		 *at6[2 * PEND_MAX];
	const uint8_t *k6[2 * PEND_MAX];
	unsigned n4 = 0, n6 = 0;

	for (unsigned i = 0; i < e->npend; i++)
		for (int d = 0; d < 2; d++) {
			struct pend *q = &e->pend[i];
			const struct ar_addr *a = &q->a[d];
			q->id[d] = 0;
			if (!q->has[d])
				continue;
			if (a->af == AR_AF4) {
				k4[n4] = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
					 (uint32_t)a->b[2] << 8 | a->b[3];
				at4[n4++] = &q->id[d];
			} else if (a->af == AR_AF6) {
				k6[n6] = a->b;
				at6[n6++] = &q->id[d];
			}
		}
	if (n4)
		lpm_lookup4_many(&r->af[0].lpm, k4, id4, n4);
	if (n6)
		lpm_lookup_many(&r->af[1].lpm, k6, id6, n6);
	for (unsigned i = 0; i < n4; i++)
		*at4[i] = id4[i];
	for (unsigned i = 0; i < n6; i++)
		*at6[i] = id6[i];
	for (unsigned i = 0; i < e->npend; i++)
		for (int d = 0; d < 2; d++) {
			uint32_t id = e->pend[i].id[d];
			if (!id)
				continue;
			__builtin_prefetch(rib_byid(r, id));
			__builtin_prefetch(&e->slot[d][id % CACHE_SLOTS]);
		}
	/* the slots (there by now, most of them) say where the keys are */
	for (unsigned i = 0; i < e->npend; i++)
		for (int d = 0; d < 2; d++) {
			uint32_t id = e->pend[i].id[d];
			const struct cslot *c = &e->slot[d][id % CACHE_SLOTS];
			if (!id || c->id != id || c->epoch != e->epoch)
				continue;
			const uint8_t *b = e->arena + c->off;
			__builtin_prefetch(b);
			__builtin_prefetch(b + 64);
			if (!d)
				__builtin_prefetch(b + 128);
		}
}

static void slow(struct pr *pr, struct enrich *e, const struct rec_flow *in)
{
	/* an answer already there is replaced, not doubled: encode it whole */
	struct rec_flow f = *in, a;

	answer(pr, in, &a);
	f.has = (f.has & ~RIB_BITS) | a.has;
	f.ribdstlen = a.ribdstlen, f.ribsrclen = a.ribsrclen, f.ribnexthop = a.ribnexthop;
	f.ribaspath = a.ribaspath, f.ribdstas = a.ribdstas, f.ribdstpeeras = a.ribdstpeeras;
	f.ribsrcas = a.ribsrcas, f.ribsrcpeeras = a.ribsrcpeeras, f.ribcomm = a.ribcomm;
	f.riblcomm = a.riblcomm, f.riblocalpref = a.riblocalpref;
	if (rw_flow(e->w, &f) < 0)
		out_flush(e->out);      /* a write error: out.c says what it was */
	else
		e->written++;
}

/* Write the queued records, in order. */
static void process(struct pr *pr, struct enrich *e)
{
	arena_check(&pr->rib, e);
	lookup_all(pr, e);
	for (unsigned i = 0; i < e->npend; i++) {
		struct pend *q = &e->pend[i];
		int rc = append_rib(pr, e, q->raw, q->len, q);
		if (rc == -1) {
			/* cannot be spliced after all: decode it again and encode it whole */
			struct rec r;
			msgpack_zone z;
			int bad;
			const char *bk;
			msgpack_zone_init(&z, 1024);
			if (rec_decode_bytes(q->raw, q->len, &r, &z, &bad, &bk) == 0 &&
			    r.type == REC_FLOW)
				slow(pr, e, &r.u.flow);
			msgpack_zone_destroy(&z);
			continue;
		}
		if (rc < 0)
			out_flush(e->out);
		else
			e->written++;
	}
	e->npend = 0;
}

void enrich_flow(struct pr *pr, struct rec_reader *rr, const struct rec_flow *in)
{
	struct enrich *e = pr->enrich;
	const uint8_t *raw = NULL;
	size_t len = 0;

	if (!out_takes(e->out)) {
		e->dropped++;
		return;
	}
	if (rr)
		raw = rr_last_bytes(rr, &len);
	if (in->has & RIB_BITS || !raw || len < 1 || len > PEND_BYTES) {
		process(pr, e);
		slow(pr, e, in);
		return;
	}
	struct pend *q = &e->pend[e->npend++];
	q->raw = raw;
	q->len = (uint32_t)len;
	q->has[0] = REC_HAS(in, FLOW_DST);
	q->has[1] = REC_HAS(in, FLOW_SRC);
	q->a[0] = in->dst;
	q->a[1] = in->src;
	if (e->npend == PEND_MAX)
		process(pr, e);
}

/* The input read what it had: the queue, whose bytes are its reader's,
 * is written before the reader fills its buffer again. */
void enrich_drained(struct pr *pr)
{
	if (pr->enrich)
		process(pr, pr->enrich);
}

/* The input went idle (or a tick): what is buffered goes out now. */
void enrich_flush(struct pr *pr)
{
	struct enrich *e = pr->enrich;

	if (!e)
		return;
	process(pr, e);
	out_flush(e->out);
}

void enrich_stats(struct pr *pr, struct rec_writer *w)
{
	if (!pr->enrich)
		return;
	process(pr, pr->enrich);        /* the counts include what is queued */
	rw_u64(w, "flowsout", pr->enrich->written);
	rw_u64(w, "flowsoutdropped", pr->enrich->dropped);
}

void enrich_close(struct pr *pr)
{
	struct enrich *e = pr->enrich;

	if (!e)
		return;
	process(pr, e);
	out_drain(e->out, -1);
	out_free(e->out);
	rw_free(e->scratch);
	free(e->slot[0]);
	free(e->slot[1]);
	free(e->arena);
	free(e);
	pr->enrich = NULL;
}
