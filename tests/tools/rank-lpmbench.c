/* LPM micro-benchmark: prefix-rank's trie against a plain binary trie (the
 * textbook one-bit-per-level structure) on the same synthetic table,
 * random IPv4 addresses, one core.
 * Usage: rank-lpmbench [N4 N6 LOOKUPS]. Prints
 *   ours_lookups_per_s=... binary_lookups_per_s=... lpm_bytes=... agree=yes|no */
#include "../../cmd/prefix-rank/lpm.c"
#include "../../cmd/prefix-rank/lpm-build.c"
#include "../../cmd/prefix-rank/lpm-lookup.c"

#include <stdio.h>
#include <time.h>

#include "rank-table.h"

static struct gen_pfx *tab;
static unsigned plen_cb(void *ctx, uint32_t id)
{
	(void)ctx;
	return tab[id - 1].plen;
}

/* The anchor: one node per bit. */
struct bnode {
	uint32_t child[2];
	uint32_t id;
};
static struct bnode *bt;
static uint32_t nbt = 1, capbt;

static void bt_insert(uint32_t a, unsigned plen, uint32_t id)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < plen; i++) {
		unsigned b = (a >> (31 - i)) & 1;
		if (!bt[n].child[b]) {
			if (nbt == capbt) {
				capbt *= 2;
				bt = realloc(bt, capbt * sizeof(*bt));
			}
			memset(&bt[nbt], 0, sizeof(bt[0]));
			bt[n].child[b] = nbt++;
		}
		n = bt[n].child[b];
	}
	bt[n].id = id;
}

static uint32_t bt_lookup(uint32_t a)
{
	uint32_t n = 0, best = bt[0].id;
	for (unsigned i = 0; i < 32; i++) {
		n = bt[n].child[(a >> (31 - i)) & 1];
		if (!n)
			break;
		if (bt[n].id)
			best = bt[n].id;
	}
	return best;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n4 = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t n6 = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	size_t nl = argc > 3 ? strtoul(argv[3], NULL, 10) : 50000000;
	struct lpm l4, l6;
	uint64_t x = 88172645463325252ull, sum = 0, sum2 = 0;
	size_t na = 1 << 22;
	uint32_t *addrs = malloc(na * sizeof(uint32_t));
	int agree = 1;

	tab = gen_table(n4, n6, 1);
	lpm_init(&l4, 32, LPM_STRIDE, plen_cb, NULL);
	lpm_init(&l6, 128, LPM_STRIDE, plen_cb, NULL);
	capbt = 1 << 20;
	bt = calloc(capbt, sizeof(*bt));
	for (size_t i = 0; i < n4 + n6; i++) {
		if (tab[i].af == 4) {
			uint32_t a = (uint32_t)tab[i].b[0] << 24 | (uint32_t)tab[i].b[1] << 16 |
				     (uint32_t)tab[i].b[2] << 8 | tab[i].b[3];
			lpm_insert(&l4, tab[i].b, tab[i].plen, (uint32_t)i + 1);
			bt_insert(a, tab[i].plen, (uint32_t)i + 1);
		} else {
			lpm_insert(&l6, tab[i].b, tab[i].plen, (uint32_t)i + 1);
		}
	}
	/* Random addresses, half of them inside the table's regions. */
	for (size_t i = 0; i < na; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		if (i & 1) {
			const struct gen_pfx *p = &tab[(x >> 32) % n4];
			addrs[i] = ((uint32_t)p->b[0] << 24 | (uint32_t)p->b[1] << 16 | (uint32_t)p->b[2] << 8) |
				   (uint32_t)(x & 0xff);
		} else {
			addrs[i] = (uint32_t)x;
		}
	}
	for (size_t i = 0; i < 200000; i++) {
		uint32_t a = addrs[i];
		uint32_t o = lpm_lookup4(&l4, a), b = bt_lookup(a);
		/* duplicates in the table: compare the prefixes, not the ids */
		if ((o == 0) != (b == 0) || (o && (tab[o - 1].plen != tab[b - 1].plen ||
						   memcmp(tab[o - 1].b, tab[b - 1].b, 4))))
			agree = 0;
	}
	double t0 = now_s();
	for (size_t i = 0; i < nl; i++)
		sum += lpm_lookup4(&l4, addrs[i & (na - 1)]);
	double t1 = now_s();
	size_t nb = nl / 4;
	for (size_t i = 0; i < nb; i++)
		sum2 += bt_lookup(addrs[i & (na - 1)]);
	double t2 = now_s();
	printf("ours_lookups_per_s=%.0f binary_lookups_per_s=%.0f lpm4_bytes=%zu lpm6_bytes=%zu "
	       "lpm4_nodes=%u lpm6_nodes=%u agree=%s checksum=%llu\n",
	       (double)nl / (t1 - t0), (double)nb / (t2 - t1), lpm_bytes(&l4), lpm_bytes(&l6),
	       l4.nnodes - l4.nfree, l6.nnodes - l6.nfree, agree ? "yes" : "no", (unsigned long long)(sum + sum2));
	lpm_free(&l4);
	lpm_free(&l6);
	free(bt);
	free(tab);
	free(addrs);
	return agree ? 0 : 1;
}
