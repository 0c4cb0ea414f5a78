/* Record reader: frames msgpack values with a bounded scan (no allocation
 * sized by the input), then unpacks each whole value with msgpack-c. Bytes
 * that are not msgpack are skipped one at a time until a value parses again. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rd.h"
#include "rec-schema.h"

#define RR_READ_CHUNK (256u * 1024)

struct rec_reader {
	int fd;
	char *name;
	uint8_t *buf;
	size_t start, end, cap;
	uint64_t base_off;      /* stream offset of buf[0] */
	uint64_t last_off;
	msgpack_zone zone;
	bool in_garbage;        /* inside a run of skipped bytes */
	bool at_eof;            /* input ended: a partial value is truncated */
	bool quiet;
	bool keep_raw;          /* fill rec.obj (slower: builds msgpack objects) */
	uint64_t *want;         /* fields decoded by type (rr_want); NULL: all */
	struct rr_stats st;
	struct log_rl rl;
};

static const char *const bad_names[RR_BAD_N] = {
	[RR_BAD_SYNTAX] = "not msgpack",
	[RR_BAD_NOTMAP] = "not a map",
	[RR_BAD_NOTYPE] = "no type",
	[RR_BAD_FIELD] = "bad field",
	[RR_BAD_MISSING] = "missing field",
	[RR_BAD_TOOBIG] = "too big",
	[RR_BAD_TRUNC] = "truncated",
};

const char *rr_bad_name(int reason)
{
	return reason >= 0 && reason < RR_BAD_N ? bad_names[reason] : "?";
}

struct rec_reader *rr_new(int fd, const char *name)
{
	struct rec_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = fd;
	r->name = strdup(name ? name : "input");
	r->cap = RR_READ_CHUNK * 2;
	r->buf = malloc(r->cap);
	if (!r->name || !r->buf || !msgpack_zone_init(&r->zone, 8192)) {
		free(r->name);
		free(r->buf);
		free(r);
		return NULL;
	}
	return r;
}

void rr_free(struct rec_reader *r)
{
	if (!r)
		return;
	msgpack_zone_destroy(&r->zone);
	free(r->want);
	free(r->buf);
	free(r->name);
	free(r);
}

int rr_fd(const struct rec_reader *r) { return r->fd; }
const struct rr_stats *rr_stats(const struct rec_reader *r) { return &r->st; }
uint64_t rr_offset(const struct rec_reader *r) { return r->last_off; }

const uint8_t *rr_last_bytes(const struct rec_reader *r, size_t *len)
{
	size_t at = (size_t)(r->last_off - r->base_off);
	*len = at <= r->start ? r->start - at : 0;
	return r->buf + at;
}
void rr_set_quiet(struct rec_reader *r, bool quiet) { r->quiet = quiet; }
void rr_keep_raw(struct rec_reader *r, bool keep) { r->keep_raw = keep; }

int rr_want(struct rec_reader *r, enum rec_type t, uint64_t fields)
{
	const struct rec_schema *s = rec_schema(t);
	uint64_t required, prefixes;

	if (!s)
		return -1;
	if (!r->want) {
		if (!(r->want = malloc(REC_NTYPES * sizeof(*r->want))))
			return -1;
		for (int i = 0; i < REC_NTYPES; i++)
			r->want[i] = UINT64_MAX;
	}
	rec_schema_masks(s, &required, &prefixes);
	r->want[t] = fields | required;
	return 0;
}

static void count_bad(struct rec_reader *r, int reason, uint64_t off, const char *key)
{
	r->st.bad[reason]++;
	if (r->quiet)
		return;
	if (key)
		log_rl(&r->rl, LOG_WARN, "%s: malformed record at byte %llu: %s (%s), skipped",
		       r->name, (unsigned long long)off, bad_names[reason], key);
	else
		log_rl(&r->rl, LOG_WARN, "%s: malformed record at byte %llu: %s, skipped",
		       r->name, (unsigned long long)off, bad_names[reason]);
}

void rr_eof(struct rec_reader *r)
{
	if (r->end > r->start)
		r->at_eof = true;
}

void rr_set_fd(struct rec_reader *r, int fd)
{
	if (r->end > r->start)
		count_bad(r, RR_BAD_TRUNC, r->base_off + r->start, NULL);
	r->base_off += r->end;
	r->start = r->end = 0;
	r->in_garbage = false;
	r->at_eof = false;
	r->fd = fd;
}

static int make_room(struct rec_reader *r, size_t want)
{
	if (r->start > 0 && (r->cap - r->end < want || r->start == r->end)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base_off += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end >= want)
		return 0;
	size_t ncap = r->cap * 2;
	uint8_t *nb = realloc(r->buf, ncap);
	if (!nb)
		return -1;
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

ssize_t rr_fill(struct rec_reader *r)
{
	if (make_room(r, RR_READ_CHUNK) < 0) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			r->end += (size_t)n;
			r->st.bytes += (uint64_t)n;
		}
		return n;
	}
}

int rr_feed(struct rec_reader *r, const void *p, size_t n)
{
	if (make_room(r, n) < 0)
		return -1;
	memcpy(r->buf + r->end, p, n);
	r->end += n;
	r->st.bytes += n;
	return 0;
}

/* Iterative over a stack of "values still to skip" per nesting level, so
 * depth costs no C stack and is bounded like msgpack-c's own unpacker. */
long rec_scan_value(const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);
	uint64_t pending[RR_MAX_DEPTH + 1];
	unsigned level = 0;

	pending[0] = 1;
	for (;;) {
		while (pending[level] == 0) {
			if (level == 0)
				return (long)(n - rd_left(&r));
			level--;
		}
		pending[level]--;

		uint8_t t;
		uint64_t len = 0, add = 0;
		if (rd_u8(&r, &t) < 0)
			return 0;
		if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
			continue;
		if ((t & 0xf0) == 0x80) {
			add = 2u * (t & 0x0f);
		} else if ((t & 0xf0) == 0x90) {
			add = t & 0x0f;
		} else if ((t & 0xe0) == 0xa0) {
			len = t & 0x1f;
		} else {
			uint8_t u8;
			uint16_t u16;
			uint32_t u32;
			switch (t) {
			case 0xc4: case 0xd9: if (rd_u8(&r, &u8) < 0) return 0; len = u8; break;
			case 0xc5: case 0xda: if (rd_u16(&r, &u16) < 0) return 0; len = u16; break;
			case 0xc6: case 0xdb: if (rd_u32(&r, &u32) < 0) return 0; len = u32; break;
			case 0xc7: if (rd_u8(&r, &u8) < 0) return 0; len = (uint64_t)u8 + 1; break;
			case 0xc8: if (rd_u16(&r, &u16) < 0) return 0; len = (uint64_t)u16 + 1; break;
			case 0xc9: if (rd_u32(&r, &u32) < 0) return 0; len = (uint64_t)u32 + 1; break;
			case 0xca: len = 4; break;
			case 0xcb: len = 8; break;
			case 0xcc: case 0xd0: len = 1; break;
			case 0xcd: case 0xd1: len = 2; break;
			case 0xce: case 0xd2: len = 4; break;
			case 0xcf: case 0xd3: len = 8; break;
			case 0xd4: len = 2; break;
			case 0xd5: len = 3; break;
			case 0xd6: len = 5; break;
			case 0xd7: len = 9; break;
			case 0xd8: len = 17; break;
			case 0xdc: if (rd_u16(&r, &u16) < 0) return 0; add = u16; break;
			case 0xdd: if (rd_u32(&r, &u32) < 0) return 0; add = u32; break;
			case 0xde: if (rd_u16(&r, &u16) < 0) return 0; add = 2u * u16; break;
			case 0xdf: if (rd_u32(&r, &u32) < 0) return 0; add = 2u * (uint64_t)u32; break;
			default: return -1;     /* 0xc1: never used */
			}
		}
		if (len > RR_MAX_RECORD || add > RR_MAX_RECORD)
			return -2;
		if (rd_skip(&r, (size_t)len) < 0)
			return 0;
		if (n - rd_left(&r) > RR_MAX_RECORD)
			return -2;
		/* msgpack-c's unpacker counts an empty container as a level too */
		bool container = (t & 0xe0) == 0x80 || (t >= 0xdc && t <= 0xdf);
		if (container && level == RR_MAX_DEPTH)
			return -1;
		if (add)
			pending[++level] = add;
	}
}

static int keep_raw(struct rec_reader *r, const uint8_t *p, size_t len, struct rec *out,
		    uint64_t off)
{
	size_t uoff = 0;
	if (msgpack_unpack((const char *)p, len, &uoff, &r->zone, &out->obj) < 0) {
		count_bad(r, RR_BAD_SYNTAX, off, NULL);
		return -1;
	}
	return 0;
}

int rr_next(struct rec_reader *r, struct rec *out)
{
	while (r->end > r->start) {
		const uint8_t *p = r->buf + r->start;
		size_t avail = r->end - r->start;
		uint64_t off = r->base_off + r->start;
		size_t used;

		msgpack_zone_clear(&r->zone);
		if (rec_decode_fast(p, avail, out, &r->zone, &used, r->want) == 0) {
			r->in_garbage = false;
			r->start += used;
			r->last_off = off;
			if (r->keep_raw && keep_raw(r, p, used, out, off) < 0)
				continue;
			r->st.records++;
			return 1;
		}
		long len = rec_scan_value(p, avail);

		if (len == 0) {
			if (r->at_eof)
				len = -3;       /* cut short: resync on what follows */
			else if (avail >= RR_MAX_RECORD + 16)
				len = -2;
			else
				return 0;
		}
		if (len < 0) {
			static const int reason[] = { RR_BAD_SYNTAX, RR_BAD_TOOBIG, RR_BAD_TRUNC };
			if (!r->in_garbage)
				count_bad(r, reason[-len - 1], off, NULL);
			r->in_garbage = true;
			r->start++;
			continue;
		}
		/* Records are maps: anything else is garbage, skipped byte by byte
		 * with the run counted once, so a map inside it is found again. */
		if (!((p[0] & 0xf0) == 0x80 || p[0] == 0xde || p[0] == 0xdf)) {
			if (!r->in_garbage)
				count_bad(r, RR_BAD_NOTMAP, off, NULL);
			r->in_garbage = true;
			r->start++;
			continue;
		}
		r->in_garbage = false;
		r->start += (size_t)len;
		r->last_off = off;

		int bad;
		const char *badkey;
		msgpack_zone_clear(&r->zone);
		if (rec_decode_bytes_want(p, (size_t)len, out, &r->zone, &bad, &badkey, r->want) < 0) {
			count_bad(r, bad, off, badkey);
			continue;
		}
		if (r->keep_raw && keep_raw(r, p, (size_t)len, out, off) < 0)
			continue;
		if (out->type == REC_UNKNOWN)
			r->st.unknown++;
		else
			r->st.records++;
		return 1;
	}
	r->at_eof = false;
	r->in_garbage = false;
	return 0;
}

int rr_reopen(struct rec_reader *r, const char *path)
{
	int fd = rec_open_input(path, true), err = errno;

	if (r->fd > 0)
		close(r->fd);
	rr_set_fd(r, fd < 0 ? -1 : fd);
	errno = err;
	return fd;
}

int rr_rewatch(struct rec_reader *r, const char *path, struct ev_loop *l, ev_fd_fn *fn,
	       void *arg)
{
	int fd = rr_reopen(r, path);

	if (fd < 0) {
		log_err("cannot reopen %s: %s", path, strerror(errno));
		return -1;
	}
	ev_fd_add(l, fd, POLLIN, fn, arg);
	return fd;
}

int rec_open_input(const char *path, bool nonblock)
{
	if (strcmp(path, "-") == 0) {
		if (nonblock)
			fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		return 0;
	}
	return open(path, O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
}

int rec_open_output(const char *path, bool nonblock)
{
	if (strcmp(path, "-") == 0) {
		if (nonblock)
			fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
		return 1;
	}
	return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0), 0644);
}
