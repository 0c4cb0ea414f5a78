/* Path attributes of the routes we announce, built from route records
 * (4-byte AS form): the encode column of attrs.c's table; and their
 * rewrite for a 2-byte-AS peer (RFC 6793). */
#include <string.h>

#include "speaker.h"

/* Bytes of an AS path in segments form, asz bytes per AS; -1 if malformed. */
static long path_len(const uint32_t *v, uint32_t n, size_t asz, uint32_t prepend)
{
	long len = 0;
	uint32_t i = 0;

	/* enc_aspath() merges our AS into a leading sequence that has room */
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

int enc_origin(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	wr_u8(w, REC_HAS(r, ROUTE_ORIGIN) ? (uint8_t)r->origin : ORIGIN_IGP);
	return 1;
}

/* Our AS goes in front toward an external peer; into the first sequence
 * if it has room. */
int enc_aspath(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	uint32_t prepend = src->ibgp ? 0 : src->local_as;
	const uint32_t *v = REC_HAS(r, ROUTE_ASPATH) ? r->aspath.v : NULL;
	uint32_t n = REC_HAS(r, ROUTE_ASPATH) ? r->aspath.n : 0, i = 0;
	long plen = path_len(v, n, 4, prepend);

	if (plen < 0 || plen > 4000)
		return -1;
	if (prepend) {
		if (n >= 2 && v[0] == ASPATH_SEQUENCE && v[1] < 255) {
			wr_u8(w, ASPATH_SEQUENCE);
			wr_u8(w, (uint8_t)(v[1] + 1));
			wr_u32(w, prepend);
			for (uint32_t k = 0; k < v[1]; k++)
				wr_u32(w, v[2 + k]);
			i = 2 + v[1];
		} else {
			wr_u8(w, ASPATH_SEQUENCE);
			wr_u8(w, 1);
			wr_u32(w, prepend);
		}
	}
	while (i < n) {
		wr_u8(w, (uint8_t)v[i]);
		wr_u8(w, (uint8_t)v[i + 1]);
		for (uint32_t k = 0; k < v[i + 1]; k++)
			wr_u32(w, v[i + 2 + k]);
		i += 2 + v[i + 1];
	}
	return 1;
}

int enc_med(struct wr *w, const struct attr_src *src)
{
	if (!REC_HAS(src->r, ROUTE_MED))
		return 0;
	wr_u32(w, src->r->med);
	return 1;
}

/* RFC 4271 5.1.5: internal peers only, 100 unless the record says */
int enc_localpref(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	if (!src->ibgp)
		return 0;
	wr_u32(w, REC_HAS(r, ROUTE_LOCALPREF) ? r->localpref : 100);
	return 1;
}

int enc_atomic(struct wr *w, const struct attr_src *src)
{
	(void)w;
	return REC_HAS(src->r, ROUTE_ATOMIC) && src->r->atomic;
}

int enc_aggregator(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	if (!REC_HAS(r, ROUTE_AGGAS) || !REC_HAS(r, ROUTE_AGGID) || r->aggid.af != AR_AF4)
		return 0;
	wr_u32(w, r->aggas);
	wr_bytes(w, r->aggid.b, 4);
	return 1;
}

int enc_communities(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	if (!REC_HAS(r, ROUTE_COMMUNITIES) || !r->communities.n)
		return 0;
	for (uint32_t i = 0; i < r->communities.n; i++)
		wr_u32(w, r->communities.v[i]);
	return 1;
}

int enc_extcommunities(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	if (!REC_HAS(r, ROUTE_EXTCOMMUNITIES) || !r->extcommunities.n)
		return 0;
	for (uint32_t i = 0; i < r->extcommunities.n; i++)
		wr_u64(w, r->extcommunities.v[i]);
	return 1;
}

int enc_lcommunities(struct wr *w, const struct attr_src *src)
{
	const struct rec_route *r = src->r;
	uint32_t n = r->lcommunities.n / 3 * 3;
	if (!REC_HAS(r, ROUTE_LCOMMUNITIES) || n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		wr_u32(w, r->lcommunities.v[i]);
	return 1;
}

/* RFC 6793 4.2.2: toward a 2-byte speaker, AS_PATH carries AS_TRANS for
 * every 4-byte AS and AS4_PATH the real path; AGGREGATOR likewise. The
 * input is our own well-formed encoding. */
size_t attrs_to_as2(uint8_t *out, size_t cap, const uint8_t *in, size_t len)
{
	struct wr w = wr_init(out, cap);
	struct rd r = rd_init(in, len);
	bool wide = false;

	while (rd_left(&r) > 0) {
		uint8_t flags, type, l8;
		uint16_t alen;
		struct rd v;

		if (rd_u8(&r, &flags) < 0 || rd_u8(&r, &type) < 0)
			goto bad_len;
		if (flags & BAF_EXTLEN) {
			if (rd_u16(&r, &alen) < 0)
				goto bad_len;
		} else {
			if (rd_u8(&r, &l8) < 0)
				goto bad_len;
			alen = l8;
		}
		if (rd_sub(&r, alen, &v) < 0)
			goto bad_len;
		if (type == ATTR_AS_PATH) {
			/* 2-byte form: segment headers stay, each AS halves */
			struct rd p = v, q = v;
			size_t nlen = 0;
			while (rd_left(&q) > 0) {
				uint8_t st, sc;
				if (rd_u8(&q, &st) < 0 || rd_u8(&q, &sc) < 0 || rd_skip(&q, sc * 4u) < 0)
					goto bad_len;
				nlen += 2 + sc * 2u;
			}
			attr_hdr(&w, flags & ~BAF_EXTLEN, type, nlen);
			while (rd_left(&p) > 0) {
				uint8_t st = 0, sc = 0;
				/* checked by the walk above */
				if (rd_u8(&p, &st) < 0 || rd_u8(&p, &sc) < 0)
					goto bad_len;
				wr_u8(&w, st);
				wr_u8(&w, sc);
				for (unsigned k = 0; k < sc; k++) {
					uint32_t as = 0;
					if (rd_u32(&p, &as) < 0)
						goto bad_len;
					if (as > 0xffff)
						wide = true;
					wr_u16(&w, as > 0xffff ? AS_TRANS : (uint16_t)as);
				}
			}
			if (wide) {
				attr_hdr(&w, BAF_OPTIONAL | BAF_TRANSITIVE, ATTR_AS4_PATH, alen);
				wr_bytes(&w, v.p, alen);
			}
		} else if (type == ATTR_AGGREGATOR && alen == 8) {
			uint32_t as, id;
			if (rd_u32(&v, &as) < 0 || rd_u32(&v, &id) < 0)
				goto bad_len;
			attr_hdr(&w, flags, type, 6);
			wr_u16(&w, as > 0xffff ? AS_TRANS : (uint16_t)as);
			wr_u32(&w, id);
			if (as > 0xffff) {
				attr_hdr(&w, BAF_OPTIONAL | BAF_TRANSITIVE, ATTR_AS4_AGGREGATOR, 8);
				wr_u32(&w, as);
				wr_u32(&w, id);
			}
		} else {
			attr_hdr(&w, flags & ~BAF_EXTLEN, type, alen);
			wr_bytes(&w, v.p, alen);
		}
	}
	return wr_len(&w);
bad_len:
	return 0;
}
