/* route-push: apply FIB snapshots to a kernel table, to bgp-speaker, or to
 * stdout (dry run). Shared types of the program's files. */
#ifndef PUSH_H
#define PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "collect.h"
#include "rec.h"

/* One route as route-push sees it: a prefix, a next hop and the traffic
 * value that decides who goes first when something must wait. */
struct rt {
	struct ar_prefix p;
	struct ar_addr nh;
	double value;
};

/* A set of routes sorted by (family, address, length): a covering prefix
 * sorts before everything it covers, and what it covers follows it in one
 * run. That order lets one stack pass find every route's nearest cover. */
struct rtset {
	struct rt *v;
	size_t n, cap;
};

int rt_cmp(const struct rt *x, const struct rt *y);
int rtset_push(struct rtset *s, const struct rt *r);
void rtset_clear(struct rtset *s);
/* dst becomes a copy of src. 0, or -1: no memory (dst unchanged). */
int rtset_copy(struct rtset *dst, const struct rtset *src);
void rtset_free(struct rtset *s);
/* Sort and drop duplicate prefixes (the last one given wins). */
void rtset_sort(struct rtset *s);
size_t rtset_count_af(const struct rtset *s, int af);
/* Index of prefix p, or -1. */
ssize_t rtset_find(const struct rtset *s, const struct ar_prefix *p);

/* ---- snapshot.c: complete snapshots between sync markers, then changes ---- */
struct chg {
	struct rt r;
	bool del;
};
struct snap {
	struct collect col;     /* the routes between the markers */
	struct rtset cur;       /* the last complete one, for snap_take */
	bool ready;             /* cur was just completed */
	bool have_full;         /* a complete state from this writer: changes apply */
	struct chg *cv;         /* changes waiting for the input to go idle */
	size_t cn, ccap;
	uint64_t ignored;       /* routes outside markers or not usable */
	uint64_t deltas;        /* change records taken */
	uint64_t delta_ignored; /* changes before a complete state */
};
/* name: the input, for messages. */
void snap_init(struct snap *s, const char *name);
/* Feed one record: 1 when cur holds a complete snapshot (take it with
 * snap_take; changes queued before it are void), 2 when a change was
 * queued (merge them with snap_merge), 0 otherwise. */
int snap_feed(struct snap *s, const struct rec *r);
/* The queued changes applied to the sorted set w, in O(n + k log k):
 * later changes of a prefix win. They stay queued (sorted, one a prefix)
 * for another set; the caller clears cn. 0, or -1 (no memory: w unchanged). */
int snap_merge(struct snap *s, struct rtset *w);
void snap_take(struct snap *s, struct rtset *out);
/* End of input or writer gone: an open snapshot is dropped. */
void snap_abort(struct snap *s);
void snap_free(struct snap *s);

/* ---- diff.c: the ordered change list ---- */
enum op_kind { OP_ADD, OP_REP, OP_DEL };
enum { U_OLD = 1, U_NEW = 2, U_FAILED = 4, U_TAINT = 8, U_SKIP = 16, U_INST = 32 };

/* One prefix of old ∪ new. */
struct uent {
	struct ar_prefix p;
	struct ar_addr onh, nnh;        /* next hop installed / wanted */
	struct ar_addr inh;             /* installed after execution */
	double value;
	int32_t parent;                 /* nearest covering entry, -1 none */
	uint32_t group;                 /* the top-level entry of its tree */
	uint8_t flags;
};

struct op {
	uint32_t u;                     /* index in plan.u */
	uint8_t kind;                   /* enum op_kind */
	uint8_t step;                   /* 0 early del, 1 add/replace, 2 del */
};

struct plan_limits {
	size_t max4, max6;              /* 0 = no cap */
	uint64_t budget;                /* changes allowed now; UINT64_MAX none */
};

struct plan {
	struct uent *u;
	size_t nu;
	struct op *ops;
	size_t nops;
	size_t adds, reps, dels;        /* in the plan */
	size_t deferred;                /* changes left for later (rate) */
	size_t rebuilt;                 /* trees rebuilt to stay under the cap */
	size_t peak4, peak6;            /* most routes installed at any step */
	size_t max4, max6;              /* the caps the executor enforces */
};

/* Build the ordered plan from installed to wanted (both sorted). */
int plan_build(struct plan *pl, const struct rtset *installed,
	       const struct rtset *wanted, const struct plan_limits *lim);
/* The installed set after execution (entries with U_INST). */
int plan_result(const struct plan *pl, struct rtset *out);
void plan_free(struct plan *pl);
const char *op_name(int kind);

/* ---- guard.c: cap, rate, withdraw guard ---- */
/* Keep at most max4/max6 routes (0 = no cap), most valuable first; a route
 * refused takes its covering routes with it, so nothing left hides it.
 * Returns the number refused. */
size_t cap_apply(struct rtset *s, size_t max4, size_t max6);
/* Kept routes above a route that left base leave too (the restart grace). */
size_t kept_drop_above(struct rtset *base, const struct rtset *old, const struct rtset *writer);

struct bucket {
	double rate;                    /* per second; 0 = unlimited */
	double tokens;
	uint64_t last_ms;
};
uint64_t bucket_avail(struct bucket *b, uint64_t now_ms);
void bucket_take(struct bucket *b, uint64_t n);

/* Removals a snapshot would make (prefixes installed but not wanted). */
size_t count_removals(const struct rtset *installed, const struct rtset *wanted);

/* ---- targets ---- */
struct target {
	const char *name;
	/* Send ops[0..n) (one level: no two nested); res[i] = 0 or errno. 0, or
	 * -1 when the results are unknown (the target must be re-read). */
	int (*send)(struct target *t, const struct plan *pl, const struct op *ops,
		    size_t n, int *res);
	/* Read what is installed (routes of ours); NULL when not readable. */
	int (*dump)(struct target *t, struct rtset *out);
	void (*free)(struct target *t);
	/* Output reopened: the target wants the full state again. */
	bool (*want_full)(struct target *t);
	int (*full)(struct target *t, const struct rtset *installed);
	/* Optional: the target's own keys of the stats record. */
	void (*stats)(struct target *t, struct rec_writer *w);
};

struct nl_conf {
	uint32_t table;
	uint8_t proto;
	uint32_t metric;
	size_t batch;                   /* messages per sendmsg */
	bool any_metric;                /* a dump takes every metric (another daemon's) */
};
struct target *nl_target_new(const struct nl_conf *c);
/* The routes of protocol c->proto in table c->table, read once. */
int fib_read(const struct nl_conf *c, struct rtset *out);
int table_parse(const char *s, uint32_t *table);
struct ev_loop;
/* path: a FIFO (reopened for each reader, who gets the complete state),
 * a file or "-"; written without blocking the loop l. */
/* fib: where the router's daemon (BIRD) writes the FIB, read for what it
 * still holds when a new reader comes; proto 0: not read. */
struct target *bgp_target_new(const char *path, struct ev_loop *l, const struct nl_conf *fib);
struct target *dry_target_new(FILE *out);

/* ---- apply.c: run a plan through a target ---- */
struct push_stats {
	uint64_t snapshots, added, removed, replaced, refused, failed, deferred;
	uint64_t held, repaired, resyncs, kept_stale, kept_dropped;
	uint64_t failed_by_errno[134];
	double latency_ms, latency_max_ms;
};
int plan_execute(struct plan *pl, struct target *t, struct push_stats *st,
		 FILE *trace, bool *resync);

/* ---- push.c: the program ---- */
enum push_mode { MODE_NETLINK, MODE_BGP, MODE_DRY };
struct push_opts {
	enum push_mode mode;
	const char *input, *output, *stats, *trace;
	struct nl_conf nl;
	uint8_t bgp_fib_proto;          /* --bgp: the FIB's writer, for a new reader */
	unsigned long long max4, max6;
	double max_rate;                /* changes per second, 0 unlimited */
	double withdraw_pct;
	double verify_interval, stats_interval, retry_interval;
	double grace;                   /* after a writer restart, seconds */
	bool flush_on_exit;
	bool check;
};
int push_run(const struct push_opts *o);

/* ---- trace ---- */
void trace_set(FILE *f, const char *tag, const struct rtset *s);
void trace_op(FILE *f, const struct uent *e, int kind, int err);

#endif
