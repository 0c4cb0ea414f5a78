/* --asic-headroom: the capacity follows the switch ASIC. sflow-decode
 * --counters writes an asic record (Broadcom's table utilization) with
 * each counter sample of the switch; on a flow input it sets the
 * per-family capacity to what the ASIC says it holds, less the headroom:
 * IPv4 from the IPv4 route table, IPv6 from the IPv6 and long IPv6 tables
 * together. The configured --max-routes and --max-routes6 hold until the
 * first such record, and a record without the maxima changes nothing.
 * route-push's own cap is not ours to change: it stays the operator's
 * number and wins over whatever is chosen here. */
#include "pr.h"

/* The last capacities taken from the ASIC (0: none yet), applied again
 * after a reload reads the configured ones. */
static unsigned long long asic4, asic6;

static unsigned long long less_headroom(unsigned long long max, unsigned long long h)
{
	return max > h ? max - h : 0;
}

static void apply(struct pr *pr, const char *why)
{
	struct pr_opts *o = pr->o;

	if (asic4 == 0 && asic6 == 0)
		return;
	if (o->max4 == asic4 && o->max6 == asic6)
		return;
	log_info("capacity from the ASIC%s: IPv4 %llu -> %llu, IPv6 %llu -> %llu", why,
		 o->max4, asic4, o->max6, asic6);
	o->max4 = asic4;
	o->max6 = asic6;
	pr->capacity_changes++;
}

bool capacity_asic(struct pr *pr, const struct rec_asic *a)
{
	unsigned long long h = pr->o->asic_headroom;

	if (!pr->o->asic_follow)
		return false;
	if (!REC_HAS(a, ASIC_IPV4MAX) || !REC_HAS(a, ASIC_IPV6MAX) || !REC_HAS(a, ASIC_IPV6LONGMAX))
		return true;
	asic4 = less_headroom(a->v[ASIC_IPV4MAX - ASIC_HOST], h);
	asic6 = less_headroom((unsigned long long)a->v[ASIC_IPV6MAX - ASIC_HOST] +
			      a->v[ASIC_IPV6LONGMAX - ASIC_HOST], h);
	apply(pr, "");
	return true;
}

void capacity_reapply(struct pr *pr)
{
	if (pr->o->asic_follow)
		apply(pr, " (after the reload)");
}
