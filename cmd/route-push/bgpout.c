/* The --bgp target: route records for a bgp-speaker that announces them
 * (to BIRD, whose kernel protocol then programs the FIB). The output starts,
 * and starts again whenever it is reopened, with the complete installed
 * state between sync markers; after that each change is one record, a
 * next-hop change an add that replaces the announcement. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "prog.h"
#include "push.h"

struct bgpt {
	struct target t;
	char *path;
	struct rec_writer *w;
	bool fifo;
	bool need_full;
};

static void put(struct rec_writer *w, const struct ar_prefix *p, const struct ar_addr *nh,
		double value, bool del)
{
	struct rec_route r;
	memset(&r, 0, sizeof(r));
	r.op = del ? ROUTE_DEL : ROUTE_ADD;
	r.prefix = *p;
	REC_SET(&r, ROUTE_OP);
	REC_SET(&r, ROUTE_PREFIX);
	if (!del) {
		r.nexthop = *nh;
		REC_SET(&r, ROUTE_NEXTHOP);
		if (value > 0) {
			r.value = value;
			REC_SET(&r, ROUTE_VALUE);
		}
	}
	rw_route(w, &r);
}

/* Write everything out; a FIFO whose reader left is reopened (waiting for
 * the next reader) and then gets the full state again. */
static int drain(struct bgpt *b)
{
	for (;;) {
		int rc = rw_flush(b->w);
		if (rc == 0)
			return 0;
		if (rc > 0)
			continue;
		if (rw_error(b->w) == EPIPE && b->fifo) {
			log_warn("%s: reader went away: reopening", b->path);
			close(rw_fd(b->w));
			int fd = rec_open_output(b->path, false);
			if (fd < 0) {
				log_err("cannot open %s: %s", b->path, strerror(errno));
				return -1;
			}
			rw_set_fd(b->w, fd);
			b->need_full = true;
			return 0;
		}
		log_err("%s: write: %s", b->path, strerror(rw_error(b->w)));
		return -1;
	}
}

static int bgp_send(struct target *t, const struct plan *pl, const struct op *ops,
		    size_t n, int *res)
{
	struct bgpt *b = (struct bgpt *)t;
	for (size_t i = 0; i < n; i++) {
		const struct uent *e = &pl->u[ops[i].u];
		res[i] = 0;
		/* a full state follows: it will carry this change */
		if (!b->need_full)
			put(b->w, &e->p, &e->nnh, e->value, ops[i].kind == OP_DEL);
	}
	if (drain(b) < 0)
		exit(EXIT_RUNTIME);
	return 0;
}

static bool bgp_want_full(struct target *t)
{
	return ((struct bgpt *)t)->need_full;
}

static int bgp_full(struct target *t, const struct rtset *s)
{
	struct bgpt *b = (struct bgpt *)t;
	struct rec_sync sy = { 0 };
	b->need_full = false;
	REC_SET(&sy, SYNC_PHASE);
	sy.phase = SYNC_BEGIN;
	rw_sync(b->w, &sy);
	for (size_t i = 0; i < s->n; i++) {
		put(b->w, &s->v[i].p, &s->v[i].nh, s->v[i].value, false);
		if (rw_pending(b->w) > (1u << 20) && drain(b) < 0)
			exit(EXIT_RUNTIME);
		if (b->need_full)
			return bgp_full(t, s);  /* reopened midway: start over */
	}
	sy.phase = SYNC_END;
	rw_sync(b->w, &sy);
	if (drain(b) < 0)
		exit(EXIT_RUNTIME);
	if (b->need_full)
		return bgp_full(t, s);
	return 0;
}

static void bgp_free(struct target *t)
{
	struct bgpt *b = (struct bgpt *)t;
	if (b->w) {
		drain(b);
		rw_free(b->w);
	}
	free(b->path);
	free(b);
}

struct target *bgp_target_new(const char *path)
{
	struct bgpt *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->t.name = "bgp";
	b->t.send = bgp_send;
	b->t.free = bgp_free;
	b->t.want_full = bgp_want_full;
	b->t.full = bgp_full;
	b->path = strdup(path);
	b->need_full = true;
	int fd = rec_open_output(path, false);
	if (fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		free(b->path);
		free(b);
		return NULL;
	}
	struct stat st;
	b->fifo = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && strcmp(path, "-") != 0;
	b->w = rw_new(fd);
	return &b->t;
}
