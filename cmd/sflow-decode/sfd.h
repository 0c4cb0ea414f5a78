/* sflow-decode's program state: options, the decoder, the output and the
 * inputs (pcap file or UDP sockets). */
#ifndef SFD_H
#define SFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "log.h"
#include "out.h"
#include "rec.h"
#include "sflow.h"

#define SFD_MAX_LISTEN 16

struct sfd_opts {
	const char *listen[SFD_MAX_LISTEN];
	size_t nlisten;
	const char *read;               /* -r FILE, "-" for stdin */
	const char *output;             /* -o FILE (a FIFO: reopened when its reader comes back) */
	unsigned port;                  /* sFlow UDP port */
	unsigned long long rcvbuf;      /* socket receive buffer, bytes */
	struct agent_filter *agents;    /* NULL: accept every agent */
	bool counters;                  /* write counter records */
	double stats_interval;          /* seconds; 0 = no stats records */
	const char *stats;              /* file holding the last stats record */
	const char *host_stats;         /* file holding the last host and asic records */
	unsigned long long limit;       /* stop after this many datagrams; 0 = none */
	unsigned long long max_sources; /* sequence table size */
	unsigned long long max_rate;    /* largest sampling rate believed; 0: no bound */
	unsigned long long max_seq_gap; /* sequence jump bound; 0: no bound */
	bool quiet;                     /* no summary at exit */
	bool check;                     /* -n: check the configuration only */
	/* SIGHUP: read the configuration again; 0 and the new agent filter
	 * (NULL: every agent), or -1 after saying why. */
	int (*reload)(struct agent_filter **agents);
};

/* Counters of the inputs, beside the decoder's. */
struct in_stats {
	uint64_t packets;               /* pcap: packets read */
	uint64_t not_sflow;             /* pcap: not UDP to the sFlow port */
	uint64_t fragments;             /* pcap: IP fragments (not reassembled) */
	uint64_t truncated;             /* pcap: datagram cut by the snap length */
	uint64_t kernel_drops;          /* UDP: the sockets' drop counters */
	uint64_t oversize;              /* UDP: datagrams larger than the buffer */
	uint64_t output_wait;           /* UDP: times reading paused for the output */
	uint64_t output_reopen;         /* UDP: -o reopened after its reader went away */
};

struct sfd {
	const struct sfd_opts *o;
	struct sf_decoder dec;
	struct ev_loop *loop;           /* UDP's; NULL with -r */
	struct out *out;                /* -o or stdout (out.c) */
	struct rec_writer *w;           /* out's writer */
	struct rec_writer *statsw;      /* builds the --stats file's record */
	struct rec_writer *hostb, *asicb;       /* --host-stats: the last of each */
	struct rec_writer *hostfile;    /* builds the --host-stats file */
	bool host_dirty;                /* a host or asic record since the last write */
	struct log_rl rl_stats;
	struct in_stats in;
	ar_msec next_stats;
	bool done;                      /* --limit reached */
	bool started;                   /* the input opened: stats and summary at exit */
	int status;
};

int sfd_init(struct sfd *s, const struct sfd_opts *o);
void sfd_fini(struct sfd *s);
/* One datagram; ts is its receive time in microseconds since the epoch,
 * from its sender's address (NULL: not known). */
void sfd_datagram(struct sfd *s, const uint8_t *p, size_t n, uint64_t ts,
		  const struct ar_addr *from);
/* Write a stats record when the interval has passed (or now, if force). */
void sfd_stats_tick(struct sfd *s, bool force);
void sfd_summary(const struct sfd *s);
/* Open -o (or stdout) on loop l, NULL for a blocking output; s->w is its
 * writer. 0, or -1 when it cannot be opened (logged). */
int sfd_output_open(struct sfd *s, struct ev_loop *l, const struct out_ops *ops, void *arg);
/* At exit: write out everything pending. -1 on a write error. */
int sfd_drain(struct sfd *s);

/* The main loops: 0 clean stop, 1 runtime failure. */
int sfd_run(const struct sfd_opts *o);
int pcap_run(struct sfd *s, const char *path);
int udp_run(struct sfd *s);

/* A classic pcap file in memory (pcapfile.c). */
struct pcapfile {
	const uint8_t *p;
	size_t n, off;
	bool swap, nsec;
	int dlt;
};
/* 0 and f set up when p holds a classic pcap file of a link type
 * pkt_sflow_payload knows; -1 otherwise (libpcap reads it). */
int pcapfile_open(struct pcapfile *f, const uint8_t *p, size_t n);
/* The next packet: 1 and *pkt, *caplen and *ts (microseconds) set; 0 at
 * the end; -1 when the file is cut short or a length is absurd. */
int pcapfile_next(struct pcapfile *f, const uint8_t **pkt, size_t *caplen, uint64_t *ts);

/* UDP payload of one captured packet to the given port (pcap.c). 0 and
 * *pl and *pn set; -1 not an sFlow datagram; -2 a fragment; -3 cut short by the
 * capture (what was captured is returned in *pl and *pn). The IP source
 * address goes to *from when from is not NULL. */
int pkt_sflow_payload(int dlt, const uint8_t *p, size_t n, unsigned port,
		      const uint8_t **pl, size_t *pn, struct ar_addr *from);

#endif
