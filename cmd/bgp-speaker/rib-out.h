/* The Adj-RIB-Out's insides, shared by rib-out.c (the table, records,
 * snapshots) and pump.c (UPDATEs built from it). */
#ifndef RIB_OUT_H
#define RIB_OUT_H

/* libbsd's RB_GENERATE_STATIC marks its functions __unused */
#ifndef __unused
#define __unused __attribute__((unused))
#endif
#include <sys/queue.h>
#include <sys/tree.h>

#include "speaker.h"

#define PUMP_BATCH 4096

struct ro_attr {
	RB_ENTRY(ro_attr) e;
	uint32_t refs;
	bool self;                      /* our next hop, chosen per session */
	struct ar_addr nh, nhll;        /* the record's, unless self */
	uint16_t len;
	uint8_t blob[];
};

struct ro_ent {
	RB_ENTRY(ro_ent) e;
	TAILQ_ENTRY(ro_ent) dq;
	struct ar_prefix p;
	struct ro_attr *want, *sent, *staged;
	uint32_t gen;                   /* complete state that staged it */
	bool dirty;
	bool nosend;                    /* wanted, but not on this session: withdrawn */
	/* The peer may hold it from before: a session that went down (its
	 * graceful restart keeps our routes stale), or our previous process
	 * (the first complete state after a start is what route-push says the
	 * peer had). Withdrawn first at session up when no longer wanted, so
	 * the peer never holds its stale set and the new one at once. */
	bool held;
};

RB_HEAD(ro_tree, ro_ent);
RB_HEAD(ra_tree, ro_attr);
TAILQ_HEAD(ro_list, ro_ent);

struct ribout {
	struct ro_tree t;
	struct ra_tree attrs;
	struct ro_list dirty;
	size_t n;
	uint32_t gen;
	bool eor4, eor6;                /* End-of-RIB owed after the dirty list drains */
	bool eorr4, eorr6;              /* End-of-Route-Refresh owed (RFC 7313) */
	bool first_state;               /* a complete state came since the start */
	uint64_t skipped;
	struct log_rl rl;
};

void ro_attr_unref(struct ribout *ro, struct ro_attr *a);
struct ro_attr *ro_attr_ref(struct ro_attr *a);
/* Queue e for the pump when what the peer has is not what we want. */
void ro_mark(struct ribout *ro, struct ro_ent *e);
/* Free e when nothing refers to it any more. */
void ro_maybe_free(struct ribout *ro, struct ro_ent *e);
/* The next hops attribute set a goes out with on this session: false when
 * it needs ours and the session has none of its family. */
bool ro_nh_for(const struct speaker *s, const struct ro_attr *a, int af,
	       struct ar_addr *nh, struct ar_addr *nhll);
/* pump.c: a ROUTE-REFRESH BoRR/EoRR marker (RFC 7313); -1: session closed. */
int ro_send_rr_marker(struct speaker *s, uint16_t afi, uint8_t sub);

#endif
