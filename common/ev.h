/* A small poll() event loop with timers on the monotonic clock.
 * Timers live in a deadline-sorted list; the earliest feeds poll()'s timeout.
 * The signal self-pipe is registered automatically; ev_run() returns when a
 * stop is requested. */
#ifndef AR_EV_H
#define AR_EV_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

typedef uint64_t ar_msec;   /* milliseconds on CLOCK_MONOTONIC */
ar_msec ev_now(void);
/* Wall clock in microseconds since the epoch (record timestamps). */
uint64_t ev_wall_us(void);

struct ev_loop;
typedef void ev_fd_fn(struct ev_loop *l, int fd, short revents, void *arg);
typedef void ev_timer_fn(struct ev_loop *l, void *arg);

struct ev_timer {
	TAILQ_ENTRY(ev_timer) entry;
	ar_msec deadline;
	bool armed;
	uint64_t round;         /* the loop's timer round it was armed in */
	ev_timer_fn *fn;
	void *arg;
};

struct ev_loop *ev_new(void);
void ev_free(struct ev_loop *l);

int ev_fd_add(struct ev_loop *l, int fd, short events, ev_fd_fn *fn, void *arg);
void ev_fd_events(struct ev_loop *l, int fd, short events);   /* change interest */
void ev_fd_del(struct ev_loop *l, int fd);

void ev_timer_init(struct ev_timer *t, ev_timer_fn *fn, void *arg);
void ev_timer_after(struct ev_loop *l, struct ev_timer *t, ar_msec ms);
void ev_timer_at(struct ev_loop *l, struct ev_timer *t, ar_msec deadline);
void ev_timer_stop(struct ev_loop *l, struct ev_timer *t);

/* One poll round (timeout capped at max_ms, -1 for none); runs due timers and
 * ready fds. Returns -1 when a stop was requested, 0 otherwise. */
int ev_run_once(struct ev_loop *l, int max_ms);
/* Rounds until a stop is requested or ev_break(). */
void ev_run(struct ev_loop *l);
void ev_break(struct ev_loop *l);
/* Called on SIGHUP from inside the loop. */
void ev_on_reload(struct ev_loop *l, void (*fn)(struct ev_loop *, void *), void *arg);

#endif
