/* msgpack map -> typed record, driven by the schema tables. */
#include <stdio.h>
#include <string.h>

#include "rec-schema.h"

static int get_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int decode_u32arr(const msgpack_object *o, struct u32s *out, msgpack_zone *z)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	uint32_t n = o->via.array.size;
	uint32_t *v = n ? msgpack_zone_malloc(z, (size_t)n * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x;
		if (get_uint(&o->via.array.ptr[i], UINT32_MAX, &x) < 0)
			return -1;
		v[i] = (uint32_t)x;
	}
	out->v = v;
	out->n = n;
	return 0;
}

static int decode_lcomm(const msgpack_object *o, struct u32s *out, msgpack_zone *z)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	uint32_t n = o->via.array.size;
	uint32_t *v = n ? msgpack_zone_malloc(z, (size_t)n * 3 * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *t = &o->via.array.ptr[i];
		if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3)
			return -1;
		for (int k = 0; k < 3; k++) {
			uint64_t x;
			if (get_uint(&t->via.array.ptr[k], UINT32_MAX, &x) < 0)
				return -1;
			v[i * 3 + (uint32_t)k] = (uint32_t)x;
		}
	}
	out->v = v;
	out->n = n * 3;
	return 0;
}

/* [1, 2, [3, 4]] -> segments [SEQ 2 1 2] [SET 2 3 4]; at most 255 per segment. */
static int decode_aspath(const msgpack_object *o, struct u32s *out, msgpack_zone *z)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	uint32_t n = o->via.array.size, need = 0;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];
		if (e->type == MSGPACK_OBJECT_ARRAY) {
			if (e->via.array.size == 0 || e->via.array.size > 255)
				return -1;
			need += 2 + e->via.array.size;
		} else {
			need += 3;      /* worst case: a segment per member */
		}
	}
	uint32_t *v = need ? msgpack_zone_malloc(z, (size_t)need * sizeof(*v)) : NULL;
	uint32_t w = 0, seg = UINT32_MAX;
	if (need && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];
		uint64_t x;
		if (e->type == MSGPACK_OBJECT_ARRAY) {
			v[w++] = ASPATH_SET;
			v[w++] = e->via.array.size;
			for (uint32_t k = 0; k < e->via.array.size; k++) {
				if (get_uint(&e->via.array.ptr[k], UINT32_MAX, &x) < 0)
					return -1;
				v[w++] = (uint32_t)x;
			}
			seg = UINT32_MAX;
			continue;
		}
		if (get_uint(e, UINT32_MAX, &x) < 0)
			return -1;
		if (seg == UINT32_MAX || v[seg + 1] == 255) {
			seg = w;
			v[w++] = ASPATH_SEQUENCE;
			v[w++] = 0;
		}
		v[seg + 1]++;
		v[w++] = (uint32_t)x;
	}
	out->v = v;
	out->n = w;
	return 0;
}

unsigned aspath_hops(const struct u32s *p)
{
	unsigned hops = 0;
	for (uint32_t i = 0; i + 1 < p->n; i += 2 + p->v[i + 1])
		hops += p->v[i] == ASPATH_SET ? 1 : p->v[i + 1];
	return hops;
}

const char *aspath_fmt(const struct u32s *p, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i + 1 < p->n && o < len; i += 2 + p->v[i + 1]) {
		uint32_t cnt = p->v[i + 1];
		bool set = p->v[i] == ASPATH_SET;
		if (set)
			o += (size_t)snprintf(buf + o, len - o, "%s{", o ? " " : "");
		for (uint32_t k = 0; k < cnt && i + 2 + k < p->n && o < len; k++)
			o += (size_t)snprintf(buf + o, len - o, "%s%u",
					      set ? (k ? "," : "") : (o ? " " : ""), p->v[i + 2 + k]);
		if (set && o < len)
			o += (size_t)snprintf(buf + o, len - o, "}");
	}
	return buf;
}

static int decode_field(const struct rec_field *f, bool is_len, const msgpack_object *v,
			void *base, msgpack_zone *z)
{
	char *p = (char *)base + f->off;
	uint64_t x;

	if (is_len) {   /* the companion length of a K_PREFIX */
		if (get_uint(v, 128, &x) < 0)
			return -1;
		((struct ar_prefix *)p)->plen = (uint8_t)x;
		return 0;
	}
	switch (f->kind) {
	case K_U8:
		if (get_uint(v, UINT8_MAX, &x) < 0)
			return -1;
		*(uint8_t *)p = (uint8_t)x;
		return 0;
	case K_U16:
		if (get_uint(v, UINT16_MAX, &x) < 0)
			return -1;
		*(uint16_t *)p = (uint16_t)x;
		return 0;
	case K_U32:
		if (get_uint(v, UINT32_MAX, &x) < 0)
			return -1;
		*(uint32_t *)p = (uint32_t)x;
		return 0;
	case K_U64:
		if (get_uint(v, UINT64_MAX, &x) < 0)
			return -1;
		*(uint64_t *)p = x;
		return 0;
	case K_BOOL:
		if (v->type != MSGPACK_OBJECT_BOOLEAN)
			return -1;
		*(bool *)p = v->via.boolean;
		return 0;
	case K_F64:
		if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)
			*(double *)p = v->via.f64;
		else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			*(double *)p = (double)v->via.u64;
		else
			return -1;
		return 0;
	case K_STR: {
		if (v->type != MSGPACK_OBJECT_STR)
			return -1;
		char *s = msgpack_zone_malloc(z, v->via.str.size + 1);
		if (!s)
			return -1;
		memcpy(s, v->via.str.ptr, v->via.str.size);
		s[v->via.str.size] = '\0';
		*(const char **)p = s;
		return 0;
	}
	case K_ENUM:
		if (v->type != MSGPACK_OBJECT_STR)
			return -1;
		for (int i = 0; f->enums[i]; i++)
			if (strlen(f->enums[i]) == v->via.str.size &&
			    memcmp(f->enums[i], v->via.str.ptr, v->via.str.size) == 0) {
				*(int *)p = i;
				return 0;
			}
		return -1;
	case K_ADDR:
		if (v->type != MSGPACK_OBJECT_BIN)
			return -1;
		return addr_from_bytes((struct ar_addr *)p, v->via.bin.ptr, v->via.bin.size);
	case K_PREFIX:
		if (v->type != MSGPACK_OBJECT_BIN)
			return -1;
		return addr_from_bytes(&((struct ar_prefix *)p)->a, v->via.bin.ptr, v->via.bin.size);
	case K_ASPATH:
		return decode_aspath(v, (struct u32s *)p, z);
	case K_U32ARR:
	case K_COMM:
		return decode_u32arr(v, (struct u32s *)p, z);
	case K_LCOMM:
		return decode_lcomm(v, (struct u32s *)p, z);
	}
	return -1;
}

int rec_decode(const msgpack_object *map, struct rec *out, msgpack_zone *zone,
	       int *bad, const char **badkey)
{
	const msgpack_object_kv *kv;
	uint32_t n;
	enum rec_type type = REC_UNKNOWN;
	bool typed = false;

	*badkey = NULL;
	out->obj = *map;
	if (map->type != MSGPACK_OBJECT_MAP) {
		*bad = RR_BAD_NOTMAP;
		return -1;
	}
	kv = map->via.map.ptr;
	n = map->via.map.size;
	for (uint32_t i = 0; i < n; i++)
		if (kv[i].key.type == MSGPACK_OBJECT_STR && kv[i].key.via.str.size == 4 &&
		    memcmp(kv[i].key.via.str.ptr, "type", 4) == 0 &&
		    kv[i].val.type == MSGPACK_OBJECT_STR) {
			type = rec_type_from_name(kv[i].val.via.str.ptr, kv[i].val.via.str.size);
			typed = true;
			break;
		}
	if (!typed) {
		*bad = RR_BAD_NOTYPE;
		*badkey = "type";
		return -1;
	}
	out->type = type;
	const struct rec_schema *s = rec_schema(type);
	if (!s)
		return 0;       /* stats and unknown types: raw map only */

	char *base = (char *)out + s->union_off;
	uint64_t *has = (uint64_t *)base;
	uint64_t lenbits = 0;
	memset(base, 0, s->size);
	for (uint32_t i = 0; i < n; i++) {
		bool is_len = false;
		const struct rec_field *f;
		if (kv[i].key.type != MSGPACK_OBJECT_STR)
			continue;
		f = rec_field_find(s, kv[i].key.via.str.ptr, kv[i].key.via.str.size, &is_len);
		if (!f)
			continue;       /* unknown keys are ignored: records can grow */
		uint64_t bit = (uint64_t)1 << (unsigned)(f - s->f);
		if (decode_field(f, is_len, &kv[i].val, base, zone) < 0) {
			*bad = RR_BAD_FIELD;
			*badkey = is_len ? f->lenkey : f->name;
			return -1;
		}
		if (is_len)
			lenbits |= bit;
		else
			*has |= bit;
	}
	return rec_check_fields(s, base, *has, lenbits, bad, badkey);
}

int rec_check_fields(const struct rec_schema *s, char *base, uint64_t present,
		     uint64_t lenbits, int *bad, const char **badkey)
{
	*(uint64_t *)base = present;
	for (unsigned i = 0; i < s->n; i++) {
		const struct rec_field *f = &s->f[i];
		uint64_t bit = (uint64_t)1 << i;
		if (f->required && !(present & bit)) {
			*bad = RR_BAD_MISSING;
			*badkey = f->name;
			return -1;
		}
		if (f->kind != K_PREFIX)
			continue;
		/* A prefix and its length come together or not at all. */
		if ((present & bit) != (lenbits & bit)) {
			*bad = (present & bit) ? RR_BAD_MISSING : RR_BAD_FIELD;
			*badkey = f->lenkey;
			return -1;
		}
		if (present & bit) {
			struct ar_prefix *p = (struct ar_prefix *)(base + f->off);
			if (p->plen > addr_bits(p->a.af) || !prefix_host_bits_zero(&p->a, p->plen)) {
				*bad = RR_BAD_FIELD;
				*badkey = f->name;
				return -1;
			}
		}
	}
	return 0;
}
