/* libFuzzer target: the JSON bodies of PUT /flow/{name}/json and
 * PUT /threshold/{name}/json, turned into flow-watch's one-line protocol.
 * Whatever comes in, what goes out is one line: no newline, no NUL, and
 * every value percent-encoded so it cannot start another argument. */
#include <stdint.h>
#include <string.h>

#include "ha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *line)
{
	const char *args = strchr(line, ' ');

	if (strchr(line, '\n') || strchr(line, '\r') || !args)
		__builtin_trap();
	args = strchr(args + 1, ' ');
	if (!args)
		__builtin_trap();
	/* keys=..&value=.. : every '=' follows a known key */
	for (const char *p = args + 1; *p; p++)
		if (*p == ' ' || (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[4096], err[200];
	int rc;

	if (size < 1)
		return 0;
	err[0] = '\0';
	if (data[0] & 1)
		rc = flow_body_line("f", (const char *)data + 1, size - 1, line, sizeof(line), err,
				    sizeof(err));
	else
		rc = threshold_body_line("t", (const char *)data + 1, size - 1, line, sizeof(line), err,
					 sizeof(err));
	if (rc == 0)
		check_line(line);
	else if (!err[0])
		__builtin_trap();       /* every refusal says why */
	return 0;
}
