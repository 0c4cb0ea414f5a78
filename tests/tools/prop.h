/* What the property tests share: a seeded xorshift and a CHECK that counts
 * (the first 20 failures are told on stderr, named PROP_NAME). */
#ifndef PROP_H
#define PROP_H

#include <stdint.h>
#include <stdio.h>

static uint64_t rng_s;
static inline uint32_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (uint32_t)(rng_s >> 11);
}

static unsigned passed, failed;
#define CHECK(c, ...) do { if (c) passed++; else { failed++; \
	if (failed < 20) { fprintf(stderr, PROP_NAME ": FAIL: "); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } } while (0)

#endif
