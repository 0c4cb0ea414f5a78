/* bgp-speaker: one BGP session; learned routes out as records, routes read
 * as records announced. */
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "prog.h"

static const char usage[] =
"usage: bgp-speaker [-hV] [-c FILE] [-N NAME] --local-as AS --router-id ID\n"
"                   [--listen ADDR[:PORT] | --connect ADDR[:PORT]] [--neighbor ADDR]\n"
"                   [--peer-as AS] [--hold-time SEC] [--md5-password KEY]\n"
"                   [--next-hop-self] [--family ipv4|ipv6|both]\n"
"                   [--no-extended-messages] [--graceful-restart SEC]\n"
"                   [--connect-retry SEC] [--eor-timeout SEC] [-o FILE] [-r FILE|none]\n"
"                   [--output-buffer BYTES] [--shutdown-message TEXT]\n"
"                   [--log-level LEVEL] [--check]\n";

int main(int argc, char **argv)
{
	struct speaker_opts o = { .check = false };
	struct conf conf = { 0 };
	const char *cfgpath = NULL, *name = NULL;
	char ns[80];
	int ch;

	log_init("bgp-speaker");
	speaker_defaults(&o.cfg);
	/* first pass: the config file and instance name, so that the command
	 * line overrides the file */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, speaker_shortopts, speaker_opts, NULL)) != -1) {
		if (ch == 'c')
			cfgpath = optarg;
		else if (ch == 'N')
			name = optarg;
		else if (ch == 'h')
			prog_usage(usage, 0);
		else if (ch == 'V')
			prog_version("bgp-speaker");
	}
	prog_config(&conf, cfgpath, "bgp", speaker_opts, speaker_set_opt, &o);
	if (name && cfgpath) {
		snprintf(ns, sizeof ns, "bgp.%s", name);
		if (conf_apply(&conf, ns, speaker_opts, speaker_set_opt, &o, NULL) < 0)
			exit(EXIT_USAGE);
	}
	opterr = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, speaker_shortopts, speaker_opts, NULL)) != -1) {
		if (ch == '?' || speaker_set_opt(ch, optarg, &o) < 0)
			prog_usage(usage, EXIT_USAGE);
	}
	if (optind != argc)
		prog_usage(usage, EXIT_USAGE);
	conf_free(&conf);
	if (speaker_check(&o.cfg) < 0)
		exit(EXIT_USAGE);
	int rc = o.check ? 0 : speaker_run(&o.cfg);
	speaker_cfg_free(&o.cfg);
	return rc;
}
