/* sflow-gen: writes sFlow v5 datagrams of our own making, as a pcap file
 * (Ethernet/IPv4/UDP to port 6343) or sent over UDP, for the tests and the
 * benchmark of sflow-decode.
 *
 *   sflow-gen [-n DATAGRAMS] [-p PREFIXES] [-s SEED] [-o FILE] bench
 *   sflow-gen [-o FILE] SCENARIO      (quirks, seqgap, malformed, agents, big,
 *                                      implausible, host)
 *   sflow-gen [-n DATAGRAMS] [-o FILE] counters   hsflowd's counter samples
 *   sflow-gen [-o FILE] capacity      ASIC table maxima that change (prefix-rank)
 *   sflow-gen -u HOST:PORT [-n N] [-r RATE] bench   send over UDP instead
 *
 * bench: 8 flow samples per datagram, each a 128-byte Ethernet/IPv4/TCP or
 * UDP header plus extended_switch, destinations drawn from a Zipf
 * distribution over PREFIXES /24s, a counter sample every 20 datagrams. */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct buf {
	uint8_t b[65536];
	size_t n;
};

static void put8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void put16(struct buf *b, uint16_t v) { put8(b, (uint8_t)(v >> 8)); put8(b, (uint8_t)v); }
static void put32(struct buf *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b, (uint16_t)v); }
static void put64(struct buf *b, uint64_t v) { put32(b, (uint32_t)(v >> 32)); put32(b, (uint32_t)v); }
static void putn(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void pad4(struct buf *b) { while (b->n % 4) put8(b, 0); }
/* A length word to fill in later. */
static size_t mark(struct buf *b) { size_t m = b->n; put32(b, 0); return m; }
static void patch(struct buf *b, size_t m, uint32_t v)
{
	b->b[m] = (uint8_t)(v >> 24); b->b[m + 1] = (uint8_t)(v >> 16);
	b->b[m + 2] = (uint8_t)(v >> 8); b->b[m + 3] = (uint8_t)v;
}
static void patch_len(struct buf *b, size_t m) { patch(b, m, (uint32_t)(b->n - m - 4)); }

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

/* ---- output ---- */
static FILE *outf;
static int usock = -1;
static struct sockaddr_storage udst;
static socklen_t udstlen;
static uint64_t t_us = 1700000000000000ull;
static uint64_t t_step = 100;     /* µs between captured datagrams */
static uint64_t sent;
static int linktype = 1, ip6, vlan_tag, fragment;
static unsigned long send_rate;   /* datagrams per second, 0 = as fast as possible */
static uint16_t dport = 6343;
/* The agent of the datagram being built: a capture's IP source is the
 * agent's address, as it is from a switch (sflow-decode's --agents checks
 * both); an IPv6 agent's datagrams go over IPv6. */
static int cur_agent_type;
static uint8_t cur_agent[16];

static void pcap_header(void)
{
	uint32_t h[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, (uint32_t)linktype };
	fwrite(h, 4, 6, outf);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One datagram out: a pcap record with Ethernet/IPv4/UDP around it, or a
 * UDP send. */
static void emit(const struct buf *d)
{
	if (usock != -1) {
		static struct timespec t0;
		if (send_rate > 0) {
			struct timespec now;
			if (sent == 0)
				clock_gettime(CLOCK_MONOTONIC, &t0);
			for (;;) {
				clock_gettime(CLOCK_MONOTONIC, &now);
				double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
				if (el * (double)send_rate >= (double)sent)
					break;
				struct timespec ns = { 0, 50000 };
				nanosleep(&ns, NULL);
			}
		}
		if (sendto(usock, d->b, d->n, 0, (struct sockaddr *)&udst, udstlen) == -1)
			perror("sflow-gen: sendto");
		sent++;
		return;
	}
	static struct buf f;
	uint32_t rec[4];
	int v6 = ip6 || (cur_agent_type == 2 && !fragment);     /* -F: IPv4 always */
	f.n = 0;
	switch (linktype) {
	case 1:         /* Ethernet, optionally with an 802.1Q tag */
		putn(&f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		if (vlan_tag) {
			put16(&f, 0x8100);
			put16(&f, 10);
		}
		put16(&f, v6 ? 0x86dd : 0x0800);
		break;
	case 113:       /* Linux cooked v1: protocol last */
		put16(&f, 0); put16(&f, 1); put16(&f, 6);
		putn(&f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		put16(&f, v6 ? 0x86dd : 0x0800);
		break;
	case 276:       /* Linux cooked v2: protocol first */
		put16(&f, v6 ? 0x86dd : 0x0800); put16(&f, 0); put32(&f, 2);
		put16(&f, 1); put8(&f, 0); put8(&f, 6);
		putn(&f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		break;
	case 0:         /* BSD loopback: address family in host order */
		{
			uint32_t fam = v6 ? 24 : 2;
			putn(&f, &fam, 4);
		}
		break;
	case 101:       /* raw IP */
		break;
	}
	if (v6) {
		put32(&f, 6u << 28); put16(&f, (uint16_t)(8 + d->n)); put8(&f, 17); put8(&f, 64);
		if (cur_agent_type == 2)
			putn(&f, cur_agent, 16);
		else
			putn(&f, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
		putn(&f, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 16);
	} else {
		size_t ip = f.n;
		put8(&f, 0x45); put8(&f, 0); put16(&f, (uint16_t)(20 + 8 + d->n));
		put16(&f, 0); put16(&f, fragment ? 0x2000 : 0x4000); put8(&f, 64); put8(&f, 17); put16(&f, 0);
		if (cur_agent_type == 1)
			putn(&f, cur_agent, 4);
		else
			putn(&f, "\xc6\x12\x00\x01", 4);   /* 198.18.0.1 */
		putn(&f, "\xc6\x12\x00\x02", 4);
		uint16_t c = csum(f.b + ip, 20);
		f.b[ip + 10] = (uint8_t)(c >> 8); f.b[ip + 11] = (uint8_t)c;
	}
	put16(&f, 40000); put16(&f, dport); put16(&f, (uint16_t)(8 + d->n)); put16(&f, 0);
	putn(&f, d->b, d->n);
	rec[0] = (uint32_t)(t_us / 1000000); rec[1] = (uint32_t)(t_us % 1000000);
	rec[2] = rec[3] = (uint32_t)f.n;
	fwrite(rec, 4, 4, outf);
	fwrite(f.b, 1, f.n, outf);
	t_us += t_step;
	sent++;
}

/* ---- sFlow building blocks ---- */
static const uint8_t agent4[4] = { 198, 18, 0, 1 };

static void dgram_header(struct buf *d, int agent_type, const uint8_t *agent,
			 uint32_t sub, uint32_t seq, uint32_t uptime, uint32_t nsamples)
{
	d->n = 0;
	cur_agent_type = agent_type;
	if (agent_type == 1 || agent_type == 2)
		memcpy(cur_agent, agent, agent_type == 1 ? 4 : 16);
	put32(d, 5);
	put32(d, (uint32_t)agent_type);
	if (agent_type == 1) putn(d, agent, 4);
	if (agent_type == 2) putn(d, agent, 16);
	put32(d, sub); put32(d, seq); put32(d, uptime); put32(d, nsamples);
}

struct pkt {
	int vlans;                      /* number of tags */
	uint16_t tpid[3], vid[3];
	int mpls;                       /* labels */
	int v6;
	int ip_opts;                    /* 4-byte words of IPv4 options */
	int v6_ext;                     /* a hop-by-hop and a dest-opts header */
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tos, tcpflags;
	uint16_t frame_len;
};

/* The packet as it was on the wire (up to the transport header and a bit). */
static void packet(struct buf *p, const struct pkt *k)
{
	p->n = 0;
	putn(p, "\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa", 12);
	for (int i = 0; i < k->vlans; i++) {
		put16(p, k->tpid[i]);
		put16(p, k->vid[i]);
	}
	if (k->mpls) {
		put16(p, 0x8847);
		for (int i = 0; i < k->mpls; i++)
			put32(p, (uint32_t)(100 + i) << 12 | (i == k->mpls - 1 ? 0x100u : 0) | 64);
	} else {
		put16(p, k->v6 ? 0x86dd : 0x0800);
	}
	size_t l4len = k->proto == 6 ? 20 : 8;
	uint16_t paylen = (uint16_t)(k->frame_len > 100 ? k->frame_len - 60 : 40);
	if (k->v6) {
		put32(p, 6u << 28 | (uint32_t)k->tos << 20);
		put16(p, paylen);
		put8(p, k->v6_ext ? 0 : k->proto);
		put8(p, 64);
		putn(p, k->src, 16); putn(p, k->dst, 16);
		if (k->v6_ext) {
			put8(p, 60); put8(p, 0); putn(p, "\x01\x04\x00\x00\x00\x00", 6);
			put8(p, k->proto); put8(p, 1); putn(p, "\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14);
		}
	} else {
		put8(p, (uint8_t)(0x45 + k->ip_opts)); put8(p, k->tos);
		put16(p, paylen); put16(p, 1); put16(p, 0x4000);
		put8(p, 64); put8(p, k->proto); put16(p, 0);
		putn(p, k->src, 4); putn(p, k->dst, 4);
		for (int i = 0; i < k->ip_opts; i++)
			put32(p, 0x01010101);   /* NOPs */
	}
	if (k->proto == 1 || k->proto == 58) {
		put8(p, (uint8_t)k->sport); put8(p, (uint8_t)k->dport); put16(p, 0);
		put32(p, 0x12340001);
	} else {
		put16(p, k->sport); put16(p, k->dport);
		if (k->proto == 6) {
			put32(p, 1000); put32(p, 2000);
			put8(p, 0x50); put8(p, k->tcpflags); put16(p, 8192);
			put16(p, 0); put16(p, 0);
		} else {
			put16(p, (uint16_t)l4len); put16(p, 0);
		}
	}
	while (p->n < 256)
		put8(p, (uint8_t)p->n);
}

/* sampled_header (0:1); hlen bytes of the packet; pad: XDR padding or not;
 * extra: bytes past the content inside the declared length. */
static void rec_header(struct buf *d, uint32_t proto, const struct pkt *k,
		       uint32_t hlen, int pad, int extra)
{
	static struct buf p;
	packet(&p, k);
	size_t off = 0;
	if (proto == 11 || proto == 12)         /* raw IP: skip the Ethernet header */
		off = 14 + 4 * (size_t)k->vlans;
	put32(d, 1);
	size_t m = mark(d);
	put32(d, proto); put32(d, k->frame_len); put32(d, 4); put32(d, hlen);
	putn(d, p.b + off, hlen);
	if (pad)
		pad4(d);
	for (int i = 0; i < extra; i++)
		put8(d, 0xee);
	patch_len(d, m);
}

static void rec_switch(struct buf *d, uint32_t vlan)
{
	put32(d, 1001); put32(d, 16);
	put32(d, vlan); put32(d, 0); put32(d, vlan); put32(d, 0);
}

static size_t flow_sample_start(struct buf *d, int expanded, uint32_t seq, uint32_t ifidx,
				uint32_t rate, uint32_t in, uint32_t out, uint32_t nrec)
{
	put32(d, expanded ? 3 : 1);
	size_t m = mark(d);
	put32(d, seq);
	if (expanded) {
		put32(d, 0); put32(d, ifidx);
	} else {
		put32(d, ifidx);
	}
	put32(d, rate); put32(d, seq * rate); put32(d, 0);
	if (expanded) {
		put32(d, 0); put32(d, in); put32(d, out >> 30); put32(d, out & 0x3fffffff);
	} else {
		put32(d, in); put32(d, out);
	}
	put32(d, nrec);
	return m;
}

static void counter_sample(struct buf *d, int expanded, uint32_t seq, uint32_t ifidx)
{
	put32(d, expanded ? 4 : 2);
	size_t m = mark(d);
	put32(d, seq);
	if (expanded) {
		put32(d, 0); put32(d, ifidx);
	} else {
		put32(d, ifidx);
	}
	put32(d, 2);
	put32(d, 1); put32(d, 88);              /* generic interface */
	put32(d, ifidx); put32(d, 6); put64(d, 10000000000ull); put32(d, 1); put32(d, 3);
	put64(d, 1000000ull * seq); put32(d, 1000 * seq); put32(d, 10); put32(d, 5);
	put32(d, 1); put32(d, 2); put32(d, 0);
	put64(d, 2000000ull * seq); put32(d, 2000 * seq); put32(d, 20); put32(d, 6);
	put32(d, 3); put32(d, 4); put32(d, 0);
	put32(d, 2); put32(d, 52);              /* ethernet */
	for (int i = 0; i < 13; i++)
		put32(d, (uint32_t)i);
	patch_len(d, m);
}

static void addr4(uint8_t *a, uint32_t v)
{
	a[0] = (uint8_t)(v >> 24); a[1] = (uint8_t)(v >> 16); a[2] = (uint8_t)(v >> 8); a[3] = (uint8_t)v;
}

/* ---- bench ---- */
static void bench(unsigned long n, unsigned long nprefix)
{
	static struct buf d;
	double *cdf = calloc(nprefix, sizeof(double)), sum = 0;
	uint32_t *base = calloc(nprefix, sizeof(uint32_t));
	uint32_t fseq[48] = { 0 }, cseq[48] = { 0 };

	if (cdf == NULL || base == NULL)
		exit(1);
	for (unsigned long i = 0; i < nprefix; i++) {
		sum += 1.0 / (double)(i + 1);   /* Zipf, s = 1 */
		cdf[i] = sum;
		/* spread the /24s over 1.0.0.0 - 223.255.255.0 */
		base[i] = (uint32_t)((0x01000000u + (uint32_t)(rnd() % (0xdf000000u))) & 0xffffff00u);
	}
	for (unsigned long i = 0; i < nprefix; i++)
		cdf[i] /= sum;
	for (unsigned long k = 0; k < n; k++) {
		int with_ctr = k % 20 == 19;
		dgram_header(&d, 1, agent4, 0, (uint32_t)k + 1, (uint32_t)(k * 10), with_ctr ? 9 : 8);
		for (int s = 0; s < 8; s++) {
			struct pkt p = { 0 };
			double u = (double)(rnd() >> 11) / 9007199254740992.0;
			unsigned long lo = 0, hi = nprefix - 1;
			while (lo < hi) {
				unsigned long mid = (lo + hi) / 2;
				if (cdf[mid] < u) lo = mid + 1; else hi = mid;
			}
			uint32_t ifidx = (uint32_t)(rnd() % 48);
			p.proto = rnd() % 10 < 7 ? 6 : 17;
			addr4(p.src, 0x0a000000u | (uint32_t)(rnd() & 0xffffff));
			addr4(p.dst, base[lo] | (uint32_t)(rnd() & 0xff));
			p.sport = (uint16_t)rnd(); p.dport = p.proto == 6 ? 443 : 53;
			p.tcpflags = 0x10;
			p.frame_len = (uint16_t)(64 + rnd() % 1437);
			size_t m = flow_sample_start(&d, 0, ++fseq[ifidx], ifidx + 1, 1024,
						     ifidx + 1, (uint32_t)(rnd() % 48 + 1), 2);
			rec_header(&d, 1, &p, 128, 1, 0);
			rec_switch(&d, 100);
			patch_len(&d, m);
		}
		if (with_ctr) {
			uint32_t ifidx = (uint32_t)((k / 20) % 48);
			counter_sample(&d, 0, ++cseq[ifidx], ifidx + 1);
		}
		emit(&d);
	}
	free(cdf);
	free(base);
}

/* ---- scenarios for the tests ---- */

static struct pkt tcp4(void)
{
	struct pkt p = { .proto = 6, .sport = 40000, .dport = 443, .tcpflags = 0x18,
			 .tos = 0x10, .frame_len = 1500 };
	addr4(p.src, 0xc6120a01);       /* 198.18.10.1 */
	addr4(p.dst, 0xc6130b02);       /* 198.19.11.2 */
	return p;
}

static struct pkt udp6(void)
{
	struct pkt p = { .v6 = 1, .proto = 17, .sport = 5353, .dport = 53, .tos = 0x20,
			 .frame_len = 200 };
	memcpy(p.src, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memcpy(p.dst, "\x20\x01\x0d\xb8\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 16);
	return p;
}

/* One datagram with one flow sample and these records. */
static uint32_t qseq;
static void one(struct buf *d, int expanded, uint32_t ifidx, uint32_t out, void (*recs)(struct buf *), uint32_t nrec)
{
	qseq++;
	dgram_header(d, 1, agent4, 0, qseq, qseq * 1000, 1);
	size_t m = flow_sample_start(d, expanded, qseq, ifidx, 256, 3, out, nrec);
	recs(d);
	patch_len(d, m);
	emit(d);
}

static void r_plain(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 1, &p, 128, 1, 0); }
static void r_proto0(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 0, &p, 128, 1, 0); }
static void r_nopad(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 1, &p, 61, 0, 0); }
static void r_extra(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 1, &p, 128, 1, 12); }
static void r_raw4(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 11, &p, 64, 1, 0); }
static void r_raw6(struct buf *d) { struct pkt p = udp6(); rec_header(d, 12, &p, 64, 1, 0); }
static void r_qinq(struct buf *d)
{
	struct pkt p = tcp4();
	p.vlans = 2; p.tpid[0] = 0x9100; p.vid[0] = 0x2000 | 300; p.tpid[1] = 0x8100; p.vid[1] = 42;
	rec_header(d, 1, &p, 128, 1, 0);
}
static void r_mpls(struct buf *d) { struct pkt p = tcp4(); p.mpls = 3; rec_header(d, 1, &p, 128, 1, 0); }
static void r_mpls_hp(struct buf *d)
{
	/* header protocol 13: the header starts at the label stack */
	struct pkt p = udp6();
	static struct buf b;
	p.mpls = 2;
	packet(&b, &p);
	put32(d, 1);
	size_t m = mark(d);
	put32(d, 13); put32(d, p.frame_len); put32(d, 0); put32(d, 80);
	putn(d, b.b + 14, 80);
	patch_len(d, m);
}
static void r_ipopts(struct buf *d) { struct pkt p = tcp4(); p.ip_opts = 3; rec_header(d, 1, &p, 128, 1, 0); }
static void r_v6ext(struct buf *d) { struct pkt p = udp6(); p.v6_ext = 1; rec_header(d, 1, &p, 128, 1, 0); }
static void r_trunc(struct buf *d) { struct pkt p = tcp4(); rec_header(d, 1, &p, 36, 1, 0); }
static void r_icmp6(struct buf *d)
{
	struct pkt p = udp6();
	p.proto = 58; p.sport = 128; p.dport = 0;
	rec_header(d, 1, &p, 128, 1, 0);
}
static void r_unknown_rec(struct buf *d)
{
	put32(d, 0x00001234); put32(d, 8); put32(d, 1); put32(d, 2);     /* enterprise 1, 0x234 */
	r_plain(d);
}
static void r_sampled_ip(struct buf *d)
{
	put32(d, 3); put32(d, 32);
	put32(d, 576); put32(d, 17); put32(d, 0xc6120a05); put32(d, 0xc6130b06);
	put32(d, 1234); put32(d, 53); put32(d, 0); put32(d, 0x08);
	put32(d, 4); put32(d, 56);
	put32(d, 1280); put32(d, 6);
	putn(d, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05", 16);
	putn(d, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06", 16);
	put32(d, 22); put32(d, 50000); put32(d, 0x12); put32(d, 0);
}
static void r_router_gateway(struct buf *d)
{
	r_plain(d);
	put32(d, 1002); size_t m = mark(d);
	put32(d, 1); put32(d, 0xc6120001); put32(d, 24); put32(d, 22);
	patch_len(d, m);
	put32(d, 1003); m = mark(d);
	put32(d, 1); put32(d, 0xc6120002);
	put32(d, 65000); put32(d, 65010); put32(d, 65001);
	put32(d, 2);                                    /* segments */
	put32(d, 2); put32(d, 3); put32(d, 65001); put32(d, 65002); put32(d, 65003);
	put32(d, 1); put32(d, 2); put32(d, 65004); put32(d, 65005);
	put32(d, 2); put32(d, 65001u << 16 | 100); put32(d, 65001u << 16 | 200);
	put32(d, 150);
	patch_len(d, m);
}
static void r_switch_vlan(struct buf *d) { rec_switch(d, 77); r_plain(d); }

static void quirks(void)
{
	static struct buf d;

	one(&d, 0, 7, 9, r_plain, 1);                   /* 1 plain IPv4/TCP */
	one(&d, 0, 7, 9, r_proto0, 1);                  /* 2 header protocol 0 */
	one(&d, 0, 7, 9, r_nopad, 1);                   /* 3 opaque without padding */
	one(&d, 0, 7, 9, r_extra, 1);                   /* 4 record longer than content */
	one(&d, 0, 7, 9, r_raw4, 1);                    /* 5 header protocol 11 */
	one(&d, 0, 7, 9, r_raw6, 1);                    /* 6 header protocol 12 */
	one(&d, 0, 7, 9, r_qinq, 1);                    /* 7 QinQ 0x9100 + 0x8100 */
	one(&d, 0, 7, 9, r_mpls, 1);                    /* 8 MPLS in Ethernet */
	one(&d, 0, 7, 9, r_mpls_hp, 1);                 /* 9 header protocol 13 */
	one(&d, 0, 7, 9, r_ipopts, 1);                  /* 10 IPv4 options */
	one(&d, 0, 7, 9, r_v6ext, 1);                   /* 11 IPv6 extension headers */
	one(&d, 0, 7, 9, r_trunc, 1);                   /* 12 header cut inside TCP */
	one(&d, 0, 7, 9, r_icmp6, 1);                   /* 13 ICMPv6 echo */
	one(&d, 0, 7, 9, r_unknown_rec, 2);             /* 14 unknown record skipped */
	one(&d, 0, 7, 9, r_sampled_ip, 2);              /* 15 sampled_ipv4 + ipv6 */
	one(&d, 0, 7, 9, r_router_gateway, 3);          /* 16 extended router, gateway */
	one(&d, 0, 7, 9, r_switch_vlan, 2);             /* 17 extended_switch VLAN */
	one(&d, 1, 0x1234567, 0x40000000u | 0x2345678, r_plain, 1);  /* 18 expanded, ifIndex >= 2^24, discarded */
	one(&d, 0, 7, 0x80000000u | 5, r_plain, 1);     /* 19 multiple outputs */
	one(&d, 0, 7, 0x3fffffff, r_plain, 1);          /* 20 internal output */

	/* 21: discarded_packet (0:5), an unknown sample type, a counter sample */
	qseq++;
	dgram_header(&d, 1, agent4, 0, qseq, qseq * 1000, 4);
	put32(&d, 5); size_t m = mark(&d);
	put32(&d, 1); put32(&d, 0); put32(&d, 7); put32(&d, 12); put32(&d, 7); put32(&d, 0);
	put32(&d, 259); put32(&d, 1);                   /* reason 259, 1 record */
	r_plain(&d);
	patch_len(&d, m);
	put32(&d, 0x00009999); put32(&d, 8); put32(&d, 1); put32(&d, 2);
	counter_sample(&d, 0, 1, 7);
	counter_sample(&d, 1, 1, 0x2000001);
	emit(&d);

	/* 22: IPv6 agent with two flow samples; 23: agent type 0 */
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99 };
	dgram_header(&d, 2, a6, 3, 1, 5000, 2);
	m = flow_sample_start(&d, 0, 1, 2, 512, 2, 3, 1); r_raw6(&d); patch_len(&d, m);
	m = flow_sample_start(&d, 0, 2, 2, 512, 2, 3, 1); r_plain(&d); patch_len(&d, m);
	emit(&d);
	dgram_header(&d, 0, NULL, 0, 1, 5000, 1);
	m = flow_sample_start(&d, 0, 1, 2, 512, 2, 3, 1); r_plain(&d); patch_len(&d, m);
	emit(&d);
}

/* Sequence numbers: agent A loses 3 datagrams, one comes late, then A
 * restarts; sub-agent 1 of A is its own stream; flow sample sequence of a
 * source skips 5. */
static void seqgap(void)
{
	static struct buf d;
	uint32_t seqs[] = { 10, 11, 15, 12, 16 };       /* 12,13,14 missing; 12 late */
	uint32_t sseq = 100;

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		dgram_header(&d, 1, agent4, 0, seqs[i], 100000 + seqs[i] * 1000, 1);
		size_t m = flow_sample_start(&d, 0, sseq, 4, 100, 4, 5, 1);
		r_plain(&d);
		patch_len(&d, m);
		emit(&d);
		sseq += i == 1 ? 6 : 1;                 /* 5 samples lost after the 2nd */
	}
	/* restart: sequence back to 1, uptime small */
	dgram_header(&d, 1, agent4, 0, 1, 500, 1);
	size_t m = flow_sample_start(&d, 0, 1, 4, 100, 4, 5, 1);
	r_plain(&d);
	patch_len(&d, m);
	emit(&d);
	/* sub-agent 1: its own sequence, no loss */
	for (uint32_t s = 1000; s < 1003; s++) {
		dgram_header(&d, 1, agent4, 1, s, 200000 + s, 0);
		emit(&d);
	}
}

/* One datagram per malformation, each between two good ones. */
static void malformed(void)
{
	static struct buf d;
	size_t m;
	uint32_t s = 0;

#define GOOD() do { one(&d, 0, 1, 2, r_plain, 1); } while (0)
	qseq = 0;
	GOOD();
	d.n = 0; put32(&d, 5); put32(&d, 1); emit(&d);                  /* short */
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 0); patch(&d, 0, 4); emit(&d);   /* version 4 */
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 0); patch(&d, 4, 3); emit(&d);   /* agent type 3 */
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 1);                       /* sample past the end */
	put32(&d, 1); put32(&d, 4000); put32(&d, 1); emit(&d);
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 3);                       /* 3 samples, 1 there */
	m = flow_sample_start(&d, 0, ++s, 1, 1, 1, 1, 1); r_plain(&d); patch_len(&d, m); emit(&d);
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 1);                       /* record past the sample */
	m = flow_sample_start(&d, 0, ++s, 1, 1, 1, 1, 1); put32(&d, 1); put32(&d, 9999);
	put32(&d, 0); patch_len(&d, m); emit(&d);
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 1);                       /* 1e9 records announced */
	m = flow_sample_start(&d, 0, ++s, 1, 1, 1, 1, 1000000000); r_plain(&d); patch_len(&d, m); emit(&d);
	GOOD();
	dgram_header(&d, 1, agent4, 0, 99, 1, 1);                       /* flow sample of 12 bytes */
	put32(&d, 1); put32(&d, 12); put32(&d, 1); put32(&d, 2); put32(&d, 3); emit(&d);
	GOOD();
	/* a huge sample count over few bytes: must stop with the bytes */
	dgram_header(&d, 1, agent4, 0, 99, 1, 0xffffffff); put32(&d, 99); put32(&d, 0); emit(&d);
	GOOD();
	/* bad records inside good framing: the sample stays, the record is counted */
	dgram_header(&d, 1, agent4, 0, ++qseq, 1, 1);
	m = flow_sample_start(&d, 0, ++s, 1, 1, 1, 1, 3);
	put32(&d, 1003); put32(&d, 12); put32(&d, 1); put32(&d, 0xc6120002); put32(&d, 1);   /* gateway cut */
	put32(&d, 1002); put32(&d, 8); put32(&d, 7); put32(&d, 0);     /* router: bad address type */
	r_plain(&d);
	patch_len(&d, m);
	emit(&d);
#undef GOOD
}

/* Datagrams from three agents, for --agents. */
static void agents(void)
{
	static struct buf d;
	static const uint8_t a[3][4] = { { 198, 18, 0, 1 }, { 198, 18, 1, 1 }, { 198, 19, 0, 1 } };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99 };

	for (int i = 0; i < 3; i++)
		for (uint32_t k = 1; k <= 2; k++) {
			dgram_header(&d, 1, a[i], 0, k, k, 1);
			size_t m = flow_sample_start(&d, 0, k, 1, 1, 1, 2, 1);
			r_plain(&d);
			patch_len(&d, m);
			emit(&d);
		}
	dgram_header(&d, 2, a6, 0, 1, 1, 1);
	size_t m = flow_sample_start(&d, 0, 1, 1, 1, 1, 2, 1);
	r_plain(&d);
	patch_len(&d, m);
	emit(&d);
}

/* A gateway record with a path longer than the decoder keeps. */
static void big(void)
{
	static struct buf d;

	dgram_header(&d, 1, agent4, 0, 1, 1, 1);
	size_t m = flow_sample_start(&d, 0, 1, 1, 1, 1, 2, 2);
	r_plain(&d);
	put32(&d, 1003); size_t g = mark(&d);
	put32(&d, 1); put32(&d, 0xc6120002); put32(&d, 65000); put32(&d, 65010); put32(&d, 65001);
	put32(&d, 3);
	put32(&d, 2); put32(&d, 200); for (int i = 0; i < 200; i++) put32(&d, 64512 + (uint32_t)i);
	put32(&d, 2); put32(&d, 100); for (int i = 0; i < 100; i++) put32(&d, 65000 + (uint32_t)i);
	put32(&d, 1); put32(&d, 1); put32(&d, 7);
	put32(&d, 300); for (int i = 0; i < 300; i++) put32(&d, (uint32_t)i);
	put32(&d, 100);
	patch_len(&d, g);
	patch_len(&d, m);
	emit(&d);
}

/* Values a bit flip or a forger makes, each between good datagrams of one
 * agent: sampling rates 2^31-1 and 0 (refused), a datagram and a sample
 * sequence number 2^30 ahead (a jump, not 2^30 losses), then a real gap of
 * 3 datagrams (3 lost). 7 datagrams, 7 flow samples, 5 flow records. */
static void implausible(void)
{
	static struct buf d;
	struct { uint32_t dseq, sseq, rate; } v[] = {
		{ 1, 1, 512 }, { 2, 2, 0x7fffffffu }, { 3, 3, 0 },
		{ 4 + (1u << 30), 4 + (1u << 30), 512 }, { 4, 4, 512 }, { 5, 5, 512 }, { 9, 6, 512 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		dgram_header(&d, 1, agent4, 0, v[i].dseq, 1000 * (uint32_t)(i + 1), 1);
		size_t m = flow_sample_start(&d, 0, v[i].sseq, 3, v[i].rate, 3, 4, 1);
		r_plain(&d);
		patch_len(&d, m);
		emit(&d);
	}
}

/* Host sFlow (hsflowd) counter samples: every host structure and the
 * Broadcom ASIC tables, every number distinct and in wire order one more
 * than the last (from 1000; 64-bit ones n * 2^32 + n), so a decoder that
 * swaps two fields or reads one at the wrong place is seen. */
static uint32_t hv = 1000;
static uint32_t h32(struct buf *d) { put32(d, hv); return hv++; }
static void h64(struct buf *d) { put64(d, (uint64_t)hv << 32 | hv); hv++; }
static void xdr_string(struct buf *d, const char *s)
{
	put32(d, (uint32_t)strlen(s));
	putn(d, s, strlen(s));
	pad4(d);
}
static void put_float(struct buf *d, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	put32(d, u);
}

static void host_sample(struct buf *d, uint32_t seq, int old_cpu, float load1)
{
	size_t m, r;

	put32(d, 2);
	m = mark(d);
	put32(d, seq);
	put32(d, 2u << 24 | 1);         /* data source: the physical host */
	put32(d, old_cpu ? 8 : 10);
	put32(d, 2000); r = mark(d);    /* host_descr */
	xdr_string(d, "switch-1");
	for (int i = 0; i < 16; i++)
		put8(d, (uint8_t)(0xa0 + i));
	h32(d); h32(d);                 /* machine_type, os_name */
	xdr_string(d, "6.1.0-ar");
	patch_len(d, r);
	put32(d, 2001); r = mark(d);    /* host_adapters: 2 adapters, 1 and 2 MACs */
	put32(d, 2);
	h32(d); put32(d, 1); putn(d, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
	h32(d); put32(d, 2); putn(d, "\x02\x00\x00\x00\x00\x02\x00\x00", 8);
	putn(d, "\x02\x00\x00\x00\x00\x03\x00\x00", 8);
	patch_len(d, r);
	put32(d, 2002); r = mark(d);    /* host_parent */
	h32(d); h32(d);
	patch_len(d, r);
	put32(d, 2003); r = mark(d);    /* host_cpu */
	put_float(d, load1); put_float(d, 2.25f); put_float(d, 3.125f);
	for (int i = 0; i < (old_cpu ? 14 : 17); i++)
		h32(d);
	patch_len(d, r);
	put32(d, 2004); r = mark(d);    /* host_memory */
	for (int i = 0; i < 7; i++)
		h64(d);
	for (int i = 0; i < 4; i++)
		h32(d);
	patch_len(d, r);
	if (!old_cpu) {
		put32(d, 2005); r = mark(d);    /* host_disk_io */
		h64(d); h64(d); put32(d, 4321);  /* part_max_used 43.21% */
		h32(d); h64(d); h32(d); h32(d); h64(d); h32(d);
		patch_len(d, r);
		put32(d, 2006); r = mark(d);    /* host_net_io */
		h64(d); h32(d); h32(d); h32(d); h64(d); h32(d); h32(d); h32(d);
		patch_len(d, r);
	}
	put32(d, 4413u << 12 | 3); r = mark(d);         /* Broadcom hw_tables */
	for (int i = 0; i < 36; i++)
		h32(d);
	patch_len(d, r);
	/* unknown pairs: skipped by length, the sample kept */
	put32(d, 4413u << 12 | 99); put32(d, 4); put32(d, 7);
	put32(d, 2099); put32(d, 8); put32(d, 7); put32(d, 8);
	patch_len(d, m);
}

/* Two hsflowd datagrams: the full set, then an older agent (host_cpu
 * without steal/guest, load1 unknown, no disk or net structures). */
static void host(void)
{
	static struct buf d;

	dgram_header(&d, 1, agent4, 0, 1, 1000, 2);
	host_sample(&d, 1, 0, 1.5f);
	counter_sample(&d, 0, 1, 7);
	emit(&d);
	dgram_header(&d, 1, agent4, 0, 2, 2000, 1);
	host_sample(&d, 2, 1, -1.0f);
	emit(&d);
}

/* counters: what a switch running hsflowd sends between flow samples,
 * n datagrams of one host sample (every host structure and the ASIC
 * tables) and 6 interface counter samples each, for the benchmark. */
static void counters(unsigned long n)
{
	static struct buf d;

	for (unsigned long k = 0; k < n; k++) {
		dgram_header(&d, 1, agent4, 0, (uint32_t)k + 1, (uint32_t)(k * 10), 7);
		hv = 1000 + (uint32_t)(k & 0xffff);
		host_sample(&d, (uint32_t)k + 1, 0, 1.5f);
		for (uint32_t i = 0; i < 6; i++)
			counter_sample(&d, 0, (uint32_t)k + 1, (uint32_t)(k * 6 + i) % 48 + 1);
		emit(&d);
	}
}

/* capacity: 40 s of a switch's traffic toward 198.18.K.0/24 (K = 1..40,
 * the lower K the more bytes: a stable ranking), 10 datagrams a second,
 * and from t = 10 s an ASIC counter sample every second whose IPv4 route
 * maximum is 22 for 10 s, then 12, then 1000 (IPv6 100, long IPv6 50). */
static void capacity(void)
{
	static struct buf d;
	uint32_t seq = 0, cseq = 0;

	t_step = 100000;
	for (uint32_t k = 0; k < 400; k++) {
		uint32_t sec = k / 10;
		int with_asic = sec >= 10 && k % 10 == 0;

		dgram_header(&d, 1, agent4, 0, k + 1, k * 100, 20 + (with_asic ? 1 : 0));
		for (uint32_t s = 0; s < 20; s++) {
			struct pkt p = tcp4();
			uint32_t pfx = (k * 20 + s) % 40 + 1;
			addr4(p.dst, 0xc6120001u | pfx << 8);   /* 198.18.pfx.1 */
			p.frame_len = (uint16_t)(100 + 30 * (41 - pfx));
			size_t m = flow_sample_start(&d, 0, ++seq, 3, 100, 3, 4, 1);
			rec_header(&d, 1, &p, 64, 1, 0);
			patch_len(&d, m);
		}
		if (with_asic) {
			uint32_t v4max = sec < 20 ? 22 : sec < 30 ? 12 : 1000;
			put32(&d, 2);
			size_t m = mark(&d);
			put32(&d, ++cseq); put32(&d, 0u << 24 | 1); put32(&d, 1);
			put32(&d, 4413u << 12 | 3); put32(&d, 36 * 4);
			for (int i = 0; i < 36; i++)
				put32(&d, i == 3 ? v4max : i == 5 ? 100 : i == 9 ? 50 : (uint32_t)i);
			patch_len(&d, m);
		}
		emit(&d);
	}
}

static const char usage[] =
	"usage: sflow-gen [-n DATAGRAMS] [-p PREFIXES] [-s SEED] [-o FILE] [-u HOST:PORT]\n"
	"                 [-r DATAGRAMS_PER_SEC] [-l en10mb|sll|sll2|raw|null] [-6] [-V] [-F]\n"
	"                 [-P PORT] bench|quirks|seqgap|malformed|agents|big|implausible|host|counters|capacity\n"
	"  -6 IPv6 transport, -V an 802.1Q tag, -F every packet an IPv4 fragment\n";

int main(int argc, char **argv)
{
	unsigned long n = 1000, nprefix = 10000;
	const char *path = NULL, *udp = NULL;
	int c;

	while ((c = getopt(argc, argv, "n:p:s:o:u:r:l:6VFP:h")) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'p': nprefix = strtoul(optarg, NULL, 0); break;
		case 's': rng = strtoull(optarg, NULL, 0) | 1; break;
		case 'o': path = optarg; break;
		case 'u': udp = optarg; break;
		case 'r': send_rate = strtoul(optarg, NULL, 0); break;
		case 'l':
			linktype = strcmp(optarg, "sll") == 0 ? 113 : strcmp(optarg, "sll2") == 0 ? 276 :
			       strcmp(optarg, "raw") == 0 ? 101 : strcmp(optarg, "null") == 0 ? 0 : 1;
			break;
		case '6': ip6 = 1; break;
		case 'V': vlan_tag = 1; break;
		case 'F': fragment = 1; break;
		case 'P': dport = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1 || nprefix == 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (udp != NULL) {
		char host[256], *colon;
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
		snprintf(host, sizeof(host), "%s", udp);
		colon = strrchr(host, ':');
		if (colon == NULL) {
			fputs("sflow-gen: -u HOST:PORT\n", stderr);
			return 2;
		}
		*colon = '\0';
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
			fprintf(stderr, "sflow-gen: cannot resolve %s\n", udp);
			return 2;
		}
		usock = socket(ai->ai_family, SOCK_DGRAM, 0);
		memcpy(&udst, ai->ai_addr, ai->ai_addrlen);
		udstlen = ai->ai_addrlen;
		freeaddrinfo(ai);
		if (usock == -1) {
			perror("sflow-gen: socket");
			return 1;
		}
	} else {
		outf = path ? fopen(path, "wb") : stdout;
		if (outf == NULL) {
			perror(path);
			return 1;
		}
		pcap_header();
	}
	if (strcmp(argv[optind], "bench") == 0)
		bench(n, nprefix);
	else if (strcmp(argv[optind], "quirks") == 0)
		quirks();
	else if (strcmp(argv[optind], "seqgap") == 0)
		seqgap();
	else if (strcmp(argv[optind], "malformed") == 0)
		malformed();
	else if (strcmp(argv[optind], "agents") == 0)
		agents();
	else if (strcmp(argv[optind], "big") == 0)
		big();
	else if (strcmp(argv[optind], "implausible") == 0)
		implausible();
	else if (strcmp(argv[optind], "host") == 0)
		host();
	else if (strcmp(argv[optind], "counters") == 0)
		counters(n);
	else if (strcmp(argv[optind], "capacity") == 0)
		capacity();
	else {
		fputs(usage, stderr);
		return 2;
	}
	if (outf != NULL && fclose(outf) != 0) {
		perror("sflow-gen: write");
		return 1;
	}
	if (usock != -1)
		fprintf(stderr, "sflow-gen: sent %llu datagrams\n", (unsigned long long)sent);
	return 0;
}
