/* Fast flow record encoding; see enc.h. The msgpack forms are those
 * msgpack-c picks (the smallest for each integer) and the writer's
 * canonical map header, so the output is identical to rw_flow(). */
#include <string.h>

#include "enc.h"
#include "rec-schema.h"

#define MAXKEY 24

static struct {
	uint8_t key[FLOW_NFIELDS][MAXKEY];
	uint8_t keylen[FLOW_NFIELDS];
	uint8_t kind[FLOW_NFIELDS];
	uint16_t off[FLOW_NFIELDS];
	unsigned n;
	int ready;
} T;

int fenc_init(void)
{
	const struct rec_schema *s = rec_schema(REC_FLOW);

	if (s == NULL || s->n > FLOW_NFIELDS)
		return -1;
	for (unsigned i = 0; i < s->n; i++) {
		size_t l = strlen(s->f[i].name);
		if (l + 1 > MAXKEY || l > 31)
			return -1;
		T.key[i][0] = (uint8_t)(0xa0 | l);      /* fixstr */
		memcpy(T.key[i] + 1, s->f[i].name, l);
		T.keylen[i] = (uint8_t)(l + 1);
		T.kind[i] = s->f[i].kind;
		T.off[i] = s->f[i].off;
	}
	T.n = s->n;
	T.ready = 1;
	return 0;
}

static inline __attribute__((always_inline)) uint8_t *put_uint(uint8_t *p, uint64_t v)
{
	if (v < 128) {
		*p++ = (uint8_t)v;
	} else if (v < 256) {
		*p++ = 0xcc;
		*p++ = (uint8_t)v;
	} else if (v < 65536) {
		*p++ = 0xcd;
		*p++ = (uint8_t)(v >> 8);
		*p++ = (uint8_t)v;
	} else if (v <= 0xffffffffu) {
		*p++ = 0xce;
		for (int s = 24; s >= 0; s -= 8)
			*p++ = (uint8_t)(v >> s);
	} else {
		*p++ = 0xcf;
		for (int s = 56; s >= 0; s -= 8)
			*p++ = (uint8_t)(v >> s);
	}
	return p;
}

static uint8_t *put_array(uint8_t *p, uint32_t n)
{
	if (n < 16) {
		*p++ = (uint8_t)(0x90 | n);
	} else if (n < 65536) {
		*p++ = 0xdc;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	} else {
		*p++ = 0xdd;
		for (int s = 24; s >= 0; s -= 8)
			*p++ = (uint8_t)(n >> s);
	}
	return p;
}

/* Bytes an array of n u32 may take at most. */
static size_t array_max(uint32_t n) { return 5 + (size_t)n * 5; }

size_t fenc_flow(uint8_t *out, const struct rec_flow *f)
{
	uint8_t *p = out, *end = out + FENC_MAX;
	unsigned nkeys = 1 + (unsigned)__builtin_popcountll(f->has & ((1ull << T.n) - 1));
	const char *base = (const char *)f;

	if (!T.ready)
		return 0;
	/* arrays first: fall back when they could overflow the buffer */
	if ((REC_HAS(f, FLOW_ASPATH) && array_max(f->aspath.n) * 2 > FENC_MAX / 2) ||
	    (REC_HAS(f, FLOW_COMMUNITIES) && array_max(f->communities.n) > FENC_MAX / 4))
		return 0;
	if (nkeys <= 15) {
		*p++ = (uint8_t)(0x80 | nkeys);
	} else {
		*p++ = 0xde;
		*p++ = (uint8_t)(nkeys >> 8);
		*p++ = (uint8_t)nkeys;
	}
	memcpy(p, "\xa4type\xa4" "flow", 10);
	p += 10;
	/* only the fields present, in table order */
	for (uint64_t m = f->has & ((1ull << T.n) - 1); m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		const char *v = base + T.off[i];

		if (end - p < MAXKEY + 20)
			return 0;
		/* a fixed-size copy is a couple of moves; keylen says how far */
		memcpy(p, T.key[i], MAXKEY);
		p += T.keylen[i];
		switch (T.kind[i]) {
		case K_U8: p = put_uint(p, *(const uint8_t *)v); break;
		case K_U16: p = put_uint(p, *(const uint16_t *)v); break;
		case K_U32: p = put_uint(p, *(const uint32_t *)v); break;
		case K_U64: p = put_uint(p, *(const uint64_t *)v); break;
		case K_BOOL: *p++ = *(const bool *)v ? 0xc3 : 0xc2; break;
		case K_ADDR: {
			const struct ar_addr *a = (const struct ar_addr *)v;
			size_t l = addr_len(a);
			*p++ = 0xc4;
			*p++ = (uint8_t)l;
			memcpy(p, a->b, l);
			p += l;
			break;
		}
		case K_COMM: {
			const struct u32s *a = (const struct u32s *)v;
			if ((size_t)(end - p) < array_max(a->n))
				return 0;
			p = put_array(p, a->n);
			for (uint32_t k = 0; k < a->n; k++)
				p = put_uint(p, a->v[k]);
			break;
		}
		case K_ASPATH: {
			/* as rw's pack_aspath: sequences inline, sets nested */
			const struct u32s *a = (const struct u32s *)v;
			uint32_t elems = 0, k;
			if ((size_t)(end - p) < array_max(a->n) * 2)
				return 0;
			for (k = 0; k + 1 < a->n; k += 2 + a->v[k + 1])
				elems += a->v[k] == ASPATH_SET ? 1 : a->v[k + 1];
			p = put_array(p, elems);
			for (k = 0; k + 1 < a->n; k += 2 + a->v[k + 1]) {
				uint32_t cnt = a->v[k + 1];
				if (k + 2 + cnt > a->n)
					cnt = a->n - k - 2;
				if (a->v[k] == ASPATH_SET)
					p = put_array(p, cnt);
				for (uint32_t j = 0; j < cnt; j++)
					p = put_uint(p, a->v[k + 2 + j]);
			}
			break;
		}
		default:
			return 0;       /* a kind flows do not use: let rw_flow do it */
		}
	}
	return (size_t)(p - out);
}

void fenc_write(struct rec_writer *w, const struct rec_flow *f)
{
	uint8_t buf[FENC_MAX];
	size_t n = fenc_flow(buf, f);

	if (n == 0) {
		rw_flow(w, f);
		return;
	}
	rw_bytes(w, buf, n);
}
