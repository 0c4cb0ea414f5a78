/* Path attributes of the routes we announce, built from route records
 * (4-byte AS form), and their rewrite for a 2-byte-AS peer (RFC 6793). */
#include <string.h>

#include "speaker.h"

struct wbuf {
	uint8_t *p;
	size_t cap, n;
	bool full;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->full || w->cap - w->n < n) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->n, d, n);
	w->n += n;
}

static void put8(struct wbuf *w, uint8_t v) { put(w, &v, 1); }
static void put16(struct wbuf *w, uint16_t v) { uint8_t b[2] = { v >> 8, v & 0xff }; put(w, b, 2); }
static void put32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
	put(w, b, 4);
}

/* Attribute header; extended length when the value may pass 255 bytes. */
static void hdr(struct wbuf *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 255) {
		put8(w, flags | AF_EXTLEN);
		put8(w, type);
		put16(w, (uint16_t)len);
	} else {
		put8(w, flags);
		put8(w, type);
		put8(w, (uint8_t)len);
	}
}

/* Bytes of an AS path in segments form, asz bytes per AS; -1 if malformed. */
static long path_len(const uint32_t *v, uint32_t n, size_t asz, uint32_t prepend)
{
	long len = 0;
	uint32_t i = 0;

	/* put_path() merges our AS into a leading sequence that has room */
	if (prepend)
		len = n >= 2 && v[0] == ASPATH_SEQUENCE && v[1] < 255 ? (long)asz : 2 + (long)asz;

	while (i < n) {
		if (i + 2 > n || v[i + 1] == 0 || v[i + 1] > 255 || i + 2 + v[i + 1] > n ||
		    (v[i] != ASPATH_SET && v[i] != ASPATH_SEQUENCE))
			return -1;
		len += 2 + (long)(v[i + 1] * asz);
		i += 2 + v[i + 1];
	}
	return len;
}

static void put_path(struct wbuf *w, const uint32_t *v, uint32_t n, uint32_t prepend)
{
	uint32_t i = 0;

	/* our AS goes in front; into the first sequence if it has room */
	if (prepend) {
		if (n >= 2 && v[0] == ASPATH_SEQUENCE && v[1] < 255) {
			put8(w, ASPATH_SEQUENCE);
			put8(w, (uint8_t)(v[1] + 1));
			put32(w, prepend);
			for (uint32_t k = 0; k < v[1]; k++)
				put32(w, v[2 + k]);
			i = 2 + v[1];
		} else {
			put8(w, ASPATH_SEQUENCE);
			put8(w, 1);
			put32(w, prepend);
		}
	}
	while (i < n) {
		put8(w, (uint8_t)v[i]);
		put8(w, (uint8_t)v[i + 1]);
		for (uint32_t k = 0; k < v[i + 1]; k++)
			put32(w, v[i + 2 + k]);
		i += 2 + v[i + 1];
	}
}

size_t attrs_encode(uint8_t *buf, size_t cap, const struct rec_route *r,
		    uint32_t local_as, bool ibgp)
{
	struct wbuf w = { buf, cap, 0, false };
	uint32_t prepend = ibgp ? 0 : local_as;
	const uint32_t *pv = REC_HAS(r, ROUTE_ASPATH) ? r->aspath.v : NULL;
	uint32_t pn = REC_HAS(r, ROUTE_ASPATH) ? r->aspath.n : 0;
	long plen = path_len(pv, pn, 4, prepend);

	if (plen < 0 || plen > 4000)
		return 0;
	/* RFC 4271 5: in type code order */
	hdr(&w, AF_TRANSITIVE, ATTR_ORIGIN, 1);
	put8(&w, REC_HAS(r, ROUTE_ORIGIN) ? (uint8_t)r->origin : ORIGIN_IGP);
	hdr(&w, AF_TRANSITIVE, ATTR_AS_PATH, (size_t)plen);
	put_path(&w, pv, pn, prepend);
	if (REC_HAS(r, ROUTE_MED)) {
		hdr(&w, AF_OPTIONAL, ATTR_MED, 4);
		put32(&w, r->med);
	}
	if (ibgp) {
		hdr(&w, AF_TRANSITIVE, ATTR_LOCAL_PREF, 4);
		put32(&w, REC_HAS(r, ROUTE_LOCALPREF) ? r->localpref : 100);
	}
	if (REC_HAS(r, ROUTE_ATOMIC) && r->atomic)
		hdr(&w, AF_TRANSITIVE, ATTR_ATOMIC_AGGR, 0);
	if (REC_HAS(r, ROUTE_AGGAS) && REC_HAS(r, ROUTE_AGGID) && r->aggid.af == AR_AF4) {
		hdr(&w, AF_OPTIONAL | AF_TRANSITIVE, ATTR_AGGREGATOR, 8);
		put32(&w, r->aggas);
		put(&w, r->aggid.b, 4);
	}
	if (REC_HAS(r, ROUTE_COMMUNITIES) && r->communities.n) {
		hdr(&w, AF_OPTIONAL | AF_TRANSITIVE, ATTR_COMMUNITIES, r->communities.n * 4u);
		for (uint32_t i = 0; i < r->communities.n; i++)
			put32(&w, r->communities.v[i]);
	}
	if (REC_HAS(r, ROUTE_LCOMMUNITIES) && r->lcommunities.n >= 3) {
		uint32_t n = r->lcommunities.n / 3 * 3;
		hdr(&w, AF_OPTIONAL | AF_TRANSITIVE, ATTR_LARGE_COMMUNITIES, n * 4u);
		for (uint32_t i = 0; i < n; i++)
			put32(&w, r->lcommunities.v[i]);
	}
	return w.full ? 0 : w.n;
}

/* RFC 6793 4.2.2: toward a 2-byte speaker, AS_PATH carries AS_TRANS for
 * every 4-byte AS and AS4_PATH the real path; AGGREGATOR likewise. The
 * input is our own well-formed encoding. */
size_t attrs_to_as2(uint8_t *out, size_t cap, const uint8_t *in, size_t len)
{
	struct wbuf w = { out, cap, 0, false };
	struct rd r = rd_init(in, len);
	bool wide = false;

	while (rd_left(&r) > 0) {
		uint8_t flags, type, l8;
		uint16_t alen;
		struct rd v;

		if (rd_u8(&r, &flags) || rd_u8(&r, &type))
			goto bad_len;
		if (flags & AF_EXTLEN) {
			if (rd_u16(&r, &alen))
				goto bad_len;
		} else {
			if (rd_u8(&r, &l8))
				goto bad_len;
			alen = l8;
		}
		if (rd_sub(&r, alen, &v))
			goto bad_len;
		if (type == ATTR_AS_PATH) {
			/* 2-byte form: segment headers stay, each AS halves */
			struct rd p = v, q = v;
			size_t nlen = 0;
			while (rd_left(&q) > 0) {
				uint8_t st, sc;
				if (rd_u8(&q, &st) || rd_u8(&q, &sc) || rd_skip(&q, sc * 4u))
					goto bad_len;
				nlen += 2 + sc * 2u;
			}
			hdr(&w, flags & ~AF_EXTLEN, type, nlen);
			while (rd_left(&p) > 0) {
				uint8_t st = 0, sc = 0;
				/* checked by the walk above */
				if (rd_u8(&p, &st) || rd_u8(&p, &sc))
					goto bad_len;
				put8(&w, st);
				put8(&w, sc);
				for (unsigned k = 0; k < sc; k++) {
					uint32_t as = 0;
					if (rd_u32(&p, &as))
						goto bad_len;
					if (as > 0xffff)
						wide = true;
					put16(&w, as > 0xffff ? AS_TRANS : (uint16_t)as);
				}
			}
			if (wide) {
				hdr(&w, AF_OPTIONAL | AF_TRANSITIVE, ATTR_AS4_PATH, alen);
				put(&w, v.p, alen);
			}
		} else if (type == ATTR_AGGREGATOR && alen == 8) {
			uint32_t as, id;
			rd_u32(&v, &as);
			rd_u32(&v, &id);
			hdr(&w, flags, type, 6);
			put16(&w, as > 0xffff ? AS_TRANS : (uint16_t)as);
			put32(&w, id);
			if (as > 0xffff) {
				hdr(&w, AF_OPTIONAL | AF_TRANSITIVE, ATTR_AS4_AGGREGATOR, 8);
				put32(&w, as);
				put32(&w, id);
			}
		} else {
			hdr(&w, flags & ~AF_EXTLEN, type, alen);
			put(&w, v.p, alen);
		}
	}
	return w.full ? 0 : w.n;
bad_len:
	return 0;
}
