/* Typed records straight to bytes, driven by the schema tables: the forms
 * msgpack-c's packer picks (the smallest integer, str, bin and array
 * headers) and the writer's canonical map header, in one pass into room
 * sized beforehand. Every stage writes its records through this; the packer
 * path in rec-write.c stays as the reference the fuzzers compare it with. */
#include <stdlib.h>
#include <string.h>

#include "rec-schema.h"

/* One row per field, made once per type from the schema: the key as
 * fixstr bytes beside the kind and offset, so the encoder reads one small
 * row per field present (sflow-decode writes millions of flow records). */
#define KEY_MAX 24
struct efield {
	uint8_t key[KEY_MAX];           /* fixstr header + name */
	uint8_t keylen;
	uint8_t kind;
	uint16_t off;
	uint8_t pad[4];                 /* 32 bytes: a row is a shift away */
};
struct etype {
	struct efield f[64];
	const char *const *enums[64];   /* K_ENUM: the names */
	uint8_t lenkey[64][KEY_MAX];    /* K_PREFIX: its length key */
	uint8_t lenkeylen[64];
	uint64_t fields;                /* a bit per field of the schema */
	uint64_t var;                   /* fields whose size depends on the value */
	uint64_t prefixes;              /* K_PREFIX fields (two keys each) */
	size_t fixed;                   /* bound of the header and every other field */
	uint8_t type[KEY_MAX + 6];      /* "type" and the type name */
	uint8_t typelen;
	bool ready;
};
static struct etype etypes[REC_NTYPES];

static uint8_t fixstr(uint8_t *out, const char *s)
{
	size_t l = strlen(s);
	if (l + 1 > KEY_MAX)
		abort();        /* a schema name this long is a bug in rec-schema.c */
	out[0] = (uint8_t)(0xa0 | l);
	memcpy(out + 1, s, l);
	return (uint8_t)(l + 1);
}

/* The most bytes a field of fixed size takes after its key. */
static size_t fixed_size(const struct rec_field *f)
{
	size_t m = 0;

	switch (f->kind) {
	case K_ENUM:
		for (int i = 0; f->enums[i]; i++)
			if (strlen(f->enums[i]) > m)
				m = strlen(f->enums[i]);
		return 5 + m;
	case K_PREFIX: return 18 + KEY_MAX + 2;
	case K_ADDR: return 18;
	default: return 9;
	}
}

static const struct etype *etype_of(enum rec_type t)
{
	struct etype *e = &etypes[t];
	const struct rec_schema *s;

	if (__builtin_expect(e->ready, 1))
		return e;
	s = rec_schema(t);
	e->fixed = 3 + KEY_MAX + 6;
	for (unsigned i = 0; i < s->n; i++) {
		const struct rec_field *f = &s->f[i];
		e->f[i].keylen = fixstr(e->f[i].key, f->name);
		e->f[i].kind = f->kind;
		e->f[i].off = f->off;
		e->enums[i] = f->enums;
		e->fields |= (uint64_t)1 << i;
		if (f->lenkey)
			e->lenkeylen[i] = fixstr(e->lenkey[i], f->lenkey);
		if (f->kind == K_PREFIX)
			e->prefixes |= (uint64_t)1 << i;
		if (f->kind == K_STR || f->kind == K_ASPATH || f->kind == K_U32ARR ||
		    f->kind == K_COMM || f->kind == K_LCOMM || f->kind == K_EXTCOMM)
			e->var |= (uint64_t)1 << i;
		else
			e->fixed += KEY_MAX + fixed_size(f);
	}
	e->typelen = fixstr(e->type, "type");
	e->typelen = (uint8_t)(e->typelen + fixstr(e->type + e->typelen, s->name));
	e->ready = true;
	return e;
}

/* Bits set in a word, without the libgcc call __builtin_popcountll becomes
 * on a baseline x86-64 build (no POPCNT): a handful of register ops. */
static inline unsigned popcount64(uint64_t v)
{
	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((v * 0x0101010101010101ull) >> 56);
}

static inline uint8_t *put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = bytes; i-- > 0;)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static inline uint8_t *put_uint(uint8_t *p, uint64_t v)
{
	if (v < 128) {
		*p++ = (uint8_t)v;
		return p;
	}
	if (v < 256) {
		*p++ = 0xcc;
		*p++ = (uint8_t)v;
		return p;
	}
	if (v < 65536) {
		*p++ = 0xcd;
		return put_be(p, v, 2);
	}
	if (v <= 0xffffffffu) {
		*p++ = 0xce;
		return put_be(p, v, 4);
	}
	*p++ = 0xcf;
	return put_be(p, v, 8);
}

/* fix (up to fixmax), then 8-bit (if the kind has it), 16-bit, 32-bit forms */
static inline uint8_t *put_hdr(uint8_t *p, uint32_t n, uint8_t fix, uint32_t fixmax,
			       uint8_t t8, uint8_t t16, uint8_t t32)
{
	if (n <= fixmax) {
		*p++ = (uint8_t)(fix | n);
	} else if (t8 && n < 256) {
		*p++ = t8;
		*p++ = (uint8_t)n;
	} else if (n < 65536) {
		*p++ = t16;
		p = put_be(p, n, 2);
	} else {
		*p++ = t32;
		p = put_be(p, n, 4);
	}
	return p;
}

static inline uint8_t *put_array(uint8_t *p, uint32_t n)
{
	return put_hdr(p, n, 0x90, 15, 0, 0xdc, 0xdd);
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t l)
{
	p = put_hdr(p, (uint32_t)l, 0xa0, 31, 0xd9, 0xda, 0xdb);
	memcpy(p, s, l);
	return p + l;
}

static inline uint8_t *put_addr(uint8_t *p, const struct ar_addr *a)
{
	size_t l = addr_len(a);
	*p++ = 0xc4;                    /* bin 8: 0, 4 or 16 bytes */
	*p++ = (uint8_t)l;
	/* all 16 bytes, one move (the bound leaves room); l says how far */
	memcpy(p, a->b, 16);
	return p + l;
}

static uint8_t *put_aspath(uint8_t *p, const struct u32s *a)
{
	uint32_t elems = 0, k;
	for (k = 0; k + 1 < a->n; k += 2 + a->v[k + 1])
		elems += a->v[k] == ASPATH_SET ? 1 : a->v[k + 1];
	p = put_array(p, elems);
	for (k = 0; k + 1 < a->n; k += 2 + a->v[k + 1]) {
		uint32_t cnt = a->v[k + 1];
		if (k + 2 + cnt > a->n)
			cnt = a->n - k - 2;     /* a short array is the caller's bug; stay in bounds */
		if (a->v[k] == ASPATH_SET)
			p = put_array(p, cnt);
		for (uint32_t j = 0; j < cnt; j++)
			p = put_uint(p, a->v[k + 2 + j]);
	}
	return p;
}

size_t rec_encode_bound(enum rec_type t, const void *base)
{
	const struct etype *e = etype_of(t);
	uint64_t has = *(const uint64_t *)base & e->var;
	size_t n = e->fixed;

	/* the fixed-size fields are bounded all at once; only strings and
	 * arrays present are looked at */
	for (; has != 0; has &= has - 1) {
		unsigned i = (unsigned)__builtin_ctzll(has);
		const char *v = (const char *)base + e->f[i].off;
		const struct u32s *a = (const struct u32s *)v;
		n += KEY_MAX;
		switch (e->f[i].kind) {
		case K_STR: {
			const char *str = *(const char *const *)v;
			n += 5 + (str ? strlen(str) : 0);
			break;
		}
		case K_ASPATH: n += 5 + 10 * (size_t)a->n; break;      /* a set header per AS at worst */
		case K_LCOMM: n += 5 + 6 * (size_t)a->n; break;
		case K_EXTCOMM: n += 5 + 9 * (size_t)((const struct u64s *)v)->n; break;
		default: n += 5 + 5 * (size_t)a->n; break;            /* K_U32ARR, K_COMM */
		}
	}
	return n;
}

size_t rec_encode(uint8_t *out, enum rec_type t, const void *base)
{
	const struct etype *e = etype_of(t);
	uint64_t has = *(const uint64_t *)base & e->fields;
	/* "type", the fields, and a length key per prefix */
	uint32_t nkeys = 1 + popcount64(has) + popcount64(has & e->prefixes);
	uint8_t *p = out;

	p = put_hdr(p, nkeys, 0x80, 15, 0, 0xde, 0xdf);
	memcpy(p, e->type, sizeof(e->type));
	p += e->typelen;
	/* only the fields present, in table order */
	for (uint64_t m = has; m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		const struct efield *f = &e->f[i];
		const char *v = (const char *)base + f->off;

		/* a fixed-size copy is two moves (the bound leaves room); len says how far */
		memcpy(p, f->key, KEY_MAX);
		p += f->keylen;
		switch (f->kind) {
		case K_U8: p = put_uint(p, *(const uint8_t *)v); break;
		case K_U16: p = put_uint(p, *(const uint16_t *)v); break;
		case K_U32: p = put_uint(p, *(const uint32_t *)v); break;
		case K_U64: p = put_uint(p, *(const uint64_t *)v); break;
		case K_BOOL: *p++ = *(const bool *)v ? 0xc3 : 0xc2; break;
		case K_F64: {
			uint64_t raw;
			memcpy(&raw, v, sizeof(raw));
			*p++ = 0xcb;
			p = put_be(p, raw, 8);
			break;
		}
		case K_STR: {
			const char *str = *(const char *const *)v;
			p = put_str(p, str ? str : "", str ? strlen(str) : 0);
			break;
		}
		case K_ENUM: {
			const char *name = e->enums[i][*(const int *)v];
			p = put_str(p, name, strlen(name));
			break;
		}
		case K_ADDR: p = put_addr(p, (const struct ar_addr *)v); break;
		case K_PREFIX: {
			const struct ar_prefix *pf = (const struct ar_prefix *)v;
			p = put_addr(p, &pf->a);
			memcpy(p, e->lenkey[i], KEY_MAX);
			p += e->lenkeylen[i];
			p = put_uint(p, pf->plen);
			break;
		}
		case K_ASPATH: p = put_aspath(p, (const struct u32s *)v); break;
		case K_U32ARR:
		case K_COMM: {
			const struct u32s *a = (const struct u32s *)v;
			p = put_array(p, a->n);
			for (uint32_t j = 0; j < a->n; j++)
				p = put_uint(p, a->v[j]);
			break;
		}
		case K_EXTCOMM: {
			const struct u64s *a = (const struct u64s *)v;
			p = put_array(p, a->n);
			for (uint32_t j = 0; j < a->n; j++)
				p = put_uint(p, a->v[j]);
			break;
		}
		case K_LCOMM: {
			const struct u32s *a = (const struct u32s *)v;
			p = put_array(p, a->n / 3);
			for (uint32_t j = 0; j + 2 < a->n; j += 3) {
				*p++ = 0x93;
				p = put_uint(p, a->v[j]);
				p = put_uint(p, a->v[j + 1]);
				p = put_uint(p, a->v[j + 2]);
			}
			break;
		}
		}
	}
	return (size_t)(p - out);
}
