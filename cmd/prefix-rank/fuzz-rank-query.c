/* libFuzzer target: the control socket's query parser (outside input). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[8192], err[160];
	struct query q;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (query_parse(line, &q, err, sizeof(err)) == 0) {
		/* What parsed must be in range. */
		if (q.af != AR_AF4 && q.af != AR_AF6)
			__builtin_trap();
		if (q.min_prefix > 128 || (q.kind == Q_CURVE && q.step == 0))
			__builtin_trap();
	} else if (strlen(err) == 0) {
		__builtin_trap();       /* every failure says why */
	}
	return 0;
}
