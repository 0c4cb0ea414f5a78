/* libFuzzer target: the flow definition parser (keys, value, filter come
 * from the config file and from the control socket). Input: keys, value
 * and filter separated by newlines. A definition that compiles is run over
 * a record carrying every field, and its key printed. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_def d;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_spec s = { .t = 2, .max_keys = 16 };
	char buf[3 * FW_TEXT_MAX], err[FW_TEXT_MAX], *part[3] = { buf, NULL, NULL };
	static const uint32_t asp[] = { ASPATH_SEQUENCE, 2, 65001, 65002, ASPATH_SET, 2, 1, 2 };
	static const uint32_t comm[] = { 65001u << 16 | 7, 1, 2, 3 };
	uint8_t key[FW_KEY_MAX];

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (int i = 1; i < 3; i++) {
		char *nl = part[i - 1] ? strchr(part[i - 1], '\n') : NULL;
		if (nl) {
			*nl = '\0';
			part[i] = nl + 1;
		}
	}
	snprintf(s.keys, sizeof(s.keys), "%s", part[0]);
	snprintf(s.value, sizeof(s.value), "%s", part[1] ? part[1] : "bytes");
	snprintf(s.filter, sizeof(s.filter), "%s", part[2] ? part[2] : "");
	if (def_compile(&d, &s, err, sizeof(err)) < 0) {
		if (!*err)
			__builtin_trap();       /* every refusal says why */
		return 0;
	}
	struct rec_flow r = { 0 };
	r.has = ~0ull;
	r.src.af = r.dst.af = r.agent.af = r.nexthop.af = r.ribnexthop.af = AR_AF4;
	r.src.b[0] = 198, r.dst.b[0] = 198, r.dst.b[1] = 19;
	r.ribsrclen = 24, r.ribdstlen = 16, r.srcmask = 33;     /* srcmask out of range */
	r.aspath = r.ribaspath = (struct u32s){ asp, 8 };
	r.communities = r.ribcomm = (struct u32s){ comm, 1 };
	r.riblcomm = (struct u32s){ comm + 1, 3 };
	r.len = 1500;
	(void)def_match(&d, &r);
	int n = def_key(&d, &r, key);
	if (n > (int)d.keymax)
		__builtin_trap();       /* the bound the heavy hitters size entries by */
	if (n >= 0) {
		char text[FW_TEXT_MAX];
		def_key_fmt(&d, key, (size_t)n, text, sizeof(text));
	}
	return 0;
}
