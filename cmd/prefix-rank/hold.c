/* No measurement is not no traffic.
 *
 * Rates decay by the clock, so a stopped or stuck sflow-decode looks like
 * every destination going quiet at once, and the next ticks empty the FIB
 * toward the default route. sflow-decode writes a stats record into its
 * flow output every --stats-interval whatever the traffic: while those
 * come, silence is real and rates decay; when no record at all has come
 * for two of its intervals, the measurement is lost and the decay clock
 * stops, back to the last record, until records come again. A replay's
 * clock is its records' timestamps: never held. */
#include "pr.h"

/* Intervals outside this are not a heartbeat (ms). */
#define HB_MIN 100
#define HB_MAX 60000

void hold_heard(struct pr *pr, const struct rec *rec)
{
	if (pr->o->replay)
		return;
	pr->flow_last = pr->now;
	if (rec->type != REC_STATS)
		return;
	if (pr->hb_last && pr->now - pr->hb_last >= HB_MIN && pr->now - pr->hb_last <= HB_MAX)
		pr->hb_ms = pr->now - pr->hb_last;
	pr->hb_last = pr->now;
}

void hold_check(struct pr *pr)
{
	uint64_t from;

	if (pr->o->replay || !pr->hb_ms || !pr->flow_last)
		return;
	if (pr->now - pr->flow_last <= 2 * pr->hb_ms) {
		if (pr->holding)
			log_info("flow input: records again: rates run on (held %.1fs in all)",
				 (double)pr->held_ms / 1000);
		pr->holding = false;
		return;
	}
	if (!pr->holding)
		log_warn("flow input: no record for %.1fs, stats records were coming every %.1fs: "
			 "the measurement is lost, rates are held",
			 (double)(pr->now - pr->flow_last) / 1000, (double)pr->hb_ms / 1000);
	pr->holding = true;
	from = pr->flow_last > pr->held_to ? pr->flow_last : pr->held_to;
	if (pr->now <= from)
		return;
	/* Stored rates are scaled against t0: moving it forward by the silence
	 * undoes the decay of that time, for every prefix at once. */
	pr->rib.t0 += pr->now - from;
	pr->rib.tcache = UINT64_MAX;
	pr->held_ms += pr->now - from;
	pr->held_to = pr->now;
}
