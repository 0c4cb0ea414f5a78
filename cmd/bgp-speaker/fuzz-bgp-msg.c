/* libFuzzer target: one BGP message through the parsers the session uses.
 * Byte 0 picks the session context (4-byte AS, iBGP, families, extended
 * messages); the rest is a whole message with its 19-byte header. */
#include <stdlib.h>
#include <string.h>

#include "bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned routes;
static struct bgp_scratch *scr2;

static bool same32(const struct u32s *x, const struct u32s *y)
{
	return x->n == y->n && (x->n == 0 || memcmp(x->v, y->v, x->n * 4) == 0);
}

/* What was learned, announced again from its record, parses the same
 * (the encode column of the attribute table against its decode column). */
static void reencode(const struct bgp_attrs *a)
{
	struct rec_route r;
	struct bgp_attrs b;
	struct bgp_ctx c = { .as4 = true, .ibgp = true, .max_len = BGP_MAX_LEN, .v4 = true };
	struct bgp_error e;
	uint8_t buf[BGP_MAX_LEN];
	size_t n;

	if (a->withdraw || !scr2)
		return;
	memset(&r, 0, sizeof r);
	r.aspath = a->aspath;
	REC_SET(&r, ROUTE_ASPATH);
	r.origin = (enum route_origin)a->origin;
	REC_SET(&r, ROUTE_ORIGIN);
	r.communities = a->communities;
	REC_SET(&r, ROUTE_COMMUNITIES);
	r.lcommunities = a->lcommunities;
	REC_SET(&r, ROUTE_LCOMMUNITIES);
	r.extcommunities = a->extcommunities;
	REC_SET(&r, ROUTE_EXTCOMMUNITIES);
	n = attrs_encode(buf, sizeof buf, &r, 65000, true);
	if (n == 0)
		return;         /* too large, or a path we do not send */
	struct rd rd = rd_init(buf, n);
	if (bgp_attrs_parse(&rd, &c, &b, scr2, false, NULL, &e) != ACT_NONE)
		abort();
	if (b.origin != a->origin || !same32(&b.aspath, &a->aspath) ||
	    !same32(&b.communities, &a->communities) ||
	    b.lcommunities.n != a->lcommunities.n / 3 * 3 ||
	    b.extcommunities.n != a->extcommunities.n ||
	    (b.extcommunities.n && memcmp(b.extcommunities.v, a->extcommunities.v,
					  b.extcommunities.n * 8) != 0))
		abort();
}

static void on_route(void *arg, const struct ar_prefix *p, const struct bgp_attrs *a)
{
	char buf[AR_PREFIX_STRLEN];
	(void)arg;
	prefix_fmt(p, buf, sizeof buf);
	if (a) {
		reencode(a);
		/* touch every array the learn side copies into a record */
		for (uint32_t i = 0; i < a->aspath.n; i++)
			routes += a->aspath.v[i] & 1;
		for (uint32_t i = 0; i < a->communities.n; i++)
			routes += a->communities.v[i] & 1;
		for (uint32_t i = 0; i < a->lcommunities.n; i++)
			routes += a->lcommunities.v[i] & 1;
		for (uint32_t i = 0; i < a->extcommunities.n; i++)
			routes += a->extcommunities.v[i] & 1;
		for (uint32_t i = 0; i < a->clusterlist.n; i++)
			routes += a->clusterlist.v[i] & 1;
	}
	routes++;
}

static void on_eor(void *arg, int afi) { (void)arg; routes += (unsigned)afi; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bgp_scratch *scr;
	struct bgp_ctx c;
	struct bgp_error e;
	struct bgp_update_cb cb = { on_route, on_eor, NULL };
	uint16_t len, afi;
	uint8_t type, safi, sub;

	if (!scr && !(scr = malloc(sizeof *scr)))
		return 0;
	if (!scr2)
		scr2 = malloc(sizeof *scr2);
	if (size < 1 + BGP_HDR_LEN)
		return 0;
	memset(&c, 0, sizeof c);
	c.as4 = data[0] & 1;
	c.ibgp = data[0] & 2;
	c.v4 = !(data[0] & 4);
	c.v6 = !(data[0] & 8);
	c.max_len = data[0] & 16 ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	c.peer_as = 65000;
	data++;
	size--;
	if (bgp_hdr_parse(data, c.max_len, &len, &type, &e) < 0 || len > size)
		return 0;
	/* the message is copied so ASan sees reads past its declared end */
	uint8_t *m = malloc(len);
	if (!m)
		return 0;
	memcpy(m, data, len);
	struct rd r = rd_init(m + BGP_HDR_LEN, len - BGP_HDR_LEN);
	switch (type) {
	case BGP_OPEN: {
		struct bgp_open o;
		uint8_t out[BGP_MAX_LEN];
		if (bgp_open_parse(&r, &o, &e) == 0) {
			/* what we parsed builds again and parses the same */
			size_t n = bgp_open_build(out, sizeof out, &o);
			struct bgp_open o2;
			struct rd r2 = rd_init(out + BGP_HDR_LEN, n - BGP_HDR_LEN);
			if (n && (o.mp4 || o.mp6) && bgp_open_parse(&r2, &o2, &e) == 0 &&
			    (o2.as != o.as || o2.mp4 != o.mp4 || o2.mp6 != o.mp6 || o2.hold != o.hold))
				abort();
		}
		break;
	}
	case BGP_UPDATE:
		bgp_update_parse(&r, &c, scr, &cb, NULL, &e);
		break;
	case BGP_NOTIFICATION: {
		struct bgp_notif n;
		bgp_notif_parse(&r, &n);
		break;
	}
	case BGP_ROUTE_REFRESH:
		bgp_rr_parse(&r, &afi, &safi, &sub, &e);
		break;
	}
	free(m);
	return 0;
}
