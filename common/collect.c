/* The sync-framing collector (collect.h): mark and sweep for the readers of
 * a stateful stream, in one place. */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "log.h"

void collect_init(struct collect *c, const struct collect_ops *ops, void *arg, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->arg = arg;
	c->name = name;
}

static void drop(struct collect *c)
{
	if (c->ops->release && c->set.n)
		c->ops->release(c->arg, c->set.v, c->set.n);
	c->set.n = 0;
	c->dropped++;
}

/* Room for one more item; false when there is no memory for it. */
static bool room(struct collect *c)
{
	struct collect_set *s = &c->set;

	if (s->n < s->cap)
		return true;
	size_t cap = s->cap ? s->cap * 2 : 1024;
	void *v = reallocarray(s->v, cap, c->ops->size);
	if (!v)
		return false;
	s->v = v;
	s->cap = cap;
	return true;
}

int collect_feed(struct collect *c, const struct rec *r)
{
	if (r->type == REC_SYNC && r->u.sync.phase == SYNC_BEGIN) {
		if (c->open && !c->skip) {
			log_warn("%s: sync begin before the end of the state begun: its %zu records dropped",
				 c->name, c->set.n);
			drop(c);
		}
		c->open = true;
		c->skip = false;
		c->set.n = 0;
		return 1;
	}
	if (r->type == REC_SYNC) {
		if (!c->open) {
			log_warn("%s: sync end without begin: ignored", c->name);
			return 1;
		}
		c->open = false;
		if (c->skip) {
			c->skip = false;
			return 1;
		}
		c->complete++;
		c->ops->complete(c->arg, &c->set);
		c->set.n = 0;
		return 1;
	}
	if (!c->open)
		return 0;
	if (c->skip)
		return 1;               /* the rest of a dropped state: not changes */
	int k = room(c) ? c->ops->take(c->arg, r, (char *)c->set.v + c->set.n * c->ops->size) : -1;
	if (k < 0) {
		log_err("%s: out of memory collecting a complete state: dropped", c->name);
		drop(c);
		c->skip = true;
	} else {
		c->set.n += (size_t)k;
	}
	return 1;
}

void collect_abort(struct collect *c)
{
	if (c->open && !c->skip) {
		log_warn("%s: input ended inside a complete state: its %zu records dropped",
			 c->name, c->set.n);
		drop(c);
	}
	c->open = c->skip = false;
}

void collect_free(struct collect *c)
{
	if (c->open && c->ops->release && c->set.n)
		c->ops->release(c->arg, c->set.v, c->set.n);
	free(c->set.v);
	c->set.v = NULL;
	c->set.n = c->set.cap = 0;
	c->open = c->skip = false;
}
