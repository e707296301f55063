/*
 * jsonl_pipe.h - reads and parses a JSONL file on a second thread, handing parsed lines to the
 * caller in order.
 *
 * Parsing JSON costs about as much as storing the record, so a bulk import parses line N+1
 * while the caller stores line N: on two cores that nearly halves the time. Memory is bounded:
 * a fixed ring of batches travels between the two threads. Each line's parse result (a jansson
 * object, or the reason it is not one) arrives with its line number and exact text.
 */
#ifndef LO_IO_JSONL_PIPE_H
#define LO_IO_JSONL_PIPE_H

#include <jansson.h>
#include <stdio.h>

#include "base/err.h"
#include "base/str.h"

struct lo_jsonl_rec {
    long line;                 /* 1-based line number */
    struct lo_str text;        /* the line, trimmed; valid until the next call */
    json_t *obj;               /* the parsed value (any JSON type), borrowed: valid until the
                                * next call (json_incref to keep it); NULL when not JSON */
    int code;                  /* 0, or LO_EINVAL for a line that is not JSON or not UTF-8 */
    const char *error;         /* why, when code != 0; valid until the next call */
};

struct lo_jsonl_pipe;

/* Starts the parser thread over fp (not closed by the pipe). max_line caps a line's bytes. */
int lo_jsonl_pipe_start(struct lo_jsonl_pipe **out, FILE *fp, const char *path, size_t max_line,
                        struct lo_error *err);
/* 1 and *rec filled; 0 at the end; < 0 when the file cannot be read on (err names file:line:
 * a line over the limit or a read error). Blank lines are skipped. */
int lo_jsonl_pipe_next(struct lo_jsonl_pipe *p, struct lo_jsonl_rec *rec, struct lo_error *err);
/* Stops the thread (at any point), frees everything not handed out. */
void lo_jsonl_pipe_stop(struct lo_jsonl_pipe *p);

#endif
