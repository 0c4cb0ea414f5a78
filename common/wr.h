/* Bounded writer of network-order bytes, the pair of rd.h. A write that
 * does not fit sets full and writes nothing more, so a builder writes
 * straight through and checks once at the end (wr_len() is 0 then). Spans
 * written before their length is known are filled in with wr_put16_at(). */
#ifndef AR_WR_H
#define AR_WR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wr {
	uint8_t *p;
	size_t cap, n;
	bool full;
};

static inline struct wr wr_init(void *p, size_t cap)
{
	struct wr w = { p, cap, 0, false };
	return w;
}

/* Bytes written, or 0 when something did not fit. */
static inline size_t wr_len(const struct wr *w) { return w->full ? 0 : w->n; }
static inline size_t wr_left(const struct wr *w) { return w->full ? 0 : w->cap - w->n; }

static inline void wr_bytes(struct wr *w, const void *d, size_t n)
{
	if (w->full || w->cap - w->n < n) {
		w->full = true;
		return;
	}
	if (n)
		memcpy(w->p + w->n, d, n);
	w->n += n;
}

static inline void wr_u8(struct wr *w, uint8_t v) { wr_bytes(w, &v, 1); }

static inline void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	wr_bytes(w, b, 2);
}

static inline void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	wr_bytes(w, b, 4);
}

static inline void wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

/* Skip n bytes to fill in later; returns their offset. */
static inline size_t wr_hole(struct wr *w, size_t n)
{
	size_t at = w->n;
	if (w->full || w->cap - w->n < n)
		w->full = true;
	else
		w->n += n;
	return at;
}

static inline void wr_put8_at(struct wr *w, size_t at, size_t v)
{
	if (!w->full && at < w->n)
		w->p[at] = (uint8_t)v;
}

/* A 16-bit value at an offset already written (a length known only now). */
static inline void wr_put16_at(struct wr *w, size_t at, size_t v)
{
	if (w->full || at + 2 > w->n)
		return;
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)v;
}

#endif
