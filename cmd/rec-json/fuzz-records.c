/* libFuzzer: arbitrary bytes through the record reader and the JSON view.
 * Two readers take the same bytes: one as every stage reads (typed records
 * only), one that also unpacks each record with msgpack-c (rec-json's view).
 * They must hand out the same records and count the same errors: what our
 * framing accepts, msgpack-c must accept too.
 * The reader's one-pass decode is checked against framing then decoding,
 * and the writer's encoder against msgpack-c's packer.
 * The input is fed in two pieces to exercise partial reads and the
 * end-of-input resync. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rec-schema.h"
#include "rec-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	enum rec_type type;
	size_t len;
	char *bytes;            /* the typed record re-encoded, NULL for others */
};

static struct rec_writer *ref;

static size_t collect(struct rec_reader *r, struct rec_writer *w, bool json,
		      struct seen *out, size_t max)
{
	struct rec rec;
	size_t n = 0;
	while (rr_next(r, &rec) == 1) {
		if (json) {
			json_t *j = record_to_json(&rec);
			char *s = json_dumps(j, JSON_COMPACT);
			free(s);
			json_decref(j);
		}
		if (n == max)
			continue;
		out[n].type = rec.type;
		out[n].bytes = NULL;
		out[n].len = 0;
		if (rec.type != REC_UNKNOWN && rec.type != REC_STATS) {
			size_t len, rlen;
			rw_set_fd(w, -1);
			rw_set_fd(ref, -1);
			rw_typed(w, &rec);
			rw_typed_reference(ref, &rec);
			const char *p = rw_data(w, &len), *rp = rw_data(ref, &rlen);
			/* the writer's encoder makes msgpack-c's packer's bytes */
			if (len != rlen || memcmp(p, rp, len) != 0)
				abort();
			out[n].bytes = malloc(len);
			memcpy(out[n].bytes, p, len);
			out[n].len = len;
		}
		n++;
	}
	return n;
}

#define MAXREC 256

/* The reader's one-pass decode must agree with framing then decoding:
 * same length, same record. */
static void check_one_pass(const uint8_t *data, size_t size)
{
	struct rec one, two;
	msgpack_zone z1, z2;
	size_t used;
	int bad;
	const char *badkey;
	msgpack_zone_init(&z1, 1024);
	msgpack_zone_init(&z2, 1024);
	if (rec_decode_fast(data, size, &one, &z1, &used, NULL) == 0) {
		struct rec_writer *w1 = rw_new(-1), *w2 = rw_new(-1);
		size_t l1, l2;
		if (rec_scan_value(data, size) != (long)used ||
		    rec_decode_bytes(data, used, &two, &z2, &bad, &badkey) != 0 || one.type != two.type)
			abort();
		rw_typed(w1, &one);
		rw_typed(w2, &two);
		const char *p1 = rw_data(w1, &l1), *p2 = rw_data(w2, &l2);
		if (l1 != l2 || memcmp(p1, p2, l1) != 0)
			abort();
		rw_free(w1);
		rw_free(w2);
	}
	msgpack_zone_destroy(&z1);
	msgpack_zone_destroy(&z2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen a[MAXREC], b[MAXREC];
	size_t na = 0, nb = 0;

	log_set_level(LOG_ERR);
	check_one_pass(data, size);
	if (!ref)
		ref = rw_new(-1);
	struct rec_reader *slow = rr_new(-1, "fuzz"), *fast = rr_new(-1, "fuzz");
	struct rec_writer *w = rw_new(-1);
	rr_set_quiet(slow, true);
	rr_set_quiet(fast, true);
	rr_keep_raw(slow, true);
	size_t half = size / 2;
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *p = pass ? data + half : data;
		size_t n = pass ? size - half : half;
		rr_feed(slow, p, n);
		rr_feed(fast, p, n);
		if (pass) {
			rr_eof(slow);
			rr_eof(fast);
		}
		na += collect(slow, w, true, a + na, MAXREC - na);
		nb += collect(fast, w, false, b + nb, MAXREC - nb);
	}
	if (na != nb)
		abort();
	for (size_t i = 0; i < na; i++) {
		if (a[i].type != b[i].type || a[i].len != b[i].len ||
		    (a[i].len && memcmp(a[i].bytes, b[i].bytes, a[i].len) != 0))
			abort();
		free(a[i].bytes);
		free(b[i].bytes);
	}
	if (memcmp(rr_stats(slow)->bad, rr_stats(fast)->bad, sizeof(rr_stats(slow)->bad)) != 0)
		abort();
	rw_free(w);
	rr_free(slow);
	rr_free(fast);
	return 0;
}
