/* libFuzzer: one JSON line through the -r conversion and back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rec-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);

	log_set_level(LOG_ERR);
	if (!j)
		return 0;
	struct rec_writer *w = rw_new(-1);
	if (json_to_record(j, w, err, sizeof(err)) == 0) {
		size_t len;
		rw_end(w);
		const char *p = rw_data(w, &len);
		struct rec_reader *r = rr_new(-1, "fuzz");
		struct rec rec;
		rr_set_quiet(r, true);
		rr_keep_raw(r, true);
		rr_feed(r, p, len);
		while (rr_next(r, &rec) == 1) {
			json_t *back = record_to_json(&rec);
			json_decref(back);
		}
		rr_free(r);
	}
	rw_free(w);
	json_decref(j);
	return 0;
}
