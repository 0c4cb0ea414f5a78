/* JSON Lines -> records: the exact inverse of tojson.c. Each packed record
 * is checked against the schema by decoding it again before it is written. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rec-json.h"
#include "rec-schema.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); } while (0)

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int pack_generic(msgpack_packer *pk, json_t *v, char *err, size_t errlen)
{
	switch (json_typeof(v)) {
	case JSON_NULL: return msgpack_pack_nil(pk);
	case JSON_TRUE: return msgpack_pack_true(pk);
	case JSON_FALSE: return msgpack_pack_false(pk);
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		return i >= 0 ? msgpack_pack_uint64(pk, (uint64_t)i) : msgpack_pack_int64(pk, i);
	}
	case JSON_REAL: return msgpack_pack_double(pk, json_real_value(v));
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		return msgpack_pack_str_body(pk, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		msgpack_pack_array(pk, json_array_size(v));
		json_array_foreach(v, i, e)
			if (pack_generic(pk, e, err, errlen) < 0)
				return -1;
		return 0;
	}
	case JSON_OBJECT: {
		json_t *b = json_object_get(v, "$bin");
		if (b && json_object_size(v) == 1) {
			const char *h = json_string_value(b);
			size_t n = h ? strlen(h) : 1;
			if (!h || n % 2) {
				ERR("\"$bin\" must be a string of hex digit pairs");
				return -1;
			}
			msgpack_pack_bin(pk, n / 2);
			for (size_t i = 0; i < n; i += 2) {
				int hi = hexval(h[i]), lo = hexval(h[i + 1]);
				if (hi < 0 || lo < 0) {
					ERR("\"$bin\" must be hex digits");
					return -1;
				}
				char c = (char)(hi << 4 | lo);
				msgpack_pack_bin_body(pk, &c, 1);
			}
			return 0;
		}
		const char *k;
		json_t *e;
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach(v, k, e) {
			msgpack_pack_str(pk, strlen(k));
			msgpack_pack_str_body(pk, k, strlen(k));
			if (pack_generic(pk, e, err, errlen) < 0)
				return -1;
		}
		return 0;
	}
	}
	return -1;
}

static int pack_uint(msgpack_packer *pk, json_t *v, uint64_t max)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -1;
	return msgpack_pack_uint64(pk, (uint64_t)json_integer_value(v));
}

static int parse_u32(const char **s, uint32_t max, uint32_t *out)
{
	char *end;
	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(*s, &end, 10);
	if (errno || x > max)
		return -1;
	*out = (uint32_t)x;
	*s = end;
	return 0;
}

/* "a:b" (communities, each part 16 bits) or "a:b:c" (large, 32 bits each). */
static int pack_comm(msgpack_packer *pk, json_t *v, bool large)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return -1;
	msgpack_pack_array(pk, json_array_size(v));
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		uint32_t a, b, c;
		if (!s)
			return -1;
		if (!large) {
			if (parse_u32(&s, 0xffff, &a) < 0 || *s++ != ':' ||
			    parse_u32(&s, 0xffff, &b) < 0 || *s)
				return -1;
			msgpack_pack_uint32(pk, a << 16 | b);
			continue;
		}
		if (parse_u32(&s, UINT32_MAX, &a) < 0 || *s++ != ':' ||
		    parse_u32(&s, UINT32_MAX, &b) < 0 || *s++ != ':' ||
		    parse_u32(&s, UINT32_MAX, &c) < 0 || *s)
			return -1;
		msgpack_pack_array(pk, 3);
		msgpack_pack_uint32(pk, a);
		msgpack_pack_uint32(pk, b);
		msgpack_pack_uint32(pk, c);
	}
	return 0;
}

static int pack_u32arr(msgpack_packer *pk, json_t *v, bool sets_ok)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return -1;
	msgpack_pack_array(pk, json_array_size(v));
	json_array_foreach(v, i, e) {
		if (sets_ok && json_is_array(e)) {
			if (json_array_size(e) == 0 || pack_u32arr(pk, e, false) < 0)
				return -1;
		} else if (pack_uint(pk, e, UINT32_MAX) < 0) {
			return -1;
		}
	}
	return 0;
}

/* "0x" and up to 16 hex digits each, or a number */
static int pack_extcomm(msgpack_packer *pk, json_t *v)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return -1;
	msgpack_pack_array(pk, json_array_size(v));
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		if (!s) {
			if (pack_uint(pk, e, UINT64_MAX) < 0)
				return -1;
			continue;
		}
		size_t n = strlen(s);
		uint64_t x = 0;
		if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
			return -1;
		for (size_t k = 2; k < n; k++) {
			int d = isdigit((unsigned char)s[k]) ? s[k] - '0' :
				isxdigit((unsigned char)s[k]) ? tolower((unsigned char)s[k]) - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			x = x << 4 | (uint64_t)d;
		}
		msgpack_pack_uint64(pk, x);
	}
	return 0;
}

static int pack_addr_str(msgpack_packer *pk, const char *s)
{
	struct ar_addr a;
	if (!s || addr_parse(s, &a) < 0)
		return -1;
	msgpack_pack_bin(pk, addr_len(&a));
	return msgpack_pack_bin_body(pk, a.b, addr_len(&a));
}

static int pack_field(struct rec_writer *w, const struct rec_field *f, json_t *v,
		      char *err, size_t errlen)
{
	msgpack_packer *pk = rw_packer(w);
	const char *what = NULL;
	int rc = -1;

	rw_key(w, f->name, strlen(f->name));
	switch (f->kind) {
	case K_U8: rc = pack_uint(pk, v, UINT8_MAX); what = "a number 0-255"; break;
	case K_U16: rc = pack_uint(pk, v, UINT16_MAX); what = "a number 0-65535"; break;
	case K_U32: rc = pack_uint(pk, v, UINT32_MAX); what = "a 32-bit unsigned number"; break;
	case K_U64: rc = pack_uint(pk, v, UINT64_MAX); what = "an unsigned number"; break;
	case K_BOOL:
		what = "true or false";
		if (json_is_boolean(v))
			rc = json_is_true(v) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		break;
	case K_F64:
		what = "a number";
		if (json_is_number(v))
			rc = msgpack_pack_double(pk, json_number_value(v));
		break;
	case K_STR:
		what = "a string";
		if (json_is_string(v))
			rc = pack_generic(pk, v, err, errlen);
		break;
	case K_ENUM:
		what = "one of the names in activeroute-records(5)";
		if (json_is_string(v))
			for (int i = 0; f->enums[i]; i++)
				if (strcmp(f->enums[i], json_string_value(v)) == 0)
					rc = pack_generic(pk, v, err, errlen);
		break;
	case K_ADDR:
		what = "an IPv4 or IPv6 address";
		rc = pack_addr_str(pk, json_string_value(v));
		break;
	case K_PREFIX: {
		struct ar_prefix p;
		char perr[128];
		const char *s = json_string_value(v);
		if (!s) {
			ERR("%s: expected a prefix \"address/length\"", f->name);
			return -1;
		}
		if (prefix_parse(s, &p, perr, sizeof(perr)) < 0) {
			ERR("%s: %s", f->name, perr);
			return -1;
		}
		msgpack_pack_bin(pk, addr_len(&p.a));
		msgpack_pack_bin_body(pk, p.a.b, addr_len(&p.a));
		rw_key(w, f->lenkey, strlen(f->lenkey));
		return msgpack_pack_uint8(pk, p.plen);
	}
	case K_ASPATH: rc = pack_u32arr(pk, v, true); what = "an array of AS numbers (sets as nested arrays)"; break;
	case K_U32ARR: rc = pack_u32arr(pk, v, false); what = "an array of 32-bit numbers"; break;
	case K_COMM: rc = pack_comm(pk, v, false); what = "an array of \"asn:value\""; break;
	case K_LCOMM: rc = pack_comm(pk, v, true); what = "an array of \"a:b:c\""; break;
	case K_EXTCOMM: rc = pack_extcomm(pk, v); what = "an array of \"0x\" and 16 hex digits"; break;
	}
	if (rc < 0)
		ERR("%s: expected %s", f->name, what);
	return rc;
}

int json_to_record(json_t *obj, struct rec_writer *w, char *err, size_t errlen)
{
	const char *type, *k;
	json_t *v;

	if (!json_is_object(obj)) {
		ERR("not a JSON object");
		return -1;
	}
	type = json_string_value(json_object_get(obj, "type"));
	if (!type) {
		ERR("no \"type\" string");
		return -1;
	}
	const struct rec_schema *s = rec_schema(rec_type_from_name(type, strlen(type)));
	rw_begin(w, type);
	json_object_foreach(obj, k, v) {
		bool is_len;
		const struct rec_field *f;
		if (strcmp(k, "type") == 0)
			continue;
		f = s ? rec_field_find(s, k, strlen(k), &is_len) : NULL;
		if (f && is_len) {
			ERR("%s: give the length inside \"%s\" (\"address/length\")", k, f->name);
			return -1;
		}
		if (f) {
			if (pack_field(w, f, v, err, errlen) < 0)
				return -1;
			continue;
		}
		rw_key(w, k, strlen(k));
		if (pack_generic(rw_packer(w), v, err, errlen) < 0)
			return -1;
	}
	return 0;
}
