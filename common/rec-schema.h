/* The record schema as data: one table per record type. Encoding, decoding
 * and the JSON form (rec-json) are all driven from these tables. */
#ifndef AR_REC_SCHEMA_H
#define AR_REC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

enum rec_kind {
	K_U8, K_U16, K_U32, K_U64,      /* msgpack positive integer */
	K_BOOL,                         /* msgpack boolean */
	K_F64,                          /* msgpack float 64 */
	K_STR,                          /* msgpack str */
	K_ENUM,                         /* msgpack str, one of rec_field.enums */
	K_ADDR,                         /* msgpack bin 4 or 16; JSON text */
	K_PREFIX,                       /* bin + companion length key; JSON "a/len" */
	K_ASPATH,                       /* array of int and nested int arrays (sets) */
	K_U32ARR,                       /* array of int */
	K_COMM,                         /* array of int; JSON "asn:value" */
	K_LCOMM,                        /* array of [a,b,c]; JSON "a:b:c" */
	K_EXTCOMM,                      /* array of uint64; JSON "0x" and 16 hex digits */
};

struct rec_field {
	const char *name;
	uint8_t kind;
	uint16_t off;                   /* offset of the member in the struct */
	const char *lenkey;             /* K_PREFIX: the key of the length */
	const char *const *enums;       /* K_ENUM: names, index = value */
	bool required;
};

struct rec_schema {
	const char *name;
	const struct rec_field *f;
	unsigned n;
	size_t size;                    /* of the typed struct */
	size_t union_off;               /* offset of the struct in struct rec */
};

/* Schema of a type, or NULL for REC_UNKNOWN / REC_STATS (open-ended). */
const struct rec_schema *rec_schema(enum rec_type t);
/* Field of a schema by key (also matches a K_PREFIX's length key, with
 * *is_len set); NULL when the key is not in the schema. */
const struct rec_field *rec_field_find(const struct rec_schema *s, const char *key,
				       size_t len, bool *is_len);

/* The same for a key of 1 to 8 bytes given as a little-endian word, the
 * bytes past len zero. */
const struct rec_field *rec_field_find_word(const struct rec_schema *s, uint64_t word,
					    unsigned len, bool *is_len);

/* Has-bit masks of a schema's required fields and of its prefix fields. */
void rec_schema_masks(const struct rec_schema *s, uint64_t *required, uint64_t *prefixes);

/* Internal to the record writer: the most bytes rec_encode() may write for
 * this record, and the encoding itself (returns the bytes written). */
size_t rec_encode_bound(enum rec_type t, const void *base);
size_t rec_encode(uint8_t *out, enum rec_type t, const void *base);
/* The same record through msgpack-c's packer: the reference rec_encode()
 * must equal byte for byte (the fuzzers check it). */
int rw_typed_reference(struct rec_writer *w, const struct rec *r);

/* Internal to the record reader and decoders. */
/* Length of the msgpack value at p: >0 complete, 0 need more bytes, -1 not
 * msgpack (or nested deeper than RR_MAX_DEPTH), -2 larger than RR_MAX_RECORD. */
long rec_scan_value(const uint8_t *p, size_t n);
#define RR_MAX_DEPTH 32
/* Decode a record at the start of avail buffered bytes without framing it
 * first (only the fields of want[type], NULL: all): 0 and the bytes it took in *used when it is complete, well formed
 * and of known keys only; -1 otherwise (not reported: frame it with
 * rec_scan_value() and decode with rec_decode_bytes() to find out why). */
int rec_decode_fast(const uint8_t *p, size_t avail, struct rec *out, msgpack_zone *zone,
		    size_t *used, const uint64_t *want);
/* rec_decode_bytes() decoding only the fields of want[type] (NULL: all):
 * the values of the others are passed over as msgpack, not checked as their
 * field, and read as absent (rr_want()). */
int rec_decode_bytes_want(const uint8_t *p, size_t len, struct rec *out, msgpack_zone *zone,
			  int *bad, const char **badkey, const uint64_t *want);
/* The checks after all keys are read: required fields, prefix/length pairs,
 * host bits. Sets the struct's has bits. */
int rec_check_fields(const struct rec_schema *s, char *base, uint64_t present,
		     uint64_t lenbits, int *bad, const char **badkey);

#endif
