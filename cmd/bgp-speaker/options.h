/* bgp-speaker options: command line and config file keys (bgp.KEY). */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <getopt.h>

#include "speaker.h"

enum {
	OPT_MD5 = 256, OPT_NHSELF, OPT_NOEXT, OPT_GR, OPT_RETRY, OPT_EOR,
	OPT_SHUT, OPT_LOGLEVEL, OPT_CHECK, OPT_HIWAT, OPT_SOURCE, OPT_EORHOLD,
};

struct speaker_opts {
	struct speaker_cfg cfg;
	bool check;
};

extern const struct option speaker_opts[];
extern const char speaker_shortopts[];
void speaker_defaults(struct speaker_cfg *c);
void speaker_cfg_free(struct speaker_cfg *c);
int speaker_set_opt(int opt, const char *v, void *arg);
int speaker_check(struct speaker_cfg *c);
/* run.c: the work; returns the exit status. */
int speaker_run(struct speaker_cfg *c);

#endif
