/* prefix-rank, the program: inputs, ticks, output, control socket. */
#ifndef PR_H
#define PR_H

#include <stdbool.h>
#include <stdint.h>

#include "ev.h"
#include "log.h"
#include "out.h"
#include "rank.h"
#include "rec.h"

#define PR_MAX_INPUTS 64

struct pr_opts {
	const char *routes[PR_MAX_INPUTS];
	const char *flows[PR_MAX_INPUTS];
	int nroutes, nflows;
	const char *output;             /* "-" = stdout */
	const char *control;
	const char *stats;              /* file holding the last stats record */
	const char *query;
	const char *flows_out;          /* --flows-out: enriched flow records */
	double tick;                    /* seconds */
	double tau;                     /* --time-constant, seconds */
	double grace;                   /* seconds */
	double min_value;
	double hysteresis;
	double min_samples;
	unsigned long long max4, max6, min_prefix;
	bool asic_follow;               /* --asic-headroom given: capacity.c */
	unsigned long long asic_headroom;
	bool replay, check;
	double full_every;              /* seconds between complete states; 0: every tick */
	bool no_fast;                   /* --no-fast-path: changes only at ticks */
	int (*reload)(struct pr_opts *o);       /* SIGHUP */
};

enum in_kind { IN_ROUTES, IN_FLOWS };

struct pr;
struct input {
	struct pr *pr;
	const char *path;
	enum in_kind kind;
	int idx;                        /* number among inputs of its kind */
	int fd;
	bool fifo;                      /* a writer may come back: reopen at end */
	bool done;
	struct rec_reader *rr;
	uint64_t records, ignored;
};

struct client;

struct pr {
	struct pr_opts *o;
	struct rib rib;
	struct input in[2 * PR_MAX_INPUTS];
	int nin;
	struct ev_loop *ev;
	struct ev_timer tick;
	uint64_t now;                   /* ms on the engine's clock */
	uint64_t next_tick;             /* replay: the next tick's time */
	bool have_time;
	struct out *out;                /* -o (common/out.c) */
	bool out_failed;
	struct rec_writer *stats;       /* builds the --stats file's record */
	struct log_rl rl_stats;
	struct log_rl rl_clock;         /* replay: timestamps that jump ahead */
	struct sel_result prev[2], cur[2];
	uint64_t pushed_added, pushed_removed;  /* selection changes so far */
	uint64_t gone, gone_seen;       /* selected prefixes that left the RIB */
	uint64_t ticks, skipped;
	uint64_t capacity_changes;      /* taken from asic records (capacity.c) */
	uint64_t start_us;              /* wall clock at start */
	double tick_ms_max, tick_ms_last;
	/* Router identity for queries (from peer records). */
	uint32_t as;
	struct ar_addr id;
	bool peer_up;
	int ctl;                        /* control socket, -1 if none */
	struct client *clients;
	struct enrich *enrich;          /* --flows-out, NULL when off */
	/* Between ticks (fast.c) and the delta stream (delta.c). */
	struct fast fast[2];
	struct sel_params sp[2];        /* the last tick's, for the fast path */
	struct sent *sv;                /* what the reader holds: id -> path */
	size_t scap, sn;
	uint32_t sgen;
	bool delta_on;                  /* the reader has a complete state: changes may go */
	bool full_asked;                /* a complete state at the next chance */
	uint64_t last_full;             /* ms */
	uint64_t fulls, deltas_out;
	uint64_t fast_added, fast_removed;      /* between the last tick and this one */
	/* Prefixes a RIB change touched since the last look for hiding
	 * (repair.c); fix_all: look under every selected prefix. */
	uint32_t *fixq;
	size_t nfix, capfix;
	bool fix_all;
	uint64_t repair_adds, repair_dels;
	/* The measurement, not the traffic, lost (live): the flow inputs
	 * carry sflow-decode's stats records every hb_ms; when no record at
	 * all arrives for two of those, the rates are held (hold.c). */
	uint64_t flow_last, hb_last, hb_ms, held_to, held_ms;
	bool holding;
};

#define EXIT_RUNTIME_RANK 1
int pr_run(struct pr_opts *o);
void snapshot_write(struct pr *pr);
void snapshot_route(struct pr *pr, const struct pfx *p, const struct pfx *par,
		    struct rec_route *rt);
void stats_write(struct pr *pr, bool to_output);
/* Deltas (delta.c). */
void delta_clear(struct pr *pr);
void delta_free(struct pr *pr);
void delta_after_full(struct pr *pr);
size_t delta_tick(struct pr *pr);
void delta_put(struct pr *pr, struct pfx *p, bool add);
void delta_gone(struct pr *pr, struct pfx *p);
/* A complete state now, if the output can take it (a control query). */
bool pr_full_now(struct pr *pr);
/* The best route of p as a route record (arrays point into the RIB). */
void pfx_route(const struct rib *r, const struct pfx *p, struct rec_route *rt);
void pr_tick(struct pr *pr);
void pr_fast(struct pr *pr);
/* A route record changed prefix p (after rib_update): look at it for
 * hiding before the next tick. pr_fix_all: after a sweep of a peer's routes. */
void pr_route_changed(struct pr *pr, const struct ar_prefix *p);
void pr_fix_all(struct pr *pr);
/* hold.c: a record on a flow input; before a tick's decay. */
void hold_heard(struct pr *pr, const struct rec *rec);
void hold_check(struct pr *pr);
/* Inputs (input.c). */
void pr_record(struct pr *pr, struct input *in, const struct rec *rec);
int pr_input_open(struct pr *pr, struct input *in);
void pr_input_watch(struct pr *pr);     /* on the loop */
int pr_replay(struct pr *pr);           /* an exit status */
uint64_t pr_bad(const struct pr *pr);
/* capacity.c: an asic record on a flow input; true when it was taken (the
 * option is on), false to count it as ignored. */
bool capacity_asic(struct pr *pr, const struct rec_asic *a);
void capacity_reapply(struct pr *pr);

/* --flows-out (enrich.c). */
int enrich_open(struct pr *pr);
void enrich_flow(struct pr *pr, struct rec_reader *rr, const struct rec_flow *f);
/* The input's reader is about to read again: the records queued (their
 * bytes are the reader's) are written first. */
void enrich_drained(struct pr *pr);
void enrich_flush(struct pr *pr);
void enrich_stats(struct pr *pr, struct rec_writer *w);   /* its stats keys (queued records written first) */
void enrich_close(struct pr *pr);

/* Queries (query.c). */
enum q_kind { Q_TOP, Q_PREFIX, Q_CURVE, Q_FULL };
struct query {
	enum q_kind kind;
	int af;
	int dir;                        /* R_DBYTES or R_SBYTES */
	unsigned long max;              /* maxPrefixes / curve max */
	unsigned long step;             /* curve step */
	double min_value;
	unsigned min_prefix;
	bool include_covered, prune_covered;
	struct ar_addr addr;
};
/* Parse one query line. 0, or -1 with the reason in err. */
int query_parse(const char *line, struct query *q, char *err, size_t errlen);
/* The JSON answer (malloc'ed string). */
char *query_answer(struct pr *pr, const struct query *q);
int ctl_open(struct pr *pr, const char *path);
void ctl_close(struct pr *pr);
/* The client side: --query. Returns an exit status. */
int query_client(const char *path, const char *query);

#endif
