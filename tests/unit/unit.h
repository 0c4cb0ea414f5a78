/* Minimal unit test harness: CHECK() counts, unit_done() prints the
 * "N passed, N failed" line and returns the exit status. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static unsigned unit_pass, unit_fail;
static const char *unit_name = "unit";

#define CHECK(cond) do { \
	if (cond) { unit_pass++; } else { unit_fail++; \
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && strcmp(a_, b_) == 0) { unit_pass++; } else { unit_fail++; \
		fprintf(stderr, "%s:%d: FAIL: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
			a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

static inline int unit_done(void)
{
	printf("%s: %u passed, %u failed\n", unit_name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
