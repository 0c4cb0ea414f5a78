/* IPv4/IPv6 addresses and prefixes: parse, print, compare, cover. */
#ifndef AR_ADDR_H
#define AR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { AR_AF_NONE = 0, AR_AF4 = 4, AR_AF6 = 6 };

#define AR_ADDR_STRLEN 46          /* INET6_ADDRSTRLEN */
#define AR_PREFIX_STRLEN (AR_ADDR_STRLEN + 4)

struct ar_addr {
	uint8_t af;                 /* AR_AF4, AR_AF6 or AR_AF_NONE */
	uint8_t b[16];              /* network order; IPv4 uses b[0..3] */
};

struct ar_prefix {
	struct ar_addr a;           /* host bits are zero */
	uint8_t plen;
};

static inline size_t addr_len(const struct ar_addr *a)
{
	return a->af == AR_AF4 ? 4 : a->af == AR_AF6 ? 16 : 0;
}
static inline unsigned addr_bits(int af) { return af == AR_AF4 ? 32 : af == AR_AF6 ? 128 : 0; }

/* Make an address from 4 or 16 raw bytes; -1 for any other length. */
int addr_from_bytes(struct ar_addr *a, const void *p, size_t len);
int addr_parse(const char *s, struct ar_addr *a);
const char *addr_fmt(const struct ar_addr *a, char *buf, size_t len);
int addr_cmp(const struct ar_addr *x, const struct ar_addr *y);
bool addr_is_zero(const struct ar_addr *a);

/* "ADDR/LEN"; host bits set is an error, reported in err. */
int prefix_parse(const char *s, struct ar_prefix *p, char *err, size_t errlen);
/* Like prefix_parse, but a bare address means a host prefix (/32, /128). */
int prefix_parse_host(const char *s, struct ar_prefix *p, char *err, size_t errlen);
const char *prefix_fmt(const struct ar_prefix *p, char *buf, size_t len);
/* Build a prefix from raw bytes; host bits are cleared. -1 if plen too long. */
int prefix_make(struct ar_prefix *p, const struct ar_addr *a, unsigned plen);
bool prefix_host_bits_zero(const struct ar_addr *a, unsigned plen);
void addr_mask(struct ar_addr *a, unsigned plen);
bool prefix_contains(const struct ar_prefix *p, const struct ar_addr *a);
/* outer covers inner: same family, outer->plen <= inner->plen, same bits. */
bool prefix_covers(const struct ar_prefix *outer, const struct ar_prefix *inner);
int prefix_cmp(const struct ar_prefix *x, const struct ar_prefix *y);
/* Bit i (0 = most significant) of an address. */
static inline unsigned addr_bit(const struct ar_addr *a, unsigned i)
{
	return (a->b[i >> 3] >> (7 - (i & 7))) & 1;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" or ":PORT"; port defaults to defport.
 * Fills a sockaddr_storage-compatible buffer; returns 0 or -1. */
struct sockaddr_storage;
int addrport_parse(const char *s, unsigned defport, struct sockaddr_storage *ss,
		   unsigned *socklen);
const char *sockaddr_fmt(const void *sa, char *buf, size_t len);
/* Address of a sockaddr (IPv4-mapped IPv6 becomes IPv4). */
int addr_from_sockaddr(struct ar_addr *a, const void *sa);

#endif
