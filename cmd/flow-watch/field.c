/* The fields a flow definition names. Every flow record key of records(5)
 * is one by its own name; sFlow-RT's names map to the same keys (the RIB's
 * answer first, the agent's when the record has no RIB answer); mask:FIELD
 * is the prefix of an address field with the length the RIB (or the
 * agent) gave. Values are read through the record schema's table, so a
 * field added to the schema is a key here without code. */
#include <stdio.h>
#include <string.h>

#include "fw.h"
#include "rec-schema.h"

struct alias {
	const char *name;
	int8_t pri, alt;
};

/* sFlow-RT's flow keys (sflow-rt.com/define_flow.php) that records carry. */
static const struct alias aliases[] = {
	{ "ipsource", FLOW_SRC, -1 },
	{ "ipdestination", FLOW_DST, -1 },
	{ "ip6source", FLOW_SRC, -1 },
	{ "ip6destination", FLOW_DST, -1 },
	{ "ipprotocol", FLOW_PROTO, -1 },
	{ "ip6nexthdr", FLOW_PROTO, -1 },
	{ "iptos", FLOW_TOS, -1 },
	{ "sourceport", FLOW_SPORT, -1 },
	{ "tcpsourceport", FLOW_SPORT, -1 },
	{ "udpsourceport", FLOW_SPORT, -1 },
	{ "destinationport", FLOW_DPORT, -1 },
	{ "tcpdestinationport", FLOW_DPORT, -1 },
	{ "udpdestinationport", FLOW_DPORT, -1 },
	{ "inputifindex", FLOW_IN, -1 },
	{ "outputifindex", FLOW_OUT, -1 },
	{ "vlan", FLOW_VLAN, -1 },
	{ "ipsourcemaskbits", FLOW_RIBSRCLEN, FLOW_SRCMASK },
	{ "ipdestinationmaskbits", FLOW_RIBDSTLEN, FLOW_DSTMASK },
	{ "bgpnexthop", FLOW_RIBNEXTHOP, FLOW_NEXTHOP },
	{ "bgpnexthop6", FLOW_RIBNEXTHOP, FLOW_NEXTHOP },
	{ "bgpsourceas", FLOW_RIBSRCAS, FLOW_SRCAS },
	{ "bgpsourcepeeras", FLOW_RIBSRCPEERAS, -1 },
	{ "bgpdestinationas", FLOW_RIBDSTAS, FLOW_DSTAS },
	{ "bgpdestinationpeeras", FLOW_RIBDSTPEERAS, FLOW_PEERAS },
	{ "bgpdestinationaspath", FLOW_RIBASPATH, FLOW_ASPATH },
	{ "bgpcommunities", FLOW_RIBCOMM, FLOW_COMMUNITIES },
	{ "bgplocalpref", FLOW_RIBLOCALPREF, FLOW_LOCALPREF },
	{ "samplingrate", FLOW_RATE, -1 },
};

static int kind_of(const struct rec_field *f)
{
	switch (f->kind) {
	case K_U8: case K_U16: case K_U32: case K_U64: case K_BOOL: return FK_NUM;
	case K_ADDR: return FK_ADDR;
	case K_ASPATH: return FK_ASPATH;
	case K_COMM: return FK_COMM;
	case K_LCOMM: return FK_LCOMM;
	}
	return -1;
}

static int plain(const char *name, struct fw_field *out)
{
	const struct rec_schema *s = rec_schema(REC_FLOW);
	int pri = -1, alt = -1;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i].name, name)) {
			pri = aliases[i].pri;
			alt = aliases[i].alt;
		}
	for (unsigned i = 0; pri < 0 && i < s->n; i++)
		if (!strcmp(s->f[i].name, name))
			pri = (int)i;
	if (pri < 0 || kind_of(&s->f[pri]) < 0)
		return -1;
	*out = (struct fw_field){ (uint8_t)kind_of(&s->f[pri]), (int8_t)pri, (int8_t)alt, -1, -1 };
	return 0;
}

int field_lookup(const char *name, struct fw_field *out)
{
	if (!strncmp(name, "mask:", 5)) {
		struct fw_field a;
		if (plain(name + 5, &a) < 0 || a.kind != FK_ADDR)
			return -1;
		if (a.pri == FLOW_SRC)
			*out = (struct fw_field){ FK_PREFIX, FLOW_SRC, -1, FLOW_RIBSRCLEN, FLOW_SRCMASK };
		else if (a.pri == FLOW_DST)
			*out = (struct fw_field){ FK_PREFIX, FLOW_DST, -1, FLOW_RIBDSTLEN, FLOW_DSTMASK };
		else
			return -1;      /* only src and dst have a prefix length */
		return 0;
	}
	return plain(name, out);
}

/* The flow schema's rows, fetched once (every sample reads fields). */
static const struct rec_field *rows(void)
{
	static const struct rec_field *f;
	if (!f)
		f = rec_schema(REC_FLOW)->f;
	return f;
}

static inline const char *member(const struct rec_flow *r, int bit)
{
	return (const char *)r + rows()[bit].off;
}

static int present(const struct rec_flow *r, int8_t pri, int8_t alt)
{
	if (pri >= 0 && REC_HAS(r, pri))
		return pri;
	if (alt >= 0 && REC_HAS(r, alt))
		return alt;
	return -1;
}

static uint64_t num_at(int bit, const char *p)
{
	switch (rows()[bit].kind) {
	case K_U8: return *(const uint8_t *)p;
	case K_U16: return *(const uint16_t *)p;
	case K_U32: return *(const uint32_t *)p;
	case K_U64: return *(const uint64_t *)p;
	case K_BOOL: return *(const bool *)p;
	}
	return 0;
}

int field_num(const struct fw_field *f, const struct rec_flow *r, uint64_t *v)
{
	int b = present(r, f->pri, f->alt);
	if (b < 0 || f->kind != FK_NUM)
		return -1;
	*v = num_at(b, member(r, b));
	return 0;
}

#define U32S_MAX 32             /* words of an array kept in a key */

size_t field_max(const struct fw_field *f)
{
	switch (f->kind) {
	case FK_NUM: return 8;
	case FK_ADDR: return 17;
	case FK_PREFIX: return 18;
	}
	return 1 + 4 * U32S_MAX;
}

static inline __attribute__((always_inline)) int put_value(const struct fw_field *f,
							const struct rec_flow *r, uint8_t *out)
{
	int b = present(r, f->pri, f->alt);
	if (b < 0)
		return -1;
	const char *p = member(r, b);
	switch (f->kind) {
	case FK_NUM: {
		uint64_t v = num_at(b, p);
		memcpy(out, &v, 8);
		return 8;
	}
	case FK_ADDR:
		memcpy(out, p, 17);
		return 17;
	case FK_PREFIX: {
		int lb = present(r, f->lpri, f->lalt);
		if (lb < 0)
			return -1;
		struct ar_addr a = *(const struct ar_addr *)p;
		unsigned plen = *(const uint8_t *)member(r, lb);
		if (plen > addr_bits(a.af))
			return -1;
		addr_mask(&a, plen);
		memcpy(out, &a, 17);
		out[17] = (uint8_t)plen;
		return 18;
	}
	default: {
		const struct u32s *a = (const struct u32s *)p;
		uint32_t n = a->n < U32S_MAX ? a->n : U32S_MAX;
		out[0] = (uint8_t)n;
		memcpy(out + 1, a->v, 4 * (size_t)n);
		return 1 + 4 * (int)n;
	}
	}
}

int field_put(const struct fw_field *f, const struct rec_flow *r, uint8_t *out)
{
	return put_value(f, r, out);
}

/* Beside field_put(), so the loop over a definition's keys (every record,
 * every definition) has it in line. */
int field_key(const struct fw_field *f, unsigned n, const struct rec_flow *r, uint8_t *key)
{
	int len = 0;

	for (unsigned i = 0; i < n; i++) {
		int k = put_value(&f[i], r, key + len);
		if (k < 0)
			return -1;
		len += k;
	}
	return len;
}

/* Append sep and text to out at o (capped): the new end. */
static size_t put(char *out, size_t len, size_t o, const char *sep, const char *text)
{
	if (o >= len)
		return o;
	int n = snprintf(out + o, len - o, "%s%s", sep, text);
	return n < 0 ? o : o + (size_t)n;
}

/* Text forms as sFlow-RT writes them: AS paths and communities joined by "-". */
size_t field_fmt(const struct fw_field *f, const uint8_t *p, size_t *used, char *out, size_t len)
{
	char buf[AR_PREFIX_STRLEN];
	size_t o = 0;

	out[0] = '\0';
	switch (f->kind) {
	case FK_NUM: {
		uint64_t v;
		memcpy(&v, p, 8);
		*used = 8;
		snprintf(out, len, "%llu", (unsigned long long)v);
		return strlen(out);
	}
	case FK_ADDR: {
		struct ar_addr a;
		memcpy(&a, p, 17);
		*used = 17;
		snprintf(out, len, "%s", addr_fmt(&a, buf, sizeof(buf)));
		return strlen(out);
	}
	case FK_PREFIX: {
		struct ar_prefix x;
		memcpy(&x.a, p, 17);
		x.plen = p[17];
		*used = 18;
		snprintf(out, len, "%s", prefix_fmt(&x, buf, sizeof(buf)));
		return strlen(out);
	}
	}
	uint32_t n = p[0], v[U32S_MAX];
	memcpy(v, p + 1, 4 * (size_t)n);
	*used = 1 + 4 * (size_t)n;
	char t[40];
	if (f->kind == FK_ASPATH) {
		for (uint32_t i = 0; i + 1 < n; i += 2 + v[i + 1]) {
			bool set = v[i] == ASPATH_SET;
			if (set)
				o = put(out, len, o, o ? "-" : "", "{");
			for (uint32_t k = 0; k < v[i + 1] && i + 2 + k < n; k++) {
				snprintf(t, sizeof(t), "%u", v[i + 2 + k]);
				o = put(out, len, o, set ? (k ? "," : "") : (o ? "-" : ""), t);
			}
			if (set)
				o = put(out, len, o, "", "}");
		}
	} else if (f->kind == FK_COMM) {
		for (uint32_t i = 0; i < n; i++) {
			snprintf(t, sizeof(t), "%u:%u", v[i] >> 16, v[i] & 0xffff);
			o = put(out, len, o, i ? "-" : "", t);
		}
	} else {
		for (uint32_t i = 0; i + 2 < n; i += 3) {
			snprintf(t, sizeof(t), "%u:%u:%u", v[i], v[i + 1], v[i + 2]);
			o = put(out, len, o, i ? "-" : "", t);
		}
	}
	return o < len ? o : len - 1;
}
