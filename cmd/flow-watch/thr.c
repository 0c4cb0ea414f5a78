/* Thresholds: a metric (a flow definition), a value, byFlow and a timeout.
 * A key fires when its rate goes over the value and it was not over within
 * the last timeout seconds (byFlow); without byFlow the threshold as a
 * whole fires once per such episode. The keys that were over recently are
 * kept in a small table of their own, bounded: when it is full, the key
 * over longest ago makes room (it could fire again a little early, never
 * be missed). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw.h"

#define FIRED_MAX 65536

struct fired {
	uint64_t hash;                  /* the key's hash: 0 = empty */
	uint64_t last;                  /* ms it was last over */
};

int thr_set(struct fw_thr *t, const char *metric, const char *value, const char *byflow,
	    const char *timeout, char *err, size_t errlen)
{
	char *end;
	double v, to = 60;
	bool bf = false;

	if (!metric || !*metric || !fw_name_ok(metric)) {
		snprintf(err, errlen, "metric: the name of a flow definition is needed");
		return -1;
	}
	errno = 0;
	v = value ? strtod(value, &end) : NAN;
	if (!value || errno || end == value || *end || !(v >= 0) || v > 1e300) {
		snprintf(err, errlen, "value: a number of at least 0 is needed");
		return -1;
	}
	if (byflow) {
		if (!strcasecmp(byflow, "true") || !strcmp(byflow, "1") || !strcasecmp(byflow, "yes") ||
		    !strcasecmp(byflow, "on"))
			bf = true;
		else if (!strcasecmp(byflow, "false") || !strcmp(byflow, "0") ||
			 !strcasecmp(byflow, "no") || !strcasecmp(byflow, "off"))
			bf = false;
		else {
			snprintf(err, errlen, "byFlow: true or false");
			return -1;
		}
	}
	if (timeout) {
		errno = 0;
		to = strtod(timeout, &end);
		if (errno || end == timeout || *end || !(to >= 0) || to > 86400 * 7) {
			snprintf(err, errlen, "timeout: seconds, from 0 to 604800");
			return -1;
		}
	}
	snprintf(t->metric, sizeof(t->metric), "%s", metric);
	t->value = v;
	t->byflow = bf;
	t->timeout = to;
	t->fired_all = false;
	t->nfired = 0;
	if (t->fired)
		memset(t->fired, 0, t->capfired * sizeof(*t->fired));
	return 0;
}

void thr_free(struct fw_thr *t)
{
	free(t->fired);
	free(t);
}

static int grow(struct fw_thr *t)
{
	size_t cap = t->capfired ? t->capfired * 2 : 256;
	struct fired *n = calloc(cap, sizeof(*n)), *o = t->fired;

	if (!n)
		return -1;
	for (size_t i = 0; i < t->capfired; i++) {
		if (!o[i].hash)
			continue;
		size_t s = o[i].hash & (cap - 1);
		while (n[s].hash)
			s = (s + 1) & (cap - 1);
		n[s] = o[i];
	}
	free(o);
	t->fired = n;
	t->capfired = cap;
	return 0;
}

/* Full: forget the keys whose timeout passed; if none did, the oldest. */
static void prune(struct fw_thr *t, uint64_t ms)
{
	uint64_t to = (uint64_t)(t->timeout * 1000), oldest = UINT64_MAX;
	struct fired *keep = t->fired;
	size_t cap = t->capfired, n = 0;

	for (size_t i = 0; i < cap; i++)
		if (keep[i].hash && keep[i].last < oldest)
			oldest = keep[i].last;
	t->fired = calloc(cap, sizeof(*t->fired));
	if (!t->fired) {
		t->fired = keep;
		return;
	}
	for (size_t i = 0; i < cap; i++) {
		if (!keep[i].hash || ms - keep[i].last > to || keep[i].last == oldest)
			continue;
		size_t s = keep[i].hash & (cap - 1);
		while (t->fired[s].hash)
			s = (s + 1) & (cap - 1);
		t->fired[s] = keep[i];
		n++;
	}
	free(keep);
	t->nfired = n;
}

bool thr_over(struct fw_thr *t, uint64_t hash, uint64_t ms)
{
	uint64_t to = (uint64_t)(t->timeout * 1000);

	if (!t->byflow) {
		bool fire = !t->fired_all || ms - t->last_all > to;
		t->fired_all = true;
		t->last_all = ms;
		return fire;
	}
	if (!hash)
		hash = 1;
	if (t->nfired * 2 >= t->capfired) {
		if (t->capfired < FIRED_MAX)
			grow(t);
		else
			prune(t, ms);
	}
	if (!t->capfired)
		return true;
	size_t s = hash & (t->capfired - 1);
	while (t->fired[s].hash && t->fired[s].hash != hash)
		s = (s + 1) & (t->capfired - 1);
	if (t->fired[s].hash) {
		bool fire = ms - t->fired[s].last > to;
		t->fired[s].last = ms;
		return fire;
	}
	t->fired[s] = (struct fired){ hash, ms };
	t->nfired++;
	return true;
}
