/* Safety guards: the hard cap on installed routes, the change rate, and the
 * count of removals the withdraw guard looks at. */
#include <stdlib.h>
#include <string.h>

#include "push.h"

/* Min-heap of indexes by value. */
struct heap {
	uint32_t *v;
	size_t n;
	const struct rt *rt;
};

static bool hless(const struct heap *h, uint32_t a, uint32_t b)
{
	double x = h->rt[a].value, y = h->rt[b].value;
	return x < y || (x == y && a > b);
}

static void hpush(struct heap *h, uint32_t x)
{
	size_t i = h->n++;
	h->v[i] = x;
	while (i > 0 && hless(h, h->v[i], h->v[(i - 1) / 2])) {
		uint32_t t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static uint32_t hpop(struct heap *h)
{
	uint32_t top = h->v[0];
	h->v[0] = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && hless(h, h->v[l], h->v[m]))
			m = l;
		if (r < h->n && hless(h, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		uint32_t t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
	return top;
}

/* A route may only be refused once every route covering it is refused:
 * refusing a more-specific while keeping its cover would hide it. So the
 * cap peels trees from the top, the least valuable top first. */
static size_t cap_af(struct rtset *s, int af, size_t max, bool *drop)
{
	size_t n = rtset_count_af(s, af);
	if (!max || n <= max)
		return 0;
	int32_t *parent = malloc(s->n * sizeof(*parent));
	int32_t *child = malloc(s->n * sizeof(*child));     /* first child */
	int32_t *sib = malloc(s->n * sizeof(*sib));         /* next sibling */
	uint32_t *stk = malloc(s->n * sizeof(*stk));
	struct heap h = { malloc(s->n * sizeof(uint32_t)), 0, s->v };
	size_t refused = 0, sp = 0;
	if (!parent || !child || !sib || !stk || !h.v)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		child[i] = sib[i] = -1;
		if (s->v[i].p.a.af != af) {
			parent[i] = -1;
			continue;
		}
		while (sp > 0 && !prefix_covers(&s->v[stk[sp - 1]].p, &s->v[i].p))
			sp--;
		parent[i] = sp ? (int32_t)stk[sp - 1] : -1;
		stk[sp++] = (uint32_t)i;
	}
	/* children lists, kept in address order by filling backwards */
	for (size_t i = s->n; i-- > 0;) {
		if (s->v[i].p.a.af != af)
			continue;
		if (parent[i] >= 0) {
			sib[i] = child[parent[i]];
			child[parent[i]] = (int32_t)i;
		} else {
			hpush(&h, (uint32_t)i);
		}
	}
	while (n - refused > max && h.n > 0) {
		uint32_t x = hpop(&h);
		drop[x] = true;
		refused++;
		for (int32_t c = child[x]; c >= 0; c = sib[c])
			hpush(&h, (uint32_t)c);
	}
out:
	free(parent);
	free(child);
	free(sib);
	free(stk);
	free(h.v);
	return refused;
}

static void drop_marked(struct rtset *s, const bool *drop)
{
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!drop[i])
			s->v[w++] = s->v[i];
	s->n = w;
}

size_t cap_apply(struct rtset *s, size_t max4, size_t max6)
{
	if (!max4 && !max6)
		return 0;
	bool *drop = calloc(s->n + 1, sizeof(*drop));
	if (!drop)
		return 0;
	size_t refused = cap_af(s, AR_AF4, max4, drop) + cap_af(s, AR_AF6, max6, drop);
	if (refused)
		drop_marked(s, drop);
	free(drop);
	return refused;
}

uint64_t bucket_avail(struct bucket *b, uint64_t now_ms)
{
	if (b->rate <= 0)
		return UINT64_MAX;
	if (b->last_ms == 0) {
		b->tokens = b->rate;
	} else if (now_ms > b->last_ms) {
		b->tokens += b->rate * (double)(now_ms - b->last_ms) / 1000.0;
		if (b->tokens > b->rate)
			b->tokens = b->rate;        /* burst: one second's worth */
	}
	b->last_ms = now_ms;
	return b->tokens < 1 ? 0 : (uint64_t)b->tokens;
}

void bucket_take(struct bucket *b, uint64_t n)
{
	if (b->rate <= 0)
		return;
	b->tokens -= (double)n;   /* may go below zero after a burst */
}

size_t count_removals(const struct rtset *I, const struct rtset *W)
{
	size_t i = 0, j = 0, n = 0;
	while (i < I->n) {
		int c = j == W->n ? -1 : rt_cmp(&I->v[i], &W->v[j]);
		if (c < 0) {
			n++;
			i++;
		} else if (c == 0) {
			i++;
			j++;
		} else {
			j++;
		}
	}
	return n;
}

/* During a restart grace, base holds the new writer's routes (writer) and
 * the old ones kept beside them. The old ones were hiding-free only
 * together with the old writer's whole set: when a route leaves base (the
 * new writer's del, or a kept route it deletes), a kept route above it may
 * now forward its range by another next hop. So every kept route above a
 * route that left goes too, up to the nearest route of the writer's, whose
 * own closure answers for what is under it; above none, the default route
 * takes the range, which is always right. */
static bool is_kept(const struct rtset *writer, const struct ar_prefix *p)
{
	return rtset_find(writer, p) < 0;
}

size_t kept_drop_above(struct rtset *base, const struct rtset *old, const struct rtset *writer)
{
	bool *drop = NULL;
	size_t n = 0, i = 0, j = 0;

	while (i < old->n) {
		int c = j == base->n ? -1 : rt_cmp(&old->v[i], &base->v[j]);
		if (c > 0) {
			j++;
			continue;
		}
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		/* old->v[i] left: walk up its covers in base */
		const struct ar_prefix *r = &old->v[i++].p;
		for (int l = (int)r->plen - 1; l >= 0; l--) {
			struct ar_prefix q = *r;
			q.plen = (uint8_t)l;
			addr_mask(&q.a, (unsigned)l);
			ssize_t k = rtset_find(base, &q);
			if (k < 0)
				continue;
			if (!is_kept(writer, &q))
				break;
			if (!drop && !(drop = calloc(base->n, sizeof(*drop))))
				return 0;       /* out of memory: the grace's end removes them */
			n += !drop[k];
			drop[k] = true;
		}
	}
	if (n)
		drop_marked(base, drop);
	free(drop);
	return n;
}
