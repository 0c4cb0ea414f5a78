/* rec-json: the debugging lens on every stream (records <-> JSON Lines). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "prog.h"
#include "rec-json.h"
#include "sig.h"

static const char usage[] =
	"usage: rec-json [-r] [--strict] [-q] [-t TYPE] [-o FILE] [FILE ...]\n"
	"  records (msgpack) to JSON Lines; with -r, JSON Lines to records\n"
	"  -r, --reverse     read JSON Lines, write records\n"
	"      --strict      stop with exit 1 at the first malformed input\n"
	"  -q, --quiet       do not report each malformed record or line\n"
	"  -t, --type TYPE   print only records of TYPE (flow, counter, route, peer, sync, stats)\n"
	"  -o, --output FILE write to FILE (a FIFO too) instead of stdout\n"
	"  -h, --help        this text\n"
	"  -V, --version     print the version\n";

static const struct option opts[] = {
	{ "reverse", no_argument, NULL, 'r' },
	{ "strict", no_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "type", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int run_one(const char *path, bool reverse, int outfd, FILE *outf,
		   const struct rj_opts *o)
{
	bool std = strcmp(path, "-") == 0;
	const char *name = std ? "stdin" : path;

	if (reverse) {
		FILE *in = std ? stdin : fopen(path, "r");
		if (!in) {
			log_err("cannot open %s: %s", path, strerror(errno));
			return 1;
		}
		int rc = json_to_records(in, name, outfd, o);
		if (!std)
			fclose(in);
		return rc;
	}
	int fd = std ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return 1;
	}
	int rc = records_to_json(fd, name, outf, o);
	if (!std)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct rj_opts o = { 0 };
	bool reverse = false;
	const char *output = NULL;
	int c, status = 0;

	log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "rqt:o:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reverse = true; break;
		case 's': o.strict = true; break;
		case 'q': o.quiet = true; break;
		case 't': o.only_type = optarg; break;
		case 'o': output = optarg; break;
		case 'h': prog_usage(usage, 0);
		case 'V': prog_version("rec-json");
		default: prog_usage(usage, EXIT_USAGE);
		}
	}
	sig_init();     /* EPIPE instead of SIGPIPE: a closed jq is a clean stop */
	int outfd = 1;
	FILE *outf = stdout;
	if (output) {
		outfd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (outfd < 0 || !(outf = fdopen(outfd, "w"))) {
			log_err("cannot open %s: %s", output, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	if (optind == argc)
		status = run_one("-", reverse, outfd, outf, &o);
	for (int i = optind; i < argc && status == 0; i++)
		status = run_one(argv[i], reverse, outfd, outf, &o);
	if (outf != stdout)
		fclose(outf);
	return status;
}
