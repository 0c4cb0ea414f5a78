/* libFuzzer target: a stage's --stats file (msgpack) as http-api reads it
 * for /metrics, /agents and the trend: any bytes give a JSON object or
 * nothing, and what comes out can be printed. */
#include <stdint.h>
#include <stdlib.h>

#include "ha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = stats_parse((const char *)data, size);
	char *s;

	if (!o)
		return 0;
	if (!json_is_object(o))
		__builtin_trap();
	s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		__builtin_trap();
	free(s);
	json_decref(o);
	return 0;
}
