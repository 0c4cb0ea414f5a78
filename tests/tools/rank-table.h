/* A synthetic Internet-like routing table for prefix-rank's benchmarks:
 * IPv4 prefixes clustered in random /16 regions with a length mix close to
 * a full table (most /24, then /22, /23, /20, /21, /16..19, a few longer),
 * IPv6 prefixes clustered in random /32s (mostly /48, then /32../44, /56,
 * /64). Deterministic for a seed; duplicates are possible (a few percent). */
#ifndef RANK_TABLE_H
#define RANK_TABLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct gen_pfx {
	uint8_t b[16];
	uint8_t plen, af;
};

static uint64_t gen_s;
static uint64_t gen_rnd(void)
{
	gen_s ^= gen_s << 13;
	gen_s ^= gen_s >> 7;
	gen_s ^= gen_s << 17;
	return gen_s;
}

static unsigned gen_len4(void)
{
	unsigned r = (unsigned)(gen_rnd() % 1000);
	if (r < 580) return 24;
	if (r < 680) return 22;
	if (r < 770) return 23;
	if (r < 820) return 20;
	if (r < 860) return 21;
	if (r < 900) return 19;
	if (r < 930) return 18;
	if (r < 950) return 17;
	if (r < 975) return 16;
	if (r < 985) return 15 - (unsigned)(gen_rnd() % 7);
	return 25 + (unsigned)(gen_rnd() % 8);
}

static unsigned gen_len6(void)
{
	unsigned r = (unsigned)(gen_rnd() % 100);
	if (r < 55) return 48;
	if (r < 65) return 32;
	if (r < 72) return 44;
	if (r < 78) return 40;
	if (r < 83) return 36;
	if (r < 87) return 29;
	if (r < 93) return 56;
	return 64;
}

static void gen_mask(uint8_t *b, unsigned bytes, unsigned plen)
{
	for (unsigned i = 0; i < bytes * 8; i++)
		if (i >= plen)
			b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static struct gen_pfx *gen_table(size_t n4, size_t n6, uint64_t seed)
{
	struct gen_pfx *v = calloc(n4 + n6 + 1, sizeof(*v));
	size_t nreg4 = n4 / 25 + 1, nreg6 = n6 / 10 + 1;
	uint32_t *reg4 = calloc(nreg4, sizeof(uint32_t));
	uint32_t *reg6 = calloc(nreg6, sizeof(uint32_t));

	gen_s = seed * 0x9e3779b97f4a7c15ull + 12345;
	for (size_t i = 0; i < nreg4; i++)
		reg4[i] = (uint32_t)(1 + gen_rnd() % 222) << 8 | (uint32_t)(gen_rnd() % 256);
	for (size_t i = 0; i < nreg6; i++)
		reg6[i] = 0x20000000u | (uint32_t)(gen_rnd() & 0x0fffffff);
	for (size_t i = 0; i < n4; i++) {
		uint32_t a = reg4[gen_rnd() % nreg4] << 16 | (uint32_t)(gen_rnd() & 0xffff);
		unsigned plen = gen_len4();
		v[i].af = 4;
		v[i].plen = (uint8_t)plen;
		v[i].b[0] = (uint8_t)(a >> 24);
		v[i].b[1] = (uint8_t)(a >> 16);
		v[i].b[2] = (uint8_t)(a >> 8);
		v[i].b[3] = (uint8_t)a;
		if (plen < 16) {        /* short ones cover regions of their own */
			uint32_t x = (uint32_t)(gen_rnd() % 223 + 1) << 24 | (uint32_t)gen_rnd();
			v[i].b[0] = (uint8_t)(x >> 24);
			v[i].b[1] = (uint8_t)(x >> 16);
		}
		gen_mask(v[i].b, 4, plen);
	}
	for (size_t i = 0; i < n6; i++) {
		struct gen_pfx *p = &v[n4 + i];
		uint32_t r = reg6[gen_rnd() % nreg6];
		uint64_t lo = gen_rnd();
		unsigned plen = gen_len6();
		p->af = 6;
		p->plen = (uint8_t)plen;
		p->b[0] = (uint8_t)(r >> 24);
		p->b[1] = (uint8_t)(r >> 16);
		p->b[2] = (uint8_t)(r >> 8);
		p->b[3] = (uint8_t)r;
		for (int k = 0; k < 8; k++)
			p->b[4 + k] = (uint8_t)(lo >> (8 * k));
		gen_mask(p->b, 16, plen);
	}
	free(reg4);
	free(reg6);
	return v;
}

#endif
