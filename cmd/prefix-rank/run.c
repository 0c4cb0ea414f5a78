/* The program around the core: a tick that selects and writes the FIB
 * stream (a complete state, then changes), the output, and the run (live on
 * the loop, or a replay; the inputs are input.c's). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pr.h"
#include "sig.h"

/* ---- Hiding after RIB changes, repaired between ticks (repair.c) ---- */

/* Looked at when the input goes idle, or sooner when this many wait. */
#define FIX_BATCH 4096

static void pr_repair(struct pr *pr);

static void fix_note(struct pr *pr, uint32_t id)
{
	if (pr->fix_all)
		return;
	if (pr->nfix == pr->capfix) {
		size_t cap = pr->capfix ? pr->capfix * 2 : 256;
		uint32_t *v = reallocarray(pr->fixq, cap, sizeof(*v));
		if (!v) {
			pr->fix_all = true;     /* no list: look everywhere */
			return;
		}
		pr->fixq = v;
		pr->capfix = cap;
	}
	pr->fixq[pr->nfix++] = id;
}

void pr_route_changed(struct pr *pr, const struct ar_prefix *p)
{
	struct pfx *q;

	/* Before the first tick nothing is selected, nothing can hide. */
	if (!pr->ticks || pr->prev[af_idx(p->a.af)].n == 0 || pr->fix_all)
		return;
	if ((q = rib_find(&pr->rib, p)))
		fix_note(pr, q->id);
	if (pr->nfix >= FIX_BATCH)
		pr_repair(pr);
}

void pr_fix_all(struct pr *pr)
{
	if (pr->ticks)
		pr->fix_all = true;
}

static void fast_emit(void *ctx, struct pfx *p, bool add);

/* A change between ticks, counted as a repair too. */
static void repair_emit(void *ctx, struct pfx *p, bool add)
{
	struct pr *pr = ctx;

	if (add)
		pr->repair_adds++;
	else
		pr->repair_dels++;
	fast_emit(ctx, p, add);
}

static void repair_one(struct pr *pr, struct pfx *q)
{
	int i = af_idx(q->af);

	if (q->flags & PFX_FREE)
		return;
	fast_repair(&pr->rib, q, &pr->sp[i], &pr->prev[i], repair_emit, pr);
	/* A selected prefix whose route changed is replaced, after what it
	 * must not hide went in (and not at all if the repair removed it). */
	if (q->flags & PFX_SEL)
		delta_put(pr, q, true);
}

static void pr_repair(struct pr *pr)
{
	if (pr->fix_all) {
		for (int i = 0; i < 2; i++) {
			size_t n = pr->prev[i].n;
			uint32_t *ids = reallocarray(NULL, n ? n : 1, sizeof(*ids));
			if (!ids) {
				log_err("repair: out of memory: the next tick repairs");
				break;
			}
			for (size_t k = 0; k < n; k++)
				ids[k] = pr->prev[i].v[k]->id;
			for (size_t k = 0; k < n; k++) {
				struct pfx *q = rib_byid(&pr->rib, ids[k]);
				if (q->flags & PFX_SEL)
					repair_one(pr, q);
			}
			free(ids);
		}
	} else {
		/* (An entry may add more: repairs only remove or take, never queue.) */
		for (size_t k = 0; k < pr->nfix; k++)
			repair_one(pr, rib_byid(&pr->rib, pr->fixq[k]));
	}
	pr->nfix = 0;
	pr->fix_all = false;
}

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
	/* Its more-specifics fall to the selected prefix above it: look there. */
	if (p->flags & PFX_SEL) {
		struct pfx *c = sel_parent(&pr->rib, p, PFX_SEL);
		if (c)
			fix_note(pr, c->id);
	}
	delta_gone(pr, p);
	for (int i = 0; i < 2; i++) {
		sel_result_drop(&pr->prev[i], p);
		sel_result_drop(&pr->cur[i], p);
	}
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
	if (pr->nfix || pr->fix_all) {
		uint64_t d0 = pr->deltas_out;
		pr_repair(pr);
		n += pr->deltas_out != d0;
	}
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
	hold_check(pr);
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
	pr->nfix = 0;                   /* the tick's closure has seen them all */
	pr->fix_all = false;
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
	free(pr->fixq);
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
		if (pr_input_open(&pr, &pr.in[i]) < 0) {
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
		rc = pr_replay(&pr);
		goto out;
	}
	pr.now = ev_now();
	pr.rib.t0 = pr.now;
	if (o->control && ctl_open(&pr, o->control) < 0) {
		rc = EXIT_RUNTIME_RANK;
		goto out;
	}
	pr_input_watch(&pr);
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
