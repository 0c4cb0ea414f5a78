/* records -> JSON: addresses and prefixes as text, communities as "a:b". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rec-json.h"
#include "rec-schema.h"

static char *hex(const char *p, size_t n)
{
	char *s = malloc(n * 2 + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", (unsigned char)p[i]);
	s[n * 2] = '\0';
	return s;
}

/* A value the schema says nothing about: the plain JSON form. msgpack bin has
 * no JSON type, so it becomes {"$bin": "hex"} and comes back as bin. */
static json_t *generic(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return json_null();
	case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer(o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR: {
		/* JSON strings are UTF-8: other bytes are shown as bin. */
		json_t *j = o->via.str.size ? json_stringn(o->via.str.ptr, o->via.str.size)
					    : json_string("");
		if (j)
			return j;
	}
	/* fall through */
	case MSGPACK_OBJECT_BIN: {
		char *h = hex(o->via.bin.ptr ? o->via.bin.ptr : "", o->via.bin.size);
		json_t *j = json_pack("{s:s}", "$bin", h ? h : "");
		free(h);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(a, generic(&o->via.array.ptr[i]));
		return a;
	}
	case MSGPACK_OBJECT_MAP: {
		json_t *m = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			json_t *v;
			if (k->type != MSGPACK_OBJECT_STR || !(v = generic(&o->via.map.ptr[i].val)))
				continue;
			json_object_setn_new(m, k->via.str.size ? k->via.str.ptr : "", k->via.str.size, v);
		}
		return m;
	}
	case MSGPACK_OBJECT_EXT:
		return json_null();
	}
	return json_null();
}

static json_t *comm_json(const struct u32s *c)
{
	json_t *a = json_array();
	char buf[24];
	for (uint32_t i = 0; i < c->n; i++) {
		snprintf(buf, sizeof(buf), "%u:%u", c->v[i] >> 16, c->v[i] & 0xffff);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *lcomm_json(const struct u32s *c)
{
	json_t *a = json_array();
	char buf[40];
	for (uint32_t i = 0; i + 2 < c->n; i += 3) {
		snprintf(buf, sizeof(buf), "%u:%u:%u", c->v[i], c->v[i + 1], c->v[i + 2]);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

/* hex strings: JSON numbers past 2^53 do not survive jq */
static json_t *extcomm_json(const struct u64s *c)
{
	json_t *a = json_array();
	char buf[24];
	for (uint32_t i = 0; i < c->n; i++) {
		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)c->v[i]);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *field_json(const struct rec_field *f, const void *base, const msgpack_object *raw)
{
	const char *p = (const char *)base + f->off;
	char buf[AR_PREFIX_STRLEN];

	switch (f->kind) {
	case K_ADDR:
		return json_string(addr_fmt((const struct ar_addr *)p, buf, sizeof(buf)));
	case K_PREFIX:
		return json_string(prefix_fmt((const struct ar_prefix *)p, buf, sizeof(buf)));
	case K_ENUM:
		return json_string(f->enums[*(const int *)p]);
	case K_COMM:
		return comm_json((const struct u32s *)p);
	case K_LCOMM:
		return lcomm_json((const struct u32s *)p);
	case K_EXTCOMM:
		return extcomm_json((const struct u64s *)p);
	default:
		return generic(raw);
	}
}

json_t *record_to_json(const struct rec *r)
{
	const struct rec_schema *s = rec_schema(r->type);
	const msgpack_object *o = &r->obj;
	json_t *j = json_object();

	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		const char *key = kv->key.via.str.size ? kv->key.via.str.ptr : "";
		size_t klen = kv->key.via.str.size;
		bool is_len = false;
		const struct rec_field *f = s ? rec_field_find(s, key, klen, &is_len) : NULL;
		if (f && is_len)
			continue;       /* folded into its prefix: "a/len" */
		json_t *v = f ? field_json(f, (const char *)r + s->union_off, &kv->val)
			      : generic(&kv->val);
		if (v)
			json_object_setn_new(j, key, klen, v);
	}
	return j;
}

static uint64_t bad_total(const struct rec_reader *r)
{
	const struct rr_stats *st = rr_stats(r);
	uint64_t bad = 0;
	for (int i = 0; i < RR_BAD_N; i++)
		bad += st->bad[i];
	return bad;
}

int records_to_json(int fd, const char *name, FILE *out, const struct rj_opts *o)
{
	struct rec_reader *r = rr_new(fd, name);
	struct rec rec;
	int status = 0;

	if (!r) {
		log_err("out of memory");
		return 1;
	}
	rr_set_quiet(r, o->quiet && !o->strict);
	rr_keep_raw(r, true);   /* the JSON view shows every key, known or not */
	for (;;) {
		ssize_t n = rr_fill(r);
		if (n < 0) {
			log_err("%s: read: %s", name, strerror(errno));
			status = 1;
			break;
		}
		if (n == 0)
			rr_eof(r);
		int got;
		while ((got = rr_next(r, &rec)) >= 0) {
			if (o->strict && bad_total(r)) {
				log_err("%s: stopping at malformed input (--strict)", name);
				status = 1;
				goto out;
			}
			if (!got)
				break;
			if (o->only_type && strcmp(rec_type_name(rec.type), o->only_type) != 0)
				continue;
			json_t *j = record_to_json(&rec);
			json_dumpf(j, out, JSON_COMPACT | JSON_REAL_PRECISION(17));
			fputc('\n', out);
			json_decref(j);
		}
		if (n == 0)
			break;
	}
out:
	fflush(out);
	const struct rr_stats *st = rr_stats(r);
	for (int i = 0; i < RR_BAD_N; i++)
		if (st->bad[i])
			log_warn("%s: %llu malformed (%s)", name, (unsigned long long)st->bad[i],
				 rr_bad_name(i));
	rr_free(r);
	if (ferror(out)) {
		if (errno != EPIPE)
			log_err("write: %s", strerror(errno));
		return 1;
	}
	return status;
}
