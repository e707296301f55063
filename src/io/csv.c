/*
 * csv.c - chunked CSV/TSV and line readers with caps, line numbers and UTF-8 checks.
 *
 * The state machine works on one byte at a time over a 64 KiB chunk; it never holds more than
 * one record in memory. It must never accept a record it cannot report exactly: every error
 * names the file and the first line of the record at fault.
 */
#include "io/csv.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#define SRC_CHUNK (64 * 1024)

enum lo_format lo_format_parse(const char *name)
{
    if (!name)
        return LO_FMT_AUTO;
    if (strcmp(name, "csv") == 0)
        return LO_FMT_CSV;
    if (strcmp(name, "tsv") == 0)
        return LO_FMT_TSV;
    if (strcmp(name, "jsonl") == 0 || strcmp(name, "json") == 0 || strcmp(name, "ndjson") == 0)
        return LO_FMT_JSONL;
    return LO_FMT_AUTO;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum lo_format lo_format_from_path(const char *path)
{
    if (!path)
        return LO_FMT_AUTO;
    if (ends_with(path, ".csv"))
        return LO_FMT_CSV;
    if (ends_with(path, ".tsv") || ends_with(path, ".tab"))
        return LO_FMT_TSV;
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json"))
        return LO_FMT_JSONL;
    return LO_FMT_AUTO;
}

const char *lo_format_name(enum lo_format f)
{
    switch (f) {
    case LO_FMT_CSV: return "csv";
    case LO_FMT_TSV: return "tsv";
    case LO_FMT_JSONL: return "jsonl";
    default: return "auto";
    }
}

static int src_open(struct lo_src *s, FILE *fp, const char *path, struct lo_error *err)
{
    memset(s, 0, sizeof(*s));
    s->fp = fp;
    s->path = path ? path : "-";
    s->line = 1;
    s->chunk = malloc(SRC_CHUNK);
    if (!s->chunk)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    return 0;
}

/* Makes at least one byte available; returns 1, 0 at end of file, < 0 on a read error. */
static int src_fill(struct lo_src *s, struct lo_error *err)
{
    if (s->pos < s->len)
        return 1;
    if (s->eof)
        return 0;
    s->len = fread(s->chunk, 1, SRC_CHUNK, s->fp);
    s->pos = 0;
    if (s->len == 0) {
        if (ferror(s->fp)) {
            lo_error_set(err, LO_EIO, "read error");
            return lo_error_at(err, s->path, s->line);
        }
        s->eof = true;
        return 0;
    }
    return 1;
}

static void src_skip_bom(struct lo_src *s, struct lo_error *err)
{
    if (src_fill(s, err) <= 0)
        return;
    if (s->len - s->pos >= 3 && memcmp(s->chunk + s->pos, "\xEF\xBB\xBF", 3) == 0)
        s->pos += 3;
}

static void src_close(struct lo_src *s)
{
    free(s->chunk);
    s->chunk = NULL;
}

int lo_csv_open(struct lo_csv_reader *r, FILE *fp, const char *path, char delim, bool quoting,
                struct lo_error *err)
{
    memset(r, 0, sizeof(*r));
    int rc = src_open(&r->src, fp, path, err);
    if (rc)
        return rc;
    r->delim = delim;
    r->quoting = quoting;
    lo_buf_init(&r->rec, LO_LIMIT_CSV_RECORD);
    src_skip_bom(&r->src, err);
    return 0;
}

void lo_csv_close(struct lo_csv_reader *r)
{
    src_close(&r->src);
    lo_buf_free(&r->rec);
    free(r->ends);
    free(r->fields);
    r->ends = NULL;
    r->fields = NULL;
}

static int push_field_end(struct lo_csv_reader *r, struct lo_error *err)
{
    if (r->nfields == r->fields_cap) {
        if (r->fields_cap >= LO_LIMIT_CSV_COLUMNS) {
            lo_error_set(err, LO_ELIMIT, "record has more than %d columns (LO_LIMIT_CSV_COLUMNS)",
                         LO_LIMIT_CSV_COLUMNS);
            return lo_error_at(err, r->src.path, r->record_line);
        }
        size_t ncap = r->fields_cap ? r->fields_cap * 2 : 32;
        size_t *e = realloc(r->ends, ncap * sizeof(*e));
        if (!e)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        r->ends = e;
        struct lo_str *f = realloc(r->fields, ncap * sizeof(*f));
        if (!f)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        r->fields = f;
        r->fields_cap = ncap;
    }
    r->ends[r->nfields++] = r->rec.len;
    return 0;
}

int lo_csv_skip_comments(struct lo_csv_reader *r, struct lo_error *err)
{
    struct lo_src *s = &r->src;
    for (;;) {
        int rc = src_fill(s, err);
        if (rc <= 0)
            return rc;
        if (s->chunk[s->pos] != '#')
            return 0;
        /* Drop the line. */
        for (;;) {
            rc = src_fill(s, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                return 0;
            char c = s->chunk[s->pos++];
            s->offset++;
            if (c == '\n') {
                s->line++;
                break;
            }
        }
    }
}

static int record_error(struct lo_csv_reader *r, struct lo_error *err, int code, const char *msg)
{
    lo_error_set(err, code, "%s", msg);
    return lo_error_at(err, r->src.path, r->record_line);
}

int lo_csv_next(struct lo_csv_reader *r, struct lo_str **fields, size_t *nfields,
                struct lo_error *err)
{
    struct lo_src *s = &r->src;
    for (;;) {
        lo_buf_reset(&r->rec);
        r->nfields = 0;
        r->record_line = s->line;
        int rc = src_fill(s, err);
        if (rc <= 0)
            return rc;

        enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } st = FIELD_START;
        size_t field_start = 0;
        bool done = false;
        while (!done) {
            rc = src_fill(s, err);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                if (st == QUOTED)
                    return record_error(r, err, LO_EINVAL,
                                        "unterminated quoted field (missing closing '\"')");
                break;
            }
            /* Fast path: copy a run of plain bytes in one go. */
            if (st == UNQUOTED || (st == FIELD_START && !(r->quoting && s->chunk[s->pos] == '"'))) {
                size_t i = s->pos;
                while (i < s->len) {
                    char c = s->chunk[i];
                    if (c == r->delim || c == '\n' || c == '\r' || (c == '"' && r->quoting))
                        break;
                    i++;
                }
                if (i > s->pos) {
                    if (lo_buf_append(&r->rec, s->chunk + s->pos, i - s->pos))
                        return record_error(r, err, LO_ELIMIT,
                                            "record longer than LO_LIMIT_CSV_RECORD bytes");
                    s->offset += (long long)(i - s->pos);
                    s->pos = i;
                    st = UNQUOTED;
                    continue;
                }
            }
            char c = s->chunk[s->pos++];
            s->offset++;
            switch (st) {
            case FIELD_START:
            case UNQUOTED:
                if (c == r->delim) {
                    if (push_field_end(r, err))
                        return err ? err->code : LO_ELIMIT;
                    field_start = r->rec.len;
                    st = FIELD_START;
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && src_fill(s, err) > 0 && s->chunk[s->pos] == '\n') {
                        s->pos++;
                        s->offset++;
                    }
                    s->line++;
                    done = true;
                } else if (c == '"' && st == FIELD_START) {
                    st = QUOTED;
                } else if (c == '"') {
                    return record_error(r, err, LO_EINVAL,
                                        "stray '\"' inside an unquoted field (quote the field)");
                }
                break;
            case QUOTED:
                if (c == '"') {
                    st = QUOTE_IN_QUOTED;
                } else {
                    if (c == '\n')
                        s->line++;
                    if (lo_buf_putc(&r->rec, c))
                        return record_error(r, err, LO_ELIMIT,
                                            "record longer than LO_LIMIT_CSV_RECORD bytes");
                }
                break;
            case QUOTE_IN_QUOTED:
                if (c == '"') {
                    if (lo_buf_putc(&r->rec, '"'))
                        return record_error(r, err, LO_ELIMIT,
                                            "record longer than LO_LIMIT_CSV_RECORD bytes");
                    st = QUOTED;
                } else if (c == r->delim) {
                    if (push_field_end(r, err))
                        return err ? err->code : LO_ELIMIT;
                    field_start = r->rec.len;
                    st = FIELD_START;
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && src_fill(s, err) > 0 && s->chunk[s->pos] == '\n') {
                        s->pos++;
                        s->offset++;
                    }
                    s->line++;
                    done = true;
                } else {
                    return record_error(r, err, LO_EINVAL,
                                        "unexpected character after a closing '\"'");
                }
                break;
            }
            if (r->rec.len - field_start > LO_LIMIT_CSV_FIELD)
                return record_error(r, err, LO_ELIMIT,
                                    "field longer than LO_LIMIT_CSV_FIELD bytes");
        }
        if (r->rec.len - field_start > LO_LIMIT_CSV_FIELD)
            return record_error(r, err, LO_ELIMIT, "field longer than LO_LIMIT_CSV_FIELD bytes");
        if (push_field_end(r, err))
            return err ? err->code : LO_ELIMIT;
        /* A blank line is one empty field: skip it. */
        if (r->nfields == 1 && r->rec.len == 0)
            continue;
        size_t bad = 0;
        if (!lo_utf8_valid(r->rec.data, r->rec.len, &bad))
            return record_error(r, err, LO_EINVAL, "invalid UTF-8");
        /* NUL is valid UTF-8, but names travel as C strings: refuse it rather than cut. */
        if (r->rec.len && memchr(r->rec.data, '\0', r->rec.len))
            return record_error(r, err, LO_EINVAL, "NUL byte in the record");
        struct lo_str *f = r->fields;
        size_t start = 0;
        for (size_t i = 0; i < r->nfields; i++) {
            f[i].ptr = r->rec.data ? r->rec.data + start : "";
            f[i].len = r->ends[i] - start;
            start = r->ends[i];
        }
        *fields = f;
        *nfields = r->nfields;
        return 1;
    }
}

int lo_lines_open(struct lo_line_reader *r, FILE *fp, const char *path, size_t max,
                  struct lo_error *err)
{
    memset(r, 0, sizeof(*r));
    int rc = src_open(&r->src, fp, path, err);
    if (rc)
        return rc;
    r->max = max;
    lo_buf_init(&r->line, max);
    src_skip_bom(&r->src, err);
    return 0;
}

void lo_lines_close(struct lo_line_reader *r)
{
    src_close(&r->src);
    lo_buf_free(&r->line);
}

int lo_lines_next(struct lo_line_reader *r, struct lo_str *line, struct lo_error *err)
{
    struct lo_src *s = &r->src;
    lo_buf_reset(&r->line);
    r->line_no = s->line;
    int rc = src_fill(s, err);
    if (rc <= 0)
        return rc;
    for (;;) {
        rc = src_fill(s, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        const char *start = s->chunk + s->pos;
        const char *nl = memchr(start, '\n', s->len - s->pos);
        size_t n = nl ? (size_t)(nl - start) : s->len - s->pos;
        if (lo_buf_append(&r->line, start, n)) {
            lo_error_set(err, LO_ELIMIT, "line longer than %zu bytes (LO_LIMIT_JSONL_LINE)",
                         r->max);
            return lo_error_at(err, s->path, r->line_no);
        }
        s->pos += n + (nl ? 1 : 0);
        s->offset += (long long)(n + (nl ? 1 : 0));
        if (nl) {
            s->line++;
            break;
        }
    }
    if (r->line.len && r->line.data[r->line.len - 1] == '\r')
        r->line.data[--r->line.len] = '\0';
    size_t bad = 0;
    if (!lo_utf8_valid(r->line.data, r->line.len, &bad)) {
        lo_error_set(err, LO_EINVAL, "invalid UTF-8 at byte %zu of the line", bad + 1);
        return lo_error_at(err, s->path, r->line_no);
    }
    const char *nul = r->line.len ? memchr(r->line.data, '\0', r->line.len) : NULL;
    if (nul) {
        lo_error_set(err, LO_EINVAL, "NUL byte at byte %zu of the line",
                     (size_t)(nul - r->line.data) + 1);
        return lo_error_at(err, s->path, r->line_no);
    }
    line->ptr = r->line.data ? r->line.data : "";
    line->len = r->line.len;
    return 1;
}

void lo_csv_write_field(FILE *f, const char *s, size_t len)
{
    bool quote = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
            quote = true;
            break;
        }
    }
    if (len && (s[0] == ' ' || s[len - 1] == ' '))
        quote = true;
    if (!quote) {
        fwrite(s, 1, len, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}
