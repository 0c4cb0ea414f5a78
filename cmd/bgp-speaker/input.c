/* The announce direction's input: route records from stdin, a file or a
 * named FIFO. A file ends at EOF and what it held stays announced. A FIFO
 * whose writer goes away (route-push restarted) is opened again at once:
 * O_NONBLOCK makes the open return without a writer, and Linux reports no
 * POLLHUP on the new descriptor until a writer has come and gone, so the
 * loop just waits for the next writer. Its routes meanwhile stay in the
 * Adj-RIB-Out as they were (stale) until the new writer's first complete
 * state replaces them by mark and sweep: common/collect.c gathers it,
 * rib-out.c applies it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "speaker.h"

static void on_input(struct ev_loop *l, int fd, short re, void *arg);

static int input_attach(struct speaker *s)
{
	bool std = strcmp(s->cfg.input, "-") == 0;
	struct stat st;

	s->in_fd = rec_open_input(s->cfg.input, true);
	if (s->in_fd < 0) {
		log_err("cannot open %s: %s", s->cfg.input, strerror(errno));
		return -1;
	}
	if (fcntl(s->in_fd, F_SETFL, fcntl(s->in_fd, F_GETFL) | O_NONBLOCK) < 0) {
		log_err("%s: O_NONBLOCK: %s", s->cfg.input, strerror(errno));
		return -1;
	}
	/* stdin is a pipe, not a name to open again */
	s->in_fifo = !std && fstat(s->in_fd, &st) == 0 && S_ISFIFO(st.st_mode);
	s->in = rr_new(s->in_fd, std ? "stdin" : s->cfg.input);
	collect_init(&s->col, &ribout_state, s, "input");
	if (!s->in) {
		log_err("out of memory");
		return -1;
	}
	ev_fd_add(s->loop, s->in_fd, POLLIN, on_input, s);
	return 0;
}

int input_open(struct speaker *s)
{
	if (!s->cfg.input[0])
		return 0;
	return input_attach(s);
}

static void input_eof(struct speaker *s)
{
	collect_abort(&s->col);
	ev_fd_del(s->loop, s->in_fd);
	if (!s->in_fifo) {
		log_info("input: end of input; %zu routes kept in the Adj-RIB-Out",
			 ribout_count(s->ro));
		return;
	}
	s->in_fd = rr_rewatch(s->in, s->cfg.input, s->loop, on_input, s);
	if (s->in_fd < 0)
		return;
	log_info("input %s: the writer went away; %zu routes kept (stale) until the next "
		 "writer's complete state", s->cfg.input, ribout_count(s->ro));
}

static void record(struct speaker *s, const struct rec *r)
{
	if (!collect_feed(&s->col, r))
		ribout_record(s, r);
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg)
{
	struct speaker *s = arg;
	struct rec r;
	(void)l; (void)fd; (void)re;

	for (int k = 0; k < 16; k++) {
		ssize_t n = rr_fill(s->in);
		while (rr_next(s->in, &r) == 1)
			record(s, &r);
		if (n == 0) {
			rr_eof(s->in);
			while (rr_next(s->in, &r) == 1)
				record(s, &r);
			input_eof(s);
			break;
		}
		if (n < 0)
			break;
	}
	ribout_pump(s);
}
