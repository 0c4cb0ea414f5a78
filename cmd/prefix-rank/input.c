/* prefix-rank's inputs: route and flow records from FIFOs, files or stdin.
 * Route records feed the RIB (sync markers and peer records per peer),
 * flow records the rates; a FIFO whose writer goes is opened again and its
 * routes kept for the grace time. A replay reads the files whole, routes
 * first, and takes its clock from the flow records. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pr.h"
#include "sig.h"

static void do_down(struct pr *pr, int pi);

static void peers_of_input(struct pr *pr, struct input *in, const struct rec_sync *s,
			   void (*fn)(struct pr *, int))
{
	if (REC_HAS(s, SYNC_PEER)) {
		int pi = rib_peer(&pr->rib, in->idx, &s->peer);
		if (pi >= 0)
			fn(pr, pi);
		return;
	}
	/* No peer named: the complete state of everything this input carries
	 * (an unnamed peer of its own when the input names none). A down needs
	 * no peer made up: only those that exist have routes to keep stale. */
	if (fn != do_down)
		(void)rib_peer(&pr->rib, in->idx, NULL);
	for (size_t i = 0; i < pr->rib.npeers; i++)
		if (pr->rib.peers[i].input == in->idx)
			fn(pr, (int)i);
}

static void do_begin(struct pr *pr, int pi) { rib_sync_begin(&pr->rib, pi); }
/* A sweep can change best routes without a record naming them. */
static void do_end(struct pr *pr, int pi)
{
	rib_sync_end(&pr->rib, pi);
	pr_fix_all(pr);
}
static void do_down(struct pr *pr, int pi)
{
	rib_peer_down(&pr->rib, pi, pr->now, (uint64_t)(pr->o->grace * 1000));
	pr_fix_all(pr);
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
		hold_heard(pr, rec);
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
		else
			pr_route_changed(pr, &rt->prefix);
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
	enrich_drained(pr);     /* the queued flows are bytes of in->rr's buffer */
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
		/* wait for the next writer */
		in->fd = rr_rewatch(in->rr, in->path, pr->ev, on_input, in);
		in->done = in->fd < 0;
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

int pr_input_open(struct pr *pr, struct input *in)
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

void pr_input_watch(struct pr *pr)
{
	for (int i = 0; i < pr->nin; i++)
		ev_fd_add(pr->ev, pr->in[i].fd, POLLIN, on_input, &pr->in[i]);
}

int pr_replay(struct pr *pr)
{
	/* Routes first, whole, so flows meet the table they were sampled with;
	 * nothing looks at the RIB before the flows: a bulk load. */
	if (rib_bulk_begin(&pr->rib) < 0)
		log_warn("no memory for a bulk load: routes go in one by one");
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			rib_bulk_end(&pr->rib);
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
