/* libFuzzer target: the request URI parser and the routes' argument checks
 * (bytes from the network). Input: METHOD, a space, the URI. The stages are
 * absent (no sockets, no stats, no files): every route must still answer
 * with a status and a JSON body, and no path may leave the www directory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ha_opts o = { .timeout = 0.01, .cache = 0.5, .trend_points = 4, .max_body = 1024,
				    .www = "/nonexistent", .chartjs = "/nonexistent" };
	static bool init;
	static const char *const methods[] = { "GET", "PUT", "DELETE", "HEAD", "POST" };
	struct ha_req rq = { 0 };
	struct ha_resp r = { 0 };
	char uri[8192];

	if (!init) {
		init = trend_init(&o) == 0;
		o.write = true;
	}
	if (size < 1)
		return 0;
	rq.method = methods[data[0] % 5];
	data++, size--;
	if (size >= sizeof(uri))
		size = sizeof(uri) - 1;
	memcpy(uri, data, size);
	uri[size] = '\0';
	if (url_split(uri, &rq) < 0)
		return 0;
	for (int i = 0; i < rq.nsegs; i++)
		if (!strcmp(rq.segs[i], "..") || !strcmp(rq.segs[i], ".") || strchr(rq.segs[i], '/'))
			__builtin_trap();
	rq.body = "{\"keys\":\"ipsource\",\"value\":\"bytes\",\"metric\":\"m\",\"value\":1}";
	rq.body_len = strlen(rq.body);
	route_request(&o, &rq, &r);
	if (r.status < 200 || r.status > 599 || !r.body || !r.type)
		__builtin_trap();
	/* with no stage and no files, only the trend, config and metrics
	 * answer 200 */
	free(r.body);
	return 0;
}
