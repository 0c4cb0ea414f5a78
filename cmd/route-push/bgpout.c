/* The --bgp target: route records for a bgp-speaker that announces them
 * (to BIRD, whose kernel protocol then programs the FIB). The output starts,
 * and starts again whenever it is reopened, with the complete installed
 * state between sync markers; after that each change is one record, a
 * next-hop change an add that replaces the announcement.
 *
 * A pipe or FIFO is written without blocking: a slow or stopped reader
 * never holds up the input, the timers or the stats. What it has not taken
 * waits in memory up to about the size of one complete state; past that
 * the changes stop and, once the reader has taken what waits, the complete
 * installed state of that moment goes out instead (the newest state
 * replaces all that could not be written). A FIFO is opened without
 * waiting for its reader, and opened again when the reader goes away. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "prog.h"
#include "push.h"

/* Changes may wait for the reader up to the size of the last complete
 * state, and at least this much. */
#define SLACK_MIN (64u * 1024)
/* A FIFO without a reader is tried again this often. */
#define REOPEN_MS 100
/* At exit, what waits is given to a reader that keeps taking it; one
 * that takes nothing for this long gets no more. */
#define EXIT_IDLE_MS 1000

struct bgpt {
	struct target t;
	char *path;
	struct rec_writer *w;
	bool fifo;                      /* a FIFO path: reopened for the next reader */
	bool nonblock;                  /* a pipe or FIFO, written without blocking */
	bool need_full;                 /* the reader gets the complete state next */
	bool polled;                    /* the fd is in the event loop */
	struct ev_loop *ev;
	const struct rtset *installed;  /* push.c's, for a complete state when due */
	struct ev_timer reopen;
	ar_msec stalled_since;          /* 0: the reader took all there was */
	size_t full_bytes;              /* the last complete state's size */
	uint64_t fulls;                 /* complete states written */
};

static void put(struct rec_writer *w, const struct ar_prefix *p, const struct ar_addr *nh,
		double value, bool del)
{
	struct rec_route r;
	memset(&r, 0, sizeof(r));
	r.op = del ? ROUTE_DEL : ROUTE_ADD;
	r.prefix = *p;
	REC_SET(&r, ROUTE_OP);
	REC_SET(&r, ROUTE_PREFIX);
	if (!del) {
		r.nexthop = *nh;
		REC_SET(&r, ROUTE_NEXTHOP);
		if (value > 0) {
			r.value = value;
			REC_SET(&r, ROUTE_VALUE);
		}
	}
	rw_route(w, &r);
}

static bool stalled(const struct bgpt *b)
{
	return rw_fd(b->w) < 0 || rw_pending(b->w) > 0;
}

static void note_stall(struct bgpt *b)
{
	if (!stalled(b))
		b->stalled_since = 0;
	else if (!b->stalled_since)
		b->stalled_since = ev_now();
}

static void on_out(struct ev_loop *l, int fd, short re, void *arg);

/* Interest in POLLOUT while bytes wait; otherwise none, and poll() still
 * reports POLLERR when the reader of a FIFO goes away. */
static void watch(struct bgpt *b)
{
	int fd = rw_fd(b->w);
	short ev = rw_pending(b->w) ? POLLOUT : 0;

	if (!b->ev || !b->nonblock || fd < 0)
		return;
	if (!b->polled) {
		ev_fd_add(b->ev, fd, ev, on_out, b);
		b->polled = true;
	} else {
		ev_fd_events(b->ev, fd, ev);
	}
}

/* The reader of the FIFO went away: wait for the next one, which gets the
 * complete state. */
static void reader_gone(struct bgpt *b)
{
	int fd = rw_fd(b->w);

	log_warn("%s: reader went away: reopening", b->path);
	if (b->polled)
		ev_fd_del(b->ev, fd);
	b->polled = false;
	close(fd);
	rw_set_fd(b->w, -1);
	b->need_full = true;
	note_stall(b);
	if (b->ev)
		ev_timer_after(b->ev, &b->reopen, REOPEN_MS);
}

/* Write what the output takes now. 0, or -1: the output is gone (a FIFO is
 * being reopened then). An output that cannot be reopened ends the run. */
static int out_flush(struct bgpt *b)
{
	int rc = rw_flush(b->w);

	if (rc < 0) {
		if (rw_error(b->w) == EPIPE && b->fifo) {
			reader_gone(b);
			return -1;
		}
		log_err("%s: write: %s", b->path, strerror(rw_error(b->w)));
		exit(EXIT_RUNTIME);
	}
	note_stall(b);
	watch(b);
	return 0;
}

/* The complete state, when the output has taken everything before it (a
 * reader that is behind gets one state, the newest, not a queue of them). */
static void send_full(struct bgpt *b, const struct rtset *s)
{
	struct rec_sync sy = { 0 };
	uint64_t out0 = rw_written(b->w);

	if (rw_fd(b->w) < 0 || rw_pending(b->w) > 0)
		return;
	b->need_full = false;
	REC_SET(&sy, SYNC_PHASE);
	sy.phase = SYNC_BEGIN;
	rw_sync(b->w, &sy);
	for (size_t i = 0; i < s->n; i++)
		put(b->w, &s->v[i].p, &s->v[i].nh, s->v[i].value, false);
	sy.phase = SYNC_END;
	rw_sync(b->w, &sy);
	/* (rw_route() writes out what it holds past 64 KiB) */
	b->full_bytes = (size_t)(rw_written(b->w) - out0) + rw_pending(b->w);
	b->fulls++;
	out_flush(b);
}

static void on_out(struct ev_loop *l, int fd, short re, void *arg)
{
	struct bgpt *b = arg;

	(void)l;
	(void)fd;
	/* no reader any more (told even when nothing waits to be written) */
	if ((re & (POLLERR | POLLHUP)) && !(re & POLLOUT)) {
		if (b->fifo) {
			reader_gone(b);
			return;
		}
		log_err("%s: the reader went away", b->path);
		exit(EXIT_RUNTIME);
	}
	if (out_flush(b) < 0)
		return;
	if (b->need_full && b->installed)
		send_full(b, b->installed);
}

static void on_reopen(struct ev_loop *l, void *arg)
{
	struct bgpt *b = arg;
	int fd = rec_open_output(b->path, true);

	if (fd < 0) {
		if (errno != ENXIO)
			log_err("cannot open %s: %s", b->path, strerror(errno));
		ev_timer_after(l, &b->reopen, REOPEN_MS);
		return;
	}
	log_info("%s: a reader is there: sending the complete state", b->path);
	rw_set_fd(b->w, fd);
	b->need_full = true;
	note_stall(b);
	watch(b);
	if (b->installed)
		send_full(b, b->installed);
}

static int bgp_send(struct target *t, const struct plan *pl, const struct op *ops,
		    size_t n, int *res)
{
	struct bgpt *b = (struct bgpt *)t;
	size_t slack = b->full_bytes > SLACK_MIN ? b->full_bytes : SLACK_MIN;

	for (size_t i = 0; i < n; i++) {
		const struct uent *e = &pl->u[ops[i].u];
		res[i] = 0;
		/* a complete state follows: it will carry this change */
		if (b->need_full || rw_fd(b->w) < 0)
			continue;
		if (rw_pending(b->w) > slack) {
			/* the reader is a complete state behind: the next
			 * complete state replaces what it has not got */
			log_info("%s: the reader is behind: a complete state replaces the changes",
				 b->path);
			b->need_full = true;
			continue;
		}
		put(b->w, &e->p, &e->nnh, e->value, ops[i].kind == OP_DEL);
	}
	if (rw_fd(b->w) >= 0)
		out_flush(b);
	return 0;
}

static bool bgp_want_full(struct target *t)
{
	return ((struct bgpt *)t)->need_full;
}

static int bgp_full(struct target *t, const struct rtset *s)
{
	send_full((struct bgpt *)t, s);
	return 0;
}

static void bgp_attach(struct target *t, struct ev_loop *l, const struct rtset *installed)
{
	struct bgpt *b = (struct bgpt *)t;

	b->ev = l;
	b->installed = installed;
	ev_timer_init(&b->reopen, on_reopen, b);
	if (rw_fd(b->w) < 0)
		ev_timer_after(l, &b->reopen, REOPEN_MS);
	else
		watch(b);
}

static void bgp_stats(struct target *t, struct rec_writer *w)
{
	struct bgpt *b = (struct bgpt *)t;

	rw_u64(w, "fulls", b->fulls);
	rw_u64(w, "stalledms", b->stalled_since ? ev_now() - b->stalled_since : 0);
}

/* At exit: what waits (and a complete state, when one is owed) goes to a
 * reader that keeps taking it; a stopped one does not hold us up. */
static void finish(struct bgpt *b)
{
	ar_msec idle_until = ev_now() + EXIT_IDLE_MS;
	int fd = rw_fd(b->w);

	if (fd < 0)
		return;
	if (b->need_full && b->installed)
		send_full(b, b->installed);
	while (rw_fd(b->w) >= 0 && (rw_pending(b->w) || (b->need_full && b->installed))) {
		struct pollfd pf = { .fd = rw_fd(b->w), .events = POLLOUT };
		ar_msec now = ev_now();
		size_t before = rw_pending(b->w);
		if (now >= idle_until) {
			log_warn("%s: the reader took nothing for %d ms: %zu bytes not written",
				 b->path, EXIT_IDLE_MS, before);
			return;
		}
		if (poll(&pf, 1, (int)(idle_until - now)) < 0 && errno != EINTR)
			return;
		if (rw_flush(b->w) < 0) {
			if (rw_error(b->w) != EPIPE)
				log_err("%s: write: %s", b->path, strerror(rw_error(b->w)));
			return;
		}
		if (rw_pending(b->w) < before)
			idle_until = ev_now() + EXIT_IDLE_MS;
		if (b->need_full && b->installed)
			send_full(b, b->installed);
	}
}

static void bgp_free(struct target *t)
{
	struct bgpt *b = (struct bgpt *)t;
	if (b->w) {
		finish(b);
		if (b->polled)
			ev_fd_del(b->ev, rw_fd(b->w));
		if (b->ev)
			ev_timer_stop(b->ev, &b->reopen);
		rw_free(b->w);
	}
	free(b->path);
	free(b);
}

struct target *bgp_target_new(const char *path)
{
	struct bgpt *b = calloc(1, sizeof(*b));
	struct stat st;
	if (!b)
		return NULL;
	b->t.name = "bgp";
	b->t.send = bgp_send;
	b->t.free = bgp_free;
	b->t.want_full = bgp_want_full;
	b->t.full = bgp_full;
	b->t.attach = bgp_attach;
	b->t.stats = bgp_stats;
	b->path = strdup(path);
	b->need_full = true;
	b->fifo = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
	/* a FIFO: no waiting for the reader (ENXIO: it is tried again) */
	int fd = rec_open_output(path, b->fifo);
	if (fd < 0 && !(b->fifo && errno == ENXIO)) {
		log_err("cannot open %s: %s", path, strerror(errno));
		free(b->path);
		free(b);
		return NULL;
	}
	if (fd < 0)
		log_info("%s: waiting for a reader", path);
	/* standard output into a pipe is written without blocking too */
	b->nonblock = b->fifo;
	if (strcmp(path, "-") == 0) {
		int nfd = rec_stdout_nonblock();
		if (nfd >= 0) {
			fd = nfd;
			b->nonblock = true;
		}
	}
	b->w = rw_new(fd);
	b->stalled_since = fd < 0 ? ev_now() : 0;
	return &b->t;
}
