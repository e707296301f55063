/*
 * bgwriter.h - writes a stream to a FILE* on a background thread, so that producing output
 * (an export formatting millions of lines) and the kernel's copying of it overlap.
 *
 * The caller appends bytes; they are copied into one of a fixed ring of chunks, and a full chunk
 * is handed to the writer thread. Memory is bounded by the ring. The FILE* is touched only by
 * the writer thread until lo_bgwriter_finish returns. A write error is reported by the next
 * append or by finish.
 */
#ifndef LO_IO_BGWRITER_H
#define LO_IO_BGWRITER_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

struct lo_bgwriter;

int lo_bgwriter_start(struct lo_bgwriter **out, FILE *fp, struct lo_error *err);
/* Appends len bytes (any length). LO_EIO once a write has failed. */
int lo_bgwriter_write(struct lo_bgwriter *w, const void *data, size_t len, struct lo_error *err);
/* Writes what is left, flushes fp, stops the thread and frees w (always). 0 or LO_EIO. */
int lo_bgwriter_finish(struct lo_bgwriter *w, struct lo_error *err);

#endif
