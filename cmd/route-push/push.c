/* The program: read snapshots, guard them, plan, apply, keep the target
 * reconciled, report. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "prog.h"
#include "push.h"
#include "push-state.h"
#include "sig.h"

static void on_stats_due(struct ev_loop *l, void *arg)
{
	(void)l;
	push_write_stats(arg);
}

/* Read the target again; what differs from what we believed is drift
 * (someone else's doing, or replies we lost) and gets repaired. */
static int resync(struct push *p, bool count)
{
	if (!p->t->dump)
		return 0;
	if (p->t->dump(p->t, &p->scratch) < 0)
		return -1;
	if (count) {
		size_t diff = count_removals(&p->installed, &p->scratch) +
			      count_removals(&p->scratch, &p->installed);
		/* next-hop changes */
		for (size_t i = 0, j = 0; i < p->installed.n && j < p->scratch.n;) {
			int c = rt_cmp(&p->installed.v[i], &p->scratch.v[j]);
			if (c == 0 && addr_cmp(&p->installed.v[i].nh, &p->scratch.v[j].nh))
				diff++;
			i += c <= 0;
			j += c >= 0;
		}
		if (diff)
			log_warn("%zu routes drifted from what was installed: repairing", diff);
		p->st.repaired += diff;
	}
	struct rtset t = p->installed;
	p->installed = p->scratch;
	p->scratch = t;
	if (p->trace) {
		fprintf(p->trace, "reset\n");
		trace_set(p->trace, "have", &p->installed);
		fflush(p->trace);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void apply(struct push *p, bool change)
{
	double t0 = now_ms();
	for (int round = 0; round < 2; round++) {
		struct plan_limits lim = {
			.max4 = p->o->max4, .max6 = p->o->max6,
			.budget = bucket_avail(&p->bucket, ev_now()),
		};
		if (lim.budget == 0) {
			p->pending = p->pending_rate = true;
			break;
		}
		struct plan pl;
		if (plan_build(&pl, &p->installed, &p->wanted, &lim) < 0) {
			log_err("planning: %s", strerror(errno));
			p->pending = true;
			return;
		}
		p->plans++;
		double t1 = now_ms();
		if (p->trace) {
			fprintf(p->trace, "plan %llu\n", (unsigned long long)p->plans);
			trace_set(p->trace, "want", &p->wanted);
		}
		bool need_resync = false;
		uint64_t failed0 = p->st.failed, deferred0 = p->st.deferred;
		plan_execute(&pl, p->t, &p->st, p->trace, &need_resync);
		log_debug("plan %llu: built in %.1f ms, executed in %.1f ms",
			  (unsigned long long)p->plans, t1 - t0, now_ms() - t1);
		bucket_take(&p->bucket, pl.nops);
		p->st.deferred += pl.deferred;
		if (p->trace) {
			fprintf(p->trace, "end %llu\n", (unsigned long long)p->plans);
			fflush(p->trace);
		}
		if (pl.nops || pl.deferred)
			log_info("plan %llu: %zu add, %zu replace, %zu del, %zu deferred, %zu trees rebuilt",
				 (unsigned long long)p->plans, pl.adds, pl.reps, pl.dels,
				 pl.deferred, pl.rebuilt);
		p->pending_rate = pl.deferred > 0;
		p->pending = pl.deferred > 0 || p->st.failed > failed0 || p->st.deferred > deferred0;
		if (plan_result(&pl, &p->installed) < 0)
			need_resync = true;
		plan_free(&pl);
		if (p->t->want_full && p->t->want_full(p->t))
			p->t->full(p->t, &p->installed);
		if (!need_resync)
			break;
		p->st.resyncs++;
		if (resync(p, false) < 0) {
			p->pending = true;
			break;
		}
	}
	double ms = now_ms() - t0;
	p->st.latency_ms = ms;
	if (ms > p->st.latency_max_ms)
		p->st.latency_max_ms = ms;
	if (p->pending) {
		double s = p->pending_rate ? 1 : p->o->retry_interval;
		ev_timer_after(p->ev, &p->retry, (ar_msec)(s * 1000));
	}
	if (change)
		push_stats_soon(p);
	else
		push_write_stats(p);
}

/* A writer that just restarted (prefix-rank with its rates starting from
 * zero) sends thin snapshots at first: during the grace time its snapshots
 * add and change routes but remove none. Old routes kept beside new ones
 * answer with the old next hop at worst, never hide. They count for nothing
 * at the cap: when old and new do not fit together, the old ones leave
 * first (the new writer's rates start from zero, and its new hot prefixes
 * were refused for the whole grace against the old ones' old values). */
static int keep_stale(struct push *p, struct rtset *w)
{
	struct rtset u = { 0 };
	size_t i = 0, j = 0, kept = 0;
	while (i < p->installed.n || j < w->n) {
		int c = i == p->installed.n ? 1 : j == w->n ? -1
			: rt_cmp(&p->installed.v[i], &w->v[j]);
		struct rt old;
		const struct rt *r = &w->v[j];
		if (c < 0) {
			old = p->installed.v[i];
			old.value = 0;
			r = &old;
		}
		if (rtset_push(&u, r) < 0) {
			rtset_free(&u);
			return -1;
		}
		kept += c < 0;
		i += c <= 0;
		j += c >= 0;
	}
	rtset_free(w);
	*w = u;
	p->st.kept_stale += kept;
	if (kept)
		log_info("writer restarted %.1fs ago: keeping %zu routes its snapshot drops",
			 (double)(ev_now() - (p->grace_until - (ar_msec)(p->o->grace * 1000))) / 1000, kept);
	return 0;
}

static void on_snapshot(struct push *p)
{
	struct rtset w = { 0 };
	snap_take(&p->snap, &w);
	p->st.snapshots++;
	if (rtset_copy(&p->writer, &w) < 0) {
		log_err("out of memory: snapshot dropped");
		rtset_free(&w);
		return;
	}
	p->stale_kept = false;
	if (p->grace_until && ev_now() < p->grace_until) {
		uint64_t kept0 = p->st.kept_stale;
		if (keep_stale(p, &w) < 0) {
			log_err("out of memory: snapshot dropped");
			rtset_free(&w);
			return;
		}
		/* Changes never remove the kept routes: the grace's end does. */
		if ((p->stale_kept = p->st.kept_stale > kept0))
			ev_timer_after(p->ev, &p->gracet, p->grace_until - ev_now() + 1);
	}
	struct rtset pre = { 0 };
	if (rtset_copy(&pre, &w) < 0) {
		log_err("out of memory: snapshot dropped");
		rtset_free(&w);
		return;
	}
	size_t refused = cap_apply(&w, p->o->max4, p->o->max6);
	if (refused) {
		p->st.refused += refused;
		log_warn("snapshot %llu: %zu routes over the cap refused",
			 (unsigned long long)p->st.snapshots, refused);
	}
	size_t rm = count_removals(&p->installed, &w);
	bool mass = p->installed.n > 0 &&
		    (double)rm * 100.0 > p->o->withdraw_pct * (double)p->installed.n;
	if (mass && !p->holding) {
		p->holding = true;
		p->st.held++;
		log_warn("snapshot %llu would remove %zu of %zu routes: held until the next one agrees",
			 (unsigned long long)p->st.snapshots, rm, p->installed.n);
		rtset_free(&w);
		rtset_free(&pre);
		push_write_stats(p);
		return;
	}
	p->holding = false;
	rtset_free(&p->wanted);
	p->wanted = w;
	rtset_free(&p->base);
	p->base = pre;
	p->have_wanted = true;
	apply(p, false);
}

/* Changes after a complete state, merged when the input went idle (or
 * after a bounded batch): the same cap, plan, ordering, rate and trace as
 * a snapshot. An explicit del is the writer's word, so neither the
 * restart grace nor the mass-withdrawal hold applies to changes. */
/* A batch goes out when the input has nothing more ready, or after this
 * long or this many changes, whichever comes first: a steady stream must
 * not keep its first change waiting. */
#define CHANGES_BATCH 4096
#define CHANGES_MS 1.0

static struct log_rl cap_rl, kept_rl;

static void on_changes(struct push *p)
{
	if (!p->snap.cn)
		return;
	/* the first complete state was held: until one is taken, what we want
	 * is what is installed, not an empty table */
	bool ok = p->have_wanted || rtset_copy(&p->base, &p->installed) == 0;
	struct rtset w = { 0 }, old = { 0 };
	ok = ok && (!p->stale_kept || rtset_copy(&old, &p->base) == 0) &&
	     snap_merge(&p->snap, &p->base) == 0 && snap_merge(&p->snap, &p->writer) == 0;
	if (ok && p->stale_kept) {
		size_t dropped = kept_drop_above(&p->base, &old, &p->writer);
		p->st.kept_dropped += dropped;
		if (dropped)
			log_rl(&kept_rl, LOG_INFO, "changes: %zu kept routes above the routes that left go with them",
			       dropped);
	}
	rtset_free(&old);
	ok = ok && rtset_copy(&w, &p->base) == 0;
	p->snap.cn = 0;
	if (!ok) {
		log_err("out of memory applying changes: waiting for the next complete state");
		p->snap.have_full = false;
		rtset_free(&w);
		return;
	}
	p->batches++;
	size_t refused = cap_apply(&w, p->o->max4, p->o->max6);
	if (refused) {
		p->st.refused += refused;
		log_rl(&cap_rl, LOG_WARN, "changes: %zu routes over the cap refused", refused);
	}
	rtset_free(&p->wanted);
	p->wanted = w;
	p->have_wanted = true;
	apply(p, true);
}

static bool batch_due(const struct push *p)
{
	return p->snap.cn >= CHANGES_BATCH || now_ms() - p->batch_t0 >= CHANGES_MS;
}

static bool input_ready(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	return poll(&pf, 1, 0) > 0;
}

/* The restart grace is over: the routes kept beside the new writer's state
 * leave (changes since its complete state are in p->writer). */
static void on_grace_end(struct ev_loop *l, void *arg)
{
	struct push *p = arg;
	struct rtset w = { 0 };

	(void)l;
	if (!p->stale_kept || rtset_copy(&w, &p->writer) < 0)
		return;
	p->stale_kept = false;
	log_info("restart grace over: %zu routes kept beside the writer's state leave",
		 p->base.n > w.n ? p->base.n - w.n : 0);
	if (rtset_copy(&p->base, &w) < 0) {
		rtset_free(&w);
		return;
	}
	cap_apply(&w, p->o->max4, p->o->max6);
	rtset_free(&p->wanted);
	p->wanted = w;
	apply(p, false);
}

static void maybe_finish(struct push *p)
{
	if (p->input_done && !p->pending_rate)
		ev_break(p->ev);
}

static void on_input(struct ev_loop *l, int fd, short rev, void *arg);

static int open_input(struct push *p)
{
	int fd = rec_open_input(p->o->input, p->input_fifo);
	if (fd < 0) {
		log_err("cannot open %s: %s", p->o->input, strerror(errno));
		return -1;
	}
	if (p->rr)
		rr_set_fd(p->rr, fd);
	else
		p->rr = rr_new(fd, p->o->input);
	ev_fd_add(p->ev, fd, POLLIN, on_input, p);
	return 0;
}

static void on_input(struct ev_loop *l, int fd, short rev, void *arg)
{
	struct push *p = arg;
	(void)rev;
	ssize_t n = rr_fill(p->rr);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (errno == EAGAIN)
			on_changes(p);          /* idle */
		return;
	}
	int err = errno;
	uint64_t ign0 = p->snap.delta_ignored;
	struct rec r;
	int k;
	while (rr_next(p->rr, &r) == 1) {
		if ((k = snap_feed(&p->snap, &r)) == 1) {
			on_snapshot(p);
		} else if (k == 2) {
			if (p->snap.cn == 1)
				p->batch_t0 = now_ms();
			/* the clock is read every 64 changes, not for each */
			if (p->snap.cn >= CHANGES_BATCH || (p->snap.cn % 64 == 0 && batch_due(p)))
				on_changes(p);
		}
	}
	if (p->snap.delta_ignored != ign0)
		push_stats_soon(p);
	/* Applied once the input has nothing more ready: a change never waits
	 * for a timer or for the next snapshot. */
	if (p->snap.cn && (n <= 0 || batch_due(p) || !input_ready(fd)))
		on_changes(p);
	if (n > 0)
		return;
	if (n < 0)
		log_err("%s: read: %s", p->o->input, strerror(err));
	rr_eof(p->rr);
	snap_abort(&p->snap);
	ev_fd_del(l, fd);
	if (fd != 0)
		close(fd);
	if (p->input_fifo && n == 0 && !sig_stop_requested()) {
		/* the writer restarted: keep the routes, wait for the next one */
		log_info("%s: writer went away: keeping %zu routes", p->o->input, p->installed.n);
		if (p->o->grace > 0)
			p->grace_until = ev_now() + (ar_msec)(p->o->grace * 1000);
		if (open_input(p) == 0)
			return;
		p->rc = EXIT_RUNTIME;
	}
	if (n < 0)
		p->rc = EXIT_RUNTIME;
	p->input_done = true;
	maybe_finish(p);
}

static void on_retry(struct ev_loop *l, void *arg)
{
	struct push *p = arg;
	(void)l;
	if (p->have_wanted)
		apply(p, false);
	maybe_finish(p);
}

static void on_verify(struct ev_loop *l, void *arg)
{
	struct push *p = arg;
	if (resync(p, true) == 0 && p->have_wanted)
		apply(p, false);
	ev_timer_after(l, &p->verify, (ar_msec)(p->o->verify_interval * 1000));
}

static void on_stats(struct ev_loop *l, void *arg)
{
	struct push *p = arg;
	push_write_stats(p);
	ev_timer_after(l, &p->statst, (ar_msec)(p->o->stats_interval * 1000));
}

static void on_reload(struct ev_loop *l, void *arg)
{
	(void)l;
	struct push *p = arg;
	/* SIGHUP: check the target now */
	log_info("reload: verifying the target");
	if (resync(p, true) == 0 && p->have_wanted)
		apply(p, false);
}

static void flush_routes(struct push *p)
{
	struct plan_limits lim = { .budget = UINT64_MAX };
	struct plan pl;
	bool rs;
	rtset_clear(&p->wanted);
	if (plan_build(&pl, &p->installed, &p->wanted, &lim) < 0)
		return;
	if (p->trace) {
		fprintf(p->trace, "plan flush\n");
	}
	plan_execute(&pl, p->t, &p->st, p->trace, &rs);
	plan_result(&pl, &p->installed);
	log_info("flushed: %zu routes removed, %zu left", pl.dels, p->installed.n);
	plan_free(&pl);
}

int push_run(const struct push_opts *o)
{
	static struct push p;
	p.o = o;
	/* plans of a million routes allocate and free ~100 MB each: keep that
	 * memory in the heap rather than mapping fresh pages every time */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	p.bucket.rate = o->max_rate;
	if (!(p.ev = ev_new()))
		return EXIT_RUNTIME;
	switch (o->mode) {
	case MODE_NETLINK:
		p.t = nl_target_new(&o->nl);
		break;
	case MODE_BGP:
		p.t = bgp_target_new(o->output, p.ev, &(struct nl_conf){
			.table = o->nl.table, .proto = o->bgp_fib_proto });
		break;
	case MODE_DRY:
		p.t = dry_target_new(stdout);
		break;
	}
	if (!p.t)
		return EXIT_RUNTIME;
	if (o->trace && !(p.trace = fopen(o->trace, "w"))) {
		log_err("cannot open %s: %s", o->trace, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (o->stats) {
		struct stat ss;
		bool fifo = stat(o->stats, &ss) == 0 && S_ISFIFO(ss.st_mode);
		/* "-" and a FIFO are streams of records; a file holds the last
		 * one, as every stage's does (a stream in a file would grow for
		 * as long as the program runs, in /run: memory) */
		p.stats_file = strcmp(o->stats, "-") != 0 && !fifo;
		int fd = p.stats_file ? -1 : rec_open_output(o->stats, false);
		if (!p.stats_file && fd < 0) {
			log_err("cannot open %s: %s", o->stats, strerror(errno));
			return EXIT_RUNTIME;
		}
		p.stats = rw_new(fd);
		/* an unwritable path is an error at the start, not a warning later */
		if (p.stats_file && rw_replace_file(p.stats, o->stats) < 0) {
			log_err("cannot write %s: %s", o->stats, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	/* what is there already: a restart must not flap routes */
	if (resync(&p, false) < 0)
		return EXIT_RUNTIME;
	if (p.installed.n)
		log_info("found %zu routes of ours installed", p.installed.n);
	struct stat sb;
	p.input_fifo = strcmp(o->input, "-") != 0 && stat(o->input, &sb) == 0 &&
		       S_ISFIFO(sb.st_mode);
	snap_init(&p.snap, o->input);
	if (open_input(&p) < 0)
		return EXIT_RUNTIME;
	ev_timer_init(&p.retry, on_retry, &p);
	ev_timer_init(&p.verify, on_verify, &p);
	ev_timer_init(&p.statst, on_stats, &p);
	ev_timer_init(&p.gracet, on_grace_end, &p);
	ev_timer_init(&p.statsd, on_stats_due, &p);
	if (o->verify_interval > 0)
		ev_timer_after(p.ev, &p.verify, (ar_msec)(o->verify_interval * 1000));
	if (o->stats_interval > 0 && p.stats)
		ev_timer_after(p.ev, &p.statst, (ar_msec)(o->stats_interval * 1000));
	ev_on_reload(p.ev, on_reload, &p);
	ev_run(p.ev);
	if (o->flush_on_exit && sig_stop_requested())
		flush_routes(&p);
	push_write_stats(&p);
	if (p.stats) {
		if (!p.stats_file)
			close(rw_fd(p.stats));
		rw_free(p.stats);
	}
	if (p.trace)
		fclose(p.trace);
	p.t->free(p.t);
	if (p.rr)
		rr_free(p.rr);
	snap_free(&p.snap);
	rtset_free(&p.installed);
	rtset_free(&p.wanted);
	rtset_free(&p.writer);
	rtset_free(&p.base);
	rtset_free(&p.scratch);
	ev_free(p.ev);
	return p.rc;
}
