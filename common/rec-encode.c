/* Typed records straight to bytes, driven by the schema tables: the forms
 * msgpack-c's packer picks (the smallest integer, str, bin and array
 * headers) and the writer's canonical map header, in one pass into room
 * sized beforehand. Every stage writes its records through this; the packer
 * path in rec-write.c stays as the reference the fuzzers compare it with. */
#include <stdlib.h>
#include <string.h>

#include "rec-schema.h"

/* Keys as fixstr bytes, made once per schema. */
#define KEY_MAX 24
struct keys {
	uint8_t key[64][KEY_MAX];       /* fixstr header + name */
	uint8_t len[64];
	uint8_t lenkey[64][KEY_MAX];    /* K_PREFIX: its length key */
	uint8_t lenkeylen[64];
	uint8_t type[KEY_MAX + 6];      /* "type" and the type name */
	uint8_t typelen;
	bool ready;
};
static struct keys keys[REC_NTYPES];

static uint8_t fixstr(uint8_t *out, const char *s)
{
	size_t l = strlen(s);
	if (l + 1 > KEY_MAX)
		abort();        /* a schema name this long is a bug in rec-schema.c */
	out[0] = (uint8_t)(0xa0 | l);
	memcpy(out + 1, s, l);
	return (uint8_t)(l + 1);
}

static const struct keys *keys_of(enum rec_type t, const struct rec_schema *s)
{
	struct keys *k = &keys[t];
	if (k->ready)
		return k;
	for (unsigned i = 0; i < s->n; i++) {
		k->len[i] = fixstr(k->key[i], s->f[i].name);
		if (s->f[i].lenkey)
			k->lenkeylen[i] = fixstr(k->lenkey[i], s->f[i].lenkey);
	}
	k->typelen = fixstr(k->type, "type");
	k->typelen = (uint8_t)(k->typelen + fixstr(k->type + k->typelen, s->name));
	k->ready = true;
	return k;
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

static uint8_t *put_addr(uint8_t *p, const struct ar_addr *a)
{
	size_t l = addr_len(a);
	*p++ = 0xc4;                    /* bin 8: 0, 4 or 16 bytes */
	*p++ = (uint8_t)l;
	memcpy(p, a->b, l);
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
	const struct rec_schema *s = rec_schema(t);
	uint64_t has = *(const uint64_t *)base;
	size_t n = 3 + KEY_MAX + 6;
	for (unsigned i = 0; i < s->n; i++) {
		if (!((has >> i) & 1))
			continue;
		const struct rec_field *f = &s->f[i];
		const char *v = (const char *)base + f->off;
		const struct u32s *a = (const struct u32s *)v;
		n += KEY_MAX;
		switch (f->kind) {
		case K_STR: {
			const char *str = *(const char *const *)v;
			n += 5 + (str ? strlen(str) : 0);
			break;
		}
		case K_ENUM: n += 5 + strlen(f->enums[*(const int *)v]); break;
		case K_PREFIX: n += 18 + KEY_MAX + 2; break;
		case K_ADDR: n += 18; break;
		case K_ASPATH: n += 5 + 10 * (size_t)a->n; break;      /* a set header per AS at worst */
		case K_U32ARR:
		case K_COMM: n += 5 + 5 * (size_t)a->n; break;
		case K_LCOMM: n += 5 + 6 * (size_t)a->n; break;
		case K_EXTCOMM: n += 5 + 9 * (size_t)((const struct u64s *)v)->n; break;
		default: n += 9; break;
		}
	}
	return n;
}

size_t rec_encode(uint8_t *out, enum rec_type t, const void *base)
{
	const struct rec_schema *s = rec_schema(t);
	const struct keys *k = keys_of(t, s);
	uint64_t has = *(const uint64_t *)base & (s->n < 64 ? ((uint64_t)1 << s->n) - 1 : ~0ull);
	uint32_t nkeys = 1 + (uint32_t)__builtin_popcountll(has);
	uint8_t *p = out;

	for (unsigned i = 0; i < s->n; i++)
		if (((has >> i) & 1) && s->f[i].kind == K_PREFIX)
			nkeys++;        /* its length key */
	p = put_hdr(p, nkeys, 0x80, 15, 0, 0xde, 0xdf);
	memcpy(p, k->type, sizeof(k->type));
	p += k->typelen;
	/* only the fields present, in table order */
	for (uint64_t m = has; m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		const struct rec_field *f = &s->f[i];
		const char *v = (const char *)base + f->off;

		/* a fixed-size copy is two moves (the bound leaves room); len says how far */
		memcpy(p, k->key[i], KEY_MAX);
		p += k->len[i];
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
			const char *name = f->enums[*(const int *)v];
			p = put_str(p, name, strlen(name));
			break;
		}
		case K_ADDR: p = put_addr(p, (const struct ar_addr *)v); break;
		case K_PREFIX: {
			const struct ar_prefix *pf = (const struct ar_prefix *)v;
			p = put_addr(p, &pf->a);
			memcpy(p, k->lenkey[i], KEY_MAX);
			p += k->lenkeylen[i];
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
