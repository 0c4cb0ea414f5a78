/* Bounded reader over untrusted bytes (network order).
 * Every getter checks the length before it reads and returns -1 when the
 * buffer is short; callers send all short reads to one "bad_len:" label.
 * rd_sub() carves a length-delimited item into its own reader so an inner
 * parser cannot run past its item. */
#ifndef AR_RD_H
#define AR_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n;
};

static inline struct rd rd_init(const void *p, size_t n)
{
	struct rd r = { p, n };
	return r;
}

static inline size_t rd_left(const struct rd *r) { return r->n; }

static inline int rd_skip(struct rd *r, size_t n)
{
	if (r->n < n)
		return -1;
	r->p += n;
	r->n -= n;
	return 0;
}

static inline int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->n < 1)
		return -1;
	*v = r->p[0];
	r->p++;
	r->n--;
	return 0;
}

static inline int rd_u16(struct rd *r, uint16_t *v)
{
	if (r->n < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->n -= 2;
	return 0;
}

static inline int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

static inline int rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (r->n < 8)
		return -1;
	rd_u32(r, &hi);
	rd_u32(r, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static inline int rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (r->n < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	r->n -= n;
	return 0;
}

/* The next n bytes become *sub; r moves past them. */
static inline int rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->n < n)
		return -1;
	sub->p = r->p;
	sub->n = n;
	r->p += n;
	r->n -= n;
	return 0;
}

/* XDR opaque: n bytes, then padding to a multiple of 4 (RFC 4506 4.10). */
static inline int rd_xdr_opaque(struct rd *r, size_t n, struct rd *sub)
{
	size_t padded = (n + 3) & ~(size_t)3;
	if (n > r->n || padded > r->n)
		return -1;
	sub->p = r->p;
	sub->n = n;
	r->p += padded;
	r->n -= padded;
	return 0;
}

#endif
