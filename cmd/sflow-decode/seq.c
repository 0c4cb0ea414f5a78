/* Sequence tracking per agent and sub-agent (datagram sequence numbers,
 * uptime) and per data source (sample sequence numbers): losses, late or
 * duplicate arrivals, restarts. One open-addressing table of fixed size,
 * allocated at start: a flood of made-up agents fills it and is counted as
 * untracked, it never grows memory.
 * A number further ahead than the gap bound (--max-seq-gap) is not taken
 * as that many losses: a bit flip in a sequence number once read as 5*10^11
 * lost datagrams. It is counted as a jump and the stream keeps its number;
 * only when the next one follows the jumped-to number is the stream moved
 * there (the agent did skip ahead), still without counting losses. */
#include <stdlib.h>
#include <string.h>

#include "sflow.h"

/* A sequence number that goes back by at most this much is a late or
 * duplicate datagram; further back is a restart. */
#define REORDER_WINDOW 256u
/* Uptime going back by more than this (ms) with the sequence number going
 * forward is a restart. */
#define UPTIME_SLACK 2000u
/* A late datagram was sent at most this long (ms) before the last one. */
#define LATE_SLACK 60000u
#define KIND_AGENT 255u
#define MAX_PROBE 32

struct seq_ent {
	uint8_t used;
	uint8_t af;
	uint8_t kind;           /* KIND_AGENT, or 0 flow, 1 counter, 2 discard */
	uint8_t has_jump;       /* jump holds the number of an unconfirmed jump */
	uint8_t addr[16];
	uint32_t subagent;
	uint32_t ds;
	uint32_t last;          /* highest sequence number seen */
	uint32_t uptime;        /* agents: last uptime */
	uint32_t epoch;         /* agents: restarts; sources: agent epoch seen */
	uint32_t jump;
};

struct seqtab {
	struct seq_ent *v;
	size_t mask;
	size_t used, max;       /* entries in use; at most max (--max-sources) */
	uint32_t max_gap;       /* 0: no bound */
	/* the agent of the datagram being decoded: its samples follow */
	struct ar_addr cur_agent;
	uint32_t cur_subagent;
	uint32_t cur_epoch;
	uint64_t cur_hash;      /* agent_hash(&cur_agent) */
	bool cur_valid;
};

struct seqtab *seq_new(size_t max_sources, uint32_t max_gap)
{
	struct seqtab *t = calloc(1, sizeof(*t));
	size_t n = 64;

	if (t == NULL)
		return NULL;
	while (n < max_sources * 2 && n < (1u << 24))
		n <<= 1;
	t->max = max_sources > 0 ? max_sources : 1;
	t->v = calloc(n, sizeof(*t->v));
	if (t->v == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->max_gap = max_gap;
	return t;
}

void seq_free(struct seqtab *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* The agent's part of the hash: once per datagram, not once per sample. */
static uint64_t agent_hash(const struct ar_addr *a)
{
	uint64_t w[2];

	memcpy(w, a->b, 16);
	return mix(mix(0, w[0]), w[1]);
}

static struct seq_ent *lookup(struct seqtab *t, struct sf_stats *st, uint64_t ah,
			      const struct ar_addr *a, uint32_t subagent,
			      uint32_t ds, unsigned kind, bool *fresh)
{
	uint64_t h;
	size_t i;

	h = mix(ah, (uint64_t)subagent << 32 | ds);
	h = mix(h, (uint64_t)kind << 8 | a->af);
	for (int probe = 0; probe < MAX_PROBE; probe++) {
		struct seq_ent *e;

		i = (size_t)(h + (uint64_t)probe) & t->mask;
		e = &t->v[i];
		if (!e->used) {
			if (t->used >= t->max)
				break;
			t->used++;
			memset(e, 0, sizeof(*e));
			e->used = 1;
			e->af = a->af;
			e->kind = (uint8_t)kind;
			memcpy(e->addr, a->b, 16);
			e->subagent = subagent;
			e->ds = ds;
			*fresh = true;
			return e;
		}
		if (e->af == a->af && e->kind == kind && e->subagent == subagent &&
		    e->ds == ds && memcmp(e->addr, a->b, 16) == 0) {
			*fresh = false;
			return e;
		}
	}
	st->untracked++;
	return NULL;
}

enum { ADV_BACK = -1, ADV_LATE = 0, ADV_NEXT = 1, ADV_JUMP = 2 };

/* Compare a new sequence number with the last: ADV_NEXT forward (missing
 * is set), ADV_JUMP forward past the gap bound, ADV_LATE late or
 * duplicate, ADV_BACK far back (a reset). Serial arithmetic so a wrap from
 * 2^32-1 to 0 is just the next number. */
static int advance(const struct seqtab *t, uint32_t last, uint32_t seq, uint32_t *missing)
{
	uint32_t d = seq - last;

	if (d != 0 && d < 0x80000000u) {
		*missing = d - 1;
		return t->max_gap != 0 && d - 1 > t->max_gap ? ADV_JUMP : ADV_NEXT;
	}
	if (last - seq <= REORDER_WINDOW)
		return ADV_LATE;
	return ADV_BACK;
}

/* A jump: the first one is remembered and not believed; a number that
 * follows it within the bound confirms it. true when the stream moves. */
static bool jump_confirmed(const struct seqtab *t, struct seq_ent *e, uint32_t seq)
{
	uint32_t d = seq - e->jump;

	if (e->has_jump && d != 0 && d - 1 <= t->max_gap && d < 0x80000000u) {
		e->has_jump = 0;
		return true;
	}
	e->has_jump = 1;
	e->jump = seq;
	return false;
}

void seq_datagram(struct seqtab *t, struct sf_stats *st, const struct ar_addr *agent,
		  uint32_t subagent, uint32_t dseq, uint32_t uptime)
{
	bool fresh;
	uint32_t missing = 0;
	uint64_t ah = agent_hash(agent);
	struct seq_ent *e = lookup(t, st, ah, agent, subagent, 0, KIND_AGENT, &fresh);
	int rc;

	t->cur_valid = false;
	if (e == NULL)
		return;
	t->cur_hash = ah;
	t->cur_agent = *agent;
	t->cur_subagent = subagent;
	t->cur_valid = true;
	if (fresh) {
		e->last = dseq;
		e->uptime = uptime;
		t->cur_epoch = e->epoch;
		return;
	}
	rc = advance(t, e->last, dseq, &missing);
	/* Back by a little is a late datagram only if its uptime agrees. */
	if (rc == ADV_LATE && dseq != e->last && uptime < e->uptime &&
	    e->uptime - uptime > LATE_SLACK)
		rc = ADV_BACK;
	/* The agent's clock went back while the sequence jumped: it
	 * restarted. (The exact next number with a small uptime is the 49-day
	 * wrap of the uptime, not a restart.) */
	if ((rc == ADV_NEXT || rc == ADV_JUMP) && missing > 0 && uptime < e->uptime &&
	    e->uptime - uptime > UPTIME_SLACK)
		rc = ADV_BACK;
	if (rc == ADV_JUMP && jump_confirmed(t, e, dseq)) {
		missing = 0;            /* the agent did skip ahead: no losses */
		rc = ADV_NEXT;
	}
	switch (rc) {
	case ADV_JUMP:
		st->dgram_jumps++;
		break;
	case ADV_NEXT:
		st->dgram_lost += missing;
		e->last = dseq;
		e->uptime = uptime;
		e->has_jump = 0;
		break;
	case ADV_LATE:
		st->dgram_reordered++;
		/* a late one was counted lost when the gap opened */
		if (dseq != e->last && st->dgram_lost > 0)
			st->dgram_lost--;
		break;
	default:
		st->restarts++;
		e->has_jump = 0;
		e->epoch++;
		e->last = dseq;
		e->uptime = uptime;
	}
	t->cur_epoch = e->epoch;
}

void seq_sample(struct seqtab *t, struct sf_stats *st, const struct ar_addr *agent,
		uint32_t subagent, uint32_t ds, unsigned kind, uint32_t seq)
{
	bool fresh, afresh;
	uint32_t missing = 0, epoch = 0;
	struct seq_ent *a, *e;
	uint64_t ah;
	int rc;

	if (t->cur_valid && t->cur_subagent == subagent &&
	    t->cur_agent.af == agent->af && memcmp(t->cur_agent.b, agent->b, 16) == 0) {
		epoch = t->cur_epoch;
		ah = t->cur_hash;
	} else {
		ah = agent_hash(agent);
		a = lookup(t, st, ah, agent, subagent, 0, KIND_AGENT, &afresh);
		if (a != NULL)
			epoch = a->epoch;
	}
	e = lookup(t, st, ah, agent, subagent, ds, kind, &fresh);
	if (e == NULL)
		return;
	if (fresh || e->epoch != epoch) {
		e->epoch = epoch;
		e->last = seq;
		return;
	}
	rc = advance(t, e->last, seq, &missing);
	if (rc == ADV_JUMP) {
		st->sample_jumps++;
		if (jump_confirmed(t, e, seq))
			e->last = seq;
	} else if (rc == ADV_NEXT) {
		st->sample_lost += missing;
		e->last = seq;
		e->has_jump = 0;
	} else if (rc == ADV_LATE) {
		st->sample_reordered++;
		if (seq != e->last && st->sample_lost > 0)
			st->sample_lost--;
	} else {
		/* a source reset on its own (line card restart): start over */
		e->last = seq;
	}
}
