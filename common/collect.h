/* Collecting a complete state: the records between a sync begin and a sync
 * end are the whole state and reach the owner as one set, at the end. An
 * unfinished state (a begin again before the end, the input ending, no
 * memory) is dropped, never handed over in part (DESIGN.md, stream rules).
 *
 * Generic over the records: the owner turns each record inside the markers
 * into an item of its own (take), gets the complete set at the end
 * (complete) and lets go of what a dropped state's items hold (release).
 * Records outside the markers are the owner's: changes, peer records. */
#ifndef AR_COLLECT_H
#define AR_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* n items of the owner's size, in the order their records came. */
struct collect_set {
	void *v;
	size_t n, cap;
};

struct collect_ops {
	size_t size;                    /* bytes of one item */
	/* A record inside the markers: 1 with *item filled, 0 when it is not
	 * part of the state, -1 to drop the state (out of memory). */
	int (*take)(void *arg, const struct rec *r, void *item);
	/* The complete state. The owner may keep the items: it then takes
	 * set->v and leaves set->v NULL, set->n and set->cap 0. */
	void (*complete)(void *arg, struct collect_set *set);
	/* The items of a dropped state (NULL: they hold nothing). */
	void (*release)(void *arg, void *items, size_t n);
};

struct collect {
	const struct collect_ops *ops;
	void *arg;
	const char *name;               /* the input, for messages */
	struct collect_set set;
	bool open;                      /* between begin and end */
	bool skip;                      /* this one was dropped: the rest of it too */
	uint64_t complete;              /* states handed over */
	uint64_t dropped;               /* unfinished states thrown away */
};

void collect_init(struct collect *c, const struct collect_ops *ops, void *arg, const char *name);
/* 1 when r was the collector's (a sync marker, or a record inside the
 * markers), 0 when it is the owner's. complete() runs from here. */
int collect_feed(struct collect *c, const struct rec *r);
/* The input ended (its writer went away): a state still open is dropped. */
void collect_abort(struct collect *c);
void collect_free(struct collect *c);

#endif
