/* The one output policy of the stages (out.h): non-blocking writes, a
 * bounded buffer, a FIFO reopened on a timer, the complete state again for
 * every new reader. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "out.h"

struct out {
	struct ev_loop *l;              /* NULL: blocking */
	char *path;                     /* NULL: stdout */
	const struct out_ops *ops;
	void *arg;
	struct rec_writer *w;
	int fd;                         /* -1 while down */
	int pipe_size;
	int stdout_flags;               /* stdout's flags before ours, -1 untouched */
	bool stdout_own;                /* stdout's pipe on a file description of ours */
	bool fifo;                      /* a named FIFO: its readers come and go */
	bool full;                      /* over the high water, the owner told */
	bool low_set;                   /* taking again only at low_water */
	size_t low_water;
	ar_msec stalled_since;          /* 0: all written was taken */
	bool waited;                    /* down since the start or a loss: say when a reader comes */
	bool failed;
	struct ev_timer reopen;
};

static const struct out_ops no_ops;

const char *out_name(const struct out *o) { return o->path ? o->path : "stdout"; }
struct rec_writer *out_w(struct out *o) { return o->w; }
bool out_up(const struct out *o) { return o->fd >= 0; }
bool out_failed(const struct out *o) { return o->failed; }
void out_set_high_water(struct out *o, size_t bytes) { rw_set_high_water(o->w, bytes); }
void out_set_pipe_size(struct out *o, int bytes) { o->pipe_size = bytes; }

void out_set_low_water(struct out *o, size_t bytes)
{
	o->low_set = true;
	o->low_water = bytes;
}

/* Over the high water, or (with a low water) not yet down to it again. */
static bool over(const struct out *o)
{
	return rw_would_block(o->w) ||
	       (o->full && o->low_set && rw_pending(o->w) > o->low_water);
}

bool out_takes(const struct out *o) { return o->fd >= 0 && !over(o); }

/* Stalled: down (a reader to wait for), or bytes the fd has not taken. */
static void note_stall(struct out *o)
{
	if (o->failed || (o->fd >= 0 && rw_pending(o->w) == 0))
		o->stalled_since = 0;
	else if (!o->stalled_since)
		o->stalled_since = ev_now();
}

uint64_t out_stalled_ms(const struct out *o)
{
	return o->stalled_since ? (uint64_t)(ev_now() - o->stalled_since) : 0;
}

static void on_reopen(struct ev_loop *l, void *arg);

struct out *out_new(struct ev_loop *l, const char *path, const struct out_ops *ops, void *arg)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->l = l;
	o->ops = ops ? ops : &no_ops;
	o->arg = arg;
	o->fd = -1;
	o->stdout_flags = -1;
	o->w = rw_new(-1);
	if (strcmp(path, "-") != 0)
		o->path = strdup(path);
	if (!o->w || (strcmp(path, "-") != 0 && !o->path)) {
		rw_free(o->w);
		free(o);
		return NULL;
	}
	ev_timer_init(&o->reopen, on_reopen, o);
	return o;
}

/* Not open any more: what was not written is dropped with the reader. */
static void down(struct out *o)
{
	if (o->fd >= 0) {
		if (o->l)
			ev_fd_del(o->l, o->fd);
		if (o->path || o->stdout_own)
			close(o->fd);
	}
	o->fd = -1;
	o->full = false;
	rw_set_fd(o->w, -1);
	note_stall(o);
}

static void fail(struct out *o, int e)
{
	log_err("output %s: %s", out_name(o), e == EPIPE ? "the reader went away" : strerror(e));
	down(o);
	o->failed = true;
	note_stall(o);
}

/* EPIPE on a FIFO is a reader gone; anything else, or stdout, is the end. */
static void gone(struct out *o, int e)
{
	if (o->fifo && o->l && e == EPIPE) {
		log_warn("output %s: the reader went away; reopening", out_name(o));
		down(o);
		o->waited = true;
		ev_timer_after(o->l, &o->reopen, OUT_REOPEN_MS);
		if (o->ops->lost)
			o->ops->lost(o->arg);
		return;
	}
	fail(o, e);
	if (o->ops->failed)
		o->ops->failed(o->arg, e);
}

static void step(struct out *o);

static void on_fd(struct ev_loop *l, int fd, short re, void *arg)
{
	struct out *o = arg;
	(void)l; (void)fd;

	/* POLLERR on a pipe's write end: its reader went away. A stream with
	 * nothing to write learns it only so, before its next record. */
	if (re & (POLLERR | POLLHUP)) {
		gone(o, EPIPE);
		return;
	}
	if (re & POLLNVAL) {
		gone(o, EBADF);
		return;
	}
	step(o);
}

static void attach(struct out *o, int fd)
{
	struct stat st;

	o->fd = fd;
	rw_set_fd(o->w, fd);
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && o->pipe_size > 0 &&
	    fcntl(fd, F_SETPIPE_SZ, o->pipe_size) < 0)
		log_debug("output %s: pipe size: %s", out_name(o), strerror(errno));
	/* watched with no events while nothing waits: POLLERR still comes */
	if (o->l)
		ev_fd_add(o->l, fd, 0, on_fd, o);
}

/* Write what the fd takes; tell the owner when the high water is crossed. */
static void step(struct out *o)
{
	int rc;

	if (o->fd < 0) {
		rw_set_fd(o->w, -1);
		return;
	}
	rc = rw_flush(o->w);
	while (!o->l && rc == 1) {
		struct pollfd p = { o->fd, POLLOUT, 0 };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		rc = rw_flush(o->w);
	}
	if (rc < 0) {
		gone(o, rw_error(o->w));
		return;
	}
	note_stall(o);
	if (o->l)
		ev_fd_events(o->l, o->fd, rc ? POLLOUT : 0);
	/* last: blocked(false) may write (a complete state) and flush again */
	bool full = over(o);
	if (full != o->full) {
		o->full = full;
		if (o->ops->blocked)
			o->ops->blocked(o->arg, full);
	}
}

void out_flush(struct out *o) { step(o); }

static void on_reopen(struct ev_loop *l, void *arg)
{
	struct out *o = arg;
	int fd = open(o->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		/* no reader yet, or the FIFO is being made again */
		if (errno == ENXIO || errno == ENOENT || errno == EINTR) {
			ev_timer_after(l, &o->reopen, OUT_REOPEN_MS);
			return;
		}
		fail(o, errno);
		if (o->ops->failed)
			o->ops->failed(o->arg, errno);
		return;
	}
	attach(o, fd);
	if (o->waited)
		log_info("output %s: a reader is there", out_name(o));
	o->waited = false;
	if (o->ops->opened)
		o->ops->opened(o->arg);
	step(o);
}

int out_start(struct out *o)
{
	int fd;
	struct stat st;

	if (!o->path) {
		/* a pipe: written on an open file description of our own (Linux),
		 * so that O_NONBLOCK does not reach the other writers of the pipe */
		if (o->l && fstat(1, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    (fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
			o->stdout_own = true;
			attach(o, fd);
			return 0;
		}
		if (o->l) {
			o->stdout_flags = fcntl(1, F_GETFL);
			if (o->stdout_flags >= 0)
				fcntl(1, F_SETFL, o->stdout_flags | O_NONBLOCK);
		}
		attach(o, 1);
		return 0;
	}
	/* a file starts empty: one run's records, readable as a stream */
	fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (o->l ? O_NONBLOCK : 0), 0644);
	if (fd < 0 && errno == ENXIO && o->l) {
		o->fifo = true;
		o->waited = true;
		note_stall(o);
		log_info("output %s: waiting for a reader", o->path);
		ev_timer_after(o->l, &o->reopen, OUT_REOPEN_MS);
		return 0;
	}
	if (fd < 0) {
		log_err("cannot open %s: %s", o->path, strerror(errno));
		return -1;
	}
	o->fifo = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	attach(o, fd);
	return 0;
}

/* ms < 0: as long as it takes; idle: ms counts from the last progress. */
static int drain(struct out *o, int ms, bool idle)
{
	ar_msec until = ev_now() + (ar_msec)(ms < 0 ? 0 : ms);
	uint64_t took = rw_written(o->w);
	int rc;

	if (o->fd < 0)
		return o->failed ? -1 : 0;
	if (ms < 0)
		fcntl(o->fd, F_SETFL, fcntl(o->fd, F_GETFL) & ~O_NONBLOCK);
	while ((rc = rw_flush(o->w)) == 1) {
		ar_msec now = ev_now();
		struct pollfd p = { o->fd, POLLOUT, 0 };
		if (idle && rw_written(o->w) != took) {
			took = rw_written(o->w);
			until = now + (ar_msec)ms;
		}
		if (ms >= 0 && now >= until) {
			if (idle)
				log_warn("output %s: the reader took nothing for %d ms: %zu bytes not written",
					 out_name(o), ms, rw_pending(o->w));
			note_stall(o);
			return -1;
		}
		if (poll(&p, 1, ms < 0 ? -1 : (int)(until - now)) < 0 && errno != EINTR)
			return -1;
	}
	if (rc < 0) {
		fail(o, rw_error(o->w));
		return -1;
	}
	note_stall(o);
	return 0;
}

int out_drain(struct out *o, int ms) { return drain(o, ms, false); }
int out_drain_idle(struct out *o, int idle_ms) { return drain(o, idle_ms < 0 ? 0 : idle_ms, true); }

void out_free(struct out *o)
{
	if (!o)
		return;
	if (o->l)
		ev_timer_stop(o->l, &o->reopen);
	down(o);
	/* stdout is shared with whoever started us: leave it as it was */
	if (o->stdout_flags >= 0)
		fcntl(1, F_SETFL, o->stdout_flags);
	rw_free(o->w);
	free(o->path);
	free(o);
}
