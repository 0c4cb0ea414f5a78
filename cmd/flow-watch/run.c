/* The program around the engine: flow inputs read with poll() (a FIFO is
 * reopened when its writer goes), events out on stdout (flushed when the
 * input goes idle), a housekeeping timer for the long polls and the stats
 * file, and replay mode, which takes the clock from the records. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw.h"
#include "sig.h"

#define HOUSEKEEPING_MS 100

struct input {
	struct fw *w;
	const char *path;
	int fd;
	bool fifo, done;
	struct rec_reader *rr;
};

static struct input inputs[FW_INPUTS_MAX];
static int ninputs;

static void record(struct fw *w, const struct rec *rec)
{
	if (rec->type != REC_FLOW) {
		w->ignored++;
		return;
	}
	if (w->o->replay) {
		if (!REC_HAS(&rec->u.flow, FLOW_TS)) {
			w->ignored++;
			return;
		}
		uint64_t ms = rec->u.flow.ts / 1000;
		if (ms > w->now)
			w->now = ms;    /* out of order: the clock stays monotonic */
	}
	fw_flow_record(w, &rec->u.flow);
}

static void drain(struct fw *w, struct input *in)
{
	struct rec rec;

	while (rr_next(in->rr, &rec) == 1)
		record(w, &rec);
}

/* ---- The event output ----
 * A pipe or FIFO is written without blocking: a reader that is slow or
 * stopped holds up neither the flow input, nor the control socket, nor the
 * housekeeping. Up to FW_OUT_BACKLOG bytes of events wait for it; the
 * events past that are dropped and counted (eventsdropped), and the
 * events request of the control socket still has them. A FIFO is opened
 * without waiting for its reader and opened again when the reader goes. */

static void note_stall(struct fw *w)
{
	bool stalled = w->out && (rw_fd(w->out) < 0 || rw_pending(w->out) > 0);

	if (!stalled)
		w->out_stalled = 0;
	else if (!w->out_stalled)
		w->out_stalled = ev_now();
}

uint64_t fw_stalled_ms(const struct fw *w)
{
	return w->out_stalled ? ev_now() - w->out_stalled : 0;
}

static void on_output(struct ev_loop *l, int fd, short re, void *arg);

/* POLLOUT while events wait; else no interest, and poll() still tells
 * POLLERR when the reader goes. */
static void out_watch(struct fw *w)
{
	int fd = w->out ? rw_fd(w->out) : -1;
	short events;

	if (!w->ev || !w->out_nonblock || fd < 0)
		return;
	events = rw_pending(w->out) ? POLLOUT : 0;
	if (w->out_polled) {
		ev_fd_events(w->ev, fd, events);
	} else {
		ev_fd_add(w->ev, fd, events, on_output, w);
		w->out_polled = true;
	}
}

static void out_unwatch(struct fw *w)
{
	if (w->out_polled)
		ev_fd_del(w->ev, rw_fd(w->out));
	w->out_polled = false;
}

/* The output failed (err): the reader of a FIFO went away, and the next
 * one is waited for; any other output is given up (events stay queryable
 * on the socket). */
static void out_lost(struct fw *w, int err)
{
	out_unwatch(w);
	if (w->out_fifo && err == EPIPE) {
		log_warn("%s: the reader went away: events are dropped until one is back",
			 w->o->output);
		close(rw_fd(w->out));
		rw_set_fd(w->out, -1);
		note_stall(w);
		return;
	}
	log_err("output: %s", strerror(err));
	if (rw_fd(w->out) > 1)
		close(rw_fd(w->out));
	rw_free(w->out);
	w->out = NULL;
	note_stall(w);
}

/* A FIFO without a reader: is there one now? (each housekeeping tick) */
static void out_reopen(struct fw *w)
{
	int fd;

	if (!w->out || rw_fd(w->out) >= 0 || !w->out_fifo)
		return;
	if ((fd = rec_open_output(w->o->output, true)) < 0) {
		if (errno != ENXIO)
			log_rl(&w->rl, LOG_WARN, "%s: %s", w->o->output, strerror(errno));
		return;
	}
	log_info("%s: a reader is there", w->o->output);
	rw_set_fd(w->out, fd);
	note_stall(w);
	out_watch(w);
}

static void flush_out(struct fw *w)
{
	if (!w->out || rw_fd(w->out) < 0)
		return;
	/* (blocking only in replay, or for a file) */
	while (rw_pending(w->out) && rw_flush(w->out) == 1 && !w->out_nonblock)
		;
	if (rw_error(w->out)) {
		out_lost(w, rw_error(w->out));
		return;
	}
	note_stall(w);
	out_watch(w);
}

/* At exit: the events that wait go to a reader that keeps taking them; one
 * that takes nothing for a second gets no more. */
static void out_finish(struct fw *w)
{
	ar_msec idle_until = ev_now() + 1000;

	while (w->out && rw_fd(w->out) >= 0 && rw_pending(w->out)) {
		struct pollfd pf = { .fd = rw_fd(w->out), .events = POLLOUT };
		size_t before = rw_pending(w->out);
		ar_msec now = ev_now();
		if (now >= idle_until) {
			log_warn("%s: the reader took nothing for a second: %zu bytes of events not written",
				 w->o->output, before);
			return;
		}
		if (poll(&pf, 1, (int)(idle_until - now)) < 0 && errno != EINTR)
			return;
		if (rw_flush(w->out) < 0)
			return;
		if (rw_pending(w->out) < before)
			idle_until = ev_now() + 1000;
	}
}

static void on_output(struct ev_loop *l, int fd, short re, void *arg)
{
	struct fw *w = arg;

	(void)l;
	(void)fd;
	if ((re & (POLLERR | POLLHUP)) && !(re & POLLOUT)) {
		out_lost(w, EPIPE);
		return;
	}
	flush_out(w);
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg);

static void input_end(struct fw *w, struct input *in)
{
	rr_eof(in->rr);
	drain(w, in);
	ev_fd_del(w->ev, in->fd);
	if (in->fifo && strcmp(in->path, "-") != 0) {
		int fd = rec_open_input(in->path, true);
		close(in->fd);
		in->fd = fd;
		if (fd < 0) {
			log_err("cannot reopen %s: %s", in->path, strerror(errno));
			in->done = true;
			return;
		}
		rr_set_fd(in->rr, fd);
		ev_fd_add(w->ev, fd, POLLIN, on_input, in);
		return;
	}
	in->done = true;
	/* nothing more will come and nobody can ask: the run is over */
	for (int i = 0; i < ninputs; i++)
		if (!inputs[i].done)
			return;
	if (!w->o->control)
		ev_break(w->ev);
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg)
{
	struct input *in = arg;
	struct fw *w = in->w;

	(void)l;
	(void)fd;
	(void)re;
	w->now = ev_now();
	w->wall_us = ev_wall_us();
	for (int k = 0; k < 16; k++) {
		ssize_t n = rr_fill(in->rr);
		if (n > 0) {
			drain(w, in);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			log_err("%s: read: %s", in->path, strerror(errno));
		input_end(w, in);
		break;
	}
	flush_out(w);
}

static uint64_t bad_records(void)
{
	uint64_t n = 0;

	for (int i = 0; i < ninputs; i++) {
		const struct rr_stats *s = rr_stats(inputs[i].rr);
		for (int k = 0; k < RR_BAD_N; k++)
			n += s->bad[k];
	}
	return n;
}

static void write_stats(struct fw *w)
{
	size_t keys = 0, bytes = 0;

	for (unsigned i = 0; i < w->ndefs; i++) {
		keys += hh_size(w->def[i]->hh);
		bytes += hh_bytes(w->def[i]->hh);
	}
	rw_begin(w->stats, "stats");
	rw_str(w->stats, "stage", "flow-watch");
	rw_u64(w->stats, "records", w->records);
	rw_u64(w->stats, "ignored", w->ignored);
	rw_u64(w->stats, "bad", bad_records());
	rw_u64(w->stats, "events", w->events);
	rw_u64(w->stats, "flows", w->ndefs);
	rw_u64(w->stats, "thresholds", w->nthrs);
	rw_u64(w->stats, "keys", keys);
	rw_u64(w->stats, "keybytes", bytes);
	rw_u64(w->stats, "eventsdropped", w->events_dropped);
	rw_u64(w->stats, "stalledms", fw_stalled_ms(w));
	rw_end(w->stats);
	if (rw_replace_file(w->stats, w->o->stats) < 0)
		log_rl(&w->rl, LOG_WARN, "%s: %s", w->o->stats, strerror(errno));
}

static void on_housekeeping(struct ev_loop *l, void *arg)
{
	struct fw *w = arg;
	static unsigned n;

	if (!w->o->replay) {
		w->now = ev_now();
		w->wall_us = ev_wall_us();
	}
	ctl_tick(w);
	out_reopen(w);
	if (w->stats && ++n % (1000 / HOUSEKEEPING_MS) == 0)
		write_stats(w);
	ev_timer_after(l, &w->tick, HOUSEKEEPING_MS);
}

static int replay(struct fw *w)
{
	for (int i = 0; i < ninputs; i++) {
		struct input *in = &inputs[i];
		ssize_t n;
		while ((n = rr_fill(in->rr)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_err("%s: read: %s", in->path, strerror(errno));
				return EXIT_FAILURE;
			}
			drain(w, in);
			if (sig_stop_requested())
				break;
		}
		rr_eof(in->rr);
		drain(w, in);
	}
	flush_out(w);
	if (w->stats)
		write_stats(w);
	return 0;
}

int fw_run(struct fw *w)
{
	int rc = 0;
	bool ninputs_done = false;

	if (sig_init() < 0) {
		log_err("signals: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if (!w->o->nflows)
		w->o->flows[w->o->nflows++] = "-";
	for (int i = 0; i < w->o->nflows; i++) {
		struct input *in = &inputs[ninputs];
		struct stat st;
		in->w = w;
		in->path = w->o->flows[i];
		in->fd = rec_open_input(in->path, !w->o->replay);
		if (in->fd < 0) {
			log_err("cannot open %s: %s", in->path, strerror(errno));
			rc = EXIT_FAILURE;
			goto out;
		}
		in->fifo = fstat(in->fd, &st) == 0 && S_ISFIFO(st.st_mode);
		if (!(in->rr = rr_new(in->fd, in->path))) {
			rc = EXIT_FAILURE;
			goto out;
		}
		ninputs++;
	}
	if (strcmp(w->o->output, "none") != 0) {
		struct stat st;
		bool live = !w->o->replay;
		int fd;
		w->out_fifo = strcmp(w->o->output, "-") != 0 && stat(w->o->output, &st) == 0 &&
			      S_ISFIFO(st.st_mode);
		/* live, a FIFO does not wait for its reader (tried again each
		 * tick) and a pipe is written without blocking */
		fd = rec_open_output(w->o->output, live && w->out_fifo);
		if (fd < 0 && !(live && w->out_fifo && errno == ENXIO)) {
			log_err("cannot open %s: %s", w->o->output, strerror(errno));
			rc = EXIT_FAILURE;
			goto out;
		}
		if (fd < 0)
			log_info("%s: waiting for a reader", w->o->output);
		w->out_nonblock = live && w->out_fifo;
		if (live && fd == 1) {
			int nfd = rec_stdout_nonblock();
			if (nfd >= 0) {
				fd = nfd;
				w->out_nonblock = true;
			}
		}
		if (!(w->out = rw_new(fd))) {
			rc = EXIT_FAILURE;
			goto out;
		}
		rw_set_high_water(w->out, FW_OUT_BACKLOG);
		note_stall(w);
	}
	if (w->o->stats)
		w->stats = rw_new(-1);
	w->wall_us = ev_wall_us();
	if (w->o->replay) {
		rc = replay(w);
		/* with a control socket, the state at the last record stays
		 * queryable (its clock stopped there) until a signal ends it */
		if (rc || !w->o->control)
			goto out;
		ninputs_done = true;
	}
	if (!(w->ev = ev_new())) {
		rc = EXIT_FAILURE;
		goto out;
	}
	if (!w->o->replay)
		w->now = ev_now();
	if (w->o->control && ctl_open(w, w->o->control) < 0) {
		rc = EXIT_FAILURE;
		goto out;
	}
	for (int i = 0; i < ninputs && !ninputs_done; i++)
		ev_fd_add(w->ev, inputs[i].fd, POLLIN, on_input, &inputs[i]);
	out_watch(w);
	ev_timer_init(&w->tick, on_housekeeping, w);
	ev_timer_after(w->ev, &w->tick, HOUSEKEEPING_MS);
	log_info("watching %u flow definitions, %u thresholds", w->ndefs, w->nthrs);
	ev_run(w->ev);
	out_unwatch(w);
	flush_out(w);
	out_finish(w);
out:
	ctl_close(w);
	for (int i = 0; i < ninputs; i++) {
		rr_free(inputs[i].rr);
		if (inputs[i].fd > 0)
			close(inputs[i].fd);
	}
	if (w->out) {
		if (rw_fd(w->out) > 1)
			close(rw_fd(w->out));
		rw_free(w->out);
	}
	rw_free(w->stats);
	if (w->ev)
		ev_free(w->ev);
	return rc;
}
