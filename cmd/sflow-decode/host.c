/* Host counter records of a counter sample (sflow.org sflow_host.txt:
 * host_descr 0:2000 to host_net_io 0:2006) into a host record, and the
 * Broadcom ASIC table utilization (sflow_broadcom_tables.txt, 4413:3) into
 * an asic record. Each record arrives through a reader carved to its
 * declared length (decode.c): a short one is counted and ignored, bytes
 * past what we know (fields added later) are left unread. */
#include <math.h>
#include <string.h>

#include "rd.h"
#include "sflow.h"

/* Strings go to the record as text: bytes outside printable ASCII become
 * '?', so a hostile hostname cannot make the JSON form invalid. */
static int read_string(struct rd *r, char *out, size_t max)
{
	uint32_t len;
	const uint8_t *p;

	if (rd_u32(r, &len) == -1 || len > max || rd_left(r) < len)
		return -1;
	p = r->p;
	for (uint32_t i = 0; i < len; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[len] = '\0';
	/* XDR pads to 4 bytes; an agent that leaves the padding out at the
	 * end of the record is let be (the length was checked above) */
	if (rd_skip(r, (len + 3u) & ~3u) == -1)
		rd_skip(r, len);
	return 0;
}

/* n bytes as hex digits, a separator (if any) after every byte in the
 * mask's bits; returns the end. By hand: snprintf was a quarter of the CPU
 * time of a counter-heavy stream. */
static char *hex(char *out, const uint8_t *b, unsigned n, char sep, unsigned mask)
{
	static const char digit[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		*out++ = digit[b[i] >> 4];
		*out++ = digit[b[i] & 15];
		if (sep && (mask >> i) & 1)
			*out++ = sep;
	}
	*out = '\0';
	return out;
}

/* XDR float: IEEE 754 single precision, big-endian. */
static int read_float(struct rd *r, double *out)
{
	uint32_t u;
	float f;

	if (rd_u32(r, &u) == -1)
		return -1;
	memcpy(&f, &u, sizeof(f));
	*out = f;
	return 0;
}

/* Load averages: -1 means unknown, and a NaN has no JSON form: both left out. */
static void set_load(struct rec_host *h, int field, double *dst, double v)
{
	if (isfinite(v) && v >= 0) {
		*dst = v;
		REC_SET(h, field);
	}
}

static int host_descr(struct sf_decoder *d, struct rec_host *h, struct rd *r)
{
	struct sf_hostbuf *b = &d->hb;
	uint8_t u[16];
	uint32_t mt, os;

	if (read_string(r, b->hostname, 64) == -1 || rd_bytes(r, u, 16) == -1 ||
	    rd_u32(r, &mt) == -1 || rd_u32(r, &os) == -1 ||
	    read_string(r, b->osrelease, 32) == -1)
		return -1;
	if (b->hostname[0]) {
		h->hostname = b->hostname;
		REC_SET(h, HOST_HOSTNAME);
	}
	/* all zero: unknown */
	static const uint8_t zero[16];
	if (memcmp(u, zero, 16) != 0) {
		/* 8-4-4-4-12: a dash after bytes 3, 5, 7 and 9 */
		hex(b->uuid, u, 16, '-', 1u << 3 | 1u << 5 | 1u << 7 | 1u << 9);
		h->uuid = b->uuid;
		REC_SET(h, HOST_UUID);
	}
	h->machinetype = mt;
	h->osname = os;
	REC_SET(h, HOST_MACHINETYPE);
	REC_SET(h, HOST_OSNAME);
	if (b->osrelease[0]) {
		h->osrelease = b->osrelease;
		REC_SET(h, HOST_OSRELEASE);
	}
	return 0;
}

/* adapters<>: ifIndex, then mac_address<> of 6-byte MACs, each padded to
 * 8 bytes. The first SF_MAX_ADAPTERS are kept; the rest are counted. */
static int host_adapters(struct sf_decoder *d, struct rec_host *h, struct rd *r)
{
	struct sf_hostbuf *b = &d->hb;
	uint32_t n, ifindex, nmac, kept = 0;
	size_t ml = 0;
	uint8_t m[8];

	if (rd_u32(r, &n) == -1)
		return -1;
	b->macs[0] = '\0';
	/* each adapter takes at least 8 bytes: the loop ends with the bytes */
	for (uint32_t i = 0; i < n; i++) {
		if (rd_u32(r, &ifindex) == -1 || rd_u32(r, &nmac) == -1 ||
		    (uint64_t)nmac * 8 > rd_left(r))
			return -1;
		if (kept < SF_MAX_ADAPTERS)
			b->adapters[kept++] = ifindex;
		else
			d->st.host_cut++;
		for (uint32_t j = 0; j < nmac; j++) {
			if (rd_bytes(r, m, 8) == -1)
				return -1;
			if (ml + 18 < sizeof(b->macs)) {
				if (ml > 0)
					b->macs[ml++] = ',';
				ml = (size_t)(hex(b->macs + ml, m, 6, ':', 0x1f) - b->macs);
			} else {
				d->st.host_cut++;
			}
		}
	}
	h->adapters.v = b->adapters;
	h->adapters.n = kept;
	REC_SET(h, HOST_ADAPTERS);
	if (ml > 0) {
		h->macs = b->macs;
		REC_SET(h, HOST_MACS);
	}
	return 0;
}

static int host_parent(struct rec_host *h, struct rd *r)
{
	if (rd_u32(r, &h->parenttype) == -1 || rd_u32(r, &h->parentindex) == -1)
		return -1;
	REC_SET(h, HOST_PARENTTYPE);
	REC_SET(h, HOST_PARENTINDEX);
	return 0;
}

static int host_cpu(struct rec_host *h, struct rd *r)
{
	/* the unsigned ints after the load averages, in wire order; the last
	 * three (steal, guest, guest_nice) came later and may be absent */
	uint32_t *const u[] = {
		&h->procrun, &h->proctotal, &h->cpunum, &h->cpuspeed, &h->uptime,
		&h->cpuuser, &h->cpunice, &h->cpusystem, &h->cpuidle, &h->cpuwio,
		&h->cpuintr, &h->cpusintr, &h->interrupts, &h->contexts,
		&h->cpusteal, &h->cpuguest, &h->cpuguestnice,
	};
	double l1, l5, l15;
	unsigned i;

	if (read_float(r, &l1) == -1 || read_float(r, &l5) == -1 || read_float(r, &l15) == -1)
		return -1;
	for (i = 0; i < 14; i++)
		if (rd_u32(r, u[i]) == -1)
			return -1;
	for (; i < 17 && rd_left(r) >= 4; i++)
		rd_u32(r, u[i]);
	set_load(h, HOST_LOAD1, &h->load1, l1);
	set_load(h, HOST_LOAD5, &h->load5, l5);
	set_load(h, HOST_LOAD15, &h->load15, l15);
	for (unsigned k = 0; k < i; k++)
		REC_SET(h, HOST_PROCRUN + (int)k);
	return 0;
}

static int host_memory(struct rec_host *h, struct rd *r)
{
	uint64_t *const q[] = {
		&h->memtotal, &h->memfree, &h->memshared, &h->membuffers, &h->memcached,
		&h->swaptotal, &h->swapfree,
	};
	uint32_t *const u[] = { &h->pagein, &h->pageout, &h->swapin, &h->swapout };

	for (unsigned i = 0; i < 7; i++)
		if (rd_u64(r, q[i]) == -1)
			return -1;
	for (unsigned i = 0; i < 4; i++)
		if (rd_u32(r, u[i]) == -1)
			return -1;
	for (int f = HOST_MEMTOTAL; f <= HOST_SWAPOUT; f++)
		REC_SET(h, f);
	return 0;
}

static int host_disk_io(struct rec_host *h, struct rd *r)
{
	uint32_t pct;

	if (rd_u64(r, &h->disktotal) == -1 || rd_u64(r, &h->diskfree) == -1 ||
	    rd_u32(r, &pct) == -1 || rd_u32(r, &h->diskreads) == -1 ||
	    rd_u64(r, &h->diskreadbytes) == -1 || rd_u32(r, &h->diskreadtime) == -1 ||
	    rd_u32(r, &h->diskwrites) == -1 || rd_u64(r, &h->diskwritebytes) == -1 ||
	    rd_u32(r, &h->diskwritetime) == -1)
		return -1;
	for (int f = HOST_DISKTOTAL; f <= HOST_DISKWRITETIME; f++)
		REC_SET(h, f);
	/* percentage: hundredths of a percent, -1 (or beyond 100%) unknown */
	if (pct <= 10000)
		h->partmaxused = pct;
	else
		h->has &= ~((uint64_t)1 << HOST_PARTMAXUSED);
	return 0;
}

static int host_net_io(struct rec_host *h, struct rd *r)
{
	if (rd_u64(r, &h->netbytesin) == -1 || rd_u32(r, &h->netpktsin) == -1 ||
	    rd_u32(r, &h->neterrsin) == -1 || rd_u32(r, &h->netdropsin) == -1 ||
	    rd_u64(r, &h->netbytesout) == -1 || rd_u32(r, &h->netpktsout) == -1 ||
	    rd_u32(r, &h->neterrsout) == -1 || rd_u32(r, &h->netdropsout) == -1)
		return -1;
	for (int f = HOST_NETBYTESIN; f <= HOST_NETDROPSOUT; f++)
		REC_SET(h, f);
	return 0;
}

int sf_counter_host(struct sf_decoder *d, struct rec_host *h, uint32_t tag, struct rd *r)
{
	switch (tag) {
	case SF_CTR_HOST_DESCR: return host_descr(d, h, r);
	case SF_CTR_HOST_ADAPTERS: return host_adapters(d, h, r);
	case SF_CTR_HOST_PARENT: return host_parent(h, r);
	case SF_CTR_HOST_CPU: return host_cpu(h, r);
	case SF_CTR_HOST_MEMORY: return host_memory(h, r);
	case SF_CTR_HOST_DISK_IO: return host_disk_io(h, r);
	case SF_CTR_HOST_NET_IO: return host_net_io(h, r);
	}
	return -1;
}

/* hw_tables: 36 unsigned ints, each table's entries then its maximum
 * (the neighbor and per-family route counts have no maximum). */
int sf_counter_asic(struct rec_asic *a, struct rd *r)
{
	for (unsigned i = 0; i < ASIC_NTABLE; i++)
		if (rd_u32(r, &a->v[i]) == -1)
			return -1;
	for (int f = ASIC_HOST; f < ASIC_NFIELDS; f++)
		REC_SET(a, f);
	return 0;
}
