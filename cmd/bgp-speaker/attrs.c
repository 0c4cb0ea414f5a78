/* Path attributes: one table indexed by type code (name, flags, RFC 7606
 * action, decode, encode: BIRD's bgp_attr_table shape), the decoder of the
 * attribute block with RFC 7606 revised error handling, and the encoder of
 * the attributes of an announced route. */
#include <stdio.h>
#include <string.h>

#include "bgp.h"

typedef int attr_decode_fn(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			   const struct bgp_ctx *c);

struct attr_desc {
	const char *name;       /* NULL: a type we do not know */
	uint8_t flags;          /* expected optional + transitive bits */
	enum attr_act act;      /* when malformed (RFC 7606 7.x) */
	attr_decode_fn *decode;
	attr_encode_fn *encode; /* from a route record; NULL: never announced */
};

static int get_u32(struct rd *v, uint32_t *x)
{
	if (rd_left(v) != 4 || rd_u32(v, x) < 0)
		return -1;
	return 0;
}

/* RFC 7606 7.1: length 1, value 0..2 */
static int dec_origin(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		      const struct bgp_ctx *c)
{
	(void)s; (void)c;
	if (rd_left(v) != 1 || rd_u8(v, &a->origin) < 0 || a->origin > 2)
		return -1;
	return 0;
}

/* Segments into u32s [type, count, as...]; asz is 2 or 4 bytes per AS.
 * RFC 7606 7.2: a bad segment type, a zero count or an overrun is malformed. */
static int dec_path(struct rd *v, struct u32s *out, uint32_t *buf, size_t cap, int asz)
{
	out->v = buf;
	out->n = 0;
	while (rd_left(v) > 0) {
		uint8_t type, cnt;
		if (rd_u8(v, &type) < 0 || rd_u8(v, &cnt) < 0)
			return -1;
		if ((type != ASPATH_SET && type != ASPATH_SEQUENCE) || cnt == 0)
			return -1;
		if (rd_left(v) < (size_t)cnt * asz || out->n + 2 + cnt > cap)
			return -1;
		buf[out->n++] = type;
		buf[out->n++] = cnt;
		for (unsigned i = 0; i < cnt; i++) {
			uint16_t a16;
			uint32_t a32;
			if (asz == 2) {
				if (rd_u16(v, &a16) < 0)
					return -1;
				a32 = a16;
			} else if (rd_u32(v, &a32) < 0) {
				return -1;
			}
			buf[out->n++] = a32;
		}
	}
	return 0;
}

static int dec_aspath(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		      const struct bgp_ctx *c)
{
	return dec_path(v, &a->aspath, s->aspath, sizeof s->aspath / 4, c->as4 ? 4 : 2);
}

/* RFC 6793 6: a malformed AS4_PATH is discarded. */
static int dec_as4path(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		       const struct bgp_ctx *c)
{
	(void)c;
	return dec_path(v, &a->as4path, s->as4path, sizeof s->as4path / 4, 4);
}

/* RFC 7606 7.3 */
static int dec_nexthop(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		       const struct bgp_ctx *c)
{
	(void)s; (void)c;
	if (rd_left(v) != 4)
		return -1;
	return addr_from_bytes(&a->nexthop, v->p, 4);
}

static int dec_med(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		   const struct bgp_ctx *c)
{
	(void)s; (void)c;
	return get_u32(v, &a->med);
}

static int dec_localpref(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			 const struct bgp_ctx *c)
{
	(void)s;
	if (get_u32(v, &a->localpref))
		return -1;
	if (!c->ibgp)   /* RFC 7606 7.5: ignored from an external peer */
		a->seen &= ~((uint64_t)1 << ATTR_LOCAL_PREF);
	return 0;
}

/* RFC 7606 7.6: attribute discard when the length is not 0 */
static int dec_atomic(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
		      const struct bgp_ctx *c)
{
	(void)s; (void)c;
	if (rd_left(v) != 0)
		return -1;
	a->atomic = true;
	return 0;
}

/* RFC 7606 7.7: 6 bytes with 2-byte AS, 8 with 4-byte AS */
static int dec_aggregator(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			  const struct bgp_ctx *c)
{
	uint16_t as16;
	(void)s;
	if (c->as4) {
		if (rd_left(v) != 8 || rd_u32(v, &a->aggas) < 0)
			return -1;
	} else {
		if (rd_left(v) != 6 || rd_u16(v, &as16) < 0)
			return -1;
		a->aggas = as16;
	}
	return rd_u32(v, &a->aggid) < 0 ? -1 : 0;
}

static int dec_as4aggregator(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			     const struct bgp_ctx *c)
{
	(void)s; (void)c;
	if (rd_left(v) != 8 || rd_u32(v, &a->as4aggas) < 0 || rd_u32(v, &a->as4aggid) < 0)
		return -1;
	return 0;
}

/* A list of n-byte items, length a non-zero multiple of unit (RFC 7606 7.8,
 * 7.10, RFC 8092 5). */
static int dec_u32list(struct rd *v, struct u32s *out, uint32_t *buf, size_t cap,
		       size_t unit)
{
	size_t n = rd_left(v);
	if (n == 0 || n % unit != 0 || n / 4 > cap)
		return -1;
	out->v = buf;
	out->n = 0;
	while (rd_left(v) > 0)
		if (rd_u32(v, &buf[out->n++]) < 0)
			return -1;
	return 0;
}

static int dec_communities(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			   const struct bgp_ctx *c)
{
	(void)c;
	return dec_u32list(v, &a->communities, s->comm, sizeof s->comm / 4, 4);
}

static int dec_lcommunities(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			    const struct bgp_ctx *c)
{
	(void)c;
	return dec_u32list(v, &a->lcommunities, s->lcomm, sizeof s->lcomm / 4, 12);
}

/* RFC 7606 7.14: a length not a non-zero multiple of 8 is treat-as-withdraw */
static int dec_extcommunities(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			      const struct bgp_ctx *c)
{
	size_t n = rd_left(v);
	(void)c;
	if (n == 0 || n % 8 != 0 || n / 8 > sizeof s->ecomm / 8)
		return -1;
	a->extcommunities.v = s->ecomm;
	a->extcommunities.n = 0;
	while (rd_left(v) > 0)
		if (rd_u64(v, &s->ecomm[a->extcommunities.n++]) < 0)
			return -1;
	return 0;
}

static int dec_clusterlist(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			   const struct bgp_ctx *c)
{
	(void)c;
	return dec_u32list(v, &a->clusterlist, s->cluster, sizeof s->cluster / 4, 4);
}

static int dec_originator(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			  const struct bgp_ctx *c)
{
	(void)s; (void)c;
	return get_u32(v, &a->originator);
}

/* RFC 4760 3; RFC 2545 3: an IPv6 next hop is global, or global + link-local.
 * The NLRI are walked later, by update.c. */
static int dec_mp_reach(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			const struct bgp_ctx *c)
{
	uint8_t nhlen, res;
	struct rd nh;
	(void)s; (void)c;

	if (rd_u16(v, &a->reach_afi) < 0 || rd_u8(v, &a->reach_safi) < 0 || rd_u8(v, &nhlen) < 0 ||
	    rd_sub(v, nhlen, &nh) < 0 || rd_u8(v, &res) < 0)
		return -1;
	memset(&a->mp_nh, 0, sizeof a->mp_nh);
	memset(&a->mp_nhll, 0, sizeof a->mp_nhll);
	if (a->reach_afi == AFI_IPV6 && nhlen == 16) {
		addr_from_bytes(&a->mp_nh, nh.p, 16);
	} else if (a->reach_afi == AFI_IPV6 && nhlen == 32) {
		addr_from_bytes(&a->mp_nh, nh.p, 16);
		addr_from_bytes(&a->mp_nhll, nh.p + 16, 16);
	} else if (a->reach_afi == AFI_IPV4 && nhlen == 4) {
		addr_from_bytes(&a->mp_nh, nh.p, 4);
	} else if (a->reach_afi == AFI_IPV4 || a->reach_afi == AFI_IPV6) {
		if (a->reach_safi == SAFI_UNICAST)
			return -1;      /* RFC 7606 7.11: next hop length inconsistent */
	}
	a->reach_nlri = *v;
	a->mp_reach = true;
	return 0;
}

static int dec_mp_unreach(struct rd *v, struct bgp_attrs *a, struct bgp_scratch *s,
			  const struct bgp_ctx *c)
{
	(void)s; (void)c;
	if (rd_u16(v, &a->unreach_afi) < 0 || rd_u8(v, &a->unreach_safi) < 0)
		return -1;
	a->unreach_nlri = *v;
	a->mp_unreach = true;
	return 0;
}

#define WK 0                            /* well-known: transitive, not optional */
#define WKT BAF_TRANSITIVE
#define OPT BAF_OPTIONAL                 /* optional non-transitive */
#define OPTT (BAF_OPTIONAL | BAF_TRANSITIVE)

/* RFC 7606 7: what to do with each malformed attribute; RFC 4271 5: the
 * encoder writes them in type code order, the table's. */
static const struct attr_desc attr_table[256] = {
	[ATTR_ORIGIN] =       { "ORIGIN",          WKT,  ACT_WITHDRAW, dec_origin, enc_origin },
	[ATTR_AS_PATH] =      { "AS_PATH",         WKT,  ACT_WITHDRAW, dec_aspath, enc_aspath },
	[ATTR_NEXT_HOP] =     { "NEXT_HOP",        WKT,  ACT_WITHDRAW, dec_nexthop, NULL },
	[ATTR_MED] =          { "MULTI_EXIT_DISC", OPT,  ACT_WITHDRAW, dec_med, enc_med },
	[ATTR_LOCAL_PREF] =   { "LOCAL_PREF",      WKT,  ACT_WITHDRAW, dec_localpref, enc_localpref },
	[ATTR_ATOMIC_AGGR] =  { "ATOMIC_AGGREGATE", WKT, ACT_DISCARD,  dec_atomic, enc_atomic },
	[ATTR_AGGREGATOR] =   { "AGGREGATOR",      OPTT, ACT_DISCARD,  dec_aggregator, enc_aggregator },
	[ATTR_COMMUNITIES] =  { "COMMUNITIES",     OPTT, ACT_WITHDRAW, dec_communities, enc_communities },
	[ATTR_ORIGINATOR_ID] = { "ORIGINATOR_ID",  OPT,  ACT_WITHDRAW, dec_originator, NULL },
	[ATTR_CLUSTER_LIST] = { "CLUSTER_LIST",    OPT,  ACT_WITHDRAW, dec_clusterlist, NULL },
	/* RFC 7606 7.11: a malformed MP attribute resets the session */
	[ATTR_MP_REACH] =     { "MP_REACH_NLRI",   OPT,  ACT_RESET,    dec_mp_reach, NULL },
	[ATTR_MP_UNREACH] =   { "MP_UNREACH_NLRI", OPT,  ACT_RESET,    dec_mp_unreach, NULL },
	[ATTR_EXT_COMMUNITIES] = { "EXTENDED_COMMUNITIES", OPTT, ACT_WITHDRAW, dec_extcommunities,
				   enc_extcommunities },
	[ATTR_AS4_PATH] =     { "AS4_PATH",        OPTT, ACT_DISCARD,  dec_as4path, NULL },
	[ATTR_AS4_AGGREGATOR] = { "AS4_AGGREGATOR", OPTT, ACT_DISCARD, dec_as4aggregator, NULL },
	[ATTR_LARGE_COMMUNITIES] = { "LARGE_COMMUNITIES", OPTT, ACT_WITHDRAW, dec_lcommunities,
				     enc_lcommunities },
};

static const struct attr_desc *attr_find(uint8_t type)
{
	return attr_table[type].name ? &attr_table[type] : NULL;
}

const char *attr_name(uint8_t type)
{
	const struct attr_desc *d = attr_find(type);
	return d ? d->name : "unknown";
}

/* Attribute header; extended length when the value passes 255 bytes. */
void attr_hdr(struct wr *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 255) {
		wr_u8(w, flags | BAF_EXTLEN);
		wr_u8(w, type);
		wr_u16(w, (uint16_t)len);
	} else {
		wr_u8(w, flags);
		wr_u8(w, type);
		wr_u8(w, (uint8_t)len);
	}
}

size_t attrs_encode(uint8_t *buf, size_t cap, const struct rec_route *r,
		    uint32_t local_as, bool ibgp)
{
	struct wr w = wr_init(buf, cap);
	const struct attr_src src = { r, local_as, ibgp };
	uint8_t vbuf[BGP_MAX_LEN];

	for (unsigned t = 1; t < 256; t++) {
		const struct attr_desc *d = &attr_table[t];
		struct wr v = wr_init(vbuf, sizeof vbuf);
		int rc;

		if (!d->encode)
			continue;
		rc = d->encode(&v, &src);
		if (rc < 0 || v.full)
			return 0;
		if (rc == 0)
			continue;
		attr_hdr(&w, d->flags, (uint8_t)t, v.n);
		wr_bytes(&w, vbuf, v.n);
	}
	return wr_len(&w);
}

static void report(const struct attr_report *rep, const char *what, uint8_t type,
		   enum attr_act act, const uint8_t *p, size_t len)
{
	if (rep && rep->fn)
		rep->fn(rep->arg, what, type, act, p, len);
}

static enum attr_act worse(enum attr_act x, enum attr_act y) { return x > y ? x : y; }

static void seterr(struct bgp_error *e, uint8_t sub, const uint8_t *p, size_t len,
		   const char *why)
{
	e->code = ERR_UPDATE;
	e->sub = sub;
	e->data = p;
	e->len = len;
	snprintf(e->why, sizeof e->why, "%s", why);
}

/* RFC 6793 4.2.3: rebuild the path from a 2-byte peer's AS_PATH and AS4_PATH:
 * the leading hops of AS_PATH that AS4_PATH does not cover, then AS4_PATH. */
static void merge_as4(struct bgp_attrs *a, struct bgp_scratch *s)
{
	unsigned n2 = aspath_hops(&a->aspath), n4 = aspath_hops(&a->as4path);
	unsigned keep, i = 0, o = 0;

	if (n4 > n2)
		return;         /* ignore AS4_PATH */
	keep = n2 - n4;
	while (keep > 0 && i + 1 < a->aspath.n) {
		uint32_t type = a->aspath.v[i], cnt = a->aspath.v[i + 1];
		uint32_t take = type == ASPATH_SET ? cnt : (cnt < keep ? cnt : keep);
		s->merged[o++] = type;
		s->merged[o++] = take;
		if (take)
			memcpy(&s->merged[o], &a->aspath.v[i + 2], take * 4);
		o += take;
		keep -= type == ASPATH_SET ? 1 : take;
		i += 2 + cnt;
	}
	if (o + a->as4path.n > sizeof s->merged / 4)
		return;
	if (a->as4path.n)
		memcpy(&s->merged[o], a->as4path.v, a->as4path.n * 4);
	o += a->as4path.n;
	a->aspath.v = s->merged;
	a->aspath.n = o;
}

enum attr_act bgp_attrs_parse(struct rd *r, const struct bgp_ctx *c,
			      struct bgp_attrs *a, struct bgp_scratch *s,
			      bool have_nlri, const struct attr_report *rep,
			      struct bgp_error *err)
{
	enum attr_act act = ACT_NONE;
	uint64_t present = 0;   /* for duplicates; a->seen holds the valid ones */

	memset(a, 0, sizeof *a);
	while (rd_left(r) > 0) {
		const uint8_t *start = r->p;
		uint8_t flags, type;
		uint16_t len;
		uint8_t l8;
		struct rd v;
		const struct attr_desc *d;
		uint64_t bit;

		if (rd_u8(r, &flags) < 0 || rd_u8(r, &type) < 0)
			goto framing;
		if (flags & BAF_EXTLEN) {
			if (rd_u16(r, &len) < 0)
				goto framing;
		} else {
			if (rd_u8(r, &l8) < 0)
				goto framing;
			len = l8;
		}
		if (rd_sub(r, len, &v) < 0)
			goto framing;
		size_t alen = (size_t)(r->p - start);
		d = attr_find(type);
		if (!d) {
			/* RFC 4271 6.3: an unknown well-known attribute resets;
			 * unknown optional ones are ignored (we do not pass them on). */
			if (!(flags & BAF_OPTIONAL)) {
				report(rep, "unrecognized well-known attribute", type, ACT_RESET, start, alen);
				seterr(err, ERR_UPD_UNKNOWN_WK, start, alen, "unrecognized well-known attribute");
				return ACT_RESET;
			}
			continue;
		}
		bit = type < 64 ? (uint64_t)1 << type : 0;
		if (present & bit) {
			/* RFC 7606 3 (g): MP attributes twice reset, others keep the first */
			if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH) {
				report(rep, "duplicate attribute", type, ACT_RESET, start, alen);
				seterr(err, ERR_UPD_ATTRLIST, NULL, 0, "duplicate MP attribute");
				return ACT_RESET;
			}
			report(rep, "duplicate attribute", type, ACT_DISCARD, start, alen);
			continue;
		}
		/* RFC 7606 3 (c): wrong optional/transitive bits make it malformed */
		if ((flags & (BAF_OPTIONAL | BAF_TRANSITIVE)) != d->flags) {
			report(rep, "attribute flags error", type, d->act, start, alen);
			if (d->act == ACT_RESET) {
				seterr(err, ERR_UPD_FLAGS, start, alen, "attribute flags error");
				return ACT_RESET;
			}
			present |= bit;
			act = worse(act, d->act);
			continue;
		}
		present |= bit;
		a->seen |= bit;
		if (d->decode(&v, a, s, c) < 0) {
			report(rep, "malformed attribute", type, d->act, start, alen);
			if (d->act == ACT_RESET) {
				seterr(err, ERR_UPD_OPTATTR, start, alen, "malformed MP attribute");
				return ACT_RESET;
			}
			if (d->act == ACT_DISCARD)
				a->seen &= ~bit;
			act = worse(act, d->act);
		}
	}

	if (!c->as4 && (a->seen & ((uint64_t)1 << ATTR_AS4_PATH)) &&
	    (a->seen & ((uint64_t)1 << ATTR_AS_PATH)))
		merge_as4(a, s);
	if (!c->as4 && a->aggas == AS_TRANS && (a->seen & ((uint64_t)1 << ATTR_AS4_AGGREGATOR))) {
		a->aggas = a->as4aggas;
		a->aggid = a->as4aggid;
	}

	/* RFC 7606 3 (d): a missing well-known mandatory attribute is
	 * treat-as-withdraw, but only when there are routes to announce
	 * (an UPDATE with only withdrawals or End-of-RIB needs none). */
	if (have_nlri || a->mp_reach) {
		uint64_t need = (uint64_t)1 << ATTR_ORIGIN | (uint64_t)1 << ATTR_AS_PATH;
		if (have_nlri)
			need |= (uint64_t)1 << ATTR_NEXT_HOP;
		if (c->ibgp)
			need |= (uint64_t)1 << ATTR_LOCAL_PREF;
		if ((a->seen & need) != need) {
			for (uint8_t t = ATTR_ORIGIN; t <= ATTR_LOCAL_PREF; t++)
				if ((need & ~a->seen) & ((uint64_t)1 << t))
					report(rep, "missing well-known attribute", t, ACT_WITHDRAW, NULL, 0);
			act = worse(act, ACT_WITHDRAW);
		}
	}
	if (act == ACT_WITHDRAW)
		a->withdraw = true;
	return act == ACT_WITHDRAW ? ACT_WITHDRAW : ACT_NONE;

framing:
	/* RFC 7606 4: an attribute overrunning the block is treat-as-withdraw,
	 * but only if the NLRI can still be located (RFC 7606 5.2): the
	 * NLRI field, or MP attributes already parsed. With nothing locatable
	 * the session is reset. */
	report(rep, "attribute length overruns the attribute block", 0, ACT_WITHDRAW,
	       r->p, rd_left(r));
	if (have_nlri || a->mp_reach || a->mp_unreach) {
		a->withdraw = true;
		return ACT_WITHDRAW;
	}
	seterr(err, ERR_UPD_ATTRLIST, NULL, 0, "attribute length overruns the attribute block");
	return ACT_RESET;
}
