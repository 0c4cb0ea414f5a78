/* flow-watch: flow definitions (keys, value, filter, averaging time), the
 * heaviest keys of each with their rates, thresholds and the events they
 * raise, and the control socket that changes and reads all of it. */
#ifndef FW_H
#define FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "log.h"
#include "out.h"
#include "rec.h"

#define FW_NAME_MAX 64          /* definition and threshold names */
#define FW_KEYS_MAX 8           /* key fields of one definition */
#define FW_TERMS_MAX 16         /* filter terms */
#define FW_KEY_MAX 512          /* bytes of one encoded key */
#define FW_TEXT_MAX 1024        /* a key as text, a definition's strings */
#define FW_DEFS_MAX 64
#define FW_THRS_MAX 64
#define FW_INPUTS_MAX 16

/* ---- Fields (field.c): what keys, values and filters name ---- */
enum fw_kind { FK_NUM, FK_ADDR, FK_PREFIX, FK_ASPATH, FK_COMM, FK_LCOMM };

struct fw_field {
	uint8_t kind;
	int8_t pri, alt;                /* flow record field bits; alt used when pri is absent */
	int8_t lpri, lalt;              /* FK_PREFIX: the length fields */
};

/* Resolve a key name (ours, sFlow-RT's, or mask:ADDRFIELD). 0, or -1. */
int field_lookup(const char *name, struct fw_field *out);
/* Append the field's value to a key: the bytes written, or -1 when the
 * record does not carry it. */
int field_put(const struct fw_field *f, const struct rec_flow *r, uint8_t *out);
/* The n fields' values one after the other (a definition's key): the
 * length, or -1 when the record lacks one. */
int field_key(const struct fw_field *f, unsigned n, const struct rec_flow *r, uint8_t *key);
/* The text of one encoded field at p (bytes used in *used); returns chars written. */
size_t field_fmt(const struct fw_field *f, const uint8_t *p, size_t *used, char *out, size_t len);
/* A numeric field's value: 0, or -1 when absent (or not numeric). */
int field_num(const struct fw_field *f, const struct rec_flow *r, uint64_t *v);
/* The most bytes field_put() writes for f. */
size_t field_max(const struct fw_field *f);

/* ---- Definitions (def.c) ---- */
/* Who set a definition or threshold: the config (or the defaults), which a
 * reload sets again or removes, or the control socket, whose stay. */
enum fw_origin { FW_CTL, FW_CONF };
enum fw_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum fw_value { V_BYTES, V_FRAMES, V_FIELD };

struct fw_term {
	struct fw_field f;
	uint8_t op;
	uint8_t nv;                     /* FK_NUM: values of an "a,b,c" list */
	uint64_t v[8];
	struct ar_prefix pfx;           /* FK_ADDR, FK_PREFIX */
	char text[128];                 /* FK_ASPATH, FK_COMM, FK_LCOMM: as key text */
};

struct fw_spec {                        /* a definition as given */
	char keys[FW_TEXT_MAX];
	char value[FW_NAME_MAX];
	char filter[FW_TEXT_MAX];
	double t;                       /* averaging time, seconds */
	unsigned long max_keys;
};

struct hh;
struct fw_thr;
struct fw_def {
	char name[FW_NAME_MAX];
	struct fw_spec spec;
	struct fw_field key[FW_KEYS_MAX];
	unsigned nkeys;
	size_t keymax;                  /* bytes the longest key takes */
	uint8_t value;
	struct fw_field vfield;
	struct fw_term term[FW_TERMS_MAX];
	unsigned nterms;
	struct hh *hh;
	struct fw_thr *thr[FW_THRS_MAX];        /* thresholds on this metric */
	unsigned nthr;
	uint64_t matched;
	uint8_t origin;                 /* enum fw_origin */
	unsigned gen;                   /* FW_CONF: the load that set it last */
};

/* Compile a spec: 0, or -1 with the reason in err (d unchanged then). */
int def_compile(struct fw_def *d, const struct fw_spec *s, char *err, size_t errlen);
bool def_match(const struct fw_def *d, const struct rec_flow *r);
/* The key of r under d: its length, or -1 when r lacks a key field. */
int def_key(const struct fw_def *d, const struct rec_flow *r, uint8_t *key);
void def_key_fmt(const struct fw_def *d, const uint8_t *key, size_t klen, char *out, size_t len);
/* The sample's weight (before the sampling rate): bytes, 1, or the field. */
int def_weight(const struct fw_def *d, const struct rec_flow *r, double *w);

/* ---- Heavy hitters (hh.c): Space-Saving over forward-decayed weights ---- */
struct hh_entry {
	double count, err;              /* forward-scaled; err: Space-Saving's overestimate */
	uint32_t hash;                  /* the key's, low 32 bits (its home slot) */
	uint16_t klen;
	struct ar_addr agent;           /* of the last sample */
	uint8_t key[];                  /* the definition's longest key fits */
};

struct hh *hh_new(size_t cap, double tau, size_t keymax);
void hh_free(struct hh *h);
/* Add weight w (per sample, already times the sampling rate) at ms. */
struct hh_entry *hh_add(struct hh *h, const uint8_t *key, size_t klen, uint64_t hash,
			double w, uint64_t ms);
/* The key's hash (hh_hash), and the slot its probe starts at fetched (an
 * hh_add to come): one call a definition and record. */
uint64_t hh_hash_prefetch(const struct hh *h, const uint8_t *key, size_t klen);
/* Then, with the slot there, fetch the entry it likely holds. */
void hh_prefetch_entry(const struct hh *h, uint64_t hash);
/* The entry's rate at ms (the lower bound: count - err, per second). */
double hh_rate(struct hh *h, const struct hh_entry *e, uint64_t ms);
size_t hh_size(const struct hh *h);
size_t hh_cap(const struct hh *h);
struct hh_entry *hh_at(struct hh *h, size_t i);
size_t hh_bytes(const struct hh *h);
uint64_t hh_hash(const uint8_t *p, size_t n);

/* ---- Thresholds and events (thr.c) ---- */
struct fw_thr {
	char name[FW_NAME_MAX];
	char metric[FW_NAME_MAX];
	double value;
	bool byflow;
	double timeout;                 /* seconds */
	uint64_t last_all;              /* !byflow: ms it was last over (0 none) */
	bool fired_all;
	struct fired *fired;            /* byflow: keys over recently */
	size_t nfired, capfired;
	uint8_t origin;                 /* enum fw_origin */
	unsigned gen;
};

struct fw_event {
	uint64_t id;
	char thr[FW_NAME_MAX], metric[FW_NAME_MAX];
	char key[FW_TEXT_MAX];
	double value, threshold;
	struct ar_addr agent;
	char ds[16];                    /* the sample's data source, as sFlow-RT: "3" */
	uint64_t ts_us;
};

/* Parse "metric=...&value=...&byFlow=...&timeout=..." style fields. */
int thr_set(struct fw_thr *t, const char *metric, const char *value, const char *byflow,
	    const char *timeout, char *err, size_t errlen);
/* The key went over at ms: true when it fires (the timeout since it was
 * last over has passed). */
bool thr_over(struct fw_thr *t, uint64_t hash, uint64_t ms);
void thr_free(struct fw_thr *t);

/* ---- The program (run.c) ---- */
/* Events wait for a slow reader of the output up to this many bytes; the
 * ones past it are dropped and counted (the ring keeps them for queries). */
#define FW_OUT_BACKLOG (256u * 1024)
/* At exit, the events that wait go to a reader that keeps taking them; one
 * that takes nothing for this long gets no more. */
#define FW_OUT_EXIT_IDLE_MS 1000
struct fw_opts {
	const char *flows[FW_INPUTS_MAX];
	int nflows;
	const char *output;             /* events; "-" stdout */
	const char *control;
	const char *stats;
	const char *query;
	unsigned long long max_keys;    /* default per definition */
	unsigned long long ring;        /* events kept for queries */
	bool replay, check, defaults;
	const char *config;
	/* SIGHUP: the options the config file sets read again into n (a
	 * copy of the running ones); 0, or -1 on an error */
	int (*reload)(struct fw_opts *n);
};

struct fw_client;
struct fw {
	struct fw_opts *o;
	struct fw_def *def[FW_DEFS_MAX];
	unsigned ndefs;
	struct fw_thr *thr[FW_THRS_MAX];
	unsigned nthrs;
	struct fw_event *ring;
	size_t ring_cap, ring_n;        /* ring_n: events so far (id of the last) */
	uint64_t now;                   /* ms on the engine's clock */
	uint64_t wall_us;               /* the event's timestamp source */
	struct ev_loop *ev;
	struct ev_timer tick;
	struct out *out;                /* events (common/out.c), NULL for none */
	struct rec_writer *stats;
	uint64_t want;                  /* the flow fields the definitions read */
	uint64_t records, ignored, events;
	uint64_t events_dropped;        /* not written: no reader, or one FW_OUT_BACKLOG behind */
	struct log_rl rl_drop;
	int ctl;
	struct fw_client *clients;
	struct log_rl rl;
	uint8_t origin;                 /* stamped on what is set now */
	unsigned gen;                   /* loads of the config so far */
};

/* Definitions and thresholds: add (replace), remove, find. */
int fw_setflow(struct fw *w, const char *name, const struct fw_spec *s, char *err, size_t errlen);
int fw_delflow(struct fw *w, const char *name);
struct fw_def *fw_flow(struct fw *w, const char *name);
int fw_setthr(struct fw *w, const char *name, const char *metric, const char *value,
	      const char *byflow, const char *timeout, char *err, size_t errlen);
int fw_delthr(struct fw *w, const char *name);
struct fw_thr *fw_thr_find(struct fw *w, const char *name);
bool fw_name_ok(const char *name);
/* fw_name_ok(), or false with why in err. */
bool fw_name_check(const char *name, char *err, size_t errlen);
/* A flow record through every definition; its counts (and events) may
 * wait for the next records: fw_flush() counts every record given. */
void fw_flow_record(struct fw *w, const struct rec_flow *r);
void fw_flush(struct fw *w);
void fw_free(struct fw *w);
/* The defaults (Active Route Manager's traffic view, unless --no-defaults)
 * and the watch.flow.* and watch.threshold.* keys of the config (c may be
 * NULL), set as the config's (config.c): 0, or -1 after reporting each
 * error as file:line. fw_check() only checks c; fw_reload() checks the file
 * and then loads it (SIGHUP), changing nothing when it has an error. */
struct conf;
int fw_load(struct fw *w, const struct conf *c);
int fw_check(struct fw *w, const struct conf *c);
int fw_reload(struct fw *w);
int fw_run(struct fw *w);
/* The inputs decode the fields of w->want alone (after a change of them). */
void fw_inputs_want(struct fw *w);
/* Milliseconds the output has not taken all written to it (or has had no
 * reader), 0 when it is caught up. */
uint64_t fw_stalled_ms(const struct fw *w);

/* ---- Control socket (ctl.c, query.c) ---- */
/* One request line: the JSON answer (malloc'ed); *wait set for a long poll
 * that has nothing yet (answer NULL: call query_events() again later). */
struct fw_poll {
	uint64_t after;
	unsigned long max;
	double timeout;
	char thr[FW_NAME_MAX];
};
char *query_answer(struct fw *w, const char *line, struct fw_poll *poll, bool *wait);
/* The events answer of a poll, or NULL when there is none yet. */
char *query_events(struct fw *w, const struct fw_poll *p, bool final);
/* URL-style argument: the value of key in args (decoded), or NULL. */
const char *query_arg(const char *args, const char *key, char *buf, size_t len);
int ctl_open(struct fw *w, const char *path);
void ctl_close(struct fw *w);
void ctl_event(struct fw *w);           /* a new event: wake the long polls */
void ctl_tick(struct fw *w);            /* long polls that timed out */

#endif
