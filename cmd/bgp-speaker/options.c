/* Options: one setter for the command line and the config file keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "options.h"
#include "prog.h"

const struct option speaker_opts[] = {
	{ "config",            required_argument, NULL, 'c' },
	{ "name",              required_argument, NULL, 'N' },
	{ "listen",            required_argument, NULL, 'l' },
	{ "connect",           required_argument, NULL, 'C' },
	{ "neighbor",          required_argument, NULL, 'n' },
	{ "source",            required_argument, NULL, OPT_SOURCE },
	{ "local-as",          required_argument, NULL, 'a' },
	{ "peer-as",           required_argument, NULL, 'p' },
	{ "router-id",         required_argument, NULL, 'i' },
	{ "hold-time",         required_argument, NULL, 'H' },
	{ "md5-password",      required_argument, NULL, OPT_MD5 },
	{ "next-hop-self",     no_argument,       NULL, OPT_NHSELF },
	{ "family",            required_argument, NULL, 'f' },
	{ "no-extended-messages", no_argument,    NULL, OPT_NOEXT },
	{ "graceful-restart",  required_argument, NULL, OPT_GR },
	{ "connect-retry",     required_argument, NULL, OPT_RETRY },
	{ "eor-timeout",       required_argument, NULL, OPT_EOR },
	{ "eor-hold",          required_argument, NULL, OPT_EORHOLD },
	{ "output",            required_argument, NULL, 'o' },
	{ "input",             required_argument, NULL, 'r' },
	{ "shutdown-message",  required_argument, NULL, OPT_SHUT },
	{ "output-buffer",     required_argument, NULL, OPT_HIWAT },
	{ "log-level",         required_argument, NULL, OPT_LOGLEVEL },
	{ "check",             no_argument,       NULL, OPT_CHECK },
	{ "help",              no_argument,       NULL, 'h' },
	{ "version",           no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};
const char speaker_shortopts[] = "c:N:l:C:n:a:p:i:H:f:o:r:hV";

static int get_uint(const char *opt, const char *v, unsigned long long max, uint32_t *out)
{
	unsigned long long x;
	if (parse_uint(opt, v, max, &x) < 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int get_unsigned(const char *opt, const char *v, unsigned long long max, unsigned *out)
{
	uint32_t x;
	if (get_uint(opt, v, max, &x) < 0)
		return -1;
	*out = x;
	return 0;
}

int speaker_set_opt(int opt, const char *v, void *arg)
{
	struct speaker_opts *o = arg;
	struct speaker_cfg *c = &o->cfg;
	struct ar_addr a;

	switch (opt) {
	case 'l':
		c->passive = true;
		if (addrport_parse(v, 1179, &c->listen, &c->listen_len) < 0) {
			log_err("--listen: bad address \"%s\"", v);
			return -1;
		}
		return 0;
	case 'C':
		c->active = true;
		if (addrport_parse(v, 179, &c->remote, &c->remote_len) < 0) {
			log_err("--connect: bad address \"%s\"", v);
			return -1;
		}
		return 0;
	case OPT_SOURCE:
		if (addr_parse(v, &c->source) < 0) {
			log_err("--source: bad address \"%s\"", v);
			return -1;
		}
		return 0;
	case 'n':
		if (addr_parse(v, &c->neighbor) < 0) {
			log_err("--neighbor: bad address \"%s\"", v);
			return -1;
		}
		return 0;
	case 'a':
	case 'p': {
		const char *name = opt == 'a' ? "--local-as" : "--peer-as";
		uint32_t *as = opt == 'a' ? &c->local_as : &c->peer_as;
		if (get_uint(name, v, 0xffffffffULL, as) < 0)
			return -1;
		if (*as == 0) {
			log_err("%s: an AS number is 1 to 4294967295 (0 is reserved, RFC 7607)", name);
			return -1;
		}
		return 0;
	}
	case 'i':
		if (addr_parse(v, &a) < 0 || a.af != AR_AF4 || addr_is_zero(&a)) {
			log_err("--router-id: expected a non-zero IPv4 address, got \"%s\"", v);
			return -1;
		}
		c->router_id = (uint32_t)a.b[0] << 24 | a.b[1] << 16 | a.b[2] << 8 | a.b[3];
		return 0;
	case 'H':
		if (get_unsigned("--hold-time", v, 65535, &c->hold_time) < 0)
			return -1;
		if (c->hold_time == 1 || c->hold_time == 2) {
			log_err("--hold-time: 0 or at least 3 seconds (RFC 4271 4.2)");
			return -1;
		}
		return 0;
	case OPT_MD5:
		if (strlen(v) > 80) {
			log_err("--md5-password: at most 80 bytes (TCP_MD5SIG_MAXKEYLEN)");
			return -1;
		}
		strcpy(c->md5, v);
		return 0;
	case OPT_NHSELF:
		return prog_bool("--next-hop-self", v, &c->next_hop_self);
	case 'f':
		if (strcmp(v, "ipv4") == 0) {
			c->ipv4 = true; c->ipv6 = false;
		} else if (strcmp(v, "ipv6") == 0) {
			c->ipv4 = false; c->ipv6 = true;
		} else if (strcmp(v, "both") == 0) {
			c->ipv4 = c->ipv6 = true;
		} else {
			log_err("--family: ipv4, ipv6 or both, got \"%s\"", v);
			return -1;
		}
		return 0;
	case OPT_NOEXT: {
		bool off;
		if (prog_bool("--no-extended-messages", v, &off) < 0)
			return -1;
		c->extmsg = !off;
		return 0;
	}
	case OPT_GR:
		return get_unsigned("--graceful-restart", v, 4095, &c->gr_time);
	case OPT_RETRY:
		if (get_unsigned("--connect-retry", v, 3600, &c->connect_retry) < 0)
			return -1;
		if (c->connect_retry == 0)
			c->connect_retry = 1;
		return 0;
	case OPT_EOR:
		if (get_unsigned("--eor-timeout", v, 86400, &c->eor_timeout) < 0)
			return -1;
		if (c->eor_timeout == 0)
			c->eor_timeout = 1;
		return 0;
	case OPT_EORHOLD:
		return get_unsigned("--eor-hold", v, 86400, &c->eor_hold);
	case 'o':
		free(c->output);
		c->output = strdup(v);
		return c->output ? 0 : -1;
	case 'r':
		free(c->input);
		c->input = strdup(strcmp(v, "none") == 0 ? "" : v);
		return c->input ? 0 : -1;
	case OPT_SHUT:
		if (strlen(v) > 255) {
			log_err("--shutdown-message: at most 255 bytes (RFC 9003)");
			return -1;
		}
		free(c->shutdown_msg);
		c->shutdown_msg = strdup(v);
		return c->shutdown_msg ? 0 : -1;
	case OPT_HIWAT:
		if (get_unsigned("--output-buffer", v, 1u << 30, &c->out_high_water) < 0)
			return -1;
		if (c->out_high_water < 4096) {
			log_err("--output-buffer: at least 4096 bytes");
			return -1;
		}
		return 0;
	}
	return -1;
}

void speaker_defaults(struct speaker_cfg *c)
{
	memset(c, 0, sizeof *c);
	addrport_parse(":1179", 1179, &c->listen, &c->listen_len);
	c->hold_time = 90;
	c->connect_retry = 5;
	c->eor_timeout = 30;
	c->eor_hold = 30;
	c->gr_time = 120;
	c->ipv4 = c->ipv6 = true;
	c->extmsg = true;
	c->output = strdup("-");
	c->input = strdup("-");
	c->shutdown_msg = strdup("bgp-speaker shutting down");
}

void speaker_cfg_free(struct speaker_cfg *c)
{
	free(c->output);
	free(c->input);
	free(c->shutdown_msg);
}

int speaker_check(struct speaker_cfg *c)
{
	if (!c->local_as) {
		log_err("--local-as is required");
		return -1;
	}
	if (!c->router_id) {
		log_err("--router-id is required");
		return -1;
	}
	if (!c->peer_as)
		c->peer_as = c->local_as;       /* iBGP, as sFlow-RT peers */
	if (!c->active)
		c->passive = true;      /* passive by default */
	if (c->active && c->source.af == AR_AF_NONE && c->passive) {
		/* a specific listen address is where the neighbor expects us */
		struct ar_addr l;
		if (addr_from_sockaddr(&l, &c->listen) == 0 && !addr_is_zero(&l))
			c->source = l;
	}
	if (c->source.af != AR_AF_NONE && c->active) {
		struct ar_addr r;
		addr_from_sockaddr(&r, &c->remote);
		if (r.af != c->source.af) {
			log_err("--source: an %s address for an %s neighbor",
				c->source.af == AR_AF4 ? "IPv4" : "IPv6", r.af == AR_AF4 ? "IPv4" : "IPv6");
			return -1;
		}
	}
	if (c->md5[0] && !c->active && c->neighbor.af == AR_AF_NONE) {
		log_err("--md5-password needs --neighbor");
		return -1;
	}
	return 0;
}
