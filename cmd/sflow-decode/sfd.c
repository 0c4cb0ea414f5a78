/* Glue between the decoder and the record writer; stats and summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "prog.h"
#include "sfd.h"

static void on_flow(void *arg, const struct rec_flow *f)
{
	struct sfd *s = arg;

	rw_flow(s->w, f);
}

static void on_counter(void *arg, const struct rec_counter *c)
{
	struct sfd *s = arg;

	rw_counter(s->w, c);
}

/* --host-stats: the last host and asic record, encoded when they come (the
 * strings they point to are the decoder's scratch), written out with the
 * stats. */
static void keep_last(struct sfd *s, struct rec_writer *b, const struct rec *r)
{
	if (b == NULL)
		return;
	rw_set_fd(b, -1);       /* drops the one before */
	rw_typed(b, r);
	s->host_dirty = true;
}

static void host_stats_write(struct sfd *s)
{
	struct rec_writer *b[2] = { s->hostb, s->asicb };
	const char *p;
	size_t n;

	if (s->hostfile == NULL || !s->host_dirty)
		return;
	for (int i = 0; i < 2; i++)
		if ((p = rw_data(b[i], &n)) != NULL && n > 0)
			rw_bytes(s->hostfile, p, n);
	if (rw_replace_file(s->hostfile, s->o->host_stats) < 0)
		log_rl(&s->rl_stats, LOG_WARN, "cannot write %s: %s", s->o->host_stats,
		       strerror(errno));
	s->host_dirty = false;
}

/* Host and ASIC records are rare (one per counter interval): the generic
 * typed writer serves them. */
static void typed_out(struct sfd *s, const struct rec *r, struct rec_writer *keep)
{
	if (s->o->counters)
		rw_typed(s->w, r);
	keep_last(s, keep, r);
}

static void on_host(void *arg, const struct rec_host *h)
{
	struct rec r = { .type = REC_HOST, .u.host = *h };

	typed_out(arg, &r, ((struct sfd *)arg)->hostb);
}

static void on_asic(void *arg, const struct rec_asic *a)
{
	struct rec r = { .type = REC_ASIC, .u.asic = *a };

	typed_out(arg, &r, ((struct sfd *)arg)->asicb);
}

int sfd_init(struct sfd *s, const struct sfd_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->dec.on_flow = on_flow;
	s->dec.on_counter = o->counters ? on_counter : NULL;
	s->dec.on_host = o->counters || o->host_stats ? on_host : NULL;
	s->dec.on_asic = o->counters || o->host_stats ? on_asic : NULL;
	s->dec.arg = s;
	s->dec.filter = o->agents;
	s->dec.seq = seq_new(o->max_sources, (uint32_t)o->max_seq_gap);
	s->dec.max_rate = (uint32_t)o->max_rate;
	/* -r: a blocking output, open before the capture is read; UDP opens
	 * its own once the sockets listen (udp.c) */
	if (o->read != NULL && sfd_output_open(s, NULL, NULL, NULL) == -1) {
		out_free(s->out);
		seq_free(s->dec.seq);
		return -1;
	}
	if (o->stats != NULL)
		s->statsw = rw_new(-1);
	if (o->host_stats != NULL) {
		s->hostb = rw_new(-1);
		s->asicb = rw_new(-1);
		s->hostfile = rw_new(-1);
		if (s->hostb == NULL || s->asicb == NULL || s->hostfile == NULL) {
			log_err("out of memory");
			return -1;
		}
	}
	if (s->dec.seq == NULL || (o->stats != NULL && s->statsw == NULL)) {
		log_err("out of memory");
		return -1;
	}
	if (o->stats_interval > 0)
		s->next_stats = ev_now() + (ar_msec)(o->stats_interval * 1000);
	return 0;
}

void sfd_fini(struct sfd *s)
{
	/* the filter is ours: the one from the options, or a reloaded one */
	filter_free((struct agent_filter *)s->dec.filter);
	seq_free(s->dec.seq);
	out_free(s->out);       /* before the loop it may watch */
	ev_free(s->loop);
	rw_free(s->statsw);
	rw_free(s->hostb);
	rw_free(s->asicb);
	rw_free(s->hostfile);
}

void sfd_datagram(struct sfd *s, const uint8_t *p, size_t n, uint64_t ts,
		  const struct ar_addr *from)
{
	static struct log_rl rl;
	uint64_t before = s->dec.st.malformed;
	char hex[3 * 24 + 4];

	sf_decode(&s->dec, p, n, ts, from);
	if (s->dec.st.malformed != before)
		log_rl(&rl, LOG_WARN, "datagram %llu (%zu bytes): malformed: %s: %s",
		       (unsigned long long)s->dec.st.datagrams, n,
		       sf_bad_name(s->dec.last_bad), log_hex(p, n, 24, hex, sizeof(hex)));
	if (s->o->limit != 0 && s->dec.st.datagrams >= s->o->limit)
		s->done = true;
}

int sfd_output_open(struct sfd *s, struct ev_loop *l, const struct out_ops *ops, void *arg)
{
	s->out = out_new(l, s->o->output != NULL ? s->o->output : "-", ops, arg);
	if (s->out == NULL) {
		log_err("out of memory");
		return -1;
	}
	s->w = out_w(s->out);
	return out_start(s->out);
}

int sfd_drain(struct sfd *s)
{
	return s->out != NULL ? out_drain(s->out, -1) : 0;
}

static void stats_record(struct sfd *s, struct rec_writer *w);

/* One key per counter; the names are the summary's too. */
void sfd_stats_tick(struct sfd *s, bool force)
{
	if (s->o->stats_interval <= 0)
		return;
	if (!force) {
		ar_msec now = ev_now();
		if (now < s->next_stats)
			return;
		s->next_stats = now + (ar_msec)(s->o->stats_interval * 1000);
	}
	stats_record(s, s->w);
	host_stats_write(s);
	if (s->statsw) {
		stats_record(s, s->statsw);
		if (rw_replace_file(s->statsw, s->o->stats) < 0)
			log_rl(&s->rl_stats, LOG_WARN, "cannot write %s: %s", s->o->stats,
			       strerror(errno));
	}
}

/* One stats record into w (the output stream, or the --stats file). */
static void stats_record(struct sfd *s, struct rec_writer *w)
{
	const struct sf_stats *st = &s->dec.st;
	char key[48];

	rw_begin(w, "stats");
	rw_str(w, "stage", "sflow-decode");
	rw_u64(w, "datagrams", st->datagrams);
	rw_u64(w, "bytes", st->bytes);
	rw_u64(w, "filtered", st->filtered);
	rw_u64(w, "filtered_source", st->filtered_source);
	rw_u64(w, "refused_rate", st->bad_rate);
	rw_u64(w, "malformed", st->malformed);
	for (int i = SF_BAD_FIRST; i < SF_BAD_N; i++) {
		snprintf(key, sizeof(key), "bad_%s", sf_bad_name(i));
		rw_u64(w, key, st->bad[i]);
	}
	for (int i = 0; i < SF_RBAD_N; i++) {
		snprintf(key, sizeof(key), "badrec_%s", sf_rbad_name(i));
		rw_u64(w, key, st->rbad[i]);
	}
	rw_u64(w, "flow_samples", st->flow_samples);
	rw_u64(w, "counter_samples", st->counter_samples);
	rw_u64(w, "discard_samples", st->discard_samples);
	rw_u64(w, "other_samples", st->other_samples);
	rw_u64(w, "other_records", st->other_records);
	rw_u64(w, "headers_truncated", st->headers_truncated);
	rw_u64(w, "flows", st->flows_out);
	rw_u64(w, "counters", st->counters_out);
	rw_u64(w, "hosts", st->hosts_out);
	rw_u64(w, "asics", st->asics_out);
	rw_u64(w, "host_cut", st->host_cut);
	rw_u64(w, "dgram_lost", st->dgram_lost);
	rw_u64(w, "dgram_reordered", st->dgram_reordered);
	rw_u64(w, "sample_lost", st->sample_lost);
	rw_u64(w, "sample_reordered", st->sample_reordered);
	rw_u64(w, "restarts", st->restarts);
	rw_u64(w, "dgram_jumps", st->dgram_jumps);
	rw_u64(w, "sample_jumps", st->sample_jumps);
	rw_u64(w, "untracked", st->untracked);
	rw_u64(w, "aspath_cut", s->dec.aspath_cut);
	if (s->o->read != NULL) {
		rw_u64(w, "packets", s->in.packets);
		rw_u64(w, "not_sflow", s->in.not_sflow);
		rw_u64(w, "fragments", s->in.fragments);
		rw_u64(w, "capture_truncated", s->in.truncated);
	} else {
		rw_u64(w, "kernel_drops", s->in.kernel_drops);
		rw_u64(w, "oversize", s->in.oversize);
		rw_u64(w, "output_wait", s->in.output_wait);
		rw_u64(w, "output_reopen", s->in.output_reopen);
	}
	rw_end(w);
}

void sfd_summary(const struct sfd *s)
{
	const struct sf_stats *st = &s->dec.st;
	const char *p = log_progname();

	if (s->o->quiet)
		return;
	fprintf(stderr, "%s: summary: %llu datagrams, %llu bytes, %llu filtered, %llu malformed\n",
		p, (unsigned long long)st->datagrams, (unsigned long long)st->bytes,
		(unsigned long long)st->filtered, (unsigned long long)st->malformed);
	fprintf(stderr, "%s: summary: samples: %llu flow, %llu counter, %llu discard, %llu other\n",
		p, (unsigned long long)st->flow_samples, (unsigned long long)st->counter_samples,
		(unsigned long long)st->discard_samples, (unsigned long long)st->other_samples);
	fprintf(stderr, "%s: summary: records: %llu flow, %llu counter, %llu host, %llu asic\n", p,
		(unsigned long long)st->flows_out, (unsigned long long)st->counters_out,
		(unsigned long long)st->hosts_out, (unsigned long long)st->asics_out);
	fprintf(stderr, "%s: summary: sequence: %llu datagrams lost, %llu late, %llu samples lost, %llu late, %llu restarts\n",
		p, (unsigned long long)st->dgram_lost, (unsigned long long)st->dgram_reordered,
		(unsigned long long)st->sample_lost, (unsigned long long)st->sample_reordered,
		(unsigned long long)st->restarts);
	if (st->dgram_jumps || st->sample_jumps || st->bad_rate || st->filtered_source)
		fprintf(stderr, "%s: summary: refused: %llu datagram and %llu sample sequence jumps, %llu sampling rates, %llu senders not in --agents\n",
			p, (unsigned long long)st->dgram_jumps, (unsigned long long)st->sample_jumps,
			(unsigned long long)st->bad_rate, (unsigned long long)st->filtered_source);
	for (int i = SF_BAD_FIRST; i < SF_BAD_N; i++)
		if (st->bad[i])
			fprintf(stderr, "%s: summary: malformed %s: %llu\n", p,
				sf_bad_name(i), (unsigned long long)st->bad[i]);
	for (int i = 0; i < SF_RBAD_N; i++)
		if (st->rbad[i])
			fprintf(stderr, "%s: summary: bad record %s: %llu\n", p,
				sf_rbad_name(i), (unsigned long long)st->rbad[i]);
	if (s->o->read != NULL)
		fprintf(stderr, "%s: summary: pcap: %llu packets, %llu not sflow, %llu fragments, %llu truncated\n",
			p, (unsigned long long)s->in.packets, (unsigned long long)s->in.not_sflow,
			(unsigned long long)s->in.fragments, (unsigned long long)s->in.truncated);
	else
		fprintf(stderr, "%s: summary: udp: %llu kernel drops, %llu oversize\n", p,
			(unsigned long long)s->in.kernel_drops, (unsigned long long)s->in.oversize);
}

int sfd_run(const struct sfd_opts *o)
{
	struct sfd s;
	int rc;

	if (sfd_init(&s, o) == -1)
		return EXIT_RUNTIME;
	if (o->read != NULL)
		rc = pcap_run(&s, o->read);
	else
		rc = udp_run(&s);
	if (s.started) {
		sfd_stats_tick(&s, true);
		if (sfd_drain(&s) == -1)
			rc = EXIT_RUNTIME;
		sfd_summary(&s);
	}
	sfd_fini(&s);
	return rc;
}
