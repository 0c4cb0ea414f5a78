/* The stages' --stats files: each holds the stage's last stats record
 * (msgpack, replaced atomically). Read as JSON objects; and GET /agents/json
 * from sflow-decode's. */
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ha.h"
#include "rec-schema.h"

#define STATS_MAX_FILE (1u << 20)
#define STATS_MAX_DEPTH 4

static json_t *to_json(const msgpack_object *v, int depth)
{
	char buf[AR_ADDR_STRLEN];
	struct ar_addr a;
	json_t *o;

	switch (v->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(v->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		/* a counter past 2^63 stays a number, as a real */
		if (v->via.u64 > (uint64_t)INT64_MAX)
			return json_real((double)v->via.u64);
		return json_integer((json_int_t)v->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)v->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(v->via.f64);
	case MSGPACK_OBJECT_STR:
		/* NULL for text that is not UTF-8: the key is left out */
		return v->via.str.size ? json_stringn(v->via.str.ptr, v->via.str.size) : json_string("");
	case MSGPACK_OBJECT_BIN:
		/* addresses are bin of 4 or 16 bytes (records(5)) */
		if (addr_from_bytes(&a, v->via.bin.ptr, v->via.bin.size) == 0)
			return json_string(addr_fmt(&a, buf, sizeof(buf)));
		return json_null();
	case MSGPACK_OBJECT_ARRAY:
		if (depth >= STATS_MAX_DEPTH)
			return json_null();
		o = json_array();
		for (uint32_t i = 0; i < v->via.array.size; i++)
			json_array_append_new(o, to_json(&v->via.array.ptr[i], depth + 1));
		return o;
	case MSGPACK_OBJECT_MAP:
		if (depth >= STATS_MAX_DEPTH)
			return json_null();
		o = json_object();
		for (uint32_t i = 0; i < v->via.map.size; i++) {
			const msgpack_object_kv *kv = &v->via.map.ptr[i];
			char key[128];
			if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size < sizeof(key)) {
				if (kv->key.via.str.size)       /* an empty key has no ptr */
					memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
				key[kv->key.via.str.size] = '\0';
				if (strlen(key) == kv->key.via.str.size)
					json_object_set_new(o, key, to_json(&kv->val, depth + 1));
			} else if (kv->key.type == MSGPACK_OBJECT_BIN &&
				   addr_from_bytes(&a, kv->key.via.bin.ptr, kv->key.via.bin.size) == 0) {
				json_object_set_new(o, addr_fmt(&a, buf, sizeof(buf)),
						    to_json(&kv->val, depth + 1));
			}
		}
		return o;
	default:
		return json_null();
	}
}

json_t *stats_parse(const char *buf, size_t len)
{
	msgpack_unpacked u;
	json_t *o = NULL;

	/* msgpack-c allocates what a header declares before it reads the
	 * items: the bounded scan first makes sure they are all there */
	long n = rec_scan_value((const uint8_t *)buf, len);

	if (n <= 0)
		return NULL;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, buf, (size_t)n, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		o = to_json(&u.data, 0);
	msgpack_unpacked_destroy(&u);
	return o;
}

json_t *stats_load(const char *path, double *age)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;
	json_t *o;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > STATS_MAX_FILE ||
	    !(buf = malloc((size_t)st.st_size))) {
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size && ((n = read(fd, buf + len, (size_t)st.st_size - len)) > 0 ||
					   (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	o = stats_parse(buf, len);
	free(buf);
	if (o && age) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		*age = (double)(now.tv_sec - st.st_mtim.tv_sec) +
		       (now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
	}
	return o;
}

json_t *stats_of(const struct ha_opts *o, const char *stage, double *age)
{
	for (int i = 0; i < o->nstats; i++) {
		json_t *s = stats_load(o->stats[i], age);
		const char *name = s ? json_string_value(json_object_get(s, "stage")) : NULL;
		if (name && !strcmp(name, stage))
			return s;
		json_decref(s);
	}
	return NULL;
}

/* One agent as sFlow-RT's /agents/json describes it. */
static json_t *agent_entry(json_t *a)
{
	json_t *e = json_object();
	static const char *const map[][2] = {
		{ "datagrams", "sFlowDatagramsReceived" }, { "dgram_lost", "sFlowDatagramsLost" },
		{ "dgram_reordered", "sFlowDatagramsOutOfOrder" },
		{ "flow_samples", "sFlowFlowSamples" }, { "counter_samples", "sFlowCounterSamples" },
		{ "discard_samples", "sFlowDiscardSamples" }, { "sample_lost", "sFlowFlowLost" },
		{ "restarts", "sFlowAgentRestarts" }, { "malformed", "sFlowDatagramsMalformed" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_t *v = json_object_get(a, map[i][0]);
		if (json_is_number(v))
			json_object_set(e, map[i][1], v);
	}
	json_t *last = json_object_get(a, "last");
	if (json_is_integer(last))
		json_object_set_new(e, "lastSeen", json_integer(json_integer_value(last) / 1000));
	return e;
}

int agents_route(const struct ha_opts *o, const struct ha_req *rq, struct ha_resp *r)
{
	json_t *s, *agents, *out, *v;
	const char *k;
	size_t i;

	if (rq->nsegs != 2 || strcmp(rq->segs[0], "agents") || strcmp(rq->segs[1], "json"))
		return -1;
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		r->allow = "GET, HEAD";
		resp_error(r, 405, "method %s not allowed", rq->method);
		return 0;
	}
	if (!(s = stats_of(o, "sflow-decode", NULL))) {
		resp_error(r, 503, "no stats from sflow-decode (is it running with --stats?)");
		return 0;
	}
	out = json_object();
	/* per agent when sflow-decode keeps them: an "agents" map keyed by
	 * address, or an array of maps with an "agent" key */
	agents = json_object_get(s, "agents");
	if (json_is_object(agents)) {
		json_object_foreach(agents, k, v)
			if (json_is_object(v))
				json_object_set_new(out, k, agent_entry(v));
	} else if (json_is_array(agents)) {
		json_array_foreach(agents, i, v) {
			const char *a = json_string_value(json_object_get(v, "agent"));
			if (a)
				json_object_set_new(out, a, agent_entry(v));
		}
	}
	json_decref(s);
	resp_json(r, 200, out);
	return 0;
}
