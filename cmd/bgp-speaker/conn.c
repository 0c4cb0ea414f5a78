/* One connection to the neighbor: its socket, what was read and not yet
 * parsed, what is queued and not yet written. The session's connection
 * and a colliding second one are the same struct. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speaker.h"

#define IBUF_SIZE (4 * BGP_EXT_MAX_LEN)

int conn_alloc(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->ibuf = malloc(IBUF_SIZE);
	return c->ibuf ? 0 : -1;
}

void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->ibuf);
	free(c->obuf);
	c->ibuf = c->obuf = NULL;
}

void conn_begin(struct speaker *s, struct conn *c, int fd, bool outbound,
		void (*fn)(struct ev_loop *, int, short, void *))
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int one = 1;

	c->fd = fd;
	c->outbound = outbound;
	c->ilen = 0;
	c->olen = c->ooff = 0;
	memset(&c->local, 0, sizeof c->local);
	/* BGP messages are whole writes already: no Nagle delay on them */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		log_warn("neighbor %s: TCP_NODELAY: %s", s->peername, strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		log_warn("neighbor %s: getsockname: %s", s->peername, strerror(errno));
	else
		addr_from_sockaddr(&c->local, &ss);
	ev_fd_add(s->loop, fd, POLLIN, fn, s);
}

void conn_end(struct speaker *s, struct conn *c)
{
	if (c->fd < 0)
		return;
	ev_fd_del(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->ilen = 0;
	c->olen = c->ooff = 0;
}

int conn_queue(struct conn *c, const uint8_t *msg, size_t len)
{
	if (c->fd < 0)
		return -1;
	if (c->ooff > 0 && c->ooff == c->olen)
		c->ooff = c->olen = 0;
	if (c->olen + len > c->ocap) {
		size_t ncap = c->ocap ? c->ocap : 65536;
		uint8_t *nb;
		if (c->ooff > 0) {
			memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
			c->olen -= c->ooff;
			c->ooff = 0;
		}
		while (ncap < c->olen + len)
			ncap *= 2;
		if (ncap != c->ocap) {
			nb = realloc(c->obuf, ncap);
			if (!nb)
				return -1;
			c->obuf = nb;
			c->ocap = ncap;
		}
	}
	memcpy(c->obuf + c->olen, msg, len);
	c->olen += len;
	return 0;
}

int conn_flush(struct conn *c)
{
	while (c->ooff < c->olen) {
		ssize_t n = write(c->fd, c->obuf + c->ooff, c->olen - c->ooff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->ooff += (size_t)n;
	}
	if (c->ooff == c->olen)
		c->ooff = c->olen = 0;
	return 0;
}

ssize_t conn_read(struct conn *c, size_t cap)
{
	ssize_t n;

	if (cap > IBUF_SIZE)
		cap = IBUF_SIZE;
	if (c->ilen >= cap) {
		errno = EAGAIN;
		return -1;
	}
	n = read(c->fd, c->ibuf + c->ilen, cap - c->ilen);
	if (n > 0)
		c->ilen += (size_t)n;
	return n;
}

int conn_set_md5(struct speaker *s, int fd)
{
	struct tcp_md5sig md;
	struct sockaddr_in *sin = (struct sockaddr_in *)&md.tcpm_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&md.tcpm_addr;
	int dom;
	socklen_t dl = sizeof dom;

	if (!s->cfg.md5[0])
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) < 0) {
		log_err("SO_DOMAIN: %s", strerror(errno));
		return -1;
	}
	memset(&md, 0, sizeof md);
	if (s->cfg.neighbor.af == AR_AF4 && dom != AF_INET6) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, s->cfg.neighbor.b, 4);
	} else if (s->cfg.neighbor.af == AR_AF4) {
		/* an IPv4 peer on a dual-stack socket: the mapped address */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], s->cfg.neighbor.b, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, s->cfg.neighbor.b, 16);
	}
	md.tcpm_keylen = (uint16_t)strlen(s->cfg.md5);
	memcpy(md.tcpm_key, s->cfg.md5, md.tcpm_keylen);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md, sizeof md) < 0) {
		log_err("TCP_MD5SIG: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --source (or the --listen address): the connection leaves from the
 * address the neighbor has configured for us, not from the interface's
 * primary one. */
int conn_bind_source(struct speaker *s, int fd)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	char b[AR_ADDR_STRLEN];

	if (s->cfg.source.af == AR_AF_NONE)
		return 0;
	memset(&ss, 0, sizeof ss);
	if (s->cfg.source.af == AR_AF4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, s->cfg.source.b, 4);
		sl = sizeof *sin;
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, s->cfg.source.b, 16);
		sl = sizeof *sin6;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		log_warn("neighbor %s: cannot bind to source %s: %s", s->peername,
			 addr_fmt(&s->cfg.source, b, sizeof b), strerror(errno));
		return -1;
	}
	return 0;
}
