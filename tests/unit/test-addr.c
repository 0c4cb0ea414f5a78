/* addr.c: parse, print, compare, cover. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "unit.h"

static void roundtrip(const char *in, const char *want)
{
	struct ar_prefix p;
	char err[128], buf[AR_PREFIX_STRLEN];
	int rc = prefix_parse(in, &p, err, sizeof(err));
	CHECK(rc == 0);
	if (rc == 0)
		CHECK_STR(prefix_fmt(&p, buf, sizeof(buf)), want);
}

static void bad_prefix(const char *in, const char *msgpart)
{
	struct ar_prefix p;
	char err[128] = "";
	CHECK(prefix_parse(in, &p, err, sizeof(err)) == -1);
	CHECK(strstr(err, msgpart) != NULL);
}

int main(void)
{
	struct ar_addr a, b;
	struct ar_prefix p, q;
	char buf[AR_ADDR_STRLEN], err[128];

	unit_name = "test-addr";
	CHECK(addr_parse("198.18.0.1", &a) == 0 && a.af == AR_AF4);
	CHECK_STR(addr_fmt(&a, buf, sizeof(buf)), "198.18.0.1");
	CHECK(addr_parse("2001:db8::1", &b) == 0 && b.af == AR_AF6);
	CHECK_STR(addr_fmt(&b, buf, sizeof(buf)), "2001:db8::1");
	CHECK(addr_parse("198.18.0.256", &a) == -1);
	CHECK(addr_parse("", &a) == -1);
	CHECK(addr_parse("2001:db8:::1", &a) == -1);
	CHECK(addr_cmp(&a, &a) == 0);

	roundtrip("203.0.113.0/24", "203.0.113.0/24");
	roundtrip("0.0.0.0/0", "0.0.0.0/0");
	roundtrip("2001:db8::/32", "2001:db8::/32");
	roundtrip("198.18.0.1/32", "198.18.0.1/32");
	bad_prefix("203.0.113.1/24", "host bits");
	bad_prefix("203.0.113.0/33", "0 to 32");
	bad_prefix("2001:db8::/129", "0 to 128");
	bad_prefix("203.0.113.0", "missing /length");
	bad_prefix("203.0.113.0/", "prefix length");
	bad_prefix("203.0.113.0/-1", "prefix length");
	bad_prefix("nope/8", "not an IPv4");
	CHECK(prefix_parse_host("198.18.0.7", &p, err, sizeof(err)) == 0 && p.plen == 32);

	prefix_parse("198.18.0.0/15", &p, err, sizeof(err));
	prefix_parse("198.19.4.0/24", &q, err, sizeof(err));
	CHECK(prefix_covers(&p, &q));
	CHECK(!prefix_covers(&q, &p));
	addr_parse("198.19.4.77", &a);
	CHECK(prefix_contains(&q, &a));
	addr_parse("198.20.0.1", &a);
	CHECK(!prefix_contains(&p, &a));
	addr_parse("2001:db8::1", &b);
	CHECK(!prefix_contains(&p, &b));       /* other family never matches */
	CHECK(prefix_cmp(&p, &q) < 0);

	addr_parse("198.18.255.255", &a);
	CHECK(prefix_make(&p, &a, 17) == 0);
	CHECK_STR(prefix_fmt(&p, buf, sizeof(buf)), "198.18.128.0/17");
	CHECK(prefix_make(&p, &a, 33) == -1);
	CHECK(addr_bit(&a, 0) == 1 && addr_bit(&a, 1) == 1 && addr_bit(&a, 2) == 0);

	struct sockaddr_storage ss;
	unsigned sl;
	CHECK(addrport_parse("198.18.0.1:6343", 0, &ss, &sl) == 0 && ss.ss_family == AF_INET);
	CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == 6343);
	CHECK(addrport_parse("198.18.0.1", 1179, &ss, &sl) == 0);
	CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == 1179);
	CHECK(addrport_parse("[2001:db8::1]:179", 0, &ss, &sl) == 0 && ss.ss_family == AF_INET6);
	CHECK(addrport_parse("2001:db8::1", 6343, &ss, &sl) == 0 && ss.ss_family == AF_INET6);
	CHECK(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 6343);
	CHECK(addrport_parse(":6343", 0, &ss, &sl) == 0 && ss.ss_family == AF_INET6);
	CHECK(addrport_parse("198.18.0.1:99999", 0, &ss, &sl) == -1);
	CHECK(addrport_parse("[2001:db8::1", 0, &ss, &sl) == -1);
	char sb[64];
	addrport_parse("[2001:db8::1]:179", 0, &ss, &sl);
	CHECK_STR(sockaddr_fmt(&ss, sb, sizeof(sb)), "[2001:db8::1]:179");
	CHECK(addr_from_sockaddr(&a, &ss) == 0 && a.af == AR_AF6);
	return unit_done();
}
