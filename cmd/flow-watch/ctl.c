/* The control socket: a Unix stream socket, one request line in, one JSON
 * document out, then the connection closes (as prefix-rank's). An events
 * request with a timeout and nothing to report yet waits, without reading
 * or blocking anything else, until an event or its deadline; answers go
 * out without blocking, so a client that does not read stalls only itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "fw.h"

#define REQ_MAX 4096

struct fw_client {
	struct fw_client *next;
	struct fw *w;
	int fd;
	size_t len;
	char buf[REQ_MAX];
	char *out;                      /* the answer being sent */
	size_t outlen, outoff;
	bool waiting;                   /* a long poll */
	struct fw_poll poll;
	ar_msec deadline;
};

static void client_done(struct fw *w, struct fw_client *c)
{
	struct fw_client **pp;

	ev_fd_del(w->ev, c->fd);
	close(c->fd);
	for (pp = &w->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->out);
	free(c);
}

/* Send what the socket takes; the rest when it is writable again. */
static void pump(struct fw *w, struct fw_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_fd_events(w->ev, c->fd, POLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	client_done(w, c);
}

static void answer(struct fw *w, struct fw_client *c, char *s)
{
	size_t n = s ? strlen(s) : 0;

	c->waiting = false;
	c->out = s ? realloc(s, n + 2) : NULL;
	if (!c->out) {
		free(s);
		client_done(w, c);
		return;
	}
	c->out[n] = '\n';
	c->out[n + 1] = '\0';
	c->outlen = n + 1;
	c->outoff = 0;
	pump(w, c);
}

static void request(struct fw *w, struct fw_client *c)
{
	bool wait;
	char *s;

	c->buf[c->len] = '\0';
	s = query_answer(w, c->buf, &c->poll, &wait);
	if (wait) {
		c->waiting = true;
		c->deadline = ev_now() + (ar_msec)(c->poll.timeout * 1000);
		ev_fd_events(w->ev, c->fd, 0);  /* nothing more to read: wait quietly */
		return;
	}
	answer(w, c, s);
}

static void on_client(struct ev_loop *l, int fd, short re, void *arg)
{
	struct fw_client *c = arg;
	struct fw *w = c->w;
	ssize_t n;

	(void)l;
	if (c->out) {
		if (re & (POLLOUT | POLLERR | POLLHUP))
			pump(w, c);
		return;
	}
	if (c->waiting) {
		if (re & (POLLHUP | POLLERR))
			client_done(w, c);      /* gone before its answer */
		return;
	}
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->len)
			request(w, c);
		else
			client_done(w, c);
		return;
	}
	c->len += (size_t)n;
	if (memchr(c->buf, '\n', c->len) || c->len == sizeof(c->buf) - 1)
		request(w, c);
}

static void on_accept(struct ev_loop *l, int fd, short re, void *arg)
{
	struct fw *w = arg;
	struct fw_client *c;
	int cfd;

	(void)re;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (!(c = calloc(1, sizeof(*c)))) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->w = w;
	c->next = w->clients;
	w->clients = c;
	ev_fd_add(l, cfd, POLLIN, on_client, c);
}

void ctl_event(struct fw *w)
{
	struct fw_client *c, *next;

	for (c = w->clients; c; c = next) {
		next = c->next;
		if (!c->waiting)
			continue;
		char *s = query_events(w, &c->poll, false);
		if (s)
			answer(w, c, s);
	}
}

void ctl_tick(struct fw *w)
{
	struct fw_client *c, *next;
	ar_msec now = ev_now();

	for (c = w->clients; c; c = next) {
		next = c->next;
		if (c->waiting && now >= c->deadline)
			answer(w, c, query_events(w, &c->poll, true));
	}
}

int ctl_open(struct fw *w, const char *path)
{
	int fd = ctl_listen(path);

	if (fd < 0)
		return -1;
	w->ctl = fd;
	ev_fd_add(w->ev, fd, POLLIN, on_accept, w);
	return 0;
}

void ctl_close(struct fw *w)
{
	while (w->clients)
		client_done(w, w->clients);
	if (w->ctl >= 0) {
		close(w->ctl);
		if (w->o->control)
			unlink(w->o->control);
		w->ctl = -1;
	}
}

