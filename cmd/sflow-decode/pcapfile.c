/* Classic pcap files read in place (mapped), for -r FILE: libpcap copies
 * every packet out of the kernel with fread, which was a quarter of the
 * CPU time of decoding a large capture. The format is small (a 24-byte
 * file header, then a 16-byte header before each packet) and every length
 * is checked against the bytes there before it is used. pcapng, standard
 * input and link types we do not map go to libpcap as before (pcap.c). */
#include <pcap/pcap.h>
#include <string.h>

#include "sfd.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#define DLT_IPV6 229
#endif

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define MAX_CAPLEN 262144u      /* libpcap's bound on a packet's captured length */

static uint32_t get32(const struct pcapfile *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return f->swap ? __builtin_bswap32(v) : v;
}

/* The file's link type (LINKTYPE_*) as libpcap's DLT_* for pkt_sflow_payload;
 * -1 for one we leave to libpcap. */
static int dlt_of(uint32_t linktype)
{
	switch (linktype & 0x0fffffffu) {        /* the top bits are FCS flags */
	case 0: return DLT_NULL;
	case 1: return DLT_EN10MB;
	case 101: return DLT_RAW;       /* LINKTYPE_RAW: its DLT differs by system */
	case 113: return DLT_LINUX_SLL;
	case 276: return DLT_LINUX_SLL2;
	case 228: return DLT_IPV4;
	case 229: return DLT_IPV6;
	}
	return -1;
}

int pcapfile_open(struct pcapfile *f, const uint8_t *p, size_t n)
{
	uint32_t magic;
	int dlt;

	memset(f, 0, sizeof(*f));
	if (n < 24)
		return -1;
	memcpy(&magic, p, 4);
	if (magic == MAGIC_US || magic == MAGIC_NS) {
		f->nsec = magic == MAGIC_NS;
	} else if (__builtin_bswap32(magic) == MAGIC_US || __builtin_bswap32(magic) == MAGIC_NS) {
		f->swap = true;
		f->nsec = __builtin_bswap32(magic) == MAGIC_NS;
	} else {
		return -1;
	}
	f->p = p;
	f->n = n;
	dlt = dlt_of(get32(f, p + 20));
	if (dlt < 0)
		return -1;
	f->dlt = dlt;
	f->off = 24;
	return 0;
}

int pcapfile_next(struct pcapfile *f, const uint8_t **pkt, size_t *caplen, uint64_t *ts)
{
	const uint8_t *h;
	uint32_t sec, frac, len;

	if (f->off == f->n)
		return 0;
	if (f->n - f->off < 16)
		return -1;              /* cut inside a packet header */
	h = f->p + f->off;
	sec = get32(f, h);
	frac = get32(f, h + 4);
	len = get32(f, h + 8);
	if (len > MAX_CAPLEN || f->n - f->off - 16 < len)
		return -1;              /* an absurd length, or cut inside the packet */
	*pkt = h + 16;
	*caplen = len;
	*ts = (uint64_t)sec * 1000000u + (f->nsec ? frac / 1000u : frac);
	f->off += 16 + (size_t)len;
	return 1;
}
