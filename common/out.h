/* A record output that never blocks its loop: stdout, a file, or a named
 * FIFO whose readers come and go.
 *
 * A FIFO is opened O_WRONLY|O_NONBLOCK; with no reader yet (ENXIO) the
 * output is down and the open is tried again every OUT_REOPEN_MS. When the
 * reader goes (EPIPE, or POLLERR while nothing is written) the FIFO is
 * closed, what was not written is dropped, and the open is retried the same
 * way. Each time a reader comes, the owner's opened() writes its complete
 * state: a stateful stream always starts with one (DESIGN.md, stream rules).
 *
 * Writes go to the rec_writer (out_w()) and leave with out_flush(); what the
 * fd does not take waits for POLLOUT. The buffer is bounded by its high
 * water: past it out_takes() is false and the owner is told (blocked), so it
 * pushes back on its own input or stops queueing changes and sends a newer
 * complete state once the output has drained (a low water of 0: told only
 * when all that waited is written).
 *
 * Without a loop (a replay, a file conversion) the output blocks instead: a
 * FIFO's open waits for its reader and a flush writes everything.
 * Callbacks come from the loop or from out_flush(), never from out_start(). */
#ifndef AR_OUT_H
#define AR_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ev.h"
#include "rec.h"

/* How often a FIFO without its reader is opened again. */
#define OUT_REOPEN_MS 500

struct out_ops {
	/* A reader came (after out_start() found none, or after one left):
	 * the output is empty; write the complete state now. */
	void (*opened)(void *arg);
	/* The reader went away: nothing written reaches anyone until opened(). */
	void (*lost)(void *arg);
	/* Over the high water (true), or below it again (false). */
	void (*blocked)(void *arg, bool blocked);
	/* The output cannot go on (stdout's reader gone, a write error, a FIFO
	 * that cannot be opened again); already logged. Nothing more is written. */
	void (*failed)(void *arg, int err);
};

struct out;

/* path "-" is stdout. l NULL: the blocking output of a run without a loop.
 * ops may be NULL, and so may each of its callbacks. */
struct out *out_new(struct ev_loop *l, const char *path, const struct out_ops *ops, void *arg);
void out_free(struct out *o);
/* The writer's high water (any time); a FIFO's pipe buffer size (before
 * out_start()). */
void out_set_high_water(struct out *o, size_t bytes);
void out_set_pipe_size(struct out *o, int bytes);
/* Once over the high water, the output takes records again (blocked(false),
 * out_takes()) only when at most this many bytes wait; by default as soon
 * as it is below the high water. */
void out_set_low_water(struct out *o, size_t bytes);
/* Open it (a regular file starts empty). 0: open, or waiting for a FIFO's
 * reader (out_up() says which); -1 when it cannot be opened (logged). */
int out_start(struct out *o);

struct rec_writer *out_w(struct out *o);
/* A reader is there: what is written reaches it. */
bool out_up(const struct out *o);
/* Up and below the high water: records may be written now. */
bool out_takes(const struct out *o);
bool out_failed(const struct out *o);
const char *out_name(const struct out *o);
/* Milliseconds since the output last had all written to it taken (or since
 * it lost its reader, or started without one); 0 while it is caught up, and
 * once it has failed (nothing waits any more). */
uint64_t out_stalled_ms(const struct out *o);
/* After writing: what the fd takes now goes, the rest waits for POLLOUT.
 * While down, what was written is dropped. */
void out_flush(struct out *o);
/* At exit: write what is pending, waiting at most ms (-1: as long as the
 * reader takes). 0, or -1 when it failed or time ran out. */
int out_drain(struct out *o, int ms);
/* At exit, for a reader that may be slow or stopped: write what is pending
 * while the reader takes it, giving up (logged) once it has taken nothing
 * for idle_ms. 0 when all is written, -1 otherwise. */
int out_drain_idle(struct out *o, int idle_ms);

#endif
