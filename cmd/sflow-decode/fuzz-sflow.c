/* libFuzzer target: one input is one sFlow datagram (UDP payload). Every
 * record the decoder emits is also written by the record writer, so the
 * encoder sees what the decoder makes of hostile input. The same bytes are
 * also taken as a captured packet of each link type (-r reads untrusted
 * captures too) and what that yields is decoded as well, and as a whole
 * classic pcap file. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec-schema.h"
#include "sfd.h"
#include "sflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rec_writer *w;
static struct rec_writer *scratch;   /* fd -1: a record builder */
static struct rec_writer *reference;

/* The writer's encoder must make the very bytes msgpack-c's packer makes. */
static void same_as_reference(const struct rec *r)
{
	size_t n, m;
	rw_set_fd(scratch, -1);
	rw_set_fd(reference, -1);
	rw_typed(scratch, r);
	rw_typed_reference(reference, r);
	const char *fast = rw_data(scratch, &n), *slow = rw_data(reference, &m);
	if (n != m || memcmp(fast, slow, n) != 0)
		abort();
}

static void check_flow(void *arg, const struct rec_flow *f)
{
	(void)arg;
	/* the AS path must be whole segments inside the scratch array */
	if (REC_HAS(f, FLOW_ASPATH)) {
		uint32_t i = 0;
		while (i < f->aspath.n) {
			if (i + 2 > f->aspath.n || f->aspath.v[i + 1] > f->aspath.n - i - 2)
				abort();
			i += 2 + f->aspath.v[i + 1];
		}
	}
	struct rec r = { .type = REC_FLOW };
	r.u.flow = *f;
	same_as_reference(&r);
	rw_flow(w, f);
	if (rw_pending(w) > (1u << 16))
		rw_flush(w);
}

static void check_counter(void *arg, const struct rec_counter *c)
{
	struct rec r = { .type = REC_COUNTER };
	(void)arg;
	r.u.counter = *c;
	same_as_reference(&r);
	rw_counter(w, c);
}

static void check_host(void *arg, const struct rec_host *h)
{
	struct rec r = { .type = REC_HOST };
	(void)arg;
	if (h->adapters.n > SF_MAX_ADAPTERS)
		abort();
	r.u.host = *h;
	same_as_reference(&r);
	rw_typed(w, &r);
}

static void check_asic(void *arg, const struct rec_asic *a)
{
	struct rec r = { .type = REC_ASIC };
	(void)arg;
	r.u.asic = *a;
	same_as_reference(&r);
	rw_typed(w, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_decoder d;
	static struct seqtab *seq;

	if (w == NULL) {
		w = rw_new(open("/dev/null", O_WRONLY | O_CLOEXEC));
		scratch = rw_new(-1);
		reference = rw_new(-1);
		seq = seq_new(1024, 100000);
		if (w == NULL || scratch == NULL || seq == NULL || reference == NULL)
			abort();
	}
	d.on_flow = check_flow;
	d.on_counter = check_counter;
	d.on_host = check_host;
	d.on_asic = check_asic;
	d.arg = NULL;
	d.seq = seq;
	d.max_rate = 1000000;
	sf_decode(&d, data, size, 1, NULL);

	static const int dlts[] = { 1 /* EN10MB */, 113 /* LINUX_SLL */, 276 /* SLL2 */,
				    0 /* NULL */, 12 /* RAW */ };
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		const uint8_t *pl;
		size_t pn;
		struct ar_addr from;
		int rc = pkt_sflow_payload(dlts[i], data, size, 6343, &pl, &pn, &from);
		if (rc == 0 || rc == -3) {
			if (pl < data || pl + pn > data + size)
				abort();
			sf_decode(&d, pl, pn, 1, &from);
		}
	}
	/* and as a classic pcap file, read in place as -r reads one */
	struct pcapfile pf;
	if (pcapfile_open(&pf, data, size) == 0) {
		const uint8_t *pkt, *pl;
		size_t caplen, pn;
		uint64_t ts;
		while (pcapfile_next(&pf, &pkt, &caplen, &ts) == 1) {
			struct ar_addr from;
			if (pkt < data || pkt + caplen > data + size)
				abort();
			int rc = pkt_sflow_payload(pf.dlt, pkt, caplen, 6343, &pl, &pn, &from);
			if (rc == 0 || rc == -3)
				sf_decode(&d, pl, pn, ts, &from);
		}
	}
	rw_flush(w);
	return 0;
}
