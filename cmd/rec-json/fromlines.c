/* The -r direction's loop: one JSON object per line, checked, then written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rec-json.h"

/* Build the record in a scratch writer, then decode it as a reader would:
 * only a record that passes the schema reaches the output. */
static int convert_line(const char *line, struct rec_writer *scratch, struct rec_writer *out,
			msgpack_zone *zone, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_loads(line, JSON_DECODE_ANY, &jerr);
	int rc = -1;

	if (!j) {
		snprintf(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return -1;
	}
	rw_set_fd(scratch, -1);
	if (json_to_record(j, scratch, err, errlen) == 0) {
		size_t len;
		const char *p;
		struct rec rec;
		int bad;
		const char *badkey;

		rw_end(scratch);
		p = rw_data(scratch, &len);
		msgpack_zone_clear(zone);
		if (rec_decode_bytes((const uint8_t *)p, len, &rec, zone, &bad, &badkey) < 0)
			snprintf(err, errlen, "%s%s%s", rr_bad_name(bad), badkey ? ": " : "",
				 badkey ? badkey : "");
		else
			rc = rw_bytes(out, p, len) < 0 ? -2 : 0;
	}
	json_decref(j);
	return rc;
}

int json_to_records(FILE *in, const char *name, int fd, const struct rj_opts *o)
{
	struct rec_writer *out = rw_new(fd), *scratch = rw_new(-1);
	msgpack_zone zone;
	char *line = NULL, err[256];
	size_t cap = 0;
	unsigned long lineno = 0, bad = 0;
	int status = 0;

	if (!out || !scratch || !msgpack_zone_init(&zone, 4096)) {
		log_err("out of memory");
		return 1;
	}
	while (getline(&line, &cap, in) != -1) {
		lineno++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0)
			continue;
		int rc = convert_line(line, scratch, out, &zone, err, sizeof(err));
		if (rc == -2)
			break;
		if (rc < 0) {
			bad++;
			if (!o->quiet || o->strict)
				log_warn("%s:%lu: %s%s", name, lineno, err,
					 o->strict ? "" : ", line skipped");
			if (o->strict) {
				status = 1;
				break;
			}
		}
		if (out && rw_pending(out) >= 64 * 1024 && rw_flush(out) < 0)
			break;
	}
	if (rw_flush(out) < 0 || rw_error(out)) {
		if (errno != EPIPE)
			log_err("write: %s", strerror(errno));
		status = 1;
	}
	if (bad && !o->strict)
		log_warn("%s: %lu bad lines skipped", name, bad);
	free(line);
	msgpack_zone_destroy(&zone);
	rw_free(out);
	rw_free(scratch);
	return status;
}
