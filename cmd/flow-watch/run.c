/* The program around the engine: flow inputs read with poll() (a FIFO is
 * reopened when its writer goes), events out on stdout or -o (common/out.c,
 * flushed when the input goes idle), a housekeeping timer for the long
 * polls and the stats file, and replay mode, which takes the clock from
 * the records. */
#include <errno.h>
#include <fcntl.h>
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

void fw_inputs_want(struct fw *w)
{
	for (int i = 0; i < ninputs; i++)
		if (inputs[i].rr && rr_want(inputs[i].rr, REC_FLOW, w->want) < 0)
			log_err("out of memory: %s: every field decoded", inputs[i].path);
}

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
	fw_flush(w);
}

/* The event output is common/out.c's (live: never blocking the loop; a
 * FIFO opened without waiting for its reader and opened again when the
 * reader goes). Up to FW_OUT_BACKLOG bytes of events wait for a slow
 * reader; the events past that are dropped and counted (eventsdropped,
 * watch.c), and the events request of the control socket still has them.
 * A failed output (logged by out.c) writes nothing more. */
static void flush_out(struct fw *w)
{
	if (w->out)
		out_flush(w->out);
}

uint64_t fw_stalled_ms(const struct fw *w)
{
	return w->out ? out_stalled_ms(w->out) : 0;
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg);

static void input_end(struct fw *w, struct input *in)
{
	rr_eof(in->rr);
	drain(w, in);
	ev_fd_del(w->ev, in->fd);
	if (in->fifo && strcmp(in->path, "-") != 0) {
		in->fd = rr_rewatch(in->rr, in->path, w->ev, on_input, in);
		in->done = in->fd < 0;
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
	rw_u64(w->stats, "eventsdropped", w->events_dropped);
	rw_u64(w->stats, "flows", w->ndefs);
	rw_u64(w->stats, "thresholds", w->nthrs);
	rw_u64(w->stats, "keys", keys);
	rw_u64(w->stats, "keybytes", bytes);
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
	if (w->stats && ++n % (1000 / HOUSEKEEPING_MS) == 0)
		write_stats(w);
	ev_timer_after(l, &w->tick, HOUSEKEEPING_MS);
}

static void on_reload(struct ev_loop *l, void *arg)
{
	(void)l;
	fw_reload(arg);
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
	fw_inputs_want(w);
	/* live, the events never wait for their reader; a replay does */
	if (!w->o->replay && !(w->ev = ev_new())) {
		rc = EXIT_FAILURE;
		goto out;
	}
	if (strcmp(w->o->output, "none") != 0) {
		if (!(w->out = out_new(w->ev, w->o->output, NULL, NULL))) {
			rc = EXIT_FAILURE;
			goto out;
		}
		out_set_high_water(w->out, FW_OUT_BACKLOG);
		if (out_start(w->out) < 0) {
			rc = EXIT_FAILURE;
			goto out;
		}
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
	if (!w->ev && !(w->ev = ev_new())) {
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
	ev_on_reload(w->ev, on_reload, w);
	ev_timer_init(&w->tick, on_housekeeping, w);
	ev_timer_after(w->ev, &w->tick, HOUSEKEEPING_MS);
	log_info("watching %u flow definitions, %u thresholds", w->ndefs, w->nthrs);
	ev_run(w->ev);
	/* the events that wait go to a reader that keeps taking them; one
	 * that takes nothing for a second gets no more */
	if (w->out)
		out_drain_idle(w->out, FW_OUT_EXIT_IDLE_MS);
out:
	ctl_close(w);
	for (int i = 0; i < ninputs; i++) {
		rr_free(inputs[i].rr);
		inputs[i].rr = NULL;    /* fw_free() relinks the definitions after */
		if (inputs[i].fd > 0)
			close(inputs[i].fd);
	}
	out_free(w->out);
	rw_free(w->stats);
	if (w->ev)
		ev_free(w->ev);
	return rc;
}
