/* Property fuzzer of the change order: random installed and wanted sets of
 * nested prefixes inside 10.0.0.0/24 (256 addresses, checked one by one),
 * a random cap and random kernel failures. After every change that takes
 * effect, every address must resolve to its next hop before the plan, the
 * one wanted, or nothing; the cap must hold at every step; and what the plan
 * says is installed must be what the target holds. Aborts otherwise. */
#include <stdlib.h>
#include <string.h>

#include "push.h"

#define NMAX 48

struct model {
	struct target t;
	struct rtset x;                 /* what the target holds */
	const struct rtset *old, *want;
	size_t cap;
	uint32_t rng;
	unsigned fail_pct;
};

static int lookup(const struct rtset *s, unsigned a)
{
	int best = -1, bl = -1;
	for (size_t i = 0; i < s->n; i++) {
		unsigned pl = s->v[i].p.plen - 24, base = s->v[i].p.a.b[3];
		unsigned mask = pl ? (0xffu << (8 - pl)) & 0xffu : 0;
		if ((a & mask) == base && (int)pl > bl) {
			bl = (int)pl;
			best = s->v[i].nh.b[3];
		}
	}
	return best;
}

static void check(const struct model *m)
{
	if (m->cap && m->x.n > m->cap)
		abort();
	for (unsigned a = 0; a < 256; a++) {
		int x = lookup(&m->x, a);
		if (x >= 0 && x != lookup(m->old, a) && x != lookup(m->want, a))
			abort();
	}
}

static void set_del(struct rtset *s, const struct ar_prefix *p)
{
	ssize_t i = rtset_find(s, p);
	if (i < 0)
		abort();                /* deleting what is not there */
	memmove(&s->v[i], &s->v[i + 1], (s->n - (size_t)i - 1) * sizeof(*s->v));
	s->n--;
}

static int fz_send(struct target *t, const struct plan *pl, const struct op *ops,
		   size_t n, int *res)
{
	struct model *m = (struct model *)t;
	for (size_t i = 0; i < n; i++) {
		const struct uent *e = &pl->u[ops[i].u];
		m->rng = m->rng * 1103515245u + 12345u;
		res[i] = (m->rng >> 16) % 100 < m->fail_pct ? 101 /* ENETUNREACH */ : 0;
		if (res[i])
			continue;
		if (ops[i].kind == OP_DEL) {
			set_del(&m->x, &e->p);
		} else {
			struct rt r = { .p = e->p, .nh = e->nnh };
			ssize_t k = rtset_find(&m->x, &e->p);
			if (ops[i].kind == OP_ADD && k >= 0)
				abort();        /* NLM_F_EXCL would fail */
			if (k >= 0)
				m->x.v[k] = r;
			else {
				rtset_push(&m->x, &r);
				rtset_sort(&m->x);
			}
		}
		check(m);
	}
	return 0;
}

static void mk(struct rt *r, unsigned plen, unsigned a, unsigned nh)
{
	memset(r, 0, sizeof(*r));
	r->p.a.af = AR_AF4;
	r->p.a.b[0] = 10;
	r->p.a.b[3] = (uint8_t)a;
	r->p.plen = (uint8_t)plen;
	addr_mask(&r->p.a, plen);
	r->nh.af = AR_AF4;
	r->nh.b[0] = 198;
	r->nh.b[1] = 18;
	r->nh.b[3] = (uint8_t)(1 + nh);
	r->value = (double)(a ^ nh);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n < 3)
		return 0;
	struct rtset old = { 0 }, want = { 0 };
	struct model m;
	memset(&m, 0, sizeof(m));
	m.cap = d[0] % 24;              /* 0: no cap */
	m.fail_pct = d[1] % 4 == 0 ? 0 : d[1] % 40;
	m.rng = d[2];
	for (size_t i = 3; i + 2 < n && old.n + want.n < 2 * NMAX; i += 3) {
		unsigned plen = 24 + d[i] % 9, a = d[i + 1], f = d[i + 2];
		struct rt r;
		if (f & 1) {
			mk(&r, plen, a, (f >> 2) & 3);
			rtset_push(&old, &r);
		}
		if (f & 2) {
			mk(&r, plen, a, (f >> 4) & 3);
			rtset_push(&want, &r);
		}
	}
	rtset_sort(&old);
	rtset_sort(&want);
	/* what is installed came through the cap too */
	cap_apply(&old, m.cap, 0);
	cap_apply(&want, m.cap, 0);
	for (size_t i = 0; i < old.n; i++)
		rtset_push(&m.x, &old.v[i]);
	m.old = &old;
	m.want = &want;
	m.t.send = fz_send;
	struct plan_limits lim = { .max4 = m.cap, .budget = UINT64_MAX };
	if (d[1] & 0x80)
		lim.budget = 1 + d[1] % 8;      /* the rate limit */
	struct plan pl;
	struct push_stats st;
	memset(&st, 0, sizeof(st));
	bool rs;
	if (plan_build(&pl, &old, &want, &lim) < 0)
		abort();
	plan_execute(&pl, &m.t, &st, NULL, &rs);
	struct rtset res = { 0 };
	plan_result(&pl, &res);
	if (res.n != m.x.n)
		abort();
	for (size_t i = 0; i < res.n; i++)
		if (rt_cmp(&res.v[i], &m.x.v[i]) || addr_cmp(&res.v[i].nh, &m.x.v[i].nh))
			abort();
	/* nothing failed and nothing waits: the target is what was wanted */
	if (!m.fail_pct && !pl.deferred) {
		if (m.x.n != want.n)
			abort();
		for (size_t i = 0; i < want.n; i++)
			if (rt_cmp(&want.v[i], &m.x.v[i]) || addr_cmp(&want.v[i].nh, &m.x.v[i].nh))
				abort();
	}
	plan_free(&pl);
	rtset_free(&res);
	rtset_free(&old);
	rtset_free(&want);
	rtset_free(&m.x);
	return 0;
}
