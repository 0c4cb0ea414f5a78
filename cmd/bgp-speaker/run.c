/* The program's work: one session, one loop, until SIGTERM. */
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "sig.h"

int speaker_run(struct speaker_cfg *c)
{
	struct speaker *s = calloc(1, sizeof *s);
	int rc;

	if (!s || sig_init() < 0) {
		log_err("cannot start: out of memory or signals");
		return EXIT_FAILURE;
	}
	s->cfg = *c;
	s->loop = ev_new();
	s->out_fd = s->in_fd = -1;
	if (!s->loop || speaker_start(s) < 0) {
		speaker_free(s);
		return EXIT_FAILURE;
	}
	ev_run(s->loop);
	if (sig_stop_requested())
		log_info("signal %d: stopping", sig_stop_signal());
	speaker_stop(s);
	rc = s->exit_code;
	speaker_free(s);
	return rc;
}
