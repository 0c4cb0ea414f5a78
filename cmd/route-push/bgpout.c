/* The --bgp target: route records for a bgp-speaker that announces them
 * (to BIRD, whose kernel protocol then programs the FIB). The output starts,
 * and starts again whenever it is reopened, with the complete installed
 * state between sync markers; after that each change is one record, a
 * next-hop change an add that replaces the announcement.
 *
 * The output is common/out.c's: opened without waiting for the reader,
 * opened again when the reader goes away, written without blocking the
 * loop: a slow or stopped reader never holds up the input, the timers or
 * the stats. What it has not taken waits in memory up to about the size of
 * one complete state (the output's high water); past that the changes stop
 * and, once the reader has taken all that waits (a low water of 0), the
 * complete installed state of that moment goes out instead: the newest
 * state replaces all that could not be written, never a queue of them.
 *
 * A new reader (bgp-speaker restarted) first gets what the old one had
 * taken when the changes stopped, then the difference to now as changes,
 * withdrawals first: that first state is what BIRD still holds, stale,
 * under graceful restart, so bgp-speaker can withdraw what went before it
 * announces what came, and BIRD never holds both sets at once (the cap). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "out.h"
#include "prog.h"
#include "push.h"

/* Changes may wait for the reader up to the size of the last complete
 * state, and at least this much. */
#define SLACK_MIN (64u * 1024)
/* At exit, what waits is given to a reader that keeps taking it; one
 * that takes nothing for this long gets no more. */
#define EXIT_IDLE_MS 1000

struct bgpt {
	struct target t;
	struct out *out;
	const struct rtset *installed;  /* push.c's, given with the first full() */
	bool need_full;                 /* the reader lacks changes: a complete state next */
	struct rtset peer;              /* the reader's state when changes stopped */
	bool peer_known;
	struct nl_conf fib;             /* where BIRD writes the FIB (proto 0: unread) */
	bool closing;                   /* at exit: a failed output ends nothing more */
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

/* The complete state, on an output that has taken everything before it
 * (the callers see to that). Its size is the high water of the changes
 * that may follow it. */
static void write_state(struct bgpt *b, const struct rtset *st)
{
	struct rec_writer *w = out_w(b->out);
	struct rec_sync sy = { 0 };
	uint64_t out0 = rw_written(w);
	size_t pend0 = rw_pending(w), bytes;

	b->need_full = false;
	REC_SET(&sy, SYNC_PHASE);
	sy.phase = SYNC_BEGIN;
	rw_sync(w, &sy);
	for (size_t i = 0; i < st->n; i++)
		put(w, &st->v[i].p, &st->v[i].nh, st->v[i].value, false);
	sy.phase = SYNC_END;
	rw_sync(w, &sy);
	/* (rw_route() writes out what it holds past 64 KiB) */
	bytes = (size_t)(rw_written(w) - out0) + rw_pending(w) - pend0;
	out_set_high_water(b->out, bytes > SLACK_MIN ? bytes : SLACK_MIN);
	b->fulls++;
	out_flush(b->out);
}

static void write_full(struct bgpt *b)
{
	write_state(b, b->installed);
}

/* from -> to as changes: withdrawals first, covers before what they cover
 * (set order), then announcements and replacements, more-specifics before
 * their covers (reverse set order). */
static void write_diff(struct bgpt *b, const struct rtset *from, const struct rtset *to)
{
	struct rec_writer *w = out_w(b->out);
	size_t i = 0, j = 0;

	while (i < from->n) {
		int c = j == to->n ? -1 : rt_cmp(&from->v[i], &to->v[j]);
		if (c < 0)
			put(w, &from->v[i].p, NULL, 0, true);
		i += c <= 0;
		j += c >= 0;
	}
	for (i = from->n, j = to->n; j > 0;) {
		int c = i == 0 ? 1 : rt_cmp(&to->v[j - 1], &from->v[i - 1]);
		const struct rt *r = &to->v[j - 1];
		if (c > 0 || (c == 0 && addr_cmp(&r->nh, &from->v[i - 1].nh)))
			put(w, &r->p, &r->nh, r->value, false);
		j -= c >= 0;
		i -= c <= 0;
	}
	out_flush(b->out);
}

/* Changes stop reaching the reader: remember what it has. */
static void changes_stop(struct bgpt *b)
{
	if (!b->need_full && b->installed && !b->peer_known)
		b->peer_known = rtset_copy(&b->peer, b->installed) == 0;
	b->need_full = true;
}

/* A reader (again): the complete state, once we know what is installed. */
static void on_out_opened(void *arg)
{
	struct bgpt *b = arg;

	changes_stop(b);
	if (!b->installed)
		return;
	/* What BIRD still holds is best read where it writes it: the state
	 * route-push sent may be ahead of what a stopped reader took. */
	struct rtset k = { 0 };
	if (b->fib.proto && fib_read(&b->fib, &k) == 0 && k.n) {
		rtset_free(&b->peer);
		b->peer = k;
		b->peer_known = true;
		log_info("%s: a new reader: first the %zu routes the FIB holds, then the changes",
			 out_name(b->out), k.n);
	} else {
		rtset_free(&k);
	}
	if (b->peer_known) {
		write_state(b, &b->peer);
		write_diff(b, &b->peer, b->installed);
		rtset_free(&b->peer);
		b->peer_known = false;
	} else {
		write_full(b);
	}
}

static void on_out_lost(void *arg)
{
	changes_stop(arg);
}

/* Caught up (all that waited is written) after changes were left out:
 * the complete state of now carries them. */
static void on_out_blocked(void *arg, bool blocked)
{
	struct bgpt *b = arg;

	if (blocked)
		log_info("%s: the reader is behind: a complete state replaces the changes",
			 out_name(b->out));
	else if (b->need_full && b->installed) {
		/* the same reader, caught up: it diffs a complete state itself */
		rtset_free(&b->peer);
		b->peer_known = false;
		write_full(b);
	}
}

/* stdout's reader gone, or a write error: bgp-speaker cannot be told */
static void on_out_failed(void *arg, int e)
{
	(void)e;
	if (!((struct bgpt *)arg)->closing)
		exit(EXIT_RUNTIME);
}

static const struct out_ops bgp_out = { on_out_opened, on_out_lost, on_out_blocked, on_out_failed };

/* One record a change while the reader takes them; a change it cannot
 * take now is carried by the complete state that follows. */
static int bgp_send(struct target *t, const struct plan *pl, const struct op *ops,
		    size_t n, int *res)
{
	struct bgpt *b = (struct bgpt *)t;
	for (size_t i = 0; i < n; i++) {
		const struct uent *e = &pl->u[ops[i].u];
		res[i] = 0;
		if (!b->need_full && !out_takes(b->out))
			changes_stop(b);
		if (!b->need_full)
			put(out_w(b->out), &e->p, &e->nnh, e->value, ops[i].kind == OP_DEL);
	}
	out_flush(b->out);
	return 0;
}

static bool bgp_want_full(struct target *t)
{
	return ((struct bgpt *)t)->need_full;
}

static int bgp_full(struct target *t, const struct rtset *s)
{
	struct bgpt *b = (struct bgpt *)t;

	b->installed = s;
	if (out_takes(b->out))
		write_full(b);
	return 0;
}

static void bgp_stats(struct target *t, struct rec_writer *w)
{
	struct bgpt *b = (struct bgpt *)t;

	rw_u64(w, "fulls", b->fulls);
	rw_u64(w, "stalledms", out_stalled_ms(b->out));
}

/* At exit every change goes (a flush of the routes too), and a complete
 * state when one is owed, to a reader that keeps taking them; a stopped
 * one does not hold us up. */
static void bgp_free(struct target *t)
{
	struct bgpt *b = (struct bgpt *)t;

	b->closing = true;
	while (out_drain_idle(b->out, EXIT_IDLE_MS) == 0 && out_up(b->out) &&
	       b->need_full && b->installed)
		write_full(b);
	out_free(b->out);
	rtset_free(&b->peer);
	free(b);
}

struct target *bgp_target_new(const char *path, struct ev_loop *l, const struct nl_conf *fib)
{
	struct bgpt *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->fib = *fib;
	b->t.name = "bgp";
	b->t.send = bgp_send;
	b->t.free = bgp_free;
	b->t.want_full = bgp_want_full;
	b->t.full = bgp_full;
	b->t.stats = bgp_stats;
	b->need_full = true;
	b->out = out_new(l, path, &bgp_out, b);
	if (!b->out) {
		free(b);
		return NULL;
	}
	out_set_high_water(b->out, SLACK_MIN);
	/* changes stop past the high water until the reader has taken all */
	out_set_low_water(b->out, 0);
	if (out_start(b->out) < 0) {
		out_free(b->out);
		free(b);
		return NULL;
	}
	return &b->t;
}
