/* route-push's stats record: what it holds, and when it goes out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"
#include "log.h"
#include "push.h"
#include "push-state.h"

void push_write_stats(struct push *p)
{
	if (!p->stats)
		return;
	struct push_stats *s = &p->st;
	rw_begin(p->stats, "stats");
	rw_str(p->stats, "stage", "route-push");
	rw_u64(p->stats, "ts", ev_wall_us());
	rw_u64(p->stats, "snapshots", s->snapshots);
	rw_u64(p->stats, "installed", rtset_count_af(&p->installed, AR_AF4));
	rw_u64(p->stats, "installed6", rtset_count_af(&p->installed, AR_AF6));
	rw_u64(p->stats, "added", s->added);
	rw_u64(p->stats, "removed", s->removed);
	rw_u64(p->stats, "replaced", s->replaced);
	rw_u64(p->stats, "refused", s->refused);
	rw_u64(p->stats, "failed", s->failed);
	for (size_t e = 1; e < sizeof(s->failed_by_errno) / sizeof(s->failed_by_errno[0]); e++) {
		const char *name = strerrorname_np((int)e);
		char key[64];
		if (!s->failed_by_errno[e] || !name)
			continue;
		snprintf(key, sizeof(key), "failed_%s", name);
		rw_u64(p->stats, key, s->failed_by_errno[e]);
	}
	rw_u64(p->stats, "deferred", s->deferred);
	rw_u64(p->stats, "held", s->held);
	rw_u64(p->stats, "repaired", s->repaired);
	rw_u64(p->stats, "resyncs", s->resyncs);
	rw_u64(p->stats, "kept_stale", s->kept_stale);
	rw_u64(p->stats, "kept_dropped", s->kept_dropped);
	uint64_t bad = 0;
	for (int k = 0; p->rr && k < RR_BAD_N; k++)
		bad += rr_stats(p->rr)->bad[k];
	rw_u64(p->stats, "malformed", bad);
	rw_u64(p->stats, "ignored", p->snap.ignored);
	rw_u64(p->stats, "dropped", p->snap.col.dropped);
	rw_u64(p->stats, "deltas", p->snap.deltas);
	rw_u64(p->stats, "deltaignored", p->snap.delta_ignored);
	rw_u64(p->stats, "deltabatches", p->batches);
	rw_f64(p->stats, "latency_ms", s->latency_ms);
	rw_f64(p->stats, "latency_max_ms", s->latency_max_ms);
	if (p->t->stats)
		p->t->stats(p->t, p->stats);
	rw_end(p->stats);
	if (p->stats_file) {
		static struct log_rl rl;
		if (rw_replace_file(p->stats, p->o->stats) < 0)
			log_rl(&rl, LOG_WARN, "cannot write %s: %s", p->o->stats, strerror(errno));
	} else {
		while (rw_flush(p->stats) > 0)
			;
	}
	p->stats_last = ev_now();
}

void push_stats_soon(struct push *p)
{
	if (!p->stats)
		return;
	if (ev_now() >= p->stats_last + 1000)
		push_write_stats(p);
	else if (!p->statsd.armed)
		ev_timer_at(p->ev, &p->statsd, p->stats_last + 1000);
}
