/*
 * csv.h - streaming readers for CSV (RFC 4180), TSV and line-oriented files (JSONL).
 *
 * Readers pull fixed-size chunks from a FILE*, so memory stays flat whatever the file size;
 * every record, field and line is capped by a named limit (base/limits.h). A reader reports
 * errors with the file name and the 1-based line where the offending record starts, and
 * rejects invalid UTF-8. Views a reader hands out live until the next call.
 */
#ifndef LO_IO_CSV_H
#define LO_IO_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"

enum lo_format {
    LO_FMT_AUTO = 0,
    LO_FMT_CSV,
    LO_FMT_TSV,
    LO_FMT_JSONL,
};

/* Format from a --format value ("csv", "tsv", "jsonl"/"json"/"ndjson"); LO_FMT_AUTO if unknown. */
enum lo_format lo_format_parse(const char *name);
/* Format from a file name's extension; LO_FMT_AUTO when it tells nothing. */
enum lo_format lo_format_from_path(const char *path);
const char *lo_format_name(enum lo_format f);

/* A chunked byte source with line counting, shared by the CSV and line readers. */
struct lo_src {
    FILE *fp;
    const char *path;             /* for messages */
    char *chunk;
    size_t pos, len;
    bool eof;
    long line;                    /* line number of the next byte */
    long long offset;             /* bytes consumed */
};

struct lo_csv_reader {
    struct lo_src src;
    char delim;                   /* ',' or '\t' */
    bool quoting;                 /* RFC 4180 quotes (CSV); TSV is plain */
    struct lo_buf rec;            /* unescaped field bytes of the current record */
    size_t *ends;                 /* end offset of each field in rec */
    struct lo_str *fields;
    size_t nfields, fields_cap;
    long record_line;             /* first line of the current record */
    bool started;
};

/* Opens a reader over fp (not closed by the reader). A UTF-8 byte order mark is skipped. */
int lo_csv_open(struct lo_csv_reader *r, FILE *fp, const char *path, char delim, bool quoting,
                struct lo_error *err);
/* Reads the next record: 1 and *fields / *nfields set; 0 at end of file; < 0 on error (err
 * names file:line). Blank lines are skipped. */
int lo_csv_next(struct lo_csv_reader *r, struct lo_str **fields, size_t *nfields,
                struct lo_error *err);
/* Skips leading lines that start with '#' (a preamble of comments, as in published tables).
 * Call before the first lo_csv_next. */
int lo_csv_skip_comments(struct lo_csv_reader *r, struct lo_error *err);
void lo_csv_close(struct lo_csv_reader *r);

struct lo_line_reader {
    struct lo_src src;
    struct lo_buf line;
    long line_no;                 /* line number of the last line returned */
    size_t max;
};

/* Reads lines of at most max bytes (without the newline; a trailing \r is dropped). */
int lo_lines_open(struct lo_line_reader *r, FILE *fp, const char *path, size_t max,
                  struct lo_error *err);
/* 1 and *line set; 0 at end of file; < 0 on error (line over the limit, invalid UTF-8). */
int lo_lines_next(struct lo_line_reader *r, struct lo_str *line, struct lo_error *err);
void lo_lines_close(struct lo_line_reader *r);

/* Writes a CSV field, quoted when it needs to be. */
void lo_csv_write_field(FILE *f, const char *s, size_t len);

#endif
