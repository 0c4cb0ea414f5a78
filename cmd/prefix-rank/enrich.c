/* --flows-out: every flow record read, written again with the RIB's answer
 * for its addresses (records(5): the rib* keys). prefix-rank holds the RIB
 * and looks the destination up anyway; flow-watch reads this stream to key
 * flows by prefix, AS and AS path without a RIB of its own.
 * The agent's own keys (srcmask, dstas, aspath, ...) pass through as they
 * came: the RIB's answer has keys of its own, so a reader knows which is which.
 * The output never holds up the flow path: when its reader is slow the
 * records past the writer's high water are dropped and counted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pr.h"

struct enrich {
	struct rec_writer *w;
	struct rec_writer *scratch;     /* encodes the added keys alone */
	bool fifo;
	uint64_t written, dropped;
	uint64_t retry_ms;              /* a FIFO without a reader: next open attempt */
	struct log_rl rl;
};

/* First and last AS of a path in segment form (an AS_SET counts as its
 * first member, as sFlow-RT reports it). 0 for an empty path: our own AS. */
static void path_ends(const struct path *pa, uint32_t *first, uint32_t *last)
{
	*first = *last = 0;
	for (uint32_t i = 0; i + 1 < pa->naspath; i += 2 + pa->v[i + 1]) {
		uint32_t n = pa->v[i + 1];
		if (n == 0 || i + 2 + n > pa->naspath)
			break;
		if (!*first)
			*first = pa->v[i + 2];
		*last = pa->v[i] == ASPATH_SET ? pa->v[i + 2] : pa->v[i + 1 + n];
	}
}

static int out_open(struct pr *pr, struct enrich *e)
{
	struct stat st;
	const char *path = pr->o->flows_out;
	bool fifo = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
	int fd = rec_open_output(path, fifo);

	e->fifo = fifo;
	if (fd < 0 && fifo)
		return 0;               /* no reader yet: tried again later */
	if (fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fifo)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
		log_warn("%s: cannot truncate: %s", path, strerror(errno));
	rw_set_fd(e->w, fd);
	return 0;
}

int enrich_open(struct pr *pr)
{
	struct enrich *e = calloc(1, sizeof(*e));

	if (!e || !(e->w = rw_new(-1)) || !(e->scratch = rw_new(-1))) {
		if (e)
			rw_free(e->w);
		free(e);
		log_err("out of memory");
		return -1;
	}
	pr->enrich = e;
	return out_open(pr, e);
}

static bool ready(struct pr *pr, struct enrich *e)
{
	if (rw_fd(e->w) >= 0)
		return true;
	if (!e->fifo || pr->now < e->retry_ms)
		return false;
	e->retry_ms = pr->now + 1000;
	out_open(pr, e);
	if (rw_fd(e->w) >= 0)
		log_info("%s: reader is there, writing enriched flows", pr->o->flows_out);
	return rw_fd(e->w) >= 0;
}

static void lost(struct pr *pr, struct enrich *e)
{
	if (!rw_error(e->w))
		return;
	log_rl(&e->rl, LOG_WARN, "%s: %s: enriched flows dropped until a reader is back",
	       pr->o->flows_out, strerror(rw_error(e->w)));
	if (rw_fd(e->w) > 1)
		close(rw_fd(e->w));
	rw_set_fd(e->w, -1);
}

#define RIB_BITS (((uint64_t)1 << (FLOW_RIBLOCALPREF + 1)) - ((uint64_t)1 << FLOW_RIBDSTLEN))

/* The RIB's answer for the record's addresses, as rib* fields of a. */
static void answer(struct pr *pr, const struct rec_flow *in, struct rec_flow *a)
{
	const struct pfx *p;
	const struct path *pa;

	a->has = 0;
	if (REC_HAS(in, FLOW_DST) && (p = rib_match(&pr->rib, &in->dst)) && (pa = pfx_best(&pr->rib, p))) {
		a->ribdstlen = p->plen;
		if (pa->nexthop.af != AR_AF_NONE) {
			a->ribnexthop = pa->nexthop;
			REC_SET(a, FLOW_RIBNEXTHOP);
		}
		a->ribaspath = (struct u32s){ pa->v, pa->naspath };
		path_ends(pa, &a->ribdstpeeras, &a->ribdstas);
		a->has |= (uint64_t)1 << FLOW_RIBDSTLEN | (uint64_t)1 << FLOW_RIBASPATH |
			  (uint64_t)1 << FLOW_RIBDSTAS | (uint64_t)1 << FLOW_RIBDSTPEERAS |
			  (uint64_t)1 << FLOW_RIBLOCALPREF;
		a->riblocalpref = pa->localpref;
		if (pa->ncomm) {
			a->ribcomm = (struct u32s){ pa->v + pa->naspath, pa->ncomm };
			REC_SET(a, FLOW_RIBCOMM);
		}
		if (pa->nlcomm) {
			a->riblcomm = (struct u32s){ pa->v + pa->naspath + pa->ncomm, pa->nlcomm };
			REC_SET(a, FLOW_RIBLCOMM);
		}
	}
	if (REC_HAS(in, FLOW_SRC) && (p = rib_match(&pr->rib, &in->src)) && (pa = pfx_best(&pr->rib, p))) {
		a->ribsrclen = p->plen;
		path_ends(pa, &a->ribsrcpeeras, &a->ribsrcas);
		a->has |= (uint64_t)1 << FLOW_RIBSRCLEN | (uint64_t)1 << FLOW_RIBSRCAS |
			  (uint64_t)1 << FLOW_RIBSRCPEERAS;
	}
}

/* The record's own bytes with the rib* keys appended (its map header
 * grown): the usual case, a copy instead of encoding every field again.
 * -1 when it does not apply (no bytes, too large, odd header). */
static int append_rib(struct enrich *e, const uint8_t *raw, size_t len, const struct rec_flow *a)
{
	static const uint8_t type[10] = { 0xa4, 't', 'y', 'p', 'e', 0xa4, 'f', 'l', 'o', 'w' };
	uint8_t out[8192];
	const uint8_t *add;
	size_t hl, o = 0, an;
	uint32_t n, k = (uint32_t)__builtin_popcountll(a->has);

	if (!raw || len < 1 || len > 4096)
		return -1;
	if ((raw[0] & 0xf0) == 0x80)
		n = raw[0] & 0x0f, hl = 1;
	else if (raw[0] == 0xde && len >= 3)
		n = (uint32_t)raw[1] << 8 | raw[2], hl = 3;
	else
		return -1;
	rw_set_fd(e->scratch, -1);     /* empties it */
	rw_flow(e->scratch, a);
	add = (const uint8_t *)rw_data(e->scratch, &an);
	/* what it wrote: a fixmap header, "type": "flow", then the fields */
	if (an < 11 || an - 11 + len > sizeof(out) || add[0] != (0x80 | (k + 1)) ||
	    memcmp(add + 1, type, sizeof(type)))
		return -1;
	n += k;
	if (n <= 15) {
		out[o++] = (uint8_t)(0x80 | n);
	} else {
		out[o++] = 0xde;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
	}
	memcpy(out + o, raw + hl, len - hl);
	o += len - hl;
	memcpy(out + o, add + 11, an - 11);
	o += an - 11;
	return rw_bytes(e->w, out, o) < 0 ? -2 : 0;
}

void enrich_flow(struct pr *pr, struct rec_reader *rr, const struct rec_flow *in)
{
	struct enrich *e = pr->enrich;
	struct rec_flow a;
	const uint8_t *raw = NULL;
	size_t len = 0;
	int rc;

	if (!ready(pr, e) || rw_would_block(e->w)) {
		e->dropped++;
		return;
	}
	answer(pr, in, &a);
	if (rr)
		raw = rr_last_bytes(rr, &len);
	if (!a.has && raw && len)
		rc = rw_bytes(e->w, raw, len);
	else if (in->has & RIB_BITS || (rc = append_rib(e, raw, len, &a)) == -1) {
		/* an answer already there is replaced, not doubled: encode it whole */
		struct rec_flow f = *in;
		f.has = (f.has & ~RIB_BITS) | a.has;
		f.ribdstlen = a.ribdstlen, f.ribsrclen = a.ribsrclen, f.ribnexthop = a.ribnexthop;
		f.ribaspath = a.ribaspath, f.ribdstas = a.ribdstas, f.ribdstpeeras = a.ribdstpeeras;
		f.ribsrcas = a.ribsrcas, f.ribsrcpeeras = a.ribsrcpeeras, f.ribcomm = a.ribcomm;
		f.riblcomm = a.riblcomm, f.riblocalpref = a.riblocalpref;
		rc = rw_flow(e->w, &f);
	}
	if (rc < 0)
		lost(pr, e);
	else
		e->written++;
}

/* The input went idle (or a tick): what is buffered goes out now. */
void enrich_flush(struct pr *pr)
{
	struct enrich *e = pr->enrich;

	if (!e || rw_fd(e->w) < 0)
		return;
	if (pr->o->replay || !e->fifo) {
		while (rw_flush(e->w) == 1)
			;
	} else {
		rw_flush(e->w);
	}
	lost(pr, e);
}

void enrich_stats(const struct pr *pr, struct rec_writer *w)
{
	if (!pr->enrich)
		return;
	rw_u64(w, "flowsout", pr->enrich->written);
	rw_u64(w, "flowsoutdropped", pr->enrich->dropped);
}

void enrich_close(struct pr *pr)
{
	struct enrich *e = pr->enrich;

	if (!e)
		return;
	if (rw_fd(e->w) >= 0) {
		fcntl(rw_fd(e->w), F_SETFL, fcntl(rw_fd(e->w), F_GETFL) & ~O_NONBLOCK);
		while (rw_flush(e->w) == 1)
			;
		if (rw_fd(e->w) > 1)
			close(rw_fd(e->w));
	}
	rw_free(e->w);
	rw_free(e->scratch);
	free(e);
	pr->enrich = NULL;
}
