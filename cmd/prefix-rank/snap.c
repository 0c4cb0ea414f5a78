/* The output's records: complete states (sync begin, one route record per
 * selected prefix with its value and covering selected parent, sync end),
 * the routes of deltas (delta.c), and the stats record of each tick. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "pr.h"

void pfx_route(const struct rib *r, const struct pfx *p, struct rec_route *rt)
{
	const struct rslot *b = &p->r0;
	const struct path *pa = rib_path(r, b->path);

	memset(rt, 0, sizeof(*rt));
	rt->op = ROUTE_ADD;
	REC_SET(rt, ROUTE_OP);
	pfx_prefix(r, p, &rt->prefix);
	REC_SET(rt, ROUTE_PREFIX);
	if (pa->nexthop.af != AR_AF_NONE) {
		rt->nexthop = pa->nexthop;
		REC_SET(rt, ROUTE_NEXTHOP);
	}
	rt->aspath = (struct u32s){ pa->v, pa->naspath };
	REC_SET(rt, ROUTE_ASPATH);
	rt->origin = pa->origin;
	REC_SET(rt, ROUTE_ORIGIN);
	rt->med = pa->med;
	REC_SET(rt, ROUTE_MED);
	rt->localpref = pa->localpref;
	REC_SET(rt, ROUTE_LOCALPREF);
	if (pa->ncomm) {
		rt->communities = (struct u32s){ pa->v + pa->naspath, pa->ncomm };
		REC_SET(rt, ROUTE_COMMUNITIES);
	}
	if (pa->nlcomm) {
		rt->lcommunities = (struct u32s){ pa->v + pa->naspath + pa->ncomm, pa->nlcomm };
		REC_SET(rt, ROUTE_LCOMMUNITIES);
	}
	if (r->peers[b->peer].addr.af != AR_AF_NONE) {
		rt->peer = r->peers[b->peer].addr;
		REC_SET(rt, ROUTE_PEER);
	}
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

static void stats_record(struct pr *pr, struct rec_writer *w);

/* A selected prefix as the reader gets it: its route, value and covering
 * selected parent. */
void snapshot_route(struct pr *pr, const struct pfx *p, const struct pfx *par,
		    struct rec_route *rt)
{
	struct rib *r = &pr->rib;

	pfx_route(r, p, rt);
	rt->value = pfx_rate(r, p, R_DBYTES);
	REC_SET(rt, ROUTE_VALUE);
	rt->pps = pfx_rate(r, p, R_DPKTS);
	REC_SET(rt, ROUTE_PPS);
	if (par) {
		pfx_prefix(r, par, &rt->parent);
		REC_SET(rt, ROUTE_PARENT);
	}
}

/* The complete state: sync begin, every selected prefix, sync end. */
void snapshot_write(struct pr *pr)
{
	struct rec_writer *w = out_w(pr->out);
	struct rec_sync s = { 0 };
	struct rib *r = &pr->rib;

	s.phase = SYNC_BEGIN;
	REC_SET(&s, SYNC_PHASE);
	rw_sync(w, &s);
	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < pr->prev[i].n; j++) {
			const struct pfx *p = pr->prev[i].v[j];
			struct rec_route rt;
			snapshot_route(pr, p, pr->prev[i].par_ok ? pr->prev[i].par[j]
								 : sel_parent(r, p, PFX_SEL), &rt);
			rw_route(w, &rt);
		}
	}
	s.phase = SYNC_END;
	rw_sync(w, &s);
	pr->fulls++;
}

/* The stats record on the output after each tick, and the --stats file. */
void stats_write(struct pr *pr, bool to_output)
{
	if (to_output)
		stats_record(pr, out_w(pr->out));
	if (pr->stats) {
		stats_record(pr, pr->stats);
		if (rw_replace_file(pr->stats, pr->o->stats) < 0)
			log_rl(&pr->rl_stats, LOG_WARN, "cannot write %s: %s", pr->o->stats,
			       strerror(errno));
	}
}

/* The stats record after each snapshot (and in the --stats file). */
static void stats_record(struct pr *pr, struct rec_writer *w)
{
	struct rib *r = &pr->rib;
	const struct sel_result *s4 = &pr->prev[0], *s6 = &pr->prev[1];
	rw_begin(w, "stats");
	rw_str(w, "stage", "prefix-rank");
	rw_u64(w, "rib4", r->af[0].n);
	rw_u64(w, "rib6", r->af[1].n);
	rw_u64(w, "paths", rib_paths(r));
	rw_u64(w, "peers", r->npeers);
	rw_u64(w, "learnedadded", r->added);
	rw_u64(w, "learnedremoved", r->removed);
	rw_u64(w, "routeadds", r->route_adds);
	rw_u64(w, "routedels", r->route_dels);
	rw_u64(w, "flows", r->flows);
	rw_u64(w, "matched", r->matched);
	rw_u64(w, "bad", pr_bad(pr));
	rw_f64(w, "total4", s4->value_total);
	rw_f64(w, "total6", s6->value_total);
	rw_u64(w, "selected4", s4->n);
	rw_u64(w, "selected6", s6->n);
	rw_u64(w, "capacity4", pr->o->max4);
	rw_u64(w, "capacity6", pr->o->max6);
	rw_u64(w, "capacitychanges", pr->capacity_changes);
	rw_u64(w, "covered4", s4->covered);
	rw_u64(w, "covered6", s6->covered);
	rw_u64(w, "closure4", s4->closure);
	rw_u64(w, "closure6", s6->closure);
	rw_f64(w, "coverage4", pct(s4->value_sel, s4->value_total));
	rw_f64(w, "coverage6", pct(s6->value_sel, s6->value_total));
	rw_f64(w, "coverage", pct(s4->value_sel + s6->value_sel, s4->value_total + s6->value_total));
	/* This tick's changes and those made since the last one. */
	uint64_t add = s4->adds + s6->adds + pr->fast_added, del = s4->dels + s6->dels + pr->fast_removed;
	rw_u64(w, "added", add);
	rw_u64(w, "removed", del);
	rw_u64(w, "churn", add + del);
	rw_u64(w, "ticks", pr->ticks);
	rw_u64(w, "skipped", pr->skipped);
	rw_f64(w, "tickms", pr->tick_ms_last);
	rw_u64(w, "fastadds", pr->fast[0].adds + pr->fast[1].adds);
	rw_u64(w, "fastdels", pr->fast[0].dels + pr->fast[1].dels);
	rw_u64(w, "repairadds", pr->repair_adds);
	rw_u64(w, "repairdels", pr->repair_dels);
	rw_u64(w, "heldms", pr->held_ms);
	rw_u64(w, "fulls", pr->fulls);
	rw_u64(w, "deltas", pr->deltas_out);
	enrich_stats(pr, w);
	rw_end(w);
}
