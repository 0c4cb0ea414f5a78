/* bgp-speaker: BGP-4 message codec, attributes, session and Adj-RIB-Out. */
#ifndef BGP_H
#define BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rd.h"
#include "rec.h"
#include "wr.h"

/* RFC 4271 4.1 */
#define BGP_HDR_LEN     19
#define BGP_MAX_LEN     4096
#define BGP_EXT_MAX_LEN 65535   /* RFC 8654 */

enum bgp_type {
	BGP_OPEN = 1, BGP_UPDATE = 2, BGP_NOTIFICATION = 3, BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
};

/* RFC 4271 4.5 error codes, and the subcodes we send or name in logs. */
enum bgp_err {
	ERR_HEADER = 1, ERR_OPEN = 2, ERR_UPDATE = 3, ERR_HOLD = 4, ERR_FSM = 5,
	ERR_CEASE = 6, ERR_RREFRESH = 7,
};
enum { ERR_HDR_SYNC = 1, ERR_HDR_LEN = 2, ERR_HDR_TYPE = 3 };
enum {
	ERR_OPEN_VERSION = 1, ERR_OPEN_PEER_AS = 2, ERR_OPEN_BGPID = 3,
	ERR_OPEN_OPTPARAM = 4, ERR_OPEN_HOLD = 6, ERR_OPEN_CAPA = 7,
};
enum {
	ERR_UPD_ATTRLIST = 1, ERR_UPD_UNKNOWN_WK = 2, ERR_UPD_MISSING_WK = 3,
	ERR_UPD_FLAGS = 4, ERR_UPD_LENGTH = 5, ERR_UPD_ORIGIN = 6,
	ERR_UPD_NEXTHOP = 8, ERR_UPD_OPTATTR = 9, ERR_UPD_NETWORK = 10,
	ERR_UPD_ASPATH = 11,
};
enum {
	ERR_CEASE_MAXPFX = 1, ERR_CEASE_SHUTDOWN = 2, ERR_CEASE_DECONF = 3,
	ERR_CEASE_RESET = 4, ERR_CEASE_REJECTED = 5, ERR_CEASE_CONFIG = 6,
	ERR_CEASE_COLLISION = 7, ERR_CEASE_RESOURCES = 8,
};
enum { ERR_RR_LEN = 1 };        /* RFC 7313 5 */

/* Capability codes */
enum {
	CAPA_MP = 1, CAPA_RR = 2, CAPA_EXTMSG = 6, CAPA_GR = 64, CAPA_AS4 = 65,
	CAPA_ERR = 70,
};

#define AFI_IPV4 1
#define AFI_IPV6 2
#define SAFI_UNICAST 1
#define AS_TRANS 23456

/* Attribute type codes */
enum {
	ATTR_ORIGIN = 1, ATTR_AS_PATH = 2, ATTR_NEXT_HOP = 3, ATTR_MED = 4,
	ATTR_LOCAL_PREF = 5, ATTR_ATOMIC_AGGR = 6, ATTR_AGGREGATOR = 7,
	ATTR_COMMUNITIES = 8, ATTR_ORIGINATOR_ID = 9, ATTR_CLUSTER_LIST = 10,
	ATTR_MP_REACH = 14, ATTR_MP_UNREACH = 15, ATTR_EXT_COMMUNITIES = 16, ATTR_AS4_PATH = 17,
	ATTR_AS4_AGGREGATOR = 18, ATTR_LARGE_COMMUNITIES = 32,
};
/* Attribute flags (RFC 4271 4.3); BAF_, not AF_, which names address families */
#define BAF_OPTIONAL   0x80
#define BAF_TRANSITIVE 0x40
#define BAF_PARTIAL    0x20
#define BAF_EXTLEN     0x10

/* What one side offered in its OPEN. */
struct bgp_open {
	uint8_t version;
	uint32_t as;            /* the 4-byte AS when offered, else My AS */
	uint16_t hold;
	uint32_t id;
	bool mp4, mp6;          /* multiprotocol IPv4/IPv6 unicast */
	bool as4, rr, err, extmsg, gr;
	uint16_t gr_time;
	bool gr_restarting;
	bool gr4, gr6;          /* families listed in the GR capability */
	bool gr4_fwd, gr6_fwd;  /* ... with forwarding state preserved */
	bool mp_any;            /* any MP capability at all (else IPv4 implied) */
};

/* The error a parse found: code/subcode and the data for the NOTIFICATION. */
struct bgp_error {
	uint8_t code, sub;
	const uint8_t *data;
	size_t len;
	uint8_t buf[8];         /* small data we build ourselves */
	char why[96];
};

/* A parsed NOTIFICATION */
struct bgp_notif {
	uint8_t code, sub;
	char text[256];         /* RFC 9003 shutdown communication, or empty */
};

/* Decoded path attributes of one UPDATE. Arrays point into scratch buffers
 * sized for the largest message. */
struct bgp_attrs {
	uint64_t seen;                  /* bit per type code < 64 */
	bool withdraw;                  /* RFC 7606 treat-as-withdraw */
	uint8_t origin;
	struct u32s aspath;           /* segments: type, count, as... */
	struct u32s as4path;
	struct ar_addr nexthop;
	uint32_t med, localpref;
	bool atomic;
	uint32_t aggas, aggid;
	uint32_t as4aggas, as4aggid;
	struct u32s communities;
	struct u32s lcommunities;
	struct u64s extcommunities;
	uint32_t originator;
	struct u32s clusterlist;
	/* MP_REACH / MP_UNREACH: located, parsed when the NLRI are walked */
	bool mp_reach, mp_unreach;
	uint16_t reach_afi, unreach_afi;
	uint8_t reach_safi, unreach_safi;
	struct ar_addr mp_nh, mp_nhll;
	struct rd reach_nlri, unreach_nlri;
};

/* Session parameters the codec needs. */
struct bgp_ctx {
	bool as4;               /* both sides speak 4-byte AS */
	bool ibgp;
	uint32_t peer_as;
	size_t max_len;         /* 4096 or 65535 */
	bool v4, v6;            /* negotiated address families */
};

/* Attribute error actions, RFC 7606 2 */
enum attr_act { ACT_NONE, ACT_DISCARD, ACT_WITHDRAW, ACT_RESET };

/* Scratch for attribute arrays: reused for every UPDATE. */
struct bgp_scratch {
	uint32_t aspath[BGP_EXT_MAX_LEN];       /* 4 wire bytes -> 3 u32 at worst */
	uint32_t as4path[BGP_EXT_MAX_LEN];
	uint32_t merged[2 * BGP_EXT_MAX_LEN];
	uint32_t comm[BGP_EXT_MAX_LEN / 4];
	uint32_t lcomm[BGP_EXT_MAX_LEN / 4];
	uint64_t ecomm[BGP_EXT_MAX_LEN / 8];
	uint32_t cluster[BGP_EXT_MAX_LEN / 4];
};

/* An error found in an attribute, for the rate-limited log. */
struct attr_report {
	void (*fn)(void *arg, const char *what, uint8_t type, enum attr_act act,
		   const uint8_t *p, size_t len);
	void *arg;
};

/* msg.c */
/* Check the 19-byte header in p (n >= 19): 0 with *len and *type, or -1
 * with err filled. */
int bgp_hdr_parse(const uint8_t *p, size_t max_len, uint16_t *len,
		  uint8_t *type, struct bgp_error *err);
int bgp_open_parse(struct rd *r, struct bgp_open *o, struct bgp_error *err);
int bgp_notif_parse(struct rd *r, struct bgp_notif *n);
/* ROUTE-REFRESH: afi, safi and the RFC 7313 subtype (0 req, 1 BoRR, 2 EoRR). */
int bgp_rr_parse(struct rd *r, uint16_t *afi, uint8_t *safi, uint8_t *sub,
		 struct bgp_error *err);
const char *bgp_err_name(uint8_t code, uint8_t sub);
const char *bgp_type_name(uint8_t type);

/* Builders write a whole message into buf (size cap) and return its length,
 * or 0 when it does not fit. */
size_t bgp_open_build(uint8_t *buf, size_t cap, const struct bgp_open *o);
size_t bgp_keepalive_build(uint8_t *buf, size_t cap);
size_t bgp_notif_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t sub,
		       const void *data, size_t len);
size_t bgp_rr_build(uint8_t *buf, size_t cap, uint16_t afi, uint8_t safi, uint8_t sub);
/* Fill in the header of a message whose body is already at buf+19. */
void bgp_hdr_put(uint8_t *buf, size_t len, uint8_t type);

/* attrs.c */
/* Decode the path attribute block. Returns the action for the whole UPDATE:
 * ACT_NONE (ok), ACT_WITHDRAW (treat-as-withdraw) or ACT_RESET (err filled). */
enum attr_act bgp_attrs_parse(struct rd *r, const struct bgp_ctx *c,
			      struct bgp_attrs *a, struct bgp_scratch *s,
			      bool have_nlri, const struct attr_report *rep,
			      struct bgp_error *err);
const char *attr_name(uint8_t type);
/* Attribute header; the extended length form past 255 bytes. */
void attr_hdr(struct wr *w, uint8_t flags, uint8_t type, size_t len);
/* Path attributes of an announced route, from its record (4-byte AS form,
 * in type code order): bytes written, 0 when they do not fit or the AS
 * path is malformed. */
size_t attrs_encode(uint8_t *buf, size_t cap, const struct rec_route *r,
		    uint32_t local_as, bool ibgp);

/* attrs-out.c: the table's encode column. Each writes one attribute's value
 * from the record: 1 written, 0 the route has none, -1 it cannot be sent. */
struct attr_src {
	const struct rec_route *r;
	uint32_t local_as;
	bool ibgp;
};
typedef int attr_encode_fn(struct wr *w, const struct attr_src *src);
attr_encode_fn enc_origin, enc_aspath, enc_med, enc_localpref, enc_atomic, enc_aggregator,
	enc_communities, enc_extcommunities, enc_lcommunities;
/* The attributes rewritten for a 2-byte-AS peer (RFC 6793 4.2.2). */
size_t attrs_to_as2(uint8_t *out, size_t cap, const uint8_t *in, size_t len);

/* update.c */
struct bgp_update_cb {
	/* one call per prefix; a == NULL for a withdrawal */
	void (*route)(void *arg, const struct ar_prefix *p, const struct bgp_attrs *a);
	void (*eor)(void *arg, int afi);
	void *arg;
};
/* Parse one UPDATE body. 0 ok (routes reported), -1 session reset (err). */
int bgp_update_parse(struct rd *r, const struct bgp_ctx *c, struct bgp_scratch *s,
		     const struct bgp_update_cb *cb, const struct attr_report *rep,
		     struct bgp_error *err);
/* Read one NLRI prefix of family af. 0, -1 short, -2 bad length. */
int bgp_nlri_get(struct rd *r, int af, struct ar_prefix *p);
/* Append one prefix in NLRI form (at most 17 bytes). */
void bgp_nlri_put(struct wr *w, const struct ar_prefix *pfx);

#endif
