/* The kernel target: routes of our protocol number in one table, through
 * rtnetlink with libmnl. Many routes per sendmsg; only the last message of
 * a batch asks for an ACK, so success costs the kernel nothing to report
 * while every failure comes back as an error carrying its request's
 * sequence number, and the final ACK says the batch is done (the kernel
 * handles the messages of one sendmsg in order). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "push.h"

#define NL_BUF (1u << 20)

struct nlt {
	struct target t;
	struct nl_conf c;
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char *sbuf, *rbuf;
};

int table_parse(const char *s, uint32_t *table)
{
	if (strcmp(s, "main") == 0)
		*table = RT_TABLE_MAIN;
	else if (strcmp(s, "local") == 0)
		*table = RT_TABLE_LOCAL;
	else if (strcmp(s, "default") == 0)
		*table = RT_TABLE_DEFAULT;
	else {
		char *end;
		errno = 0;
		unsigned long v = strtoul(s, &end, 10);
		if (errno || *end || end == s || v == 0 || v > UINT32_MAX)
			return -1;
		*table = (uint32_t)v;
	}
	return 0;
}

static int family(int af) { return af == AR_AF4 ? AF_INET : AF_INET6; }

static void put_route(struct nlt *n, char *at, const struct op *o,
		      const struct uent *e, bool ack, uint32_t seq)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(at);
	h->nlmsg_seq = seq;
	h->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	if (o->kind == OP_DEL) {
		h->nlmsg_type = RTM_DELROUTE;
	} else {
		h->nlmsg_type = RTM_NEWROUTE;
		/* an add never takes over a route someone else put there */
		h->nlmsg_flags |= NLM_F_CREATE |
			(o->kind == OP_ADD ? NLM_F_EXCL : NLM_F_REPLACE);
	}
	struct rtmsg *r = mnl_nlmsg_put_extra_header(h, sizeof(*r));
	r->rtm_family = (uint8_t)family(e->p.a.af);
	r->rtm_dst_len = e->p.plen;
	r->rtm_table = n->c.table < 256 ? (uint8_t)n->c.table : RT_TABLE_UNSPEC;
	/* a delete names our protocol: the kernel then never removes another's */
	r->rtm_protocol = n->c.proto;
	r->rtm_scope = o->kind == OP_DEL ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	r->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_TABLE, n->c.table);
	mnl_attr_put(h, RTA_DST, addr_len(&e->p.a), e->p.a.b);
	if (o->kind != OP_DEL)
		mnl_attr_put(h, RTA_GATEWAY, addr_len(&e->nnh), e->nnh.b);
	if (n->c.metric)
		mnl_attr_put_u32(h, RTA_PRIORITY, n->c.metric);
}

static int nl_send(struct target *t, const struct plan *pl, const struct op *ops,
		   size_t cnt, int *res)
{
	struct nlt *n = (struct nlt *)t;
	size_t off = 0;
	uint32_t base = n->seq + 1;
	for (size_t i = 0; i < cnt; i++) {
		res[i] = 0;
		if (off + 256 > NL_BUF)
			return -1;      /* LEVEL_MAX keeps far below */
		put_route(n, n->sbuf + off, &ops[i], &pl->u[ops[i].u], i + 1 == cnt,
			  base + (uint32_t)i);
		off += NLMSG_ALIGN(((struct nlmsghdr *)(n->sbuf + off))->nlmsg_len);
	}
	n->seq = base + (uint32_t)cnt - 1;
	if (mnl_socket_sendto(n->nl, n->sbuf, off) < 0) {
		log_err("netlink send: %s", strerror(errno));
		return -1;
	}
	uint32_t last = n->seq;
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(n->nl, n->rbuf, NL_BUF);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: replies were lost, we cannot know which */
			log_err("netlink receive: %s", strerror(errno));
			return -1;
		}
		int left = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rbuf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < base || h->nlmsg_seq > last)
				continue;       /* a late reply of an abandoned batch */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			res[h->nlmsg_seq - base] = -e->error;
			if (h->nlmsg_seq == last)
				return 0;
		}
	}
}

struct dump_ctx {
	struct nlt *n;
	struct rtset *out;
	int af;
};

static int dump_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (type <= RTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *h, void *data)
{
	struct dump_ctx *d = data;
	const struct rtmsg *r = mnl_nlmsg_get_payload(h);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_family != family(d->af))
		return MNL_CB_OK;
	if (mnl_attr_parse(h, sizeof(*r), dump_attr, tb) < 0)
		return MNL_CB_OK;
	uint32_t table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : r->rtm_table;
	uint32_t metric = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	uint32_t want = d->n->c.metric;
	if (d->af == AR_AF6 && want == 0)
		want = 1024;    /* the kernel's IPv6 default */
	if (table != d->n->c.table || r->rtm_protocol != d->n->c.proto ||
	    r->rtm_type != RTN_UNICAST || (r->rtm_flags & RTM_F_CLONED) ||
	    (metric != want && !d->n->c.any_metric))
		return MNL_CB_OK;
	struct rt x;
	memset(&x, 0, sizeof(x));
	x.p.a.af = (uint8_t)d->af;
	x.p.plen = r->rtm_dst_len;
	size_t alen = d->af == AR_AF4 ? 4 : 16;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == alen)
		memcpy(x.p.a.b, mnl_attr_get_payload(tb[RTA_DST]), alen);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen) {
		x.nh.af = (uint8_t)d->af;
		memcpy(x.nh.b, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
	}
	if (rtset_push(d->out, &x) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int dump_af(struct nlt *n, int af, struct rtset *out)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(n->sbuf);
	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h->nlmsg_seq = ++n->seq;
	struct rtmsg *r = mnl_nlmsg_put_extra_header(h, sizeof(*r));
	r->rtm_family = (uint8_t)family(af);
	if (mnl_socket_sendto(n->nl, h, h->nlmsg_len) < 0)
		return -1;
	struct dump_ctx d = { n, out, af };
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(n->nl, n->rbuf, NL_BUF);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		int rc = mnl_cb_run(n->rbuf, (size_t)got, h->nlmsg_seq, n->portid, dump_cb, &d);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0 && errno != ESRCH)
			return -1;
		if (rc < 0)     /* a stale reply of another seq: keep reading */
			continue;
	}
}

static int nl_dump(struct target *t, struct rtset *out)
{
	struct nlt *n = (struct nlt *)t;
	rtset_clear(out);
	if (dump_af(n, AR_AF4, out) < 0 || dump_af(n, AR_AF6, out) < 0) {
		log_err("netlink dump: %s", strerror(errno));
		return -1;
	}
	rtset_sort(out);
	return 0;
}

static void nl_free(struct target *t)
{
	struct nlt *n = (struct nlt *)t;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->sbuf);
	free(n->rbuf);
	free(n);
}

struct target *nl_target_new(const struct nl_conf *c)
{
	struct nlt *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->c = *c;
	n->t.name = "netlink";
	n->t.send = nl_send;
	n->t.dump = nl_dump;
	n->t.free = nl_free;
	n->sbuf = malloc(NL_BUF);
	n->rbuf = malloc(NL_BUF);
	n->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!n->sbuf || !n->rbuf || !n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("netlink: %s", strerror(errno));
		nl_free(&n->t);
		return NULL;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	int one = 1, big = 32 << 20;
	int fd = mnl_socket_get_fd(n->nl);
	/* errors without the request echoed: replies stay small */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* room for the errors of a whole batch; FORCE works as root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	n->seq = (uint32_t)time(NULL);
	return &n->t;
}

int fib_read(const struct nl_conf *c, struct rtset *out)
{
	struct nl_conf k = *c;
	k.any_metric = true;
	struct target *t = nl_target_new(&k);
	if (!t)
		return -1;
	int rc = nl_dump(t, out);
	nl_free(t);
	return rc;
}
