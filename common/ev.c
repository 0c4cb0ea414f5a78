/* poll() loop with deadline-sorted timers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev.h"
#include "log.h"
#include "sig.h"

struct ev_fd {
	ev_fd_fn *fn;
	void *arg;
};

struct ev_loop {
	struct pollfd *pfd;
	struct ev_fd *fds;
	size_t n, cap;
	TAILQ_HEAD(, ev_timer) timers;
	bool brk;
	uint64_t round;                 /* run_timers() passes */
	void (*reload_fn)(struct ev_loop *, void *);
	void *reload_arg;
};

ar_msec ev_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ar_msec)ts.tv_sec * 1000 + (ar_msec)ts.tv_nsec / 1000000;
}

uint64_t ev_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct ev_loop *ev_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	TAILQ_INIT(&l->timers);
	if (sig_fd() >= 0)
		ev_fd_add(l, sig_fd(), POLLIN, NULL, NULL);
	return l;
}

void ev_free(struct ev_loop *l)
{
	if (!l)
		return;
	free(l->pfd);
	free(l->fds);
	free(l);
}

static ssize_t find_fd(struct ev_loop *l, int fd)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->pfd[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

int ev_fd_add(struct ev_loop *l, int fd, short events, ev_fd_fn *fn, void *arg)
{
	ssize_t i = find_fd(l, fd);
	if (i < 0) {
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 8;
			struct pollfd *np = reallocarray(l->pfd, ncap, sizeof(*np));
			if (!np)
				return -1;
			l->pfd = np;
			struct ev_fd *nf = reallocarray(l->fds, ncap, sizeof(*nf));
			if (!nf)
				return -1;
			l->fds = nf;
			l->cap = ncap;
		}
		i = (ssize_t)l->n++;
	}
	l->pfd[i].fd = fd;
	l->pfd[i].events = events;
	l->pfd[i].revents = 0;
	l->fds[i].fn = fn;
	l->fds[i].arg = arg;
	return 0;
}

void ev_fd_events(struct ev_loop *l, int fd, short events)
{
	ssize_t i = find_fd(l, fd);
	if (i >= 0)
		l->pfd[i].events = events;
}

void ev_fd_del(struct ev_loop *l, int fd)
{
	ssize_t i = find_fd(l, fd);
	if (i < 0)
		return;
	/* Mark, compact after the dispatch round: callbacks may delete fds. */
	l->pfd[i].fd = -1;
	l->pfd[i].events = 0;
	l->fds[i].fn = NULL;
}

static void compact(struct ev_loop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->pfd[i].fd < 0)
			continue;
		l->pfd[j] = l->pfd[i];
		l->fds[j] = l->fds[i];
		j++;
	}
	l->n = j;
}

void ev_timer_init(struct ev_timer *t, ev_timer_fn *fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void ev_timer_stop(struct ev_loop *l, struct ev_timer *t)
{
	if (t->armed) {
		TAILQ_REMOVE(&l->timers, t, entry);
		t->armed = false;
	}
}

void ev_timer_at(struct ev_loop *l, struct ev_timer *t, ar_msec deadline)
{
	struct ev_timer *it;

	ev_timer_stop(l, t);
	t->deadline = deadline;
	t->armed = true;
	t->round = l->round;
	TAILQ_FOREACH(it, &l->timers, entry)
		if (it->deadline > deadline) {
			TAILQ_INSERT_BEFORE(it, t, entry);
			return;
		}
	TAILQ_INSERT_TAIL(&l->timers, t, entry);
}

void ev_timer_after(struct ev_loop *l, struct ev_timer *t, ar_msec ms)
{
	ev_timer_at(l, t, ev_now() + ms);
}

void ev_on_reload(struct ev_loop *l, void (*fn)(struct ev_loop *, void *), void *arg)
{
	l->reload_fn = fn;
	l->reload_arg = arg;
}

/* A callback that re-arms a timer for "now" must not run it again in the
 * same round (a busy loop): timers armed during this round wait for the next. */
static void run_timers(struct ev_loop *l)
{
	ar_msec now = ev_now();
	struct ev_timer *t;

	l->round++;
	while ((t = TAILQ_FIRST(&l->timers)) && t->deadline <= now && t->round != l->round) {
		TAILQ_REMOVE(&l->timers, t, entry);
		t->armed = false;
		t->fn(l, t->arg);
	}
}

int ev_run_once(struct ev_loop *l, int max_ms)
{
	struct ev_timer *t = TAILQ_FIRST(&l->timers);
	int timeout = max_ms;

	if (t) {
		ar_msec now = ev_now();
		ar_msec wait = t->deadline > now ? t->deadline - now : 0;
		if (timeout < 0 || wait < (ar_msec)timeout)
			timeout = wait > 60000 ? 60000 : (int)wait;
	}
	if (sig_stop_requested())
		return -1;
	int n = poll(l->pfd, (nfds_t)l->n, timeout);
	if (n < 0 && errno != EINTR) {
		log_err("poll: %s", strerror(errno));
		return -1;
	}
	if (sig_stop_requested())
		return -1;
	size_t count = l->n;            /* fds added by callbacks wait a round */
	for (size_t i = 0; n > 0 && i < count; i++) {
		short re = l->pfd[i].revents;
		if (!re || l->pfd[i].fd < 0)
			continue;
		l->pfd[i].revents = 0;
		if (l->pfd[i].fd == sig_fd()) {
			sig_drain();
			continue;
		}
		if (l->fds[i].fn)
			l->fds[i].fn(l, l->pfd[i].fd, re, l->fds[i].arg);
	}
	compact(l);
	if (sig_take_reload() && l->reload_fn)
		l->reload_fn(l, l->reload_arg);
	run_timers(l);
	return sig_stop_requested() ? -1 : 0;
}

void ev_run(struct ev_loop *l)
{
	l->brk = false;
	while (!l->brk && ev_run_once(l, -1) == 0)
		;
}

void ev_break(struct ev_loop *l) { l->brk = true; }
