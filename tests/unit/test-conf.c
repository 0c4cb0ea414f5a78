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
	if (val == 'f')
		s->flag = value == NULL;
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
	unsigned unknown = 99;

	unit_name = "test-conf";
	CHECK(conf_parse_string(&c, "t.conf",
		"# comment\n"
		"\n"
		"log-level = debug\n"
		"rank.max-routes = 10   # trailing comment\n"
		"rank.max-routes = 20\n"
		"rank.listen = \"198.18.0.1 #x\"\n"
		"rank.flush = yes\n"
		"rank.bogus = 1\n"
		"bgp.learn.listen = 198.18.0.2\n"
		"push.table = 100\n") == 0);
	CHECK(c.n == 8);
	CHECK_STR(conf_get(&c, "rank.max-routes"), "20");
	CHECK_STR(conf_get(&c, "rank.listen"), "198.18.0.1 #x");
	CHECK(conf_get(&c, "nope") == NULL);
	CHECK(conf_apply(&c, "rank", opts, set, &s, &unknown) == 0);
	CHECK(s.max == 20);
	CHECK_STR(s.listen, "198.18.0.1 #x");
	CHECK(s.flag == 1);
	CHECK(unknown == 1);
	memset(&s, 0, sizeof(s));
	CHECK(conf_apply(&c, "bgp.learn", opts, set, &s, &unknown) == 0);
	CHECK_STR(s.listen, "198.18.0.2");
	CHECK(unknown == 0);
	CHECK(conf_apply_shared(&c) == 0);
	conf_free(&c);

	/* A bad line names the file and line, and the whole parse fails. */
	CHECK(conf_parse_string(&c, "bad.conf", "a = 1\nno equals here\n") == -1);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "bad.conf", "bad key! = 1\n") == -1);
	conf_free(&c);
	CHECK(conf_parse_string(&c, "v.conf", "rank.max-routes = many\n") == 0);
	CHECK(conf_apply(&c, "rank", opts, set, &s, NULL) == -1);
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

	/* The config path is found before getopt, in every spelling. */
	char *a1[] = { "p", "-q", "-c", "a.conf", "-x", NULL };
	char *a2[] = { "p", "--config=b.conf", NULL };
	char *a3[] = { "p", "-cc.conf", NULL };
	char *a4[] = { "p", "--config", "d.conf", "--", "-c", "e.conf", NULL };
	char *a5[] = { "p", "-c", NULL };
	CHECK_STR(prog_config_path(5, a1), "a.conf");
	CHECK_STR(prog_config_path(2, a2), "b.conf");
	CHECK_STR(prog_config_path(2, a3), "c.conf");
	CHECK_STR(prog_config_path(6, a4), "d.conf");
	CHECK(prog_config_path(2, a5) == NULL);
	return unit_done();
}
