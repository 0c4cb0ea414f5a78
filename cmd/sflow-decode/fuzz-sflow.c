/* libFuzzer target: one input is one sFlow datagram (UDP payload). Every
 * record the decoder emits is also written by the record writer, so the
 * encoder sees what the decoder makes of hostile input. The same bytes are
 * also taken as a captured packet of each link type (-r reads untrusted
 * captures too) and what that yields is decoded as well. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enc.h"
#include "sfd.h"
#include "sflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rec_writer *w;
static struct rec_writer *scratch;   /* fd -1: a record builder */

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
	/* the fast encoder must make the very bytes rw_flow() makes */
	uint8_t fast[FENC_MAX];
	size_t n = fenc_flow(fast, f), m;
	const char *slow;

	rw_set_fd(scratch, -1);
	rw_flow(scratch, f);
	slow = rw_data(scratch, &m);
	if (n != 0 && (n != m || memcmp(fast, slow, n) != 0))
		abort();
	fenc_write(w, f);
	if (rw_pending(w) > (1u << 16))
		rw_flush(w);
}

static void check_counter(void *arg, const struct rec_counter *c)
{
	(void)arg;
	rw_counter(w, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_decoder d;
	static struct seqtab *seq;

	if (w == NULL) {
		w = rw_new(open("/dev/null", O_WRONLY | O_CLOEXEC));
		scratch = rw_new(-1);
		seq = seq_new(1024);
		if (w == NULL || scratch == NULL || seq == NULL || fenc_init() == -1)
			abort();
	}
	d.on_flow = check_flow;
	d.on_counter = check_counter;
	d.arg = NULL;
	d.seq = seq;
	sf_decode(&d, data, size, 1);

	static const int dlts[] = { 1 /* EN10MB */, 113 /* LINUX_SLL */, 276 /* SLL2 */,
				    0 /* NULL */, 12 /* RAW */ };
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		const uint8_t *pl;
		size_t pn;
		int rc = pkt_sflow_payload(dlts[i], data, size, 6343, &pl, &pn);
		if (rc == 0 || rc == -3) {
			if (pl < data || pl + pn > data + size)
				abort();
			sf_decode(&d, pl, pn, 1);
		}
	}
	rw_flush(w);
	return 0;
}
