/* pcap-immediate: LD_PRELOAD for the lab's pmacctd, so its capture hands
 * each packet over at once, as a switch ASIC hands its samples to the agent.
 *
 * pmacctd opens its interface with a fixed 1000 ms timeout and no immediate
 * mode (pm_pcap_open() in pmacctd.c; no configuration key changes either).
 * libpcap on Linux then uses a TPACKET_V3 ring whose 256 KiB blocks reach
 * the reader only when full or after that timeout (seen on pmacctd 1.7.7:
 * PACKET_RX_RING block_size 262144, retire_blk_tov 1000): up to a second
 * before sfprobe even sees a packet. Immediate mode makes libpcap deliver
 * every packet as it arrives (pcap_set_immediate_mode(3PCAP)).
 *
 * Built by pipelines/lab/lab.bash into the lab's directory; never installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pcap/pcap.h>
#include <stdio.h>

int pcap_activate(pcap_t *p)
{
	static int (*real)(pcap_t *);

	if (real == NULL) {
		*(void **)&real = dlsym(RTLD_NEXT, "pcap_activate");
		if (real == NULL) {
			fprintf(stderr, "pcap-immediate: no pcap_activate after us\n");
			return PCAP_ERROR;
		}
	}
	/* before activation is the only time the mode may change */
	if (pcap_set_immediate_mode(p, 1) != 0)
		fprintf(stderr, "pcap-immediate: immediate mode refused\n");
	return real(p);
}
