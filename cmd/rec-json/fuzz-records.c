/* libFuzzer: arbitrary bytes through the record reader and the JSON view.
 * Fed in two pieces to exercise partial reads and the end-of-input resync. */
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "rec-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct rec rec;

	if (!init) {
		log_set_level(LOG_ERR);
		init = 1;
	}
	struct rec_reader *r = rr_new(-1, "fuzz");
	struct rec_writer *w = rw_new(-1);
	rr_set_quiet(r, true);
	size_t half = size / 2;
	rr_feed(r, data, half);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			rr_feed(r, data + half, size - half);
			rr_eof(r);
		}
		while (rr_next(r, &rec) == 1) {
			json_t *j = record_to_json(&rec);
			char *s = json_dumps(j, JSON_COMPACT);
			free(s);
			json_decref(j);
			rw_typed(w, &rec);
			rw_set_fd(w, -1);
		}
	}
	rw_free(w);
	rr_free(r);
	return 0;
}
