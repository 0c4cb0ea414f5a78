/* Sorted route sets: the installed table, a snapshot, a wanted state. */
#include <stdlib.h>
#include <string.h>

#include "push.h"

int rt_cmp(const struct rt *x, const struct rt *y)
{
	if (x->p.a.af != y->p.a.af)
		return x->p.a.af < y->p.a.af ? -1 : 1;
	int c = memcmp(x->p.a.b, y->p.a.b, 16);
	if (c)
		return c;
	return (int)x->p.plen - (int)y->p.plen;
}

static int rt_qcmp(const void *a, const void *b)
{
	return rt_cmp(a, b);
}

int rtset_push(struct rtset *s, const struct rt *r)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		struct rt *v = reallocarray(s->v, nc, sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = nc;
	}
	s->v[s->n++] = *r;
	return 0;
}

void rtset_clear(struct rtset *s) { s->n = 0; }

int rtset_copy(struct rtset *dst, const struct rtset *src)
{
	struct rt *v = src->n ? reallocarray(NULL, src->n, sizeof(*v)) : NULL;

	if (src->n && !v)
		return -1;
	if (src->n)
		memcpy(v, src->v, src->n * sizeof(*v));
	rtset_free(dst);
	dst->v = v;
	dst->n = dst->cap = src->n;
	return 0;
}

void rtset_free(struct rtset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void rtset_sort(struct rtset *s)
{
	if (s->n < 2)
		return;
	/* mergesort is stable: of two equal prefixes the later one stays */
	if (mergesort(s->v, s->n, sizeof(*s->v), rt_qcmp) != 0)
		qsort(s->v, s->n, sizeof(*s->v), rt_qcmp);
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (w > 0 && rt_cmp(&s->v[w - 1], &s->v[i]) == 0)
			s->v[w - 1] = s->v[i];
		else
			s->v[w++] = s->v[i];
	}
	s->n = w;
}

size_t rtset_count_af(const struct rtset *s, int af)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].p.a.af == af;
	return n;
}

ssize_t rtset_find(const struct rtset *s, const struct ar_prefix *p)
{
	struct rt key = { .p = *p };
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rt_cmp(&s->v[mid], &key);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
