/*
 * ratings_load.c - a long-format label file (and an optional gold file) into struct
 * lo_ratings. Reads only; all memory from the caller's arena.
 */
#include "io/ratings_load.h"

#include <stdlib.h>
#include <string.h>

static const char *const gold_item_cols[] = { "item", "item_id", "task", "question", "orig_id",
                                              "unit", "subject", "patient", "external_id", "id",
                                              NULL };
static const char *const gold_label_cols[] = { "label", "gold", "truth", "answer", "gold_label",
                                               "response", "value", NULL };

static int find_col(struct lo_str *hdr, size_t n, const char *const *names)
{
    for (const char *const *nm = names; *nm; nm++)
        for (size_t i = 0; i < n; i++)
            if (lo_str_ieq_cstr(lo_str_trim(hdr[i]), *nm))
                return (int)i;
    return -1;
}

static int load_gold_file(const char *path, struct lo_ratings_builder *b, struct lo_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        lo_error_set(err, LO_EIO, "cannot open gold file");
        return lo_error_at(err, path, 0);
    }
    struct lo_csv_reader csv;
    enum lo_format fmt = lo_format_from_path(path);
    int rc = lo_csv_open(&csv, fp, path, fmt == LO_FMT_TSV ? '\t' : ',', fmt != LO_FMT_TSV, err);
    if (rc)
        goto out_file;
    struct lo_str *f;
    size_t n;
    rc = lo_csv_skip_comments(&csv, err);
    if (rc < 0)
        goto out;
    rc = lo_csv_next(&csv, &f, &n, err);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        lo_error_set(err, LO_EINVAL, "empty gold file: no header row");
        rc = lo_error_at(err, path, 1);
        goto out;
    }
    int ci = find_col(f, n, gold_item_cols), cl = find_col(f, n, gold_label_cols);
    if (ci < 0 || cl < 0) {
        lo_error_set(err, LO_EINVAL,
                     "a gold file needs an item column (item, question, ...) and a label column "
                     "(label, gold, truth, ...)");
        rc = lo_error_at(err, path, csv.record_line);
        goto out;
    }
    size_t ncols = n;
    for (;;) {
        rc = lo_csv_next(&csv, &f, &n, err);
        if (rc <= 0)
            break;
        if (n != ncols) {
            lo_error_set(err, LO_EINVAL, "record has %zu fields, the header has %zu", n, ncols);
            rc = lo_error_at(err, path, csv.record_line);
            break;
        }
        struct lo_str item = lo_str_trim(f[ci]), label = lo_str_trim(f[cl]);
        if (!item.len || !label.len)
            continue;
        rc = lo_ratings_builder_gold(b, item, label, err);
        if (rc) {
            lo_error_at(err, path, csv.record_line);
            break;
        }
    }
out:
    lo_csv_close(&csv);
out_file:
    fclose(fp);
    return rc < 0 ? rc : 0;
}

int lo_ratings_load(const char *path, enum lo_format fmt, const struct lo_label_mapping *map,
                    const char *gold_path, struct lo_arena *arena, struct lo_ratings *out,
                    struct lo_error *err)
{
    struct lo_ratings_builder *b = NULL;
    struct lo_label_reader *r = NULL;
    int rc = lo_ratings_builder_new(&b, arena);
    if (rc)
        return lo_error_set(err, rc, "out of memory");
    rc = lo_label_reader_open(&r, path, fmt, map, err);
    if (rc)
        goto fail;
    struct lo_label_row row;
    for (;;) {
        rc = lo_label_reader_next(r, &row, err);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        rc = lo_ratings_builder_add(b, row.item, row.annotator, row.label, err);
        if (!rc && row.has_gold)
            rc = lo_ratings_builder_gold(b, row.item, row.gold, err);
        if (rc) {
            lo_error_at(err, path, row.line);
            goto fail;
        }
    }
    lo_label_reader_close(r);
    r = NULL;
    if (gold_path) {
        rc = load_gold_file(gold_path, b, err);
        if (rc)
            goto fail;
    }
    return lo_ratings_builder_finish(b, out, err);
fail:
    lo_label_reader_close(r);
    lo_ratings_builder_free(b);
    return rc ? rc : LO_EINVAL;
}
