/* libFuzzer target: the control socket's request parser and answers
 * (outside input), against a flow-watch holding one definition, one
 * threshold and a few keys and events. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_opts o = { .output = "none", .max_keys = 64, .ring = 8 };
static struct fw w;

static void setup(void)
{
	struct fw_spec s = { .keys = "ipsource,bgpdestinationaspath", .value = "frames", .t = 2,
			     .max_keys = 64 };
	char err[FW_TEXT_MAX];
	static const uint32_t asp[] = { ASPATH_SEQUENCE, 2, 65001, 65002 };

	w.o = &o;
	w.ctl = -1;
	w.ring_cap = o.ring;
	w.ring = calloc(w.ring_cap, sizeof(*w.ring));
	if (!w.ring || fw_setflow(&w, "f", &s, err, sizeof(err)) < 0 ||
	    fw_setthr(&w, "t", "f", "0", "true", "0", err, sizeof(err)) < 0)
		abort();
	for (int i = 0; i < 20; i++) {
		struct rec_flow r = { 0 };
		r.src.af = AR_AF4;
		r.src.b[0] = 198;
		r.src.b[3] = (uint8_t)i;
		r.ribaspath = (struct u32s){ asp, 4 };
		REC_SET(&r, FLOW_SRC);
		REC_SET(&r, FLOW_RIBASPATH);
		w.now = 1000 + (uint64_t)i;
		fw_flow_record(&w, &r);
	}
	fw_flush(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[8192];
	struct fw_poll p;
	bool wait;

	if (!w.ring)
		setup();
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	char *s = query_answer(&w, line, &p, &wait);
	if (!s && !wait)
		__builtin_trap();       /* every request is answered, or waits */
	if (wait) {
		if (p.timeout <= 0)
			__builtin_trap();
		s = query_events(&w, &p, true);
	}
	free(s);
	/* what a request added stays within the limits */
	if (w.ndefs > FW_DEFS_MAX || w.nthrs > FW_THRS_MAX)
		__builtin_trap();
	return 0;
}
