/* The program's lifecycle: one session, one loop, until SIGTERM. Sockets
 * are made here (the listener, our connect()s); what happens on them is
 * fsm()'s. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "sig.h"

void speaker_retry(struct speaker *s)
{
	ev_timer_after(s->loop, &s->t_retry, (ar_msec)s->cfg.connect_retry * 1000);
}

int speaker_connect(struct speaker *s)
{
	int fd = socket(s->cfg.remote.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		speaker_retry(s);
		return -1;
	}
	if (conn_set_md5(s, fd) < 0 || conn_bind_source(s, fd) < 0) {
		close(fd);
		speaker_retry(s);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&s->cfg.remote, s->cfg.remote_len) < 0 &&
	    errno != EINPROGRESS) {
		log_warn("neighbor %s: connect: %s", s->peername, strerror(errno));
		close(fd);
		speaker_retry(s);
		return -1;
	}
	conn_begin(s, &s->c, fd, true, sess_on_sock);
	return 0;
}

static void on_accept(struct ev_loop *l, int lfd, short re, void *arg)
{
	struct speaker *s = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct ar_addr a;
	char name[AR_ADDR_STRLEN];
	int fd;
	(void)l; (void)re;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	addr_from_sockaddr(&a, &ss);
	addr_fmt(&a, name, sizeof name);
	if (s->cfg.neighbor.af != AR_AF_NONE && addr_cmp(&a, &s->cfg.neighbor) != 0) {
		log_rl(&s->rl_accept, LOG_WARN, "connection from %s refused: not the configured neighbor", name);
		close(fd);
		return;
	}
	if (collision_accept(s, fd, name))
		return;
	s->peer_addr = a;
	memcpy(s->peername, name, sizeof name);
	log_info("neighbor %s: connection accepted", name);
	conn_begin(s, &s->c, fd, false, sess_on_sock);
	fsm(s, EV_TCP_ACCEPTED, NULL);
}

static int listen_start(struct speaker *s)
{
	int one = 1, zero = 0;
	int fd = socket(s->cfg.listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char buf[80];

	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		log_warn("SO_REUSEADDR: %s", strerror(errno));
	/* [::] takes IPv4 neighbors too */
	if (s->cfg.listen.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
		log_warn("IPV6_V6ONLY: %s: IPv6 neighbors only", strerror(errno));
	if (conn_set_md5(s, fd) < 0) {
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&s->cfg.listen, s->cfg.listen_len) < 0 ||
	    listen(fd, 8) < 0) {
		close(fd);
		goto fail;
	}
	s->lfd = fd;
	ev_fd_add(s->loop, fd, POLLIN, on_accept, s);
	log_info("listening on %s", sockaddr_fmt(&s->cfg.listen, buf, sizeof buf));
	return 0;
fail:
	log_err("cannot listen on %s: %s", sockaddr_fmt(&s->cfg.listen, buf, sizeof buf),
		strerror(errno));
	return -1;
}

int speaker_start(struct speaker *s)
{
	s->lfd = -1;
	s->scr = malloc(sizeof *s->scr);
	s->ro = ribout_new();
	if (conn_alloc(&s->c) < 0 || conn_alloc(&s->side) < 0 || !s->scr || !s->ro) {
		log_err("out of memory");
		return -1;
	}
	sess_timers_init(s);
	ev_timer_init(&s->t_eor, learn_eor_timeout, s);
	ev_timer_init(&s->t_gr, learn_gr_expire, s);
	sess_mine(s);

	if (learn_output_open(s) < 0 || input_open(s) < 0)
		return -1;
	if (s->cfg.active) {
		struct ar_addr a;
		addr_from_sockaddr(&a, &s->cfg.remote);
		addr_fmt(&a, s->peername, sizeof s->peername);
		s->peer_addr = a;
		if (s->cfg.neighbor.af == AR_AF_NONE)
			s->cfg.neighbor = a;
	} else if (s->cfg.neighbor.af != AR_AF_NONE) {
		addr_fmt(&s->cfg.neighbor, s->peername, sizeof s->peername);
	} else {
		strcpy(s->peername, "*");
	}
	/* --listen with --connect: listen first, so that a neighbor
	 * connecting while we do meets a listener (and the collision rules) */
	if (s->cfg.passive && listen_start(s) < 0)
		return -1;
	fsm(s, EV_START, NULL);
	return 0;
}

void speaker_free(struct speaker *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	conn_free(&s->c);
	conn_free(&s->side);
	if (s->in_fd > 2)
		close(s->in_fd);
	out_free(s->out);
	rr_free(s->in);
	collect_free(&s->col);
	ribout_free(s->ro);
	ev_free(s->loop);
	free(s->scr);
	free(s);
}

/* SIGTERM: a Cease with the shutdown communication (RFC 9003), sent before
 * we go; the records written so far are flushed. */
void speaker_stop(struct speaker *s)
{
	const char *msg = s->cfg.shutdown_msg;
	uint8_t d[256];
	size_t n = strlen(msg);

	if (n > 255)
		n = 255;
	d[0] = (uint8_t)n;
	memcpy(d + 1, msg, n);
	collision_close(s, ERR_CEASE, ERR_CEASE_SHUTDOWN);
	if (s->c.fd >= 0 && s->st >= ST_OPENSENT)
		sess_close(s, ERR_CEASE, ERR_CEASE_SHUTDOWN, d, n + 1, "shutting down");
	else if (s->c.fd >= 0)
		sess_close(s, 0, 0, NULL, 0, "shutting down");
	learn_stop(s);
	/* a bounded wait for the reader: never hang on a stopped one */
	if (s->out)
		out_drain(s->out, 1000);
	log_info("stopped: %llu UPDATEs in, %llu routes, %llu withdrawals, "
		 "%llu treat-as-withdraw, %llu attributes discarded, %llu UPDATEs out",
		 (unsigned long long)s->updates_in, (unsigned long long)s->routes_in,
		 (unsigned long long)s->withdraws_in, (unsigned long long)s->treat_withdraw,
		 (unsigned long long)s->attr_discard, (unsigned long long)s->updates_out);
}

int speaker_run(struct speaker_cfg *c)
{
	struct speaker *s = calloc(1, sizeof *s);
	int rc;

	if (!s || sig_init() < 0) {
		log_err("cannot start: out of memory or signals");
		free(s);
		return EXIT_FAILURE;
	}
	s->cfg = *c;
	s->loop = ev_new();
	s->in_fd = s->lfd = -1;       /* nothing to close if the start fails early */
	s->c.fd = s->side.fd = -1;
	if (!s->loop || speaker_start(s) < 0) {
		speaker_free(s);
		return EXIT_FAILURE;
	}
	ev_run(s->loop);
	if (sig_stop_requested())
		log_info("signal %d: stopping", sig_stop_signal());
	speaker_stop(s);
	rc = s->exit_code;
	speaker_free(s);
	return rc;
}
