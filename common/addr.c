/* Addresses and prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

int addr_from_bytes(struct ar_addr *a, const void *p, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (len == 4)
		a->af = AR_AF4;
	else if (len == 16)
		a->af = AR_AF6;
	else
		return -1;
	memcpy(a->b, p, len);
	return 0;
}

int addr_parse(const char *s, struct ar_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a->b) != 1)
			return -1;
		a->af = AR_AF6;
		return 0;
	}
	if (inet_pton(AF_INET, s, a->b) != 1)
		return -1;
	a->af = AR_AF4;
	return 0;
}

const char *addr_fmt(const struct ar_addr *a, char *buf, size_t len)
{
	if (a->af == AR_AF4)
		inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	else if (a->af == AR_AF6)
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	else
		strlcpy(buf, "none", len);
	return buf;
}

int addr_cmp(const struct ar_addr *x, const struct ar_addr *y)
{
	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(x->b, y->b, addr_len(x));
}

bool addr_is_zero(const struct ar_addr *a)
{
	for (size_t i = 0; i < addr_len(a); i++)
		if (a->b[i])
			return false;
	return true;
}

void addr_mask(struct ar_addr *a, unsigned plen)
{
	unsigned bits = addr_bits(a->af);
	for (unsigned i = plen; i < bits; i++)
		a->b[i >> 3] &= (uint8_t)~(0x80u >> (i & 7));
}

bool prefix_host_bits_zero(const struct ar_addr *a, unsigned plen)
{
	struct ar_addr m = *a;
	addr_mask(&m, plen);
	return memcmp(m.b, a->b, sizeof(m.b)) == 0;
}

int prefix_make(struct ar_prefix *p, const struct ar_addr *a, unsigned plen)
{
	if (plen > addr_bits(a->af))
		return -1;
	p->a = *a;
	p->plen = (uint8_t)plen;
	addr_mask(&p->a, plen);
	return 0;
}

static int prefix_parse_any(const char *s, struct ar_prefix *p, bool host_ok,
			    char *err, size_t errlen)
{
	char buf[AR_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	unsigned long plen;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!slash && !host_ok) {
		snprintf(err, errlen, "\"%s\": missing /length", s);
		return -1;
	}
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(buf)) {
		snprintf(err, errlen, "\"%s\": not an address", s);
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, &p->a) < 0) {
		snprintf(err, errlen, "\"%s\": not an IPv4 or IPv6 address", buf);
		return -1;
	}
	unsigned bits = addr_bits(p->a.af);
	if (!slash) {
		p->plen = (uint8_t)bits;
		return 0;
	}
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || errno || plen > bits || slash[1] == '-' || slash[1] == '+') {
		snprintf(err, errlen, "\"%s\": prefix length must be 0 to %u", s, bits);
		return -1;
	}
	if (!prefix_host_bits_zero(&p->a, (unsigned)plen)) {
		snprintf(err, errlen, "\"%s\": host bits are set", s);
		return -1;
	}
	p->plen = (uint8_t)plen;
	return 0;
}

int prefix_parse(const char *s, struct ar_prefix *p, char *err, size_t errlen)
{
	return prefix_parse_any(s, p, false, err, errlen);
}

int prefix_parse_host(const char *s, struct ar_prefix *p, char *err, size_t errlen)
{
	return prefix_parse_any(s, p, true, err, errlen);
}

const char *prefix_fmt(const struct ar_prefix *p, char *buf, size_t len)
{
	char a[AR_ADDR_STRLEN];
	snprintf(buf, len, "%s/%u", addr_fmt(&p->a, a, sizeof(a)), p->plen);
	return buf;
}

bool prefix_contains(const struct ar_prefix *p, const struct ar_addr *a)
{
	if (p->a.af != a->af)
		return false;
	unsigned full = p->plen >> 3, rest = p->plen & 7;
	if (memcmp(p->a.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return (p->a.b[full] & m) == (a->b[full] & m);
}

bool prefix_covers(const struct ar_prefix *outer, const struct ar_prefix *inner)
{
	return outer->plen <= inner->plen && prefix_contains(outer, &inner->a);
}

int prefix_cmp(const struct ar_prefix *x, const struct ar_prefix *y)
{
	int c = addr_cmp(&x->a, &y->a);
	if (c)
		return c;
	return x->plen < y->plen ? -1 : x->plen > y->plen;
}

int addrport_parse(const char *s, unsigned defport, struct sockaddr_storage *ss,
		   unsigned *socklen)
{
	char host[AR_ADDR_STRLEN + 2];
	const char *portstr = NULL;
	unsigned long port = defport;
	struct ar_addr a;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;               /* bare IPv6 address, no port */
		size_t hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon)
			portstr = colon + 1;
	}
	if (portstr) {
		char *end;
		errno = 0;
		port = strtoul(portstr, &end, 10);
		if (*portstr == '\0' || *end || errno || port > 65535)
			return -1;
	}
	if (host[0] == '\0')
		strlcpy(host, "::", sizeof(host));
	if (addr_parse(host, &a) < 0)
		return -1;
	if (a.af == AR_AF4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a.b, 4);
		*socklen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, a.b, 16);
		*socklen = sizeof(*sin6);
	}
	return 0;
}

int addr_from_sockaddr(struct ar_addr *a, const void *sa)
{
	const struct sockaddr *s = sa;
	memset(a, 0, sizeof(*a));
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *sin = sa;
		return addr_from_bytes(a, &sin->sin_addr, 4);
	}
	if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = sa;
		const uint8_t *b = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return addr_from_bytes(a, b + 12, 4);
		return addr_from_bytes(a, b, 16);
	}
	return -1;
}

const char *sockaddr_fmt(const void *sa, char *buf, size_t len)
{
	const struct sockaddr *s = sa;
	struct ar_addr a;
	char ab[AR_ADDR_STRLEN];
	unsigned port = 0;

	if (addr_from_sockaddr(&a, sa) < 0) {
		strlcpy(buf, "?", len);
		return buf;
	}
	if (s->sa_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	else
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (a.af == AR_AF6)
		snprintf(buf, len, "[%s]:%u", addr_fmt(&a, ab, sizeof(ab)), port);
	else
		snprintf(buf, len, "%s:%u", addr_fmt(&a, ab, sizeof(ab)), port);
	return buf;
}
