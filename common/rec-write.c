/* Buffered record writer on msgpack-c's packer. The output may be a pipe,
 * a FIFO or a file, blocking or not; the caller learns "would block" and
 * EPIPE instead of being stopped by them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec-schema.h"

#define RW_FLUSH_AT (64u * 1024)
#define RW_HIGH_WATER (4u * 1024 * 1024)

struct rec_writer {
	int fd;
	msgpack_sbuffer buf;
	size_t off;             /* bytes of buf already written */
	msgpack_packer pk;
	size_t rec_start;       /* offset of the open record's map header */
	uint32_t rec_keys;
	size_t high_water;
	size_t flush_at;        /* bytes written at once; 0: not asked yet */
	int err;
	uint64_t records;
	uint64_t written;       /* bytes the fd took */
};

struct rec_writer *rw_new(int fd)
{
	struct rec_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	msgpack_sbuffer_init(&w->buf);
	msgpack_packer_init(&w->pk, &w->buf, msgpack_sbuffer_write);
	w->high_water = RW_HIGH_WATER;
	return w;
}

void rw_free(struct rec_writer *w)
{
	if (!w)
		return;
	msgpack_sbuffer_destroy(&w->buf);
	free(w);
}

int rw_fd(const struct rec_writer *w) { return w->fd; }
size_t rw_pending(const struct rec_writer *w) { return w->buf.size - w->off; }
bool rw_would_block(const struct rec_writer *w) { return rw_pending(w) >= w->high_water; }
void rw_set_high_water(struct rec_writer *w, size_t bytes) { w->high_water = bytes; }
int rw_error(const struct rec_writer *w) { return w->err; }
uint64_t rw_records(const struct rec_writer *w) { return w->records; }
uint64_t rw_written(const struct rec_writer *w) { return w->written; }

void rw_set_fd(struct rec_writer *w, int fd)
{
	w->fd = fd;
	w->buf.size = 0;
	w->off = 0;
	w->err = 0;
	w->flush_at = 0;
}

int rw_flush(struct rec_writer *w)
{
	if (w->err) {
		errno = w->err;
		return -1;
	}
	while (w->off < w->buf.size) {
		ssize_t n = write(w->fd, w->buf.data + w->off, w->buf.size - w->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			w->err = errno;
			return -1;
		}
		w->off += (size_t)n;
		w->written += (uint64_t)n;
	}
	if (w->off == w->buf.size) {
		w->buf.size = 0;
		w->off = 0;
		return 0;
	}
	/* Keep the unwritten tail at the front so the buffer does not creep. */
	if (w->off > w->buf.size / 2) {
		memmove(w->buf.data, w->buf.data + w->off, w->buf.size - w->off);
		w->buf.size -= w->off;
		w->off = 0;
	}
	return 1;
}

static int rw_counted(struct rec_writer *w);

void rw_key(struct rec_writer *w, const char *key, size_t len)
{
	msgpack_pack_str(&w->pk, len);
	msgpack_pack_str_body(&w->pk, key, len);
	w->rec_keys++;
}

msgpack_packer *rw_packer(struct rec_writer *w) { return &w->pk; }

const char *rw_data(const struct rec_writer *w, size_t *len)
{
	*len = w->buf.size - w->off;
	return w->buf.data + w->off;
}

static void pack_key(struct rec_writer *w, const char *key)
{
	rw_key(w, key, strlen(key));
}

void rw_begin(struct rec_writer *w, const char *type)
{
	static const char map32[5] = { (char)0xdf, 0, 0, 0, 0 };
	w->rec_start = w->buf.size;
	w->rec_keys = 0;
	msgpack_sbuffer_write(&w->buf, map32, sizeof(map32));
	rw_str(w, "type", type);
}

/* The map header was written as map32 with a placeholder count; shrink it to
 * the smallest form now that the count is known, so output is canonical. */
int rw_end(struct rec_writer *w)
{
	uint8_t *h = (uint8_t *)w->buf.data + w->rec_start;
	size_t body = w->buf.size - w->rec_start - 5;
	uint32_t n = w->rec_keys;

	if (n <= 15) {
		h[0] = (uint8_t)(0x80 | n);
		memmove(h + 1, h + 5, body);
		w->buf.size -= 4;
	} else if (n <= 0xffff) {
		h[0] = 0xde;
		h[1] = (uint8_t)(n >> 8);
		h[2] = (uint8_t)n;
		memmove(h + 3, h + 5, body);
		w->buf.size -= 2;
	} else {
		h[1] = (uint8_t)(n >> 24);
		h[2] = (uint8_t)(n >> 16);
		h[3] = (uint8_t)(n >> 8);
		h[4] = (uint8_t)n;
	}
	return rw_counted(w);
}

void rw_u64(struct rec_writer *w, const char *key, uint64_t v)
{
	pack_key(w, key);
	msgpack_pack_uint64(&w->pk, v);
}

void rw_i64(struct rec_writer *w, const char *key, int64_t v)
{
	pack_key(w, key);
	msgpack_pack_int64(&w->pk, v);
}

void rw_f64(struct rec_writer *w, const char *key, double v)
{
	pack_key(w, key);
	msgpack_pack_double(&w->pk, v);
}

void rw_str(struct rec_writer *w, const char *key, const char *v)
{
	size_t l = strlen(v);
	pack_key(w, key);
	msgpack_pack_str(&w->pk, l);
	msgpack_pack_str_body(&w->pk, v, l);
}

void rw_bool(struct rec_writer *w, const char *key, bool v)
{
	pack_key(w, key);
	if (v)
		msgpack_pack_true(&w->pk);
	else
		msgpack_pack_false(&w->pk);
}

static void pack_addr(struct rec_writer *w, const struct ar_addr *a)
{
	size_t l = addr_len(a);
	msgpack_pack_bin(&w->pk, l);
	msgpack_pack_bin_body(&w->pk, a->b, l);
}

void rw_addr(struct rec_writer *w, const char *key, const struct ar_addr *a)
{
	pack_key(w, key);
	pack_addr(w, a);
}

static void pack_u32s(struct rec_writer *w, const struct u32s *a)
{
	msgpack_pack_array(&w->pk, a->n);
	for (uint32_t i = 0; i < a->n; i++)
		msgpack_pack_uint32(&w->pk, a->v[i]);
}

static void pack_aspath(struct rec_writer *w, const struct u32s *p)
{
	uint32_t elems = 0, i;
	for (i = 0; i + 1 < p->n; i += 2 + p->v[i + 1])
		elems += p->v[i] == ASPATH_SET ? 1 : p->v[i + 1];
	msgpack_pack_array(&w->pk, elems);
	for (i = 0; i + 1 < p->n; i += 2 + p->v[i + 1]) {
		uint32_t cnt = p->v[i + 1];
		if (i + 2 + cnt > p->n)
			cnt = p->n - i - 2;     /* a short array is the caller's bug; stay in bounds */
		if (p->v[i] == ASPATH_SET)
			msgpack_pack_array(&w->pk, cnt);
		for (uint32_t k = 0; k < cnt; k++)
			msgpack_pack_uint32(&w->pk, p->v[i + 2 + k]);
	}
}

static void pack_field(struct rec_writer *w, const struct rec_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;

	pack_key(w, f->name);
	switch (f->kind) {
	case K_U8: msgpack_pack_uint8(&w->pk, *(const uint8_t *)p); break;
	case K_U16: msgpack_pack_uint16(&w->pk, *(const uint16_t *)p); break;
	case K_U32: msgpack_pack_uint32(&w->pk, *(const uint32_t *)p); break;
	case K_U64: msgpack_pack_uint64(&w->pk, *(const uint64_t *)p); break;
	case K_BOOL:
		if (*(const bool *)p)
			msgpack_pack_true(&w->pk);
		else
			msgpack_pack_false(&w->pk);
		break;
	case K_F64: msgpack_pack_double(&w->pk, *(const double *)p); break;
	case K_STR: {
		const char *s = *(const char *const *)p;
		size_t l = s ? strlen(s) : 0;
		msgpack_pack_str(&w->pk, l);
		msgpack_pack_str_body(&w->pk, s ? s : "", l);
		break;
	}
	case K_ENUM: {
		const char *s = f->enums[*(const int *)p];
		msgpack_pack_str(&w->pk, strlen(s));
		msgpack_pack_str_body(&w->pk, s, strlen(s));
		break;
	}
	case K_ADDR: pack_addr(w, (const struct ar_addr *)p); break;
	case K_PREFIX: {
		const struct ar_prefix *pf = (const struct ar_prefix *)p;
		pack_addr(w, &pf->a);
		pack_key(w, f->lenkey);
		msgpack_pack_uint8(&w->pk, pf->plen);
		break;
	}
	case K_ASPATH: pack_aspath(w, (const struct u32s *)p); break;
	case K_U32ARR:
	case K_COMM: pack_u32s(w, (const struct u32s *)p); break;
	case K_EXTCOMM: {
		const struct u64s *a = (const struct u64s *)p;
		msgpack_pack_array(&w->pk, a->n);
		for (uint32_t i = 0; i < a->n; i++)
			msgpack_pack_uint64(&w->pk, a->v[i]);
		break;
	}
	case K_LCOMM: {
		const struct u32s *a = (const struct u32s *)p;
		msgpack_pack_array(&w->pk, a->n / 3);
		for (uint32_t i = 0; i + 2 < a->n; i += 3) {
			msgpack_pack_array(&w->pk, 3);
			msgpack_pack_uint32(&w->pk, a->v[i]);
			msgpack_pack_uint32(&w->pk, a->v[i + 1]);
			msgpack_pack_uint32(&w->pk, a->v[i + 2]);
		}
		break;
	}
	}
}

static int write_packed(struct rec_writer *w, enum rec_type t, const void *base)
{
	const struct rec_schema *s = rec_schema(t);
	uint64_t has = *(const uint64_t *)base;

	rw_begin(w, s->name);
	for (unsigned i = 0; i < s->n; i++)
		if ((has >> i) & 1)
			pack_field(w, &s->f[i], base);
	return rw_end(w);
}

/* Room for n more bytes in the buffer (it is msgpack-c's, grown the way
 * msgpack_sbuffer_write() grows it, so it frees it the same way). */
static int reserve(struct rec_writer *w, size_t n)
{
	msgpack_sbuffer *b = &w->buf;
	if (b->alloc - b->size >= n)
		return 0;
	size_t cap = b->alloc ? b->alloc : MSGPACK_SBUFFER_INIT_SIZE;
	while (cap - b->size < n)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d)
		return -1;
	b->data = d;
	b->alloc = cap;
	return 0;
}

static int write_typed(struct rec_writer *w, enum rec_type t, const void *base)
{
	if (reserve(w, rec_encode_bound(t, base)) < 0)
		return write_packed(w, t, base);        /* let msgpack-c report it */
	w->buf.size += rec_encode((uint8_t *)w->buf.data + w->buf.size, t, base);
	return rw_counted(w);
}

int rw_typed_reference(struct rec_writer *w, const struct rec *r)
{
	const struct rec_schema *s = rec_schema(r->type);
	if (!s)
		return rw_raw(w, &r->obj);
	return write_packed(w, r->type, (const char *)r + s->union_off);
}

int rw_flow(struct rec_writer *w, const struct rec_flow *f) { return write_typed(w, REC_FLOW, f); }
int rw_counter(struct rec_writer *w, const struct rec_counter *c) { return write_typed(w, REC_COUNTER, c); }
int rw_route(struct rec_writer *w, const struct rec_route *r) { return write_typed(w, REC_ROUTE, r); }
int rw_peer(struct rec_writer *w, const struct rec_peer *p) { return write_typed(w, REC_PEER, p); }
int rw_sync(struct rec_writer *w, const struct rec_sync *s) { return write_typed(w, REC_SYNC, s); }
int rw_event(struct rec_writer *w, const struct rec_event *e) { return write_typed(w, REC_EVENT, e); }

int rw_typed(struct rec_writer *w, const struct rec *r)
{
	const struct rec_schema *s = rec_schema(r->type);
	if (!s)
		return rw_raw(w, &r->obj);
	return write_typed(w, r->type, (const char *)r + s->union_off);
}

uint8_t *rw_room(struct rec_writer *w, size_t n)
{
	if (reserve(w, n) < 0)
		return NULL;
	return (uint8_t *)w->buf.data + w->buf.size;
}

int rw_commit(struct rec_writer *w, size_t n)
{
	w->buf.size += n;
	return rw_counted(w);
}

int rw_bytes(struct rec_writer *w, const void *p, size_t len)
{
	msgpack_sbuffer_write(&w->buf, p, len);
	return rw_counted(w);
}

int rw_raw(struct rec_writer *w, const msgpack_object *obj)
{
	msgpack_pack_object(&w->pk, *obj);
	return rw_counted(w);
}

/* How much to write at once: 64 KiB, or half a pipe enlarged past twice
 * that (F_SETPIPE_SZ): each write wakes the reader, so a large pipe filled
 * in fewer, larger writes costs both sides fewer wakeups. Asked at the
 * first flush, when whoever opened the fd has sized its pipe. */
static size_t flush_size(int fd)
{
	int cap = fd >= 0 ? fcntl(fd, F_GETPIPE_SZ) : -1;

	return cap > 0 && (size_t)cap > 2 * RW_FLUSH_AT ? (size_t)cap / 2 : RW_FLUSH_AT;
}

/* One more record in the buffer: count it, flush past 64 KiB (see flush_size). */
static int rw_counted(struct rec_writer *w)
{
	w->records++;
	if (w->err) {
		errno = w->err;
		return -1;
	}
	if (rw_pending(w) < RW_FLUSH_AT)
		return 0;
	if (!w->flush_at)
		w->flush_at = flush_size(w->fd);
	if (rw_pending(w) >= w->flush_at && rw_flush(w) < 0)
		return -1;
	return 0;
}

int rw_replace_file(struct rec_writer *w, const char *path)
{
	char tmp[4096];
	size_t len;
	const char *p = rw_data(w, &len);
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t n = write(fd, p, len);
		if (close(fd) == 0 && n == (ssize_t)len && rename(tmp, path) == 0)
			rc = 0;
		else
			unlink(tmp);
	}
	rw_set_fd(w, -1);
	return rc;
}
