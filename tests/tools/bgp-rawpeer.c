/* bgp-rawpeer: a test BGP peer that sends hand-written bytes.
 *   bgp-rawpeer [-2gku] [-a AS] [-G SEC] [-i ID] [-L LPORT] [-w MS] ADDR PORT < SCRIPT
 * Connects, exchanges OPEN/KEEPALIVE (AS 65000 by default; 4-byte AS unless
 * -2, IPv4+IPv6 unicast, route refresh, graceful restart with -g; with -G SEC
 * restart time SEC and both families with their forwarding state), then runs
 * the script, one step a line:
 *   U|WITHDRAWN|ATTRS|NLRI   an UPDATE; the two lengths are computed
 *   B|HEX                    an UPDATE whose body is HEX as is
 *   M|HEX                    HEX sent as is (header included)
 *   S|MS                     sleep
 * HEX may contain spaces; # starts a comment. Afterwards it reads for -w ms
 * (default 700) and prints each NOTIFICATION as "notification CODE SUB"
 * (with -u each UPDATE as "update HEX" of its body), each ROUTE-REFRESH as
 * "route-refresh AFI SUBTYPE", with -k "keepalives N" (those after the
 * first), then "closed" or "open". Exit 0, or 1 when the session did not come up.
 *
 * With -L LPORT, a connection collision (RFC 4271 6.8) instead: listen on
 * ADDR LPORT, accept the speaker's connection ("out", its outbound) and read
 * its OPEN, connect to ADDR PORT ("in"), send our OPEN on both, then for -w
 * ms answer OPENs with a KEEPALIVE and print "out|in notification CODE SUB",
 * and at the end "out|in established|open|closed". */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static uint8_t ibuf[1 << 17];
static size_t ilen;
static int closed;
static int seen[256];     /* message types received */
static int show_updates, count_ka;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s && *s != '|' && *s != '\n'; s++) {
		int v;
		if (isspace((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s)) {
			fprintf(stderr, "bgp-rawpeer: bad hex at \"%s\"\n", s);
			exit(2);
		}
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				exit(2);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void send_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			closed = 1;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_msg(uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t m[70000];
	memset(m, 0xff, 16);
	m[16] = (uint8_t)((19 + n) >> 8);
	m[17] = (uint8_t)(19 + n);
	m[18] = type;
	if (n)
		memcpy(m + 19, body, n);
	send_all(m, 19 + n);
}

/* Read what is there within ms; handle whole messages; returns the type of
 * the last message seen or 0. */
static int pump(int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int last = 0;

	if (closed || poll(&p, 1, ms) <= 0)
		return 0;
	ssize_t r = read(fd, ibuf + ilen, sizeof ibuf - ilen);
	if (r <= 0) {
		closed = 1;
		return 0;
	}
	ilen += (size_t)r;
	while (ilen >= 19) {
		size_t len = (size_t)ibuf[16] << 8 | ibuf[17];
		if (len < 19 || ilen < len)
			break;
		last = ibuf[18];
		seen[last]++;
		if (last == 3 && len >= 21)
			printf("notification %u %u\n", ibuf[19], ibuf[20]);
		if (last == 5 && len >= 23)
			printf("route-refresh %u %u\n", ibuf[19] << 8 | ibuf[20], ibuf[21]);
		if (last == 2 && show_updates) {
			printf("update");
			for (size_t i = 19; i < len; i++)
				printf(" %02x", ibuf[i]);
			printf("\n");
		}
		memmove(ibuf, ibuf + len, ilen - len);
		ilen -= len;
	}
	return last;
}

/* -L: one of the two connections of a collision */
struct conn {
	const char *name;
	int fd, closed, open, ka;
	uint8_t buf[8192];
	size_t len;
};

static void conn_read(struct conn *c)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	if (r <= 0) {
		c->closed = 1;
		return;
	}
	c->len += (size_t)r;
	while (c->len >= 19) {
		size_t len = (size_t)c->buf[16] << 8 | c->buf[17];
		if (len < 19 || c->len < len)
			break;
		if (c->buf[18] == 1 && !c->open) {
			uint8_t ka[19];
			memset(ka, 0xff, 16);
			ka[16] = 0; ka[17] = 19; ka[18] = 4;
			c->open = 1;
			if (write(c->fd, ka, sizeof ka) < 0)
				c->closed = 1;
		}
		if (c->buf[18] == 4)
			c->ka = 1;
		if (c->buf[18] == 3 && len >= 21)
			printf("%s notification %u %u\n", c->name, c->buf[19], c->buf[20]);
		memmove(c->buf, c->buf + len, c->len - len);
		c->len -= len;
	}
}

static int collide(const struct sockaddr_storage *ss, socklen_t sl, uint16_t lport,
		   const uint8_t *open, size_t olen, unsigned long wait_ms)
{
	struct sockaddr_storage ls = *ss;
	struct conn c[2] = { { .name = "out", .fd = -1 }, { .name = "in", .fd = -1 } };
	int one = 1, lfd;
	uint8_t m[128];

	if (ls.ss_family == AF_INET)
		((struct sockaddr_in *)&ls)->sin_port = htons(lport);
	else
		((struct sockaddr_in6 *)&ls)->sin6_port = htons(lport);
	lfd = socket(ls.ss_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ls, sl) < 0 || listen(lfd, 4) < 0) {
		perror("bgp-rawpeer: listen");
		return 1;
	}
	struct pollfd lp = { lfd, POLLIN, 0 };
	if (poll(&lp, 1, 10000) <= 0 || (c[0].fd = accept(lfd, NULL, NULL)) < 0) {
		fprintf(stderr, "bgp-rawpeer: the speaker did not connect\n");
		return 1;
	}
	/* its OPEN first: the speaker is then in OpenSent on its connection */
	struct pollfd p0 = { c[0].fd, POLLIN, 0 };
	if (poll(&p0, 1, 5000) <= 0) {
		fprintf(stderr, "bgp-rawpeer: no OPEN from the speaker\n");
		return 1;
	}
	c[1].fd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (c[1].fd < 0 || connect(c[1].fd, (const struct sockaddr *)ss, sl) < 0) {
		perror("bgp-rawpeer: connect");
		return 1;
	}
	memset(m, 0xff, 16);
	m[16] = (uint8_t)((19 + olen) >> 8);
	m[17] = (uint8_t)(19 + olen);
	m[18] = 1;
	memcpy(m + 19, open, olen);
	/* the OPEN on our own connection first: the speaker resolves the
	 * collision when it reads it */
	signal(SIGPIPE, SIG_IGN);       /* the loser may be gone already */
	if (write(c[1].fd, m, 19 + olen) < 0)
		c[1].closed = 1;
	usleep(100000);
	if (write(c[0].fd, m, 19 + olen) < 0)
		c[0].closed = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[2] = { { c[0].closed ? -1 : c[0].fd, POLLIN, 0 },
				       { c[1].closed ? -1 : c[1].fd, POLLIN, 0 } };
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= (long)wait_ms || (c[0].closed && c[1].closed))
			break;
		if (poll(p, 2, (int)(wait_ms - (unsigned long)el)) <= 0)
			continue;
		for (int i = 0; i < 2; i++)
			if (p[i].revents)
				conn_read(&c[i]);
	}
	for (int i = 0; i < 2; i++)
		printf("%s %s\n", c[i].name, c[i].closed ? "closed" :
		       c[i].open && c[i].ka ? "established" : "open");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long as = 65000, wait_ms = 700;
	uint32_t id = 0xc612000a;       /* 198.18.0.10 */
	struct sockaddr_storage ss;
	socklen_t sl;
	char line[70000 * 3];
	int c, got_open = 0, got_ka = 0, as2 = 0, gr = 0;
	unsigned long lport = 0;
	long grtime = -1;

	while ((c = getopt(argc, argv, "2a:gG:i:kL:uw:")) != -1) {
		switch (c) {
		case 'G': grtime = strtol(optarg, NULL, 10); break;
		case 'k': count_ka = 1; break;
		case 'L': lport = strtoul(optarg, NULL, 10); break;
		case 'g': gr = 1; break;
		case '2': as2 = 1; break;
		case 'u': show_updates = 1; break;
		case 'a': as = strtoul(optarg, NULL, 10); break;
		case 'i': {
			struct in_addr a;
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return 2;
			id = ntohl(a.s_addr);
			break;
		}
		case 'w': wait_ms = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bgp-rawpeer [-2gku] [-a AS] [-G SEC] [-i ID] [-L LPORT] [-w MS] ADDR PORT < SCRIPT\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: bgp-rawpeer [-2gku] [-a AS] [-G SEC] [-i ID] [-L LPORT] [-w MS] ADDR PORT < SCRIPT\n");
		return 2;
	}
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	uint16_t port = (uint16_t)atoi(argv[optind + 1]);
	if (inet_pton(AF_INET, argv[optind], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof *sin;
	} else if (inet_pton(AF_INET6, argv[optind], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof *sin6;
	} else {
		return 2;
	}
	uint8_t open[64] = { 4, (uint8_t)((as > 0xffff ? 23456 : as) >> 8),
		(uint8_t)(as > 0xffff ? 23456 : as), 0, 30,
		(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };
	uint8_t caps[] = { 1, 4, 0, 1, 0, 1, 1, 4, 0, 2, 0, 1, 2, 0,
		65, 4, (uint8_t)(as >> 24), (uint8_t)(as >> 16), (uint8_t)(as >> 8), (uint8_t)as };
	/* -2: a 2-byte-AS speaker, the AS4 capability (last 6 bytes) left out */
	size_t ncaps = as2 ? sizeof caps - 6 : sizeof caps;
	memcpy(open + 12, caps, ncaps);
	if (gr) {       /* RFC 4724 3: restart time 120, no families */
		static const uint8_t grcap[] = { 64, 2, 0, 120 };
		memcpy(open + 12 + ncaps, grcap, sizeof grcap);
		ncaps += sizeof grcap;
	} else if (grtime >= 0) {       /* both families, forwarding state kept */
		const uint8_t grcap[] = { 64, 10, (uint8_t)((grtime >> 8) & 0x0f), (uint8_t)grtime,
			0, 1, 1, 0x80, 0, 2, 1, 0x80 };
		memcpy(open + 12 + ncaps, grcap, sizeof grcap);
		ncaps += sizeof grcap;
	}
	open[9] = (uint8_t)(2 + ncaps);
	open[10] = 2;
	open[11] = (uint8_t)ncaps;
	if (lport)
		return collide(&ss, sl, (uint16_t)lport, open, 12 + ncaps, wait_ms);
	for (int tries = 0; ; tries++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0)
			break;
		if (fd >= 0)
			close(fd);
		if (tries == 50) {
			perror("bgp-rawpeer: connect");
			return 1;
		}
		usleep(100000);
	}

	send_msg(1, open, 12 + ncaps);
	for (int i = 0; i < 50 && !(got_open && got_ka) && !closed; i++) {
		pump(100);
		if (seen[1] && !got_open) {
			got_open = 1;
			send_msg(4, NULL, 0);
		}
		got_ka = seen[4] > 0;
	}
	if (!got_open) {
		fprintf(stderr, "bgp-rawpeer: no session\n");
		return 1;
	}

	while (fgets(line, sizeof line, stdin)) {
		uint8_t w[4096], a[66000], n[66000], body[70000];
		size_t wl, al, nl, o = 0;
		char *f1, *f2, *f3;

		if (line[0] == '#' || line[0] == '\n' || line[1] != '|')
			continue;
		switch (line[0]) {
		case 'U':
			f1 = line + 2;
			f2 = strchr(f1, '|');
			f3 = f2 ? strchr(f2 + 1, '|') : NULL;
			if (!f2 || !f3) {
				fprintf(stderr, "bgp-rawpeer: U needs 3 fields\n");
				return 2;
			}
			wl = unhex(f1, w, sizeof w);
			al = unhex(f2 + 1, a, sizeof a);
			nl = unhex(f3 + 1, n, sizeof n);
			body[o++] = (uint8_t)(wl >> 8); body[o++] = (uint8_t)wl;
			memcpy(body + o, w, wl); o += wl;
			body[o++] = (uint8_t)(al >> 8); body[o++] = (uint8_t)al;
			memcpy(body + o, a, al); o += al;
			memcpy(body + o, n, nl); o += nl;
			send_msg(2, body, o);
			break;
		case 'B':
			send_msg(2, body, unhex(line + 2, body, sizeof body));
			break;
		case 'M':
			send_all(body, unhex(line + 2, body, sizeof body));
			break;
		case 'S':
			usleep((useconds_t)strtoul(line + 2, NULL, 10) * 1000);
			break;
		}
		pump(0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (closed || el >= (long)wait_ms)
			break;
		pump((int)(wait_ms - (unsigned long)el));
	}
	if (count_ka)   /* the one that confirmed our OPEN is not counted */
		printf("keepalives %d\n", seen[4] - 1);
	printf("%s\n", closed ? "closed" : "open");
	return 0;
}
