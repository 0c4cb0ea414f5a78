/* Asking a stage: one line to its control socket, one JSON document back
 * (the stage closes the connection after it). Bounded in time and size so a
 * stuck stage costs a request its timeout, never a thread forever. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ha.h"

#define CTL_MAX_ANSWER (64u << 20)

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* poll() until fd is ready for ev or the deadline passes. */
static int wait_fd(int fd, short ev, double deadline)
{
	for (;;) {
		double left = deadline - mono();
		struct pollfd p = { .fd = fd, .events = ev };
		int n;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

char *ctl_ask(const char *path, const char *line, double timeout, size_t *lenp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double deadline = mono() + timeout;
	size_t len = 0, cap = 16384, n = strlen(line);
	char *buf = NULL;
	int fd, e;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENOENT;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	/* A stage whose backlog is full makes connect() wait: SO_SNDTIMEO
	 * bounds that wait (unix(7)); the rest is non-blocking with poll(). */
	struct timeval tv = { .tv_sec = (time_t)timeout,
			      .tv_usec = (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6) };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN || errno == EINPROGRESS)
			errno = ETIMEDOUT;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* the line and its newline; then half-close, which the stages take as
	 * the end of the question too */
	for (size_t off = 0; off <= n;) {
		const char *p = off < n ? line + off : "\n";
		size_t want = off < n ? n - off : 1;
		ssize_t w;
		if (wait_fd(fd, POLLOUT, deadline) < 0)
			goto fail;
		w = send(fd, p, want, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	if (!(buf = malloc(cap)))
		goto fail;
	for (;;) {
		ssize_t r;
		if (len + 1 == cap) {
			char *nb;
			if (cap >= CTL_MAX_ANSWER) {
				errno = EMSGSIZE;
				goto fail;
			}
			if (!(nb = realloc(buf, cap * 2)))
				goto fail;
			buf = nb;
			cap *= 2;
		}
		if (wait_fd(fd, POLLIN, deadline) < 0)
			goto fail;
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (!len) {
		free(buf);
		errno = ECONNRESET;
		return NULL;
	}
	if (lenp)
		*lenp = len;
	return buf;
fail:
	e = errno;
	close(fd);
	free(buf);
	errno = e;
	return NULL;
}

/* Which status an error of a stage maps to: what it could not find is a
 * 404 (as sFlow-RT answers an unknown flow or threshold), the rest 400. */
static unsigned error_status(const char *msg)
{
	if (strstr(msg, "unknown flow") || strstr(msg, "unknown threshold") ||
	    strstr(msg, "no such") || strstr(msg, "not found"))
		return 404;
	return 400;
}

void ctl_respond(struct ha_resp *r, const char *path, const char *line, double timeout)
{
	size_t len = 0;
	char *s = ctl_ask(path, line, timeout, &len);

	ctl_finish(r, path, s, len, timeout);
}

void ctl_finish(struct ha_resp *r, const char *path, char *s, size_t len, double timeout)
{
	if (!s) {
		if (errno == ETIMEDOUT)
			resp_error(r, 504, "%s did not answer in %.3g s", path, timeout);
		else
			resp_error(r, 503, "cannot ask %s: %s", path, strerror(errno));
		return;
	}
	if (len > 9 && !memcmp(s, "{\"error\"", 8)) {
		json_t *o = json_loadb(s, len, 0, NULL);
		const char *m = o ? json_string_value(json_object_get(o, "error")) : NULL;
		unsigned st = m ? error_status(m) : 502;
		free(s);
		if (!m) {
			json_decref(o);
			resp_error(r, 502, "%s answered an unreadable error", path);
			return;
		}
		resp_json(r, st, o);
		return;
	}
	resp_text(r, 200, "application/json", s, len);
}
