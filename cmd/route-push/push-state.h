/* The running route-push, shared by push.c and push-stats.c. */
#ifndef PUSH_STATE_H
#define PUSH_STATE_H

#include <stdio.h>

#include "ev.h"
#include "push.h"

struct push {
	const struct push_opts *o;
	struct ev_loop *ev;
	struct target *t;
	struct rec_reader *rr;
	struct snap snap;
	struct rtset installed, wanted, scratch;
	bool have_wanted;               /* a complete snapshot was accepted */
	bool holding;                   /* a mass withdrawal waits for agreement */
	bool input_fifo, input_done;
	bool pending;                   /* deferred or failed changes remain */
	bool pending_rate;              /* changes wait for the rate limit */
	struct bucket bucket;
	struct push_stats st;
	struct rec_writer *stats;
	bool stats_file;                /* --stats is a file: the last record, replaced */
	FILE *trace;
	uint64_t plans;
	struct ev_timer retry, verify, statst, gracet, statsd;
	ar_msec stats_last;             /* when the last stats record went out */
	ar_msec grace_until;            /* a restarted writer's first snapshots */
	struct rtset writer;            /* the writer's own state (without the kept routes) */
	/* what we want before the cap: a route the cap refuses comes back
	 * when a change makes room, without waiting for a complete state */
	struct rtset base;
	double batch_t0;                /* when the first queued change came */
	uint64_t batches;               /* batches of changes applied */
	bool stale_kept;                /* wanted holds routes the writer does not */
	int rc;
};

/* A stats record now. */
void push_write_stats(struct push *p);
/* After changes: a record at most once a second (batches may come every
 * millisecond), the last one never later than that. */
void push_stats_soon(struct push *p);

#endif
