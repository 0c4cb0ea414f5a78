/* --listen: sFlow over UDP. Batched receive (recvmmsg), a large receive
 * buffer, and the kernel's per-socket drop counter (SO_RXQ_OVFL) read from
 * each message and reported. While the output is full we stop reading: the
 * kernel then drops, and says so. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "ev.h"
#include "log.h"
#include "prog.h"
#include "sfd.h"
#include "sig.h"

#include <linux/sock_diag.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define BATCH 32
#define DGRAM_MAX 16384         /* sFlow agents keep to the path MTU; 9k jumbo fits */

struct lsock {
	int fd;
	uint32_t drops;         /* last value of the socket's drop counter */
	char name[AR_ADDR_STRLEN + 8];
};

struct udp {
	struct sfd *s;
	struct ev_loop *loop;
	struct lsock sk[SFD_MAX_LISTEN];
	size_t nsk;
	bool paused;            /* not reading: the output is full or gone */
	struct ev_timer stats;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];    /* the senders: --agents checks them */
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl[BATCH];
	uint8_t (*bufs)[DGRAM_MAX];
};

static int open_listen(struct udp *u, const char *spec)
{
	struct sockaddr_storage ss;
	unsigned slen;
	int fd, one = 1, buf;
	struct lsock *l = &u->sk[u->nsk];

	if (addrport_parse(spec, u->s->o->port, &ss, &slen) == -1) {
		log_err("--listen %s: not an address", spec);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_err("--listen %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) == -1)
		log_warn("--listen %s: no drop counter: %s", spec, strerror(errno));
	if (u->s->o->rcvbuf > 0) {
		buf = u->s->o->rcvbuf > (1u << 30) ? (1 << 30) : (int)u->s->o->rcvbuf;
		/* FORCE passes net.core.rmem_max when we may (CAP_NET_ADMIN) */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) == -1 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) == -1)
			log_warn("--listen %s: --rcvbuf: %s", spec, strerror(errno));
	}
	if (bind(fd, (struct sockaddr *)&ss, slen) == -1) {
		log_err("--listen %s: bind: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->drops = 0;
	sockaddr_fmt(&ss, l->name, sizeof(l->name));
	u->nsk++;
	log_info("listening on %s", l->name);
	return 0;
}

static void set_reading(struct udp *u, bool on)
{
	for (size_t i = 0; i < u->nsk; i++)
		ev_fd_events(u->loop, u->sk[i].fd, on ? POLLIN : 0);
	u->paused = !on;
}

static void finish(struct udp *u)
{
	ev_break(u->loop);
}

/* The output (out.c) decides when we read: not while it has no reader
 * (the socket buffer keeps what comes meanwhile; records not yet written
 * are lost with the old reader), not while it is full (the kernel then
 * drops, and says so). */
static void on_out_opened(void *arg)
{
	struct udp *u = arg;

	u->s->in.output_reopen++;
	set_reading(u, true);
}

static void on_out_lost(void *arg)
{
	set_reading(arg, false);
}

static void on_out_blocked(void *arg, bool blocked)
{
	struct udp *u = arg;

	if (blocked)
		u->s->in.output_wait++;
	set_reading(u, !blocked);
}

static void on_out_failed(void *arg, int e)
{
	struct udp *u = arg;
	(void)e;

	u->s->status = EXIT_RUNTIME;
	finish(u);
}

static const struct out_ops udp_out = { on_out_opened, on_out_lost, on_out_blocked, on_out_failed };

/* The socket's drop counter is a running total: add what is new. */
static void drops_seen(struct lsock *l, struct sfd *s, uint32_t v)
{
	uint32_t d = v - l->drops;

	if (d != 0 && d < 0x80000000u) {
		s->in.kernel_drops += d;
		l->drops = v;
	}
}

/* With each datagram when there were drops (SO_RXQ_OVFL) ... */
static void drops_from(struct lsock *l, struct sfd *s, struct msghdr *mh)
{
	struct cmsghdr *c;
	uint32_t v;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		drops_seen(l, s, v);
	}
}

/* ... and asked for before each stats record and at the end, so drops
 * after the last datagram are not missed (SO_MEMINFO, Linux 4.6). */
static void drops_poll(struct udp *u)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len;

	for (size_t i = 0; i < u->nsk; i++) {
		len = sizeof(mi);
		if (getsockopt(u->sk[i].fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
		    len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
			drops_seen(&u->sk[i], u->s, mi[SK_MEMINFO_DROPS]);
	}
}

static void on_readable(struct ev_loop *loop, int fd, short revents, void *arg)
{
	struct udp *u = arg;
	struct sfd *s = u->s;
	struct lsock *l = NULL;
	int n, i, rounds;

	(void)loop;
	(void)revents;
	for (size_t k = 0; k < u->nsk; k++)
		if (u->sk[k].fd == fd)
			l = &u->sk[k];
	if (l == NULL)
		return;
	/* a few batches per wake-up, so one busy socket cannot starve the rest */
	for (rounds = 0; rounds < 8 && !u->paused && !s->done; rounds++) {
		for (i = 0; i < BATCH; i++) {
			u->iov[i].iov_base = u->bufs[i];
			u->iov[i].iov_len = DGRAM_MAX;
			memset(&u->msgs[i].msg_hdr, 0, sizeof(u->msgs[i].msg_hdr));
			u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
			u->msgs[i].msg_hdr.msg_iovlen = 1;
			u->msgs[i].msg_hdr.msg_name = &u->from[i];
			u->msgs[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
			u->msgs[i].msg_hdr.msg_control = u->ctl[i].buf;
			u->msgs[i].msg_hdr.msg_controllen = sizeof(u->ctl[i].buf);
		}
		n = recvmmsg(fd, u->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("%s: recvmmsg: %s", l->name, strerror(errno));
			break;
		}
		uint64_t now = ev_wall_us();
		for (i = 0; i < n && !s->done; i++) {
			struct msghdr *mh = &u->msgs[i].msg_hdr;
			struct ar_addr from;

			drops_from(l, s, mh);
			if (mh->msg_flags & MSG_TRUNC) {
				s->in.oversize++;
				continue;
			}
			/* an unknown sender (no address) fails a filter that wants one */
			if (addr_from_sockaddr(&from, &u->from[i]) == -1)
				memset(&from, 0, sizeof(from));
			sfd_datagram(s, u->bufs[i], u->msgs[i].msg_len, now, &from);
		}
		/* after every batch: the records of the last datagrams read go
		 * out as soon as the socket is empty (the loop ends there) */
		out_flush(s->out);
		if (n < BATCH)
			break;
	}
	if (s->done)
		finish(u);
}

/* SIGHUP: the agent filter (and the log level) change in place; the
 * sockets stay as they are. */
static void on_reload(struct ev_loop *loop, void *arg)
{
	struct udp *u = arg;
	struct agent_filter *f, *old = (struct agent_filter *)u->s->dec.filter;

	(void)loop;
	if (u->s->o->reload == NULL)
		return;
	if (u->s->o->reload(&f) == -1) {
		log_err("reload failed: keeping the running configuration");
		return;
	}
	u->s->dec.filter = f;
	filter_free(old);
	log_info("reloaded: %zu agent prefixes%s", f ? filter_count(f) : 0,
		 f ? "" : " (every agent accepted)");
}

static void on_stats(struct ev_loop *loop, void *arg)
{
	struct udp *u = arg;

	drops_poll(u);
	sfd_stats_tick(u->s, true);
	out_flush(u->s->out);
	ev_timer_after(loop, &u->stats, (ar_msec)(u->s->o->stats_interval * 1000));
}

int udp_run(struct sfd *s)
{
	struct udp *u;
	int status = 0;

	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->bufs = calloc(BATCH, DGRAM_MAX)) == NULL ||
	    (s->loop = ev_new()) == NULL) {
		log_err("out of memory");
		status = EXIT_RUNTIME;
		goto out;
	}
	u->s = s;
	u->loop = s->loop;
	for (size_t i = 0; i < s->o->nlisten; i++)
		if (open_listen(u, s->o->listen[i]) == -1) {
			status = EXIT_RUNTIME;
			goto out;
		}
	/* after the sockets: what is sent once we say we wait is kept */
	if (sfd_output_open(s, u->loop, &udp_out, u) == -1) {
		status = EXIT_RUNTIME;
		goto out;
	}
	s->started = true;
	ev_on_reload(u->loop, on_reload, u);
	for (size_t i = 0; i < u->nsk; i++)
		ev_fd_add(u->loop, u->sk[i].fd, POLLIN, on_readable, u);
	if (!out_up(s->out))
		set_reading(u, false);
	if (s->o->stats_interval > 0) {
		ev_timer_init(&u->stats, on_stats, u);
		ev_timer_after(u->loop, &u->stats, (ar_msec)(s->o->stats_interval * 1000));
	}
	ev_run(u->loop);
	drops_poll(u);
	if (s->status != 0)
		status = s->status;
out:
	if (u != NULL) {
		/* the loop outlives u (sfd_fini frees it): nothing of u stays linked in */
		if (u->loop != NULL)
			ev_timer_stop(u->loop, &u->stats);
		for (size_t i = 0; i < u->nsk; i++)
			close(u->sk[i].fd);
		free(u->bufs);
		free(u);
	}
	return status;
}
