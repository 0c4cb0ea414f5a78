/* conf.c: parsing, errors naming the line, namespaces, option mapping. */
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "prog.h"
#include "unit.h"

struct seen { int max; char listen[64]; int flag; };

static int set(int val, const char *value, void *arg)
{
	struct seen *s = arg;
	if (val == 'm') {
		char *end;
		s->max = (int)strtol(value, &end, 10);
		return *end ? -1 : 0;
	}
	if (val == 'l')
		snprintf(s->listen, sizeof(s->listen), "%s", value);
	if (val == 'f') {
		bool on;
		if (prog_bool("--flush", value, &on) < 0)
			return -1;
		s->flag = on;
	}
	return 0;
}

static const struct option opts[] = {
	{ "max-routes", required_argument, NULL, 'm' },
	{ "listen", required_argument, NULL, 'l' },
	{ "flush", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

int main(void)
{
	struct conf c = { 0 };
	struct seen s = { 0 };

	unit_name = "test-conf";
	CHECK(conf_parse_string(&c, "t.conf",
		"# comment\n"
		"\n"
		"log-level = debug\n"
		"rank.max-routes = 10   # trailing comment\n"
		"rank.max-routes = 20\n"
		"rank.listen = \"198.18.0.1 #x\"\n"
		"rank.flush = yes\n"
		"bgp.learn.listen = 198.18.0.2\n"
		"push.table = 100\n") == 0);
	CHECK(c.n == 7);
	CHECK_STR(conf_get(&c, "rank.max-routes"), "20");
	CHECK_STR(conf_get(&c, "rank.listen"), "198.18.0.1 #x");
	CHECK(conf_get(&c, "nope") == NULL);
	CHECK(conf_apply(&c, "rank", opts, set, &s) == 0);
	CHECK(s.max == 20);
	CHECK_STR(s.listen, "198.18.0.1 #x");
	CHECK(s.flag == 1);
	memset(&s, 0, sizeof(s));
	CHECK(conf_apply(&c, "bgp.learn", opts, set, &s) == 0);
	CHECK_STR(s.listen, "198.18.0.2");
	CHECK(conf_apply_shared(&c) == 0);
	conf_free(&c);

	/* A bad line names the file and line, and the whole parse fails. */
	CHECK(conf_parse_string(&c, "bad.conf", "a = 1\nno equals here\n") == -1);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "bad.conf", "bad key! = 1\n") == -1);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "v.conf", "rank.max-routes = many\n") == 0);
	CHECK(conf_apply(&c, "rank", opts, set, &s) == -1);
	conf_free(&c);
	/* A switch's value reaches the setter: "= no" is no, a typo is refused. */
	s.flag = 1;
	CHECK(conf_parse_string(&c, "v.conf", "rank.flush = no\n") == 0);
	CHECK(conf_apply(&c, "rank", opts, set, &s) == 0);
	CHECK(s.flag == 0);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "v.conf", "rank.flush = nope\n") == 0);
	CHECK(conf_apply(&c, "rank", opts, set, &s) == -1);
	conf_free(&c);
	/* An unknown key of the namespace is an error, not a warning. */
	CHECK(conf_parse_string(&c, "v.conf", "rank.bogus = 1\n") == 0);
	CHECK(conf_apply(&c, "rank", opts, set, &s) == -1);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "v.conf", "log-level = loud\n") == 0);
	CHECK(conf_apply_shared(&c) == -1);
	conf_free(&c);

	/* A file on disk, with the error message naming file:line. */
	char path[] = "/tmp/test-conf-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "ok = 1\n\nbroken\n", 15) == 15);
	close(fd);
	fflush(stderr);
	FILE *saved = stderr;
	char errpath[] = "/tmp/test-conf-err-XXXXXX";
	int efd = mkstemp(errpath);
	stderr = fdopen(efd, "w+");
	CHECK(conf_load(&c, path) == -1);
	fflush(stderr);
	rewind(stderr);
	char line[256] = "";
	CHECK(fgets(line, sizeof(line), stderr) != NULL);
	fclose(stderr);
	stderr = saved;
	char want[128];
	snprintf(want, sizeof(want), "%s:3:", path);
	CHECK(strncmp(line, want, strlen(want)) == 0);
	conf_free(&c);
	unlink(path);
	unlink(errpath);

	/* Every spelling of a switch, in any case; nothing else. */
	static const char *const on[] = { "yes", "YES", "true", "On", "1" };
	static const char *const off[] = { "no", "False", "off", "OFF", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yes please", "enable" };
	bool b;
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		CHECK(prog_bool("x", on[i], &b) == 0 && b);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		CHECK(prog_bool("x", off[i], &b) == 0 && !b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(prog_bool("x", bad[i], &b) == -1);
	CHECK(prog_bool("x", NULL, &b) == 0 && b);
	/* One spelling of the log levels. */
	CHECK(prog_log_level("x", "warn") == 0);
	CHECK(prog_log_level("x", "error") == 0);
	CHECK(prog_log_level("x", "err") == -1);
	CHECK(prog_log_level("x", "warning") == -1);
	CHECK(prog_log_level("x", "info") == 0);
	return unit_done();
}
