/* msgpack bytes -> typed record, driven by the schema tables, without
 * building msgpack objects: the hot path of every reader (prefix-rank takes
 * millions of flow records a second). rec-json -r checks what it packs with
 * the same decoder, so what it writes is what every stage accepts. */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "mp-get.h"
#include "rec-schema.h"

static int get_u32s(struct rd *r, struct u32s *out, msgpack_zone *z)
{
	uint32_t n;
	if (get_array(r, &n) < 0 || n > rd_left(r))
		return -1;
	uint32_t *v = n ? msgpack_zone_malloc(z, (size_t)n * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x;
		if (get_uint(r, UINT32_MAX, &x) < 0)
			return -1;
		v[i] = (uint32_t)x;
	}
	out->v = v;
	out->n = n;
	return 0;
}

static int get_u64s(struct rd *r, struct u64s *out, msgpack_zone *z)
{
	uint32_t n;
	if (get_array(r, &n) < 0 || n > rd_left(r))
		return -1;
	uint64_t *v = n ? msgpack_zone_malloc(z, (size_t)n * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (get_uint(r, UINT64_MAX, &v[i]) < 0)
			return -1;
	out->v = v;
	out->n = n;
	return 0;
}

static int get_lcomm(struct rd *r, struct u32s *out, msgpack_zone *z)
{
	uint32_t n, three;
	if (get_array(r, &n) < 0 || n > rd_left(r))
		return -1;
	uint32_t *v = n ? msgpack_zone_malloc(z, (size_t)n * 3 * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (get_array(r, &three) < 0 || three != 3)
			return -1;
		for (int k = 0; k < 3; k++) {
			uint64_t x;
			if (get_uint(r, UINT32_MAX, &x) < 0)
				return -1;
			v[i * 3 + (uint32_t)k] = (uint32_t)x;
		}
	}
	out->v = v;
	out->n = n * 3;
	return 0;
}

/* [1, 2, [3, 4]] -> segments [SEQ 2 1 2] [SET 2 3 4]; at most 255 per segment. */
static int get_aspath(struct rd *r, struct u32s *out, msgpack_zone *z)
{
	uint32_t n;
	if (get_array(r, &n) < 0 || n > rd_left(r))
		return -1;
	/* Words needed, counted on a copy first: an AS takes at most 3 (a new
	 * segment header), a set of m takes m + 2. Sized by what is there, not
	 * by the bytes that happen to follow in the buffer. */
	size_t need = 0;
	struct rd c = *r;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x;
		uint32_t m;
		if (rd_left(&c) < 1)
			return -1;
		uint8_t t = c.p[0];
		if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
			if (get_array(&c, &m) < 0 || m > rd_left(&c))
				return -1;
			need += 2 + (size_t)m;
			for (uint32_t k = 0; k < m; k++)
				if (get_uint(&c, UINT32_MAX, &x) < 0)
					return -1;
		} else {
			if (get_uint(&c, UINT32_MAX, &x) < 0)
				return -1;
			need += 3;
		}
	}
	uint32_t *v = need ? msgpack_zone_malloc(z, need * sizeof(*v)) : NULL;
	uint32_t w = 0, seg = UINT32_MAX;
	if (need && !v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x;
		uint8_t t;
		if (rd_left(r) < 1)
			return -1;
		t = r->p[0];
		if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
			uint32_t m;
			if (get_array(r, &m) < 0 || m == 0 || m > 255 || m > rd_left(r))
				return -1;
			v[w++] = ASPATH_SET;
			v[w++] = m;
			for (uint32_t k = 0; k < m; k++) {
				if (get_uint(r, UINT32_MAX, &x) < 0)
					return -1;
				v[w++] = (uint32_t)x;
			}
			seg = UINT32_MAX;
			continue;
		}
		if (get_uint(r, UINT32_MAX, &x) < 0)
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

static int get_field(struct rd *r, const struct rec_field *f, bool is_len, char *base,
		     msgpack_zone *z)
{
	char *p = base + f->off;
	uint64_t x;
	const uint8_t *b;
	uint32_t len;

	if (is_len) {
		if (get_uint(r, 128, &x) < 0)
			return -1;
		((struct ar_prefix *)p)->plen = (uint8_t)x;
		return 0;
	}
	switch (f->kind) {
	case K_U8:
		if (get_uint(r, UINT8_MAX, &x) < 0)
			return -1;
		*(uint8_t *)p = (uint8_t)x;
		return 0;
	case K_U16:
		if (get_uint(r, UINT16_MAX, &x) < 0)
			return -1;
		*(uint16_t *)p = (uint16_t)x;
		return 0;
	case K_U32:
		if (get_uint(r, UINT32_MAX, &x) < 0)
			return -1;
		*(uint32_t *)p = (uint32_t)x;
		return 0;
	case K_U64:
		return get_uint(r, UINT64_MAX, (uint64_t *)p);
	case K_BOOL: {
		uint8_t t;
		if (rd_u8(r, &t) < 0 || (t != 0xc2 && t != 0xc3))
			return -1;
		*(bool *)p = t == 0xc3;
		return 0;
	}
	case K_F64:
		return get_f64(r, (double *)p);
	case K_STR: {
		if (get_str(r, &b, &len) < 0)
			return -1;
		char *s = msgpack_zone_malloc(z, (size_t)len + 1);
		if (!s)
			return -1;
		memcpy(s, b, len);
		s[len] = '\0';
		*(const char **)p = s;
		return 0;
	}
	case K_ENUM:
		if (get_str(r, &b, &len) < 0)
			return -1;
		for (int i = 0; f->enums[i]; i++)
			if (strlen(f->enums[i]) == len && memcmp(f->enums[i], b, len) == 0) {
				*(int *)p = i;
				return 0;
			}
		return -1;
	case K_ADDR:
		if (get_bin(r, &b, &len) < 0)
			return -1;
		return addr_from_bytes((struct ar_addr *)p, b, len);
	case K_PREFIX:
		if (get_bin(r, &b, &len) < 0)
			return -1;
		return addr_from_bytes(&((struct ar_prefix *)p)->a, b, len);
	case K_ASPATH:
		return get_aspath(r, (struct u32s *)p, z);
	case K_U32ARR:
	case K_COMM:
		return get_u32s(r, (struct u32s *)p, z);
	case K_LCOMM:
		return get_lcomm(r, (struct u32s *)p, z);
	case K_EXTCOMM:
		return get_u64s(r, (struct u64s *)p, z);
	}
	return -1;
}

static int map_header(struct rd *r, uint32_t *n)
{
	uint8_t t;
	if (rd_u8(r, &t) < 0)
		return -1;
	return rd_len(r, t, 0xf0, 0x80, 0, 0xde, 0xdf, n) == 0 ? 0 : -1;
}

/* Writers put a type's keys in the same order in every record, so the key
 * that followed each key in the last record of that type is remembered and
 * checked first: one word compare instead of a lookup. By the key before,
 * not by the place in the map: a key present in some records only (tcpflags
 * in TCP's) then costs one lookup where it comes and goes, instead of
 * shifting every key after it. A cache only: a miss looks the key up and
 * remembers it (the programs are single-threaded). */
#define SEEN_KEYS (1 + 2 * 64)  /* the map's start, then each field and its length key */
static struct seen_key {
	uint64_t word, word2;           /* word2: bytes 8..15 of a longer key */
	const struct rec_field *f;
	uint8_t len;
	bool is_len;
	uint8_t idx;                    /* f's index in the schema: kept, not divided out per key */
} seen[REC_NTYPES][SEEN_KEYS];

/* The seen[] row after field idx (or its length key). */
static inline uint32_t after(unsigned idx, bool is_len)
{
	return 1 + 2 * idx + is_len;
}

/* A key's field; left: bytes readable after the key; pos: the seen[] row of
 * the key before (0 at the start or after an unknown key). A short key with
 * eight bytes readable from its start is one word. */
static const struct rec_field *find_key(const struct rec_schema *s, enum rec_type t,
					uint32_t pos, const uint8_t *k, uint32_t kl,
					size_t left, bool *is_len, unsigned *idx)
{
	if (kl >= 1 && kl + left >= 8) {
		uint64_t w;
		memcpy(&w, k, 8);
		w = le64toh(w);
		if (kl < 8)
			w &= ((uint64_t)1 << (8 * kl)) - 1;
		struct seen_key *c = pos < SEEN_KEYS ? &seen[t][pos] : NULL;
		/* a longer key (the rib* ones, up to 16 bytes): its second word,
		 * read as the first was (16 bytes readable), or the rest compared */
		uint64_t w2 = 0;
		if (kl > 8 && kl <= 16 && kl + left >= 16) {
			memcpy(&w2, k + 8, 8);
			w2 = le64toh(w2);
			if (kl < 16)
				w2 &= ((uint64_t)1 << (8 * (kl - 8))) - 1;
		}
		if (c && c->f && c->word == w && c->len == kl &&
		    (kl <= 8 || (kl <= 16 && kl + left >= 16 ? c->word2 == w2 :
				 !memcmp((c->is_len ? c->f->lenkey : c->f->name) + 8, k + 8, kl - 8)))) {
			*is_len = c->is_len;
			*idx = c->idx;
			return c->f;
		}
		const struct rec_field *f = kl <= 8 ? rec_field_find_word(s, w, kl, is_len)
						    : rec_field_find(s, (const char *)k, kl, is_len);
		if (f)
			*idx = (unsigned)(f - s->f);
		if (c && f) {
			/* word2 of the name itself: a key read short of 16
			 * readable bytes compares the rest instead */
			const char *name = *is_len ? f->lenkey : f->name;
			uint64_t n2 = 0;
			if (kl > 8 && kl <= 16)
				memcpy(&n2, name + 8, kl - 8);
			*c = (struct seen_key){ w, le64toh(n2), f, (uint8_t)kl, *is_len, (uint8_t)*idx };
		}
		return f;
	}
	const struct rec_field *f = rec_field_find(s, (const char *)k, kl, is_len);
	if (f)
		*idx = (unsigned)(f - s->f);
	return f;
}

/* The decoder behind both entry points. fast: the bytes are the start of
 * a buffer, not one framed value; anything but a clean record of known keys
 * returns -1 with no report, and the caller frames and decodes again to
 * classify it. Clean records, the stream's usual case, are so read in one
 * pass instead of a framing scan and a decode. */
/* A value of a field not asked for, passed over: the forms of a flow
 * record's fields (an integer, an address's short bin, a short array of
 * integers: communities) without a call; anything else the general way. */
static inline int skip_int(struct rd *r)
{
	static const uint8_t more[4] = { 1, 2, 4, 8 };
	uint8_t t = rd_left(r) ? r->p[0] : 0xc1;

	if (t <= 0x7f || t >= 0xe0)
		return rd_skip(r, 1);
	if (t >= 0xcc && t <= 0xcf)
		return rd_skip(r, 1 + (size_t)more[t - 0xcc]);
	return 1;       /* not an unsigned integer */
}

static inline int skip_unwanted(struct rd *r)
{
	int rc = skip_int(r);
	uint8_t t;

	if (rc <= 0)
		return rc;
	t = r->p[0];
	if ((t == 0xc4 || t == 0xd9) && rd_left(r) >= 2)
		return rd_skip(r, 2 + (size_t)r->p[1]);
	if ((t & 0xf0) == 0x90) {
		struct rd c = *r;
		rd_skip(&c, 1);
		for (unsigned i = 0; i < (t & 0x0fu); i++)
			if ((rc = skip_int(&c)) != 0)
				return rc < 0 ? -1 : skip_value(r, 0);
		*r = c;
		return 0;
	}
	return skip_value(r, 0);
}

static int decode(const uint8_t *p, size_t len, struct rec *out, msgpack_zone *zone,
		  int *bad, const char **badkey, bool fast, size_t *used, const uint64_t *want)
{
	struct rd r = rd_init(p, len);
	uint32_t n;
	enum rec_type type = REC_UNKNOWN;
	bool typed = false;

	*badkey = NULL;
	memset(&out->obj, 0, sizeof(out->obj));
	if (map_header(&r, &n) < 0) {
		*bad = RR_BAD_NOTMAP;
		return -1;
	}
	/* First pass: the type (writers put it first, so this is one key). */
	struct rd scan = r;
	for (uint32_t i = 0; i < n && !typed; i++) {
		const uint8_t *k, *v;
		uint32_t kl, vl;
		struct rd save = scan;
		if (get_str(&scan, &k, &kl) == 0) {
			if (kl == 4 && memcmp(k, "type", 4) == 0) {
				struct rd vs = scan;
				if (get_str(&vs, &v, &vl) == 0) {
					type = rec_type_from_name((const char *)v, vl);
					typed = true;
					break;
				}
			}
		} else {
			scan = save;
			if (fast || skip_value(&scan, 0) < 0)
				goto bad_len;
		}
		if (fast || skip_value(&scan, 0) < 0)
			goto bad_len;
	}
	if (!typed) {
		*bad = RR_BAD_NOTYPE;
		*badkey = "type";
		return -1;
	}
	out->type = type;
	const struct rec_schema *s = rec_schema(type);
	if (!s) {
		if (fast)       /* its length needs the framing scan */
			return -1;
		return 0;
	}

	char *base = (char *)out + s->union_off;
	uint64_t present = 0, lenbits = 0;
	uint32_t prev = 0;
	memset(base, 0, s->size);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k;
		uint32_t kl;
		bool is_len = false;
		unsigned idx = 0;
		const struct rec_field *f = NULL;
		struct rd save = r;
		if (get_str(&r, &k, &kl) == 0) {
			/* "type" is no field: known without a lookup */
			if (!(kl == 4 && memcmp(k, "type", 4) == 0))
				f = find_key(s, type, prev, k, kl, rd_left(&r), &is_len, &idx);
			prev = f ? after(idx, is_len) : 0;
		} else {
			if (fast)
				return -1;
			r = save;
			if (skip_value(&r, 0) < 0)
				goto bad_len;
		}
		if (!f) {
			const uint8_t *v;
			uint32_t vl;
			if (fast && kl == 4 && memcmp(k, "type", 4) == 0 && get_str(&r, &v, &vl) == 0)
				continue;       /* read in the first pass */
			if (fast || skip_value(&r, 0) < 0)
				goto bad_len;
			continue;
		}
		uint64_t bit = (uint64_t)1 << idx;
		if (want && !(want[type] & bit)) {
			if (skip_unwanted(&r) < 0)
				goto bad_len;
			continue;
		}
		if (get_field(&r, f, is_len, base, zone) < 0) {
			*bad = RR_BAD_FIELD;
			*badkey = is_len ? f->lenkey : f->name;
			return -1;
		}
		if (is_len)
			lenbits |= bit;
		else
			present |= bit;
	}
	if (used)
		*used = len - rd_left(&r);
	return rec_check_fields(s, base, present, lenbits, bad, badkey);

bad_len:
	*bad = RR_BAD_SYNTAX;
	return -1;
}

int rec_decode_bytes(const uint8_t *p, size_t len, struct rec *out, msgpack_zone *zone,
		     int *bad, const char **badkey)
{
	return decode(p, len, out, zone, bad, badkey, false, NULL, NULL);
}

int rec_decode_bytes_want(const uint8_t *p, size_t len, struct rec *out, msgpack_zone *zone,
			  int *bad, const char **badkey, const uint64_t *want)
{
	return decode(p, len, out, zone, bad, badkey, false, NULL, want);
}

int rec_decode_fast(const uint8_t *p, size_t avail, struct rec *out, msgpack_zone *zone,
		    size_t *used, const uint64_t *want)
{
	int bad;
	const char *badkey;
	if (avail > RR_MAX_RECORD)
		avail = RR_MAX_RECORD;
	return decode(p, avail, out, zone, &bad, &badkey, true, used, want);
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

int rec_check_fields(const struct rec_schema *s, char *base, uint64_t present,
		     uint64_t lenbits, int *bad, const char **badkey)
{
	*(uint64_t *)base = present;
	uint64_t required, prefixes;
	rec_schema_masks(s, &required, &prefixes);
	/* the usual record: every required field there, no prefix to check */
	if ((present & required) == required && !(prefixes & (present | lenbits)))
		return 0;
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
