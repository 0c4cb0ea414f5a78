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
#include <sys/un.h>
#include <unistd.h>

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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("--control: path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);                   /* a socket left by an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
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

int query_client(const char *path, const char *query)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	bool first = true, error = false;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("--control: path too long: %s", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_err("cannot connect to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (int part = 0; part < 2; part++) {
		const char *s = part ? "\n" : query;
		size_t len = strlen(s);
		while (len) {
			ssize_t k = send(fd, s, len, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			s += k;
			len -= (size_t)k;
		}
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (first && n >= 9 && !memcmp(buf, "{\"error\"", 8))
			error = true;
		first = false;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	if (first) {
		log_err("%s: no answer", path);
		return 1;
	}
	return error ? 1 : 0;
}
