/* -r FILE: sFlow datagrams from a pcap or pcapng capture (libpcap reads
 * both), on Ethernet (with VLAN tags), Linux cooked (v1 and v2), raw IP and
 * BSD loopback link types, IPv4 or IPv6, UDP to the sFlow port. A classic
 * pcap file is mapped and read in place (pcapfile.c). */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "prog.h"
#include "rd.h"
#include "sfd.h"
#include "sig.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

enum { ET_IPV4 = 0x0800, ET_IPV6 = 0x86dd, ET_VLAN = 0x8100, ET_QINQ = 0x88a8 };

static int udp(struct rd *r, unsigned port, const uint8_t **pl, size_t *pn)
{
	uint16_t sport, dport, ulen, csum;

	if (rd_u16(r, &sport) == -1 || rd_u16(r, &dport) == -1 ||
	    rd_u16(r, &ulen) == -1 || rd_u16(r, &csum) == -1)
		return -1;
	if (dport != port || ulen < 8)
		return -1;
	*pl = r->p;
	/* trust the UDP length over the link (Ethernet pads short frames) */
	if ((size_t)ulen - 8 > rd_left(r)) {
		*pn = rd_left(r);
		return -3;
	}
	*pn = (size_t)ulen - 8;
	return 0;
}

static int ipv4(struct rd *r, unsigned port, const uint8_t **pl, size_t *pn,
		struct ar_addr *from)
{
	uint8_t vihl, proto;
	uint16_t frag;
	size_t ihl;

	if (rd_u8(r, &vihl) == -1 || vihl >> 4 != 4)
		return -1;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || rd_left(r) < ihl - 1)
		return -1;
	frag = (uint16_t)(r->p[5] << 8 | r->p[6]);
	proto = r->p[8];
	if (from != NULL)
		addr_from_bytes(from, r->p + 11, 4);
	if (proto != 17)
		return -1;
	if ((frag & 0x3fff) != 0)       /* MF set or an offset */
		return -2;
	if (rd_skip(r, ihl - 1) == -1)
		return -1;
	return udp(r, port, pl, pn);
}

static int ipv6(struct rd *r, unsigned port, const uint8_t **pl, size_t *pn,
		struct ar_addr *from)
{
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh, hlim, hdrlen;

	if (rd_u32(r, &vtf) == -1 || vtf >> 28 != 6 || rd_u16(r, &plen) == -1 ||
	    rd_u8(r, &nh) == -1 || rd_u8(r, &hlim) == -1 || rd_left(r) < 32)
		return -1;
	if (from != NULL)
		addr_from_bytes(from, r->p, 16);
	if (rd_skip(r, 32) == -1)
		return -1;
	for (int i = 0; i < 8; i++) {
		switch (nh) {
		case 0: case 43: case 60:       /* hop-by-hop, routing, dest opts */
			if (rd_u8(r, &nh) == -1 || rd_u8(r, &hdrlen) == -1 ||
			    rd_skip(r, (size_t)hdrlen * 8 + 6) == -1)
				return -1;
			continue;
		case 44:
			return -2;
		case 17:
			return udp(r, port, pl, pn);
		}
		return -1;
	}
	return -1;
}

static int ethertype(struct rd *r, uint16_t type, unsigned port,
		     const uint8_t **pl, size_t *pn, struct ar_addr *from)
{
	uint16_t tci;

	for (int i = 0; i < 4 && (type == ET_VLAN || type == ET_QINQ); i++)
		if (rd_u16(r, &tci) == -1 || rd_u16(r, &type) == -1)
			return -1;
	if (type == ET_IPV4)
		return ipv4(r, port, pl, pn, from);
	if (type == ET_IPV6)
		return ipv6(r, port, pl, pn, from);
	return -1;
}

int pkt_sflow_payload(int dlt, const uint8_t *p, size_t n, unsigned port,
		      const uint8_t **pl, size_t *pn, struct ar_addr *from)
{
	struct rd r = rd_init(p, n);
	uint16_t type;
	uint32_t family;

	switch (dlt) {
	case DLT_EN10MB:
		if (rd_skip(&r, 12) == -1 || rd_u16(&r, &type) == -1)
			return -1;
		return ethertype(&r, type, port, pl, pn, from);
	case DLT_LINUX_SLL:     /* 16 bytes, protocol last */
		if (rd_skip(&r, 14) == -1 || rd_u16(&r, &type) == -1)
			return -1;
		return ethertype(&r, type, port, pl, pn, from);
	case DLT_LINUX_SLL2:    /* 20 bytes, protocol first */
		if (rd_u16(&r, &type) == -1 || rd_skip(&r, 18) == -1)
			return -1;
		return ethertype(&r, type, port, pl, pn, from);
	case DLT_NULL:
		/* the address family is in the capturing host's byte order and
		 * its IPv6 value differs between systems: the IP version says */
		if (rd_bytes(&r, &family, 4) == -1 || rd_left(&r) < 1)
			return -1;
		if (r.p[0] >> 4 == 4)
			return ipv4(&r, port, pl, pn, from);
		return ipv6(&r, port, pl, pn, from);
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		if (n < 1)
			return -1;
		if (p[0] >> 4 == 4)
			return ipv4(&r, port, pl, pn, from);
		return ipv6(&r, port, pl, pn, from);
	}
	return -1;
}

/* One captured packet: 0 go on, 1 stop (--limit, a signal), -1 a write error. */
static int packet(struct sfd *s, int dlt, const uint8_t *pkt, size_t caplen, uint64_t ts)
{
	const uint8_t *pl;
	size_t pn;
	struct ar_addr from;

	s->in.packets++;
	switch (pkt_sflow_payload(dlt, pkt, caplen, s->o->port, &pl, &pn, &from)) {
	case 0:
		break;
	case -2:
		s->in.fragments++;
		return 0;
	case -3:
		s->in.truncated++;
		break;          /* decode what was captured */
	default:
		s->in.not_sflow++;
		return 0;
	}
	sfd_datagram(s, pl, pn, ts, &from);
	if (rw_would_block(s->w) && sfd_drain(s) == -1)
		return -1;
	if ((s->in.packets & 1023) == 0) {
		if (sig_stop_requested())
			return 1;
		sfd_stats_tick(s, false);
	}
	return s->done ? 1 : 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
/* The mapping is walked through a window: the chunks ahead are faulted in
 * a chunk at a time (one call, not a fault per page), the chunks behind
 * are let go, so a capture of any size takes a few chunks of memory. */
#define CHUNK (2u << 20)

struct window {
	uint8_t *base;
	size_t n, ahead, behind;        /* populated up to ahead; dropped up to behind */
};

static void window_at(struct window *w, size_t off)
{
	while (w->ahead < w->n && w->ahead < off + 2 * (size_t)CHUNK) {
		size_t len = w->n - w->ahead < CHUNK ? w->n - w->ahead : CHUNK;
		madvise(w->base + w->ahead, len, MADV_POPULATE_READ);  /* a hint: errors are fine */
		w->ahead += len;
	}
	while (w->behind + 2 * (size_t)CHUNK < off) {
		madvise(w->base + w->behind, CHUNK, MADV_DONTNEED);
		w->behind += CHUNK;
	}
}

/* A classic pcap file, mapped: -2 when it is not one (or cannot be
 * mapped) and libpcap should read it, else the exit status. */
static int mapped_run(struct sfd *s, const char *path)
{
	struct pcapfile f;
	struct stat st;
	const uint8_t *pkt;
	size_t caplen;
	uint64_t ts;
	void *m;
	int fd, rc = 0, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -2;              /* libpcap says why */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < 24) {
		close(fd);
		return -2;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -2;
	if (pcapfile_open(&f, m, (size_t)st.st_size) == -1) {
		munmap(m, (size_t)st.st_size);
		return -2;
	}
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	struct window w = { .base = m, .n = (size_t)st.st_size };
	s->started = true;
	while ((r = pcapfile_next(&f, &pkt, &caplen, &ts)) == 1) {
		int p;
		/* the decoder's first walk touches a line or two per record: ask
		 * for the next packets' lines while this one is decoded */
		size_t ahead = (size_t)(pkt - f.p) + 4096;
		if (ahead > w.ahead || ahead > w.behind + 3 * (size_t)CHUNK)
			window_at(&w, ahead);
		for (size_t k = 0; k < caplen && ahead + k < f.n; k += 64)
			__builtin_prefetch(f.p + ahead + k);
		p = packet(s, f.dlt, pkt, caplen, ts);
		if (p != 0) {
			rc = p < 0 ? EXIT_RUNTIME : 0;
			break;
		}
	}
	if (r == -1) {
		log_err("%s: truncated dump file at byte %zu", path, f.off);
		rc = EXIT_RUNTIME;
	}
	munmap(m, (size_t)st.st_size);
	return rc;
}

int pcap_run(struct sfd *s, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	pcap_t *pc;
	int dlt, rc, status = 0;

	if (strcmp(path, "-") != 0 && (status = mapped_run(s, path)) != -2)
		return status;
	status = 0;
	err[0] = '\0';
	if (strcmp(path, "-") == 0)
		pc = pcap_fopen_offline(stdin, err);
	else
		pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		/* libpcap names the file in some messages, not in others */
		if (strncmp(err, path, strlen(path)) == 0)
			log_err("%s", err);
		else
			log_err("%s: %s", path, err);
		return EXIT_RUNTIME;
	}
	dlt = pcap_datalink(pc);
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL:
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4: case DLT_IPV6:
#endif
		break;
	default:
		log_err("%s: link type %s is not supported", path,
			pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		pcap_close(pc);
		return EXIT_RUNTIME;
	}
	s->started = true;
	while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		int p = packet(s, dlt, pkt, h->caplen, ts);
		if (p != 0) {
			if (p < 0)
				status = EXIT_RUNTIME;
			break;
		}
	}
	if (rc == PCAP_ERROR) {
		log_err("%s: %s", path, pcap_geterr(pc));
		status = EXIT_RUNTIME;
	}
	pcap_close(pc);
	return status;
}
