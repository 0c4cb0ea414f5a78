/* The program around the core: inputs read with poll(), a tick that selects
 * and writes a FIB snapshot, and the replay mode that takes its time from the
 * flow records instead of the clock. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pr.h"
#include "sig.h"

static void on_delete(void *ctx, struct pfx *p)
{
	struct pr *pr = ctx;

	/* The next snapshot lacks it: route-push removes it. */
	if (p->flags & PFX_PREV) {
		pr->gone++;
		pr->pushed_removed++;
	}
	/* Only members of a selection carry these bits (and a full table
	 * sweep must not scan the lists for every prefix). */
	if (!(p->flags & (PFX_PREV | PFX_SEL)))
		return;
	delta_gone(pr, p);
	for (int i = 0; i < 2; i++) {
		sel_result_drop(&pr->prev[i], p);
		sel_result_drop(&pr->cur[i], p);
	}
}

static void peers_of_input(struct pr *pr, struct input *in, const struct rec_sync *s,
			   void (*fn)(struct pr *, int))
{
	if (REC_HAS(s, SYNC_PEER)) {
		int pi = rib_peer(&pr->rib, in->idx, &s->peer);
		if (pi >= 0)
			fn(pr, pi);
		return;
	}
	/* No peer named: the complete state of everything this input carries. */
	(void)rib_peer(&pr->rib, in->idx, NULL);
	for (size_t i = 0; i < pr->rib.npeers; i++)
		if (pr->rib.peers[i].input == in->idx)
			fn(pr, (int)i);
}

static void do_begin(struct pr *pr, int pi) { rib_sync_begin(&pr->rib, pi); }
static void do_end(struct pr *pr, int pi) { rib_sync_end(&pr->rib, pi); }
static void do_down(struct pr *pr, int pi)
{
	rib_peer_down(&pr->rib, pi, pr->now, (uint64_t)(pr->o->grace * 1000));
}

static void replay_clock(struct pr *pr, uint64_t ms)
{
	if (!pr->have_time) {
		pr->have_time = true;
		pr->now = ms;
		pr->rib.t0 = ms;
		pr->rib.tcache = UINT64_MAX;
		pr->next_tick = ms + (uint64_t)(pr->o->tick * 1000);
		return;
	}
	if (ms < pr->now)
		return;                 /* out of order: keep the clock monotonic */
	/* A timestamp far ahead (a recording with a gap, or a bad ts) must not
	 * cost a tick per second of the gap: once every rate has decayed away
	 * (50 time constants) and every stale route is swept (grace), further
	 * idle ticks change nothing, so they are skipped. */
	uint64_t step = (uint64_t)(pr->o->tick * 1000);
	uint64_t limit = pr->next_tick + (uint64_t)((50 * pr->o->tau + pr->o->grace) * 1000) + step;
	while (ms >= pr->next_tick) {
		if (pr->next_tick > limit) {
			uint64_t skipped = (ms - pr->next_tick) / step;
			pr->next_tick += skipped * step;
			limit = UINT64_MAX;
			log_rl(&pr->rl_clock, LOG_WARN, "replay: flow timestamps jump ahead; "
			       "%llu idle ticks skipped", (unsigned long long)skipped);
		}
		pr->now = pr->next_tick;
		pr_tick(pr);
		pr->next_tick += step;
	}
	pr->now = ms;
}

void pr_record(struct pr *pr, struct input *in, const struct rec *rec)
{
	in->records++;
	if (in->kind == IN_FLOWS) {
		const struct rec_flow *f = &rec->u.flow;
		if (rec->type == REC_ASIC && capacity_asic(pr, &rec->u.asic))
			return;
		if (pr->enrich && rec->type == REC_FLOW)
			enrich_flow(pr, in->rr, f);
		if (rec->type != REC_FLOW || !REC_HAS(f, FLOW_DST) ||
		    (REC_HAS(f, FLOW_DROPPED) && f->dropped)) {
			in->ignored++;
			return;
		}
		if (pr->o->replay) {
			if (!REC_HAS(f, FLOW_TS)) {
				in->ignored++;
				return;
			}
			replay_clock(pr, f->ts / 1000);
		}
		rate_flow(&pr->rib, REC_HAS(f, FLOW_SRC) ? &f->src : &(struct ar_addr){ 0 },
			  &f->dst, REC_HAS(f, FLOW_LEN) ? f->len : 0,
			  REC_HAS(f, FLOW_RATE) ? f->rate : 1, pr->now);
		if (pr->o->replay)
			pr_fast(pr);
		return;
	}
	switch (rec->type) {
	case REC_ROUTE: {
		const struct rec_route *rt = &rec->u.route;
		int pi = rib_peer(&pr->rib, in->idx, REC_HAS(rt, ROUTE_PEER) ? &rt->peer : NULL);
		if (pi < 0 || rib_update(&pr->rib, pi, rt) < 0)
			in->ignored++;
		return;
	}
	case REC_SYNC:
		peers_of_input(pr, in, &rec->u.sync,
			       rec->u.sync.phase == SYNC_BEGIN ? do_begin : do_end);
		return;
	case REC_PEER: {
		const struct rec_peer *p = &rec->u.peer;
		struct rec_sync s = { 0 };
		if (REC_HAS(p, PEER_PEER)) {
			s.peer = p->peer;
			REC_SET(&s, SYNC_PEER);
		}
		if (p->state == PEER_DOWN) {
			log_info("%s: peer down: its routes are stale for %gs", in->path, pr->o->grace);
			peers_of_input(pr, in, &s, do_down);
			pr->peer_up = false;
		} else {
			pr->peer_up = true;
			if (REC_HAS(p, PEER_AS))
				pr->as = p->as;
			if (REC_HAS(p, PEER_ID))
				pr->id = p->id;
		}
		return;
	}
	default:
		in->ignored++;
		return;
	}
}

/* The writer of a FIFO input went away, or a pipe ended. */
static void input_lost(struct pr *pr, struct input *in)
{
	struct rec_sync s = { 0 };

	if (in->kind == IN_ROUTES) {
		log_warn("%s: route feed ended: keeping its routes for %gs", in->path, pr->o->grace);
		peers_of_input(pr, in, &s, do_down);
	}
}

static int drain(struct pr *pr, struct input *in)
{
	struct rec rec;
	int n = 0;

	while (rr_next(in->rr, &rec) == 1) {
		pr_record(pr, in, &rec);
		n++;
	}
	return n;
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg);

static void input_end(struct pr *pr, struct input *in)
{
	rr_eof(in->rr);
	ev_fd_del(pr->ev, in->fd);
	if (in->fifo)
		input_lost(pr, in);
	if (in->fifo && strcmp(in->path, "-") != 0) {
		/* Wait for the next writer on a fresh descriptor (Linux reports
		 * no hang-up on it until a writer has come and gone). */
		int fd = rec_open_input(in->path, true);
		close(in->fd);
		if (fd < 0) {
			log_err("cannot reopen %s: %s", in->path, strerror(errno));
			in->done = true;
			in->fd = -1;
			return;
		}
		in->fd = fd;
		rr_set_fd(in->rr, fd);
		ev_fd_add(pr->ev, fd, POLLIN, on_input, in);
		return;
	}
	if (in->fd > 0)
		close(in->fd);
	in->fd = -1;
	in->done = true;
}

static void on_input(struct ev_loop *l, int fd, short re, void *arg)
{
	struct input *in = arg;
	struct pr *pr = in->pr;

	(void)l;
	(void)fd;
	(void)re;
	if (!pr->o->replay)
		pr->now = ev_now();
	/* A few reads per wakeup, then the other inputs get their turn. */
	for (int k = 0; k < 16; k++) {
		ssize_t n = rr_fill(in->rr);
		if (n > 0) {
			drain(pr, in);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			pr_fast(pr);
			enrich_flush(pr);
			return;
		}
		if (n < 0)
			log_err("%s: read: %s", in->path, strerror(errno));
		drain(pr, in);
		input_end(pr, in);
		pr_fast(pr);
		return;
	}
	pr_fast(pr);            /* more to read: changes need not wait for it */
}

static int input_open(struct pr *pr, struct input *in)
{
	struct stat st;

	in->pr = pr;
	in->fd = rec_open_input(in->path, !pr->o->replay);
	if (in->fd < 0) {
		log_err("cannot open %s: %s", in->path, strerror(errno));
		return -1;
	}
	in->fifo = fstat(in->fd, &st) == 0 && S_ISFIFO(st.st_mode);
	in->rr = rr_new(in->fd, in->path);
	return in->rr ? 0 : -1;
}

/* ---- Output (common/out.c) ---- */

static void full_state(struct pr *pr);

/* A new reader: the complete state at once (before the first tick there
 * is none yet, and the tick sends it). */
static void on_out_opened(void *arg)
{
	struct pr *pr = arg;

	pr->now = ev_now();
	if (pr->ticks)
		full_state(pr);
}

/* What the next reader holds is nothing: it starts with a complete state. */
static void on_out_lost(void *arg)
{
	delta_clear(arg);
}

/* stdout's reader gone, or a write error: the end of us. */
static void on_out_failed(void *arg, int e)
{
	struct pr *pr = arg;
	(void)e;

	pr->out_failed = true;
	if (pr->ev)
		ev_break(pr->ev);
}

static const struct out_ops rank_out = { on_out_opened, on_out_lost, NULL, on_out_failed };

static void fast_emit(void *ctx, struct pfx *p, bool add)
{
	struct pr *pr = ctx;

	if (add) {
		pr->pushed_added++;
		pr->fast_added++;
	} else {
		pr->pushed_removed++;
		pr->fast_removed++;
	}
	delta_put(pr, p, add);
}

/* Promotions between ticks, when the input has gone idle; what they change
 * goes out at once. */
void pr_fast(struct pr *pr)
{
	size_t n = 0;

	/* Live, the input went idle: samples still in the batch count now. (A
	 * replay calls this after each flow record and lets batches fill.) */
	if (!pr->o->replay)
		rate_flush(&pr->rib);
	for (int i = 0; i < 2; i++)
		n += fast_run(&pr->rib, i ? AR_AF6 : AR_AF4, &pr->sp[i], &pr->prev[i], &pr->fast[i],
			      pr->now, fast_emit, pr);
	if (n && pr->out)
		out_flush(pr->out);
}

/* The complete state; from it on the reader holds what was sent. */
static void full_state(struct pr *pr)
{
	snapshot_write(pr);
	delta_after_full(pr);
	pr->last_full = pr->now;
	pr->full_asked = false;
}

/* A complete state or the changes since the last tick. */
static bool tick_output(struct pr *pr)
{
	uint64_t every = (uint64_t)(pr->o->full_every * 1000);

	if (!pr->out)
		return false;
	if (!out_takes(pr->out)) {
		pr->skipped++;
		delta_clear(pr);        /* what the reader holds is unknown now */
		return false;
	}
	if (!pr->delta_on || pr->full_asked || every == 0 || pr->now - pr->last_full >= every)
		full_state(pr);
	else
		delta_tick(pr);
	return true;
}

bool pr_full_now(struct pr *pr)
{
	pr->full_asked = true;
	if (!pr->out || !out_takes(pr->out))
		return false;
	full_state(pr);
	out_flush(pr->out);
	return true;
}

void pr_tick(struct pr *pr)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	rate_tick(&pr->rib, pr->now);
	rib_expire(&pr->rib, pr->now);
	for (int i = 0; i < 2; i++) {
		struct sel_params sp = {
			.max = i ? pr->o->max6 : pr->o->max4,
			.min_value = pr->o->min_value,
			.min_prefix = (unsigned)pr->o->min_prefix,
			.hysteresis = pr->o->hysteresis,
			.min_new_pps = pr->o->min_samples * pr->rib.mean_rate / pr->o->tau,
			.dir = R_DBYTES, .closure = true, .prune = true, .bit = PFX_SEL,
		};
		struct sel_result tmp;
		select_clear(&pr->prev[i], PFX_SEL);
		if (select_run(&pr->rib, i ? AR_AF6 : AR_AF4, &sp, &pr->cur[i]) < 0)
			log_err("selection: out of memory");
		select_commit(&pr->rib, &pr->prev[i], &pr->cur[i]);
		tmp = pr->prev[i];
		pr->prev[i] = pr->cur[i];
		pr->cur[i] = tmp;
		pr->pushed_added += pr->prev[i].adds;
		pr->pushed_removed += pr->prev[i].dels;
		pr->sp[i] = sp;
		fast_prepare(&pr->rib, i ? AR_AF6 : AR_AF4, &sp, &pr->prev[i], &pr->fast[i],
			     !pr->o->no_fast);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	pr->tick_ms_last = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	if (pr->tick_ms_last > pr->tick_ms_max)
		pr->tick_ms_max = pr->tick_ms_last;
	/* Selected prefixes that left the RIB since the last tick are removals too. */
	pr->prev[0].dels += pr->gone - pr->gone_seen;
	pr->gone_seen = pr->gone;
	pr->ticks++;
	bool out = tick_output(pr);
	stats_write(pr, out);
	pr->fast_added = pr->fast_removed = 0;
	if (out)
		out_flush(pr->out);
}

static void on_tick(struct ev_loop *l, void *arg)
{
	struct pr *pr = arg;

	pr->now = ev_now();
	pr_tick(pr);
	ev_timer_after(l, &pr->tick, (ar_msec)(pr->o->tick * 1000));
}

static void on_reload(struct ev_loop *l, void *arg)
{
	struct pr *pr = arg;

	(void)l;
	if (!pr->o->reload)
		return;
	if (pr->o->reload(pr->o) < 0) {
		log_err("reload: configuration unchanged");
		return;
	}
	capacity_reapply(pr);
	log_info("reload: capacity %llu/%llu, min-value %g, min-prefix %llu, hysteresis %g",
		 pr->o->max4, pr->o->max6, pr->o->min_value, pr->o->min_prefix,
		 pr->o->hysteresis);
}

static void pr_free(struct pr *pr)
{
	for (int i = 0; i < pr->nin; i++) {
		if (pr->in[i].rr)
			rr_free(pr->in[i].rr);
		if (pr->in[i].fd > 0)
			close(pr->in[i].fd);
	}
	ctl_close(pr);
	enrich_close(pr);
	delta_free(pr);
	fast_free(&pr->fast[0]);
	fast_free(&pr->fast[1]);
	for (int i = 0; i < 2; i++) {
		sel_result_free(&pr->prev[i]);
		sel_result_free(&pr->cur[i]);
	}
	out_free(pr->out);
	rw_free(pr->stats);
	if (pr->ev)
		ev_free(pr->ev);
	rib_free(&pr->rib);
}

uint64_t pr_bad(const struct pr *pr)
{
	uint64_t n = 0;

	for (int i = 0; i < pr->nin; i++) {
		const struct rr_stats *s = rr_stats(pr->in[i].rr);
		for (int k = 0; k < RR_BAD_N; k++)
			n += s->bad[k];
	}
	return n;
}

static int replay(struct pr *pr)
{
	/* Routes first, whole, so flows meet the table they were sampled with. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < pr->nin; i++) {
			struct input *in = &pr->in[i];
			ssize_t n;
			if ((in->kind == IN_ROUTES) != (pass == 0))
				continue;
			while ((n = rr_fill(in->rr)) != 0) {
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					log_err("%s: read: %s", in->path, strerror(errno));
					return EXIT_RUNTIME_RANK;
				}
				drain(pr, in);
				pr_fast(pr);
				if (sig_stop_requested())
					return 0;
			}
			rr_eof(in->rr);
			drain(pr, in);
		}
	}
	pr->full_asked = true;          /* the file ends with the whole last state */
	pr_tick(pr);                    /* the state at the last record */
	return pr->out_failed ? EXIT_RUNTIME_RANK : 0;
}

int pr_run(struct pr_opts *o)
{
	static struct pr pr;
	int rc = 0;

	pr.o = o;
	pr.ctl = -1;
	pr.start_us = ev_wall_us();
	if (rib_init(&pr.rib, o->tau) < 0) {
		log_err("out of memory");
		return EXIT_RUNTIME_RANK;
	}
	pr.rib.on_delete = on_delete;
	pr.rib.on_delete_ctx = &pr;
	for (int i = 0; i < o->nroutes; i++)
		pr.in[pr.nin++] = (struct input){ .path = o->routes[i], .kind = IN_ROUTES, .idx = i };
	for (int i = 0; i < o->nflows; i++)
		pr.in[pr.nin++] = (struct input){ .path = o->flows[i], .kind = IN_FLOWS, .idx = i };
	if (sig_init() < 0) {
		log_err("signals: %s", strerror(errno));
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	for (int i = 0; i < pr.nin; i++)
		if (input_open(&pr, &pr.in[i]) < 0) {
			rc = EXIT_RUNTIME_RANK;
			goto out;
		}
	/* live, the outputs never block the loop; a replay waits for its readers */
	if (!o->replay && !(pr.ev = ev_new())) {
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	if (o->output && (!(pr.out = out_new(pr.ev, o->output, &rank_out, &pr)) ||
			  out_start(pr.out) < 0)) {
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	if (o->stats)
		pr.stats = rw_new(-1);
	if (o->flows_out && enrich_open(&pr) < 0) {
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	if (o->replay) {
		rc = replay(&pr);
		goto out;
	}
	pr.now = ev_now();
	pr.rib.t0 = pr.now;
	if (o->control && ctl_open(&pr, o->control) < 0) {
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	for (int i = 0; i < pr.nin; i++)
		ev_fd_add(pr.ev, pr.in[i].fd, POLLIN, on_input, &pr.in[i]);
	ev_on_reload(pr.ev, on_reload, &pr);
	ev_timer_init(&pr.tick, on_tick, &pr);
	ev_timer_after(pr.ev, &pr.tick, (ar_msec)(o->tick * 1000));
	ev_run(pr.ev);
	if (pr.out && !pr.out_failed)
		out_drain(pr.out, -1);
	if (pr.out_failed)
		rc = EXIT_RUNTIME_RANK;
	log_info("stopping: %zu IPv4 and %zu IPv6 prefixes, %llu flows",
		 pr.rib.af[0].n, pr.rib.af[1].n, (unsigned long long)pr.rib.flows);
out:
	pr_free(&pr);
	return rc;
}
