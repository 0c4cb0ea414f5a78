/* A fast encoder for flow records: the same bytes as rw_flow(), driven by the
 * same schema table (rec_schema(REC_FLOW)), but with the key strings packed
 * once at start and the record built in one pass into a flat buffer. The
 * fuzz target checks that both encoders agree byte for byte. */
#ifndef SFD_ENC_H
#define SFD_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* Largest flow record fenc_flow() builds; larger ones (long AS paths) go
 * through rw_flow(). */
#define FENC_MAX 1024

int fenc_init(void);
/* Bytes written to out (at most FENC_MAX), or 0 when it does not fit. */
size_t fenc_flow(uint8_t *out, const struct rec_flow *f);
/* Encode f and append it to w (falling back to rw_flow()). */
void fenc_write(struct rec_writer *w, const struct rec_flow *f);

#endif
