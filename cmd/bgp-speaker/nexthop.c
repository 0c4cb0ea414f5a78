/* Our own next hops for a session, chosen when it comes up: the address the
 * session's socket is bound to, and for the other family an address of the
 * same interface. A route whose record has no next hop of its family (or
 * with --next-hop-self) is announced with these, so the choice is made
 * when the UPDATE is built, not when the record arrives. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "speaker.h"

static bool is_ll6(const struct ar_addr *a)
{
	return a->af == AR_AF6 && a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* The interface whose address is a, or "" when none has it (the session
 * may run over loopback or a tunnel without one of its own). */
static void iface_of(const struct ifaddrs *ifs, const struct ar_addr *a, char name[IF_NAMESIZE])
{
	name[0] = '\0';
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct ar_addr x;
		if (!i->ifa_addr || addr_from_sockaddr(&x, i->ifa_addr) < 0)
			continue;
		if (addr_cmp(&x, a) == 0) {
			strlcpy(name, i->ifa_name, IF_NAMESIZE);
			return;
		}
	}
}

void nexthop_session_up(struct speaker *s)
{
	struct ifaddrs *ifs = NULL;
	char ifn[IF_NAMESIZE];

	memset(&s->nh4, 0, sizeof s->nh4);
	memset(&s->nh6, 0, sizeof s->nh6);
	if (s->c.local.af == AR_AF4)
		s->nh4 = s->c.local;
	else if (s->c.local.af == AR_AF6)
		s->nh6 = s->c.local;
	if (s->nh4.af && s->nh6.af)
		return;
	if (getifaddrs(&ifs) < 0) {
		log_warn("neighbor %s: getifaddrs: %s: no next hop of the other family",
			 s->peername, strerror(errno));
		return;
	}
	iface_of(ifs, &s->c.local, ifn);
	for (const struct ifaddrs *i = ifs; ifn[0] && i; i = i->ifa_next) {
		struct ar_addr x;
		if (!i->ifa_addr || strcmp(i->ifa_name, ifn) != 0 ||
		    addr_from_sockaddr(&x, i->ifa_addr) < 0)
			continue;
		/* RFC 2545 3: the global address; a link-local one alone is
		 * no next hop for a peer past the link */
		if (x.af == AR_AF6 && !s->nh6.af && !is_ll6(&x))
			s->nh6 = x;
		else if (x.af == AR_AF4 && !s->nh4.af)
			s->nh4 = x;
	}
	freeifaddrs(ifs);
	if (s->ctx.v6 && !s->nh6.af)
		log_info("neighbor %s: no IPv6 address on the session's interface: IPv6 routes "
			 "need a next hop of their own", s->peername);
	if (s->ctx.v4 && !s->nh4.af)
		log_info("neighbor %s: no IPv4 address on the session's interface: IPv4 routes "
			 "need a next hop of their own", s->peername);
}
