/*
 * jsonl_pipe.h - reads and checks a JSONL file on producer threads, handing the lines to the
 * caller in order.
 *
 * Checking JSON costs about as much as storing the record, so a bulk import checks line N+1
 * while the caller stores line N. Each line is validated by the scanner (io/json_scan.h: exactly
 * jansson's rules, no DOM), which also reports where the top-level keys the caller asked for
 * are; only lines that need values beyond that (a top-level key the caller names, or every line
 * when the caller asks) are parsed by jansson as well. Memory is bounded: a fixed ring of
 * batches travels between the threads. Each line arrives with its line number and exact text.
 */
#ifndef LO_IO_JSONL_PIPE_H
#define LO_IO_JSONL_PIPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"
#include "base/str.h"
#include "io/json_scan.h"

#define LO_JSONL_PIPE_KEYS 8

struct lo_jsonl_pipe_opts {
    size_t max_line;                      /* most bytes in one line */
    const char *keys[LO_JSONL_PIPE_KEYS]; /* top-level members to locate in object lines */
    size_t n_keys;
    const char *dom_key;  /* object lines with this top-level key are parsed by jansson too */
    bool dom_always;      /* parse every line with jansson (callers that rewrite the objects) */
};

/* A top-level member's value as written (strings with their quotes). */
struct lo_jsonl_value {
    enum lo_json_kind kind;    /* LO_JSON_NONE when the key is absent */
    struct lo_str text;
};

struct lo_jsonl_rec {
    long line;                 /* 1-based line number */
    struct lo_str text;        /* the line, trimmed; valid until the next call */
    enum lo_json_kind kind;    /* the line's top-level value, when code == 0 */
    struct lo_jsonl_value keys[LO_JSONL_PIPE_KEYS]; /* opts.keys, found in an object line;
                                * filled only when obj is NULL; valid until the next call */
    json_t *obj;               /* jansson's parse, only for lines that need one (dom_always, or
                                * the top-level dom_key: such lines, and any whose text holds
                                * the quoted dom_key, go to jansson), else NULL; borrowed: valid
                                * until the next call (json_incref to keep it) */
    int code;                  /* 0, or LO_EINVAL for a line that is not JSON or not UTF-8 */
    const char *error;         /* why, when code != 0; valid until the next call */
};

struct lo_jsonl_pipe;

/* Starts the producer threads over fp (not closed by the pipe). */
int lo_jsonl_pipe_start(struct lo_jsonl_pipe **out, FILE *fp, const char *path,
                        const struct lo_jsonl_pipe_opts *opts, struct lo_error *err);
/* 1 and *rec filled; 0 at the end; < 0 when the file cannot be read on (err names file:line:
 * a line over the limit or a read error). Blank lines are skipped. */
int lo_jsonl_pipe_next(struct lo_jsonl_pipe *p, struct lo_jsonl_rec *rec, struct lo_error *err);
/* Stops the thread (at any point), frees everything not handed out. */
void lo_jsonl_pipe_stop(struct lo_jsonl_pipe *p);

#endif
