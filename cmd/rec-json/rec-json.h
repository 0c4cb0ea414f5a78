#ifndef REC_JSON_H
#define REC_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "rec.h"

struct rj_opts {
	bool strict;
	bool quiet;
	const char *only_type;  /* print only records of this type */
};

/* records on fd -> JSON Lines on out. Returns the exit status. */
int records_to_json(int fd, const char *name, FILE *out, const struct rj_opts *o);
/* JSON Lines on in -> records on fd. Returns the exit status. */
int json_to_records(FILE *in, const char *name, int fd, const struct rj_opts *o);

/* One record as a JSON object (new reference), schema-aware. */
json_t *record_to_json(const struct rec *r);
/* One JSON object packed as a record into w; on error returns -1 and a
 * message in err. */
int json_to_record(json_t *obj, struct rec_writer *w, char *err, size_t errlen);

#endif
