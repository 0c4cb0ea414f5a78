/* bgp-speaker: one BGP session; learned routes out as records, routes read
 * as records announced. */
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "prog.h"

static const char usage[] =
"usage: bgp-speaker [-hV] [-c FILE] [-N NAME] --local-as AS --router-id ID\n"
"                   [--listen ADDR[:PORT]] [--connect ADDR[:PORT]] [--source ADDR]\n"
"                   [--neighbor ADDR] [--peer-as AS] [--hold-time SEC]\n"
"                   [--md5-password KEY] [--next-hop-self] [--family ipv4|ipv6|both]\n"
"                   [--no-extended-messages] [--graceful-restart SEC]\n"
"                   [--connect-retry SEC] [--eor-timeout SEC] [--eor-hold SEC]\n"
"                   [-o FILE] [-r FILE|none] [--output-buffer BYTES]\n"
"                   [--shutdown-message TEXT]\n"
"                   [--log-level LEVEL] [--check]\n"
"  one BGP session: learned routes out as records, records in announced\n"
"  -c, --config FILE            the bgp.* keys of FILE (command line wins)\n"
"  -N, --name NAME              also the keys of the instance bgp.NAME.*\n"
"  -l, --listen ADDR[:PORT]     passive, on ADDR (default [::]:1179)\n"
"  -C, --connect ADDR[:PORT]    active, to ADDR (port 179 by default); with\n"
"                               --listen both, a collision resolved (RFC 4271 6.8)\n"
"      --source ADDR            --connect from ADDR (default: the --listen address\n"
"                               when it is a specific one)\n"
"  -n, --neighbor ADDR          the only peer address accepted\n"
"  -a, --local-as AS            our AS (required)\n"
"  -p, --peer-as AS             the peer's AS (default: the local AS, iBGP)\n"
"  -i, --router-id ID           our BGP identifier, an IPv4 address (required)\n"
"  -H, --hold-time SEC          hold time offered: 0 or 3-65535 (default 90)\n"
"      --md5-password KEY       TCP MD5 signatures (RFC 2385)\n"
"      --next-hop-self          announce with our address as next hop\n"
"  -f, --family FAMILY          ipv4, ipv6 or both (default)\n"
"      --no-extended-messages   do not offer messages over 4096 bytes\n"
"      --graceful-restart SEC   restart time offered, 0 for none (default 120)\n"
"      --connect-retry SEC      between connection attempts (default 5)\n"
"      --eor-timeout SEC        a quiet table without End-of-RIB is complete (default 30)\n"
"      --eor-hold SEC           routes from before missing at End-of-RIB are swept\n"
"                               once the table is quiet, within SEC (default 30)\n"
"  -o, --output FILE            learned records to FILE, a FIFO too (default -)\n"
"  -r, --input FILE|none        records to announce from FILE (default -)\n"
"      --output-buffer BYTES    records waiting before the peer is no longer read\n"
"      --shutdown-message TEXT  sent in the Cease on SIGTERM (RFC 9003)\n"
"      --log-level LEVEL        error, warn, info (default) or debug\n"
"      --check                  check the options and config, then exit\n"
"  -h, --help                   this text\n"
"  -V, --version                print the version\n";

int main(int argc, char **argv)
{
	struct speaker_opts o = { .check = false };
	struct prog p = {
		.name = "bgp-speaker", .ns = "bgp", .usage = usage,
		.shortopts = speaker_shortopts, .opts = speaker_opts,
		.set = speaker_set_opt, .arg = &o,
	};

	log_init(p.name);
	speaker_defaults(&o.cfg);
	prog_start(&p, argc, argv);
	if (speaker_check(&o.cfg) < 0)
		exit(EXIT_USAGE);
	int rc = p.check ? 0 : speaker_run(&o.cfg);
	speaker_cfg_free(&o.cfg);
	return rc;
}
