/* msgpack values read through the bounded reader (rd.h): lengths, strings,
 * binaries, arrays, unsigned integers, floats, and skipping a value whole.
 * Each returns 0, or -1 when the bytes are short or of another kind.
 * Inline: they are the inner loop of the record decoder (rec-decode.c). */
#ifndef AR_MP_GET_H
#define AR_MP_GET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rd.h"
#include "rec-schema.h"

/* Skip one value; the caller framed the whole map, so a short read here
 * means the framing and this walk disagree: treat as a bad field. */
static inline int skip_value(struct rd *r, unsigned depth);

static inline __attribute__((always_inline)) int rd_len(struct rd *r, uint8_t t, uint8_t fixmask, uint8_t fixbase,
		  uint8_t t8, uint8_t t16, uint8_t t32, uint32_t *len)
{
	uint8_t u8;
	uint16_t u16;
	if ((t & fixmask) == fixbase) {
		*len = t & (uint8_t)~fixmask;
		return 0;
	}
	if (t8 && t == t8) {
		if (rd_u8(r, &u8) < 0)
			return -1;
		*len = u8;
		return 0;
	}
	if (t == t16) {
		if (rd_u16(r, &u16) < 0)
			return -1;
		*len = u16;
		return 0;
	}
	if (t == t32)
		return rd_u32(r, len);
	return 1;       /* not this kind */
}

static inline __attribute__((always_inline)) int get_str(struct rd *r, const uint8_t **p, uint32_t *len)
{
	uint8_t t;
	/* fixstr, the form of every key: no table walk */
	if (r->n >= 1 && (r->p[0] & 0xe0) == 0xa0 && (size_t)(r->p[0] & 0x1f) < r->n) {
		*len = r->p[0] & 0x1f;
		*p = r->p + 1;
		r->p += 1 + *len;
		r->n -= 1 + (size_t)*len;
		return 0;
	}
	if (rd_u8(r, &t) < 0 || rd_len(r, t, 0xe0, 0xa0, 0xd9, 0xda, 0xdb, len) != 0 ||
	    rd_left(r) < *len)
		return -1;
	*p = r->p;
	return rd_skip(r, *len);
}

static inline int get_array(struct rd *r, uint32_t *n)
{
	uint8_t t;
	if (rd_u8(r, &t) < 0)
		return -1;
	return rd_len(r, t, 0xf0, 0x90, 0, 0xdc, 0xdd, n) == 0 ? 0 : -1;
}

static inline __attribute__((always_inline)) int get_uint(struct rd *r, uint64_t max, uint64_t *v)
{
	uint8_t t, u8;
	uint16_t u16;
	uint32_t u32;
	if (rd_u8(r, &t) < 0)
		return -1;
	if (t <= 0x7f) {
		*v = t;
		return t <= max ? 0 : -1;
	} else if (t == 0xcc) {
		if (rd_u8(r, &u8) < 0)
			return -1;
		*v = u8;
	} else if (t == 0xcd) {
		if (rd_u16(r, &u16) < 0)
			return -1;
		*v = u16;
	} else if (t == 0xce) {
		if (rd_u32(r, &u32) < 0)
			return -1;
		*v = u32;
	} else if (t == 0xcf) {
		if (rd_u64(r, v) < 0)
			return -1;
	} else if (t >= 0xd0 && t <= 0xd3) {
		/* msgpack-c reads a non-negative signed integer as positive */
		int64_t s;
		uint64_t raw;
		unsigned n = 1u << (t - 0xd0);
		if (n == 8) {
			if (rd_u64(r, &raw) < 0)
				return -1;
			s = (int64_t)raw;
		} else if (n == 4) {
			if (rd_u32(r, &u32) < 0)
				return -1;
			s = (int32_t)u32;
		} else if (n == 2) {
			if (rd_u16(r, &u16) < 0)
				return -1;
			s = (int16_t)u16;
		} else {
			if (rd_u8(r, &u8) < 0)
				return -1;
			s = (int8_t)u8;
		}
		if (s < 0)
			return -1;
		*v = (uint64_t)s;
	} else {
		return -1;
	}
	return *v <= max ? 0 : -1;
}

static inline int get_f64(struct rd *r, double *d)
{
	uint8_t t;
	if (rd_left(r) < 1)
		return -1;
	t = r->p[0];
	if (t == 0xcb) {
		uint64_t raw;
		rd_skip(r, 1);
		if (rd_u64(r, &raw) < 0)
			return -1;
		memcpy(d, &raw, sizeof(*d));
		return 0;
	}
	if (t == 0xca) {
		uint32_t raw;
		float f;
		rd_skip(r, 1);
		if (rd_u32(r, &raw) < 0)
			return -1;
		memcpy(&f, &raw, sizeof(f));
		*d = f;
		return 0;
	}
	uint64_t v;
	if (get_uint(r, UINT64_MAX, &v) < 0)
		return -1;
	*d = (double)v;
	return 0;
}

static inline __attribute__((always_inline)) int get_bin(struct rd *r, const uint8_t **p, uint32_t *len)
{
	uint8_t t;
	if (rd_u8(r, &t) < 0 || (t != 0xc4 && t != 0xc5 && t != 0xc6) ||
	    rd_len(r, t, 0, 0xff, 0xc4, 0xc5, 0xc6, len) != 0 || rd_left(r) < *len)
		return -1;
	*p = r->p;
	return rd_skip(r, *len);
}

static inline int skip_value(struct rd *r, unsigned depth)
{
	uint8_t t;
	uint32_t n;
	if (depth > 64 || rd_left(r) < 1)
		return -1;
	t = r->p[0];
	if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd || (t & 0xf0) == 0x80 ||
	    t == 0xde || t == 0xdf) {
		bool map = (t & 0xf0) == 0x80 || t == 0xde || t == 0xdf;
		rd_skip(r, 1);
		if (map ? rd_len(r, t, 0xf0, 0x80, 0, 0xde, 0xdf, &n) != 0
			: rd_len(r, t, 0xf0, 0x90, 0, 0xdc, 0xdd, &n) != 0)
			return -1;
		uint64_t items = map ? 2ull * n : n;
		if (items > rd_left(r))
			return -1;
		for (uint64_t i = 0; i < items; i++)
			if (skip_value(r, depth + 1) < 0)
				return -1;
		return 0;
	}
	/* a scalar: its length from the framing scanner's table */
	long len = rec_scan_value(r->p, rd_left(r));
	if (len <= 0)
		return -1;
	return rd_skip(r, (size_t)len);
}

#endif
