/*
 * labels.c - long-format label files (one row per item, annotator, label) from CSV, TSV or
 * JSONL, with the column names published crowdsourcing data uses. It reads; it never decides
 * what a label means (that is the schema's and the statistics' business).
 */
#include "io/labels.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"

static const char *const item_names[] = { "item", "item_id", "task", "task_id", "question",
                                          "orig_id", "unit", "subject", "patient", "external_id",
                                          "id", NULL };
static const char *const annotator_names[] = { "annotator", "annotator_id", "worker",
                                               "worker_id", "!amt_worker_ids", "rater", "coder",
                                               "observer", "user", NULL };
static const char *const label_names[] = { "label", "answer", "response", "value", "rating",
                                           "class", NULL };
static const char *const gold_names[] = { "gold", "truth", "gold_label", NULL };

enum { COL_ITEM, COL_ANNOTATOR, COL_LABEL, COL_GOLD, COL_COUNT };

struct lo_label_reader {
    enum lo_format fmt;
    FILE *fp;
    bool own_fp;
    const char *path;
    struct lo_csv_reader csv;
    struct lo_line_reader lines;
    int col[COL_COUNT];             /* CSV column index, -1 when absent */
    char *key[COL_COUNT];           /* JSONL keys */
    size_t ncols;
    struct lo_buf text[COL_COUNT];  /* JSONL values rendered as text */
    json_t *obj;
};

static int find_column(struct lo_str *hdr, size_t n, const char *wanted,
                       const char *const *names)
{
    if (wanted) {
        for (size_t i = 0; i < n; i++)
            if (lo_str_eq_cstr(lo_str_trim(hdr[i]), wanted))
                return (int)i;
        return -2; /* named but missing */
    }
    for (const char *const *nm = names; *nm; nm++)
        for (size_t i = 0; i < n; i++)
            if (lo_str_ieq_cstr(lo_str_trim(hdr[i]), *nm))
                return (int)i;
    return -1;
}

static void list_columns(struct lo_str *hdr, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 4 < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s'%.*s'", i ? ", " : "",
                         (int)(hdr[i].len > 40 ? 40 : hdr[i].len), hdr[i].ptr);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static const char *role_name(int role)
{
    static const char *const n[] = { "item", "annotator", "label", "gold" };
    return n[role];
}

static const char *role_flag(int role)
{
    static const char *const n[] = { "--item-field", "--annotator-field", "--label-field",
                                     "--gold-field" };
    return n[role];
}

static int open_csv_header(struct lo_label_reader *r, const struct lo_label_mapping *map,
                           struct lo_error *err)
{
    char delim = r->fmt == LO_FMT_TSV ? '\t' : ',';
    int rc = lo_csv_open(&r->csv, r->fp, r->path, delim, r->fmt == LO_FMT_CSV, err);
    if (rc)
        return rc;
    rc = lo_csv_skip_comments(&r->csv, err);
    if (rc < 0)
        return rc;
    struct lo_str *hdr;
    size_t n;
    rc = lo_csv_next(&r->csv, &hdr, &n, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        lo_error_set(err, LO_EINVAL, "empty file: no header row");
        return lo_error_at(err, r->path, 1);
    }
    const char *wanted[COL_COUNT] = { map ? map->item_field : NULL,
                                      map ? map->annotator_field : NULL,
                                      map ? map->label_field : NULL,
                                      map ? map->gold_field : NULL };
    const char *const *names[COL_COUNT] = { item_names, annotator_names, label_names,
                                            gold_names };
    for (int role = 0; role < COL_COUNT; role++) {
        r->col[role] = find_column(hdr, n, wanted[role], names[role]);
        if (r->col[role] >= 0 || role == COL_GOLD) {
            if (r->col[role] == -2) {
                char cols[512];
                list_columns(hdr, n, cols, sizeof(cols));
                lo_error_field(err, LO_EINVAL, wanted[role],
                               "no column named '%s' for %s; the header has %s", wanted[role],
                               role_flag(role), cols);
                return lo_error_at(err, r->path, r->csv.record_line);
            }
            continue;
        }
        char cols[512];
        list_columns(hdr, n, cols, sizeof(cols));
        if (wanted[role])
            lo_error_field(err, LO_EINVAL, wanted[role],
                           "no column named '%s' for %s; the header has %s", wanted[role],
                           role_flag(role), cols);
        else
            lo_error_set(err, LO_EINVAL,
                         "no %s column recognised (name it with %s); the header has %s",
                         role_name(role), role_flag(role), cols);
        return lo_error_at(err, r->path, r->csv.record_line);
    }
    r->ncols = n;
    return 0;
}

static int open_jsonl(struct lo_label_reader *r, const struct lo_label_mapping *map,
                      struct lo_error *err)
{
    int rc = lo_lines_open(&r->lines, r->fp, r->path, LO_LIMIT_JSONL_LINE, err);
    if (rc)
        return rc;
    const char *wanted[COL_COUNT] = { map ? map->item_field : NULL,
                                      map ? map->annotator_field : NULL,
                                      map ? map->label_field : NULL,
                                      map ? map->gold_field : NULL };
    for (int role = 0; role < COL_COUNT; role++) {
        if (wanted[role]) {
            r->key[role] = strdup(wanted[role]);
            if (!r->key[role])
                return lo_error_set(err, LO_ENOMEM, "out of memory");
        }
        lo_buf_init(&r->text[role], LO_LIMIT_LABEL);
    }
    return 0;
}

int lo_label_reader_open(struct lo_label_reader **out, const char *path, enum lo_format fmt,
                         const struct lo_label_mapping *map, struct lo_error *err)
{
    struct lo_label_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (int i = 0; i < COL_COUNT; i++)
        r->col[i] = -1;
    r->path = path;
    if (fmt == LO_FMT_AUTO)
        fmt = lo_format_from_path(path);
    if (fmt == LO_FMT_AUTO)
        fmt = LO_FMT_CSV;
    r->fmt = fmt;
    if (strcmp(path, "-") == 0) {
        r->fp = stdin;
    } else {
        r->fp = fopen(path, "rb");
        if (!r->fp) {
            free(r);
            lo_error_set(err, LO_EIO, "cannot open file");
            return lo_error_at(err, path, 0);
        }
        r->own_fp = true;
    }
    int rc = fmt == LO_FMT_JSONL ? open_jsonl(r, map, err) : open_csv_header(r, map, err);
    if (rc) {
        lo_label_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

bool lo_label_reader_has_gold(const struct lo_label_reader *r)
{
    return r->fmt == LO_FMT_JSONL ? true : r->col[COL_GOLD] >= 0;
}

void lo_label_reader_close(struct lo_label_reader *r)
{
    if (!r)
        return;
    if (r->fmt == LO_FMT_JSONL) {
        lo_lines_close(&r->lines);
        for (int i = 0; i < COL_COUNT; i++) {
            free(r->key[i]);
            lo_buf_free(&r->text[i]);
        }
    } else {
        lo_csv_close(&r->csv);
    }
    json_decref(r->obj);
    if (r->own_fp)
        fclose(r->fp);
    free(r);
}

static int empty_cell(struct lo_label_reader *r, int role, long line, struct lo_error *err)
{
    lo_error_field(err, LO_EINVAL, role_name(role), "empty %s", role_name(role));
    return lo_error_at(err, r->path, line);
}

static int next_csv(struct lo_label_reader *r, struct lo_label_row *row, struct lo_error *err)
{
    struct lo_str *f;
    size_t n;
    int rc = lo_csv_next(&r->csv, &f, &n, err);
    if (rc <= 0)
        return rc;
    long line = r->csv.record_line;
    if (n != r->ncols) {
        lo_error_set(err, LO_EINVAL, "record has %zu fields, the header has %zu", n, r->ncols);
        return lo_error_at(err, r->path, line);
    }
    memset(row, 0, sizeof(*row));
    row->line = line;
    row->item = lo_str_trim(f[r->col[COL_ITEM]]);
    row->annotator = lo_str_trim(f[r->col[COL_ANNOTATOR]]);
    row->label = lo_str_trim(f[r->col[COL_LABEL]]);
    if (r->col[COL_GOLD] >= 0) {
        row->gold = lo_str_trim(f[r->col[COL_GOLD]]);
        row->has_gold = row->gold.len > 0;
    }
    if (!row->item.len)
        return empty_cell(r, COL_ITEM, line, err);
    if (!row->annotator.len)
        return empty_cell(r, COL_ANNOTATOR, line, err);
    if (!row->label.len)
        return empty_cell(r, COL_LABEL, line, err);
    if (row->label.len > LO_LIMIT_LABEL) {
        lo_error_field(err, LO_ELIMIT, "label", "label longer than %d bytes (LO_LIMIT_LABEL)",
                       LO_LIMIT_LABEL);
        return lo_error_at(err, r->path, line);
    }
    return 1;
}

/* Renders a scalar JSON value as the text a CSV cell would hold. */
static int json_scalar_text(json_t *v, struct lo_buf *out)
{
    lo_buf_reset(out);
    switch (json_typeof(v)) {
    case JSON_STRING:
        return lo_buf_append(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return lo_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return lo_buf_printf(out, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return lo_buf_puts(out, "true");
    case JSON_FALSE:
        return lo_buf_puts(out, "false");
    default:
        return LO_EINVAL;
    }
}

static json_t *find_key(json_t *obj, const char *wanted, const char *const *names)
{
    if (wanted)
        return json_object_get(obj, wanted);
    for (const char *const *nm = names; *nm; nm++) {
        json_t *v = json_object_get(obj, *nm);
        if (v)
            return v;
    }
    return NULL;
}

static int next_jsonl(struct lo_label_reader *r, struct lo_label_row *row, struct lo_error *err)
{
    struct lo_str line;
    int rc;
    do {
        rc = lo_lines_next(&r->lines, &line, err);
        if (rc <= 0)
            return rc;
        line = lo_str_trim(line);
    } while (line.len == 0);
    long ln = r->lines.line_no;
    json_error_t jerr;
    json_decref(r->obj);
    r->obj = json_loadb(line.ptr, line.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r->obj) {
        lo_error_set(err, LO_EINVAL, "malformed JSON at column %d: %s", jerr.column, jerr.text);
        return lo_error_at(err, r->path, ln);
    }
    if (!json_is_object(r->obj)) {
        lo_error_set(err, LO_EINVAL, "a line must hold a JSON object");
        return lo_error_at(err, r->path, ln);
    }
    const char *const *names[COL_COUNT] = { item_names, annotator_names, label_names,
                                            gold_names };
    memset(row, 0, sizeof(*row));
    row->line = ln;
    struct lo_str *slot[COL_COUNT] = { &row->item, &row->annotator, &row->label, &row->gold };
    for (int role = 0; role < COL_COUNT; role++) {
        json_t *v = find_key(r->obj, r->key[role], names[role]);
        if (!v || json_is_null(v)) {
            if (role == COL_GOLD)
                continue;
            if (r->key[role])
                lo_error_field(err, LO_EINVAL, r->key[role], "missing key '%s' for %s",
                               r->key[role], role_name(role));
            else
                lo_error_field(err, LO_EINVAL, role_name(role),
                               "no %s key recognised (name it with %s)", role_name(role),
                               role_flag(role));
            return lo_error_at(err, r->path, ln);
        }
        rc = json_scalar_text(v, &r->text[role]);
        if (rc == LO_ELIMIT) {
            lo_error_field(err, LO_ELIMIT, role_name(role), "%s longer than %d bytes",
                           role_name(role), LO_LIMIT_LABEL);
            return lo_error_at(err, r->path, ln);
        }
        if (rc) {
            lo_error_field(err, LO_EINVAL, role_name(role),
                           "%s must be a string, number or boolean", role_name(role));
            return lo_error_at(err, r->path, ln);
        }
        *slot[role] = lo_str_trim(lo_buf_view(&r->text[role]));
    }
    row->has_gold = row->gold.len > 0;
    if (!row->item.len)
        return empty_cell(r, COL_ITEM, ln, err);
    if (!row->annotator.len)
        return empty_cell(r, COL_ANNOTATOR, ln, err);
    if (!row->label.len)
        return empty_cell(r, COL_LABEL, ln, err);
    return 1;
}

int lo_label_reader_next(struct lo_label_reader *r, struct lo_label_row *row,
                         struct lo_error *err)
{
    return r->fmt == LO_FMT_JSONL ? next_jsonl(r, row, err) : next_csv(r, row, err);
}
