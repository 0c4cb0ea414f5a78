/* Each flow record through every definition, as a pipeline of three
 * records: the newest has its keys built and the hash slots they go to
 * fetched, the one before has the entries those slots hold fetched, the
 * one before that is counted. A record's cache misses (a slot, then the
 * entry it points at, in a table of each definition) so arrive while the
 * records after it are decoded, instead of each stalling in turn. The
 * pipeline is emptied (fw_flush) at the end of every batch of input, so
 * nothing waits in it while a query or a change of definitions is served. */
#include <stdio.h>
#include <string.h>

#include "fw.h"

/* What an event takes from its sample, kept past the record. */
struct src {
	struct ar_addr agent;
	uint32_t ds;
	uint64_t ts;
	bool has_agent, has_ds, has_ts;
};

struct stage {
	uint64_t now;                   /* the engine's clock at the record */
	struct src src;
	int klen[FW_DEFS_MAX];          /* -1: the definition does not count it */
	uint64_t hash[FW_DEFS_MAX];
	double wt[FW_DEFS_MAX];         /* times the sampling rate */
	uint8_t key[FW_DEFS_MAX][FW_KEY_MAX];
};

#define STAGES 3
static struct stage st[STAGES];
static unsigned head, queued;

static void event(struct fw *w, struct fw_def *d, struct fw_thr *t, const struct hh_entry *e,
		  double v, const struct src *r)
{
	struct fw_event *ev = &w->ring[w->ring_n % w->ring_cap];

	ev->id = ++w->ring_n;
	snprintf(ev->thr, sizeof(ev->thr), "%s", t->name);
	snprintf(ev->metric, sizeof(ev->metric), "%s", d->name);
	def_key_fmt(d, e->key, e->klen, ev->key, sizeof(ev->key));
	ev->value = v;
	ev->threshold = t->value;
	ev->agent = r->has_agent ? r->agent : (struct ar_addr){ 0 };
	if (r->has_ds)
		snprintf(ev->ds, sizeof(ev->ds), "%u", r->ds & 0xffffff);
	else
		ev->ds[0] = '\0';
	ev->ts_us = w->o->replay && r->has_ts ? r->ts : w->wall_us;
	w->events++;
	if (w->out && !out_takes(w->out)) {
		/* a reader that is behind (or none) misses it; queries do not:
		 * the ring keeps it */
		w->events_dropped++;
		log_rl(&w->rl_drop, LOG_WARN, "output: %s: events dropped "
		       "(%llu so far; the events request still has them)",
		       out_failed(w->out) ? "failed" : out_up(w->out) ? "the reader is behind" : "no reader",
		       (unsigned long long)w->events_dropped);
	} else if (w->out) {
		struct rec_event re = {
			.eventid = ev->id, .thresholdid = ev->thr, .metric = ev->metric,
			.flowkey = ev->key, .value = v, .threshold = t->value,
			.agent = ev->agent, .ts = ev->ts_us,
		};
		re.has = ((uint64_t)1 << EV_NFIELDS) - 1;
		if (ev->agent.af == AR_AF_NONE)
			re.has &= ~((uint64_t)1 << EV_AGENT);
		rw_event(out_w(w->out), &re);
	}
	ctl_event(w);
}

/* Stage one: every definition's key, its hash, its slot fetched. */
static void build(struct fw *w, struct stage *s, const struct rec_flow *r)
{
	double rate = REC_HAS(r, FLOW_RATE) && r->rate ? r->rate : 1;

	s->now = w->now;
	s->src = (struct src){
		.agent = r->agent, .ds = r->ds, .ts = r->ts, .has_agent = REC_HAS(r, FLOW_AGENT),
		.has_ds = REC_HAS(r, FLOW_DS), .has_ts = REC_HAS(r, FLOW_TS),
	};
	for (unsigned i = 0; i < w->ndefs; i++) {
		struct fw_def *d = w->def[i];
		s->klen[i] = -1;
		if ((d->nterms && !def_match(d, r)) || def_weight(d, r, &s->wt[i]) < 0 ||
		    (s->klen[i] = def_key(d, r, s->key[i])) < 0)
			continue;
		s->wt[i] *= rate;
		s->hash[i] = hh_hash_prefetch(d->hh, s->key[i], (size_t)s->klen[i]);
	}
}

/* Stage two: the entries the slots (there by now) point at. */
static void fetch(struct fw *w, const struct stage *s)
{
	for (unsigned i = 0; i < w->ndefs; i++)
		if (s->klen[i] >= 0)
			hh_prefetch_entry(w->def[i]->hh, s->hash[i]);
}

/* Stage three: the counts, and the thresholds they cross. */
static void count(struct fw *w, const struct stage *s)
{
	for (unsigned i = 0; i < w->ndefs; i++) {
		struct fw_def *d = w->def[i];
		if (s->klen[i] < 0)
			continue;
		uint64_t h = s->hash[i];
		struct hh_entry *e = hh_add(d->hh, s->key[i], (size_t)s->klen[i], h, s->wt[i], s->now);
		if (!e)
			continue;
		if (s->src.has_agent)
			e->agent = s->src.agent;
		d->matched++;
		for (unsigned k = 0; k < d->nthr; k++) {
			struct fw_thr *t = d->thr[k];
			double v = hh_rate(d->hh, e, s->now);
			if (v > t->value && thr_over(t, h, s->now))
				event(w, d, t, e, v, &s->src);
		}
	}
}

void fw_flow_record(struct fw *w, const struct rec_flow *r)
{
	w->records++;
	build(w, &st[(head + queued) % STAGES], r);
	queued++;
	if (queued >= 2)
		fetch(w, &st[(head + queued - 2) % STAGES]);
	if (queued == STAGES) {
		count(w, &st[head]);
		head = (head + 1) % STAGES;
		queued--;
	}
}

void fw_flush(struct fw *w)
{
	while (queued) {
		count(w, &st[head]);
		head = (head + 1) % STAGES;
		queued--;
	}
}
