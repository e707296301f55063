/*
 * agree_input.c - wide, counts and table readers for `agree` (see agree_input.h).
 *
 * Each reader loads the file's records into the arena as a grid of strings (these shapes are
 * small: one row per item at most), then interprets the grid. Nothing here computes a
 * statistic or prints.
 */
#include "io/agree_input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

struct grid {
    size_t rows;          /* records, header included */
    size_t *ncols;        /* [rows] */
    struct lo_str **cell; /* [rows][ncols] views into the arena */
    long *line;           /* [rows] first line of each record */
};

static const char *const item_names[] = { "item",    "item_id", "unit",     "units", "subject",
                                          "patient", "task",    "question", "id",    NULL };
/* Columns that group items (irrCAC's data sets have one); never an annotator or a category. */
static const char *const group_names[] = { "group", NULL };
static const char *const annotator_row_names[] = { "coder",    "coders", "rater", "annotator",
                                                   "observer", "worker", NULL };

static bool name_in(struct lo_str s, const char *const *names)
{
    s = lo_str_trim(s);
    for (const char *const *n = names; *n; n++)
        if (lo_str_ieq_cstr(s, *n))
            return true;
    return false;
}

static int read_grid(const char *path, enum lo_format fmt, struct lo_arena *arena, struct grid *g,
                     struct lo_error *err)
{
    memset(g, 0, sizeof(*g));
    if (fmt == LO_FMT_AUTO)
        fmt = lo_format_from_path(path);
    if (fmt == LO_FMT_JSONL)
        return lo_error_set(err, LO_EUSAGE,
                            "wide, counts and table input are read from CSV or TSV, not JSONL");
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        lo_error_set(err, LO_EIO, "cannot open file");
        return lo_error_at(err, path, 0);
    }
    struct lo_csv_reader csv;
    int rc = lo_csv_open(&csv, fp, path, fmt == LO_FMT_TSV ? '\t' : ',', fmt != LO_FMT_TSV, err);
    if (rc)
        goto out_file;
    rc = lo_csv_skip_comments(&csv, err);
    if (rc < 0)
        goto out_csv;
    size_t cap = 0;
    for (;;) {
        struct lo_str *f;
        size_t n;
        rc = lo_csv_next(&csv, &f, &n, err);
        if (rc < 0)
            goto out_csv;
        if (rc == 0)
            break;
        /* Comment lines after the data (published tables put notes at the end). */
        if (n >= 1 && f[0].len > 0 && f[0].ptr[0] == '#')
            continue;
        if (g->rows == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            size_t *nc = lo_arena_alloc(arena, ncap * sizeof(size_t));
            struct lo_str **cl = lo_arena_alloc(arena, ncap * sizeof(struct lo_str *));
            long *ln = lo_arena_alloc(arena, ncap * sizeof(long));
            if (!nc || !cl || !ln) {
                rc = lo_error_set(err, LO_ENOMEM, "out of memory");
                goto out_csv;
            }
            if (g->rows) {
                memcpy(nc, g->ncols, g->rows * sizeof(size_t));
                memcpy(cl, g->cell, g->rows * sizeof(struct lo_str *));
                memcpy(ln, g->line, g->rows * sizeof(long));
            }
            g->ncols = nc;
            g->cell = cl;
            g->line = ln;
            cap = ncap;
        }
        struct lo_str *row = lo_arena_alloc(arena, (n ? n : 1) * sizeof(struct lo_str));
        if (!row) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto out_csv;
        }
        for (size_t i = 0; i < n; i++) {
            row[i] = lo_arena_str(arena, lo_str_trim(f[i]));
            if (f[i].len && !row[i].ptr) {
                rc = lo_error_set(err, LO_ENOMEM, "out of memory");
                goto out_csv;
            }
        }
        g->cell[g->rows] = row;
        g->ncols[g->rows] = n;
        g->line[g->rows] = csv.record_line;
        g->rows++;
    }
    rc = 0;
    if (g->rows == 0) {
        lo_error_set(err, LO_EINVAL, "the file has no header");
        rc = lo_error_at(err, path, 0);
    }
out_csv:
    lo_csv_close(&csv);
out_file:
    if (!is_stdin)
        fclose(fp);
    return rc;
}

static struct lo_str cell_at(const struct grid *g, size_t r, size_t c)
{
    if (c >= g->ncols[r])
        return (struct lo_str){ "", 0 };
    return g->cell[r][c];
}

static const char *cstr(struct lo_arena *arena, struct lo_str s)
{
    return lo_arena_strndup(arena, s.ptr ? s.ptr : "", s.len);
}

/* Class values when every name is a number, else NULL. */
static double *numeric_values(const char **names, size_t n, struct lo_arena *arena)
{
    double *v = lo_arena_alloc(arena, (n ? n : 1) * sizeof(double));
    if (!v)
        return NULL;
    for (size_t k = 0; k < n; k++)
        if (!lo_str_to_double(lo_str_from(names[k]), &v[k]))
            return NULL;
    return v;
}

/* ---------------------------------------------------------------------------------------- */

int lo_agree_read_wide(const char *path, enum lo_format fmt, const char *item_field,
                       const char *missing, struct lo_arena *arena, struct lo_ratings *out,
                       struct lo_error *err)
{
    if (!missing)
        missing = "NA";
    struct grid g;
    int rc = read_grid(path, fmt, arena, &g, err);
    if (rc)
        return rc;
    size_t nh = g.ncols[0];
    bool transposed = nh > 0 && name_in(g.cell[0][0], annotator_row_names);
    long item_col = -1;
    if (!transposed) {
        for (size_t c = 0; c < nh; c++) {
            struct lo_str h = g.cell[0][c];
            if (item_field ? lo_str_eq_cstr(h, item_field) : name_in(h, item_names)) {
                item_col = (long)c;
                break;
            }
        }
        if (item_field && item_col < 0) {
            lo_error_field(err, LO_EINVAL, item_field, "no column named '%s' in the header",
                           item_field);
            return lo_error_at(err, path, g.line[0]);
        }
    }
    struct lo_ratings_builder *b;
    rc = lo_ratings_builder_new(&b, arena);
    if (rc)
        return lo_error_set(err, rc, "out of memory");
    char rowname[32];
    for (size_t r = 1; r < g.rows; r++) {
        if (g.ncols[r] > nh) {
            lo_error_set(err, LO_EINVAL, "row has %zu fields, the header %zu", g.ncols[r], nh);
            rc = lo_error_at(err, path, g.line[r]);
            goto fail;
        }
        for (size_t c = 0; c < g.ncols[r]; c++) {
            if ((long)c == item_col || (transposed && c == 0))
                continue;
            if (!transposed && name_in(g.cell[0][c], group_names))
                continue;
            struct lo_str label = g.cell[r][c];
            if (label.len == 0 || lo_str_eq_cstr(label, missing))
                continue;
            struct lo_str item, annotator;
            if (transposed) {
                annotator = g.cell[r][0];
                item = cell_at(&g, 0, c);
            } else {
                annotator = cell_at(&g, 0, c);
                if (item_col >= 0) {
                    item = cell_at(&g, r, (size_t)item_col);
                } else {
                    snprintf(rowname, sizeof(rowname), "%zu", r);
                    item = lo_str_from(rowname);
                }
            }
            if (item.len == 0 || annotator.len == 0) {
                lo_error_set(err, LO_EINVAL, "column %zu has a rating but no %s name", c + 1,
                             item.len == 0 ? "item" : "annotator");
                rc = lo_error_at(err, path, g.line[r]);
                goto fail;
            }
            rc = lo_ratings_builder_add(b, item, annotator, label, err);
            if (rc) {
                lo_error_at(err, path, g.line[r]);
                goto fail;
            }
        }
    }
    return lo_ratings_builder_finish(b, out, err);
fail:
    lo_ratings_builder_free(b);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */

int lo_agree_read_counts(const char *path, enum lo_format fmt, const char *item_field,
                         struct lo_arena *arena, struct lo_agree_counts *out,
                         struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    struct grid g;
    int rc = read_grid(path, fmt, arena, &g, err);
    if (rc)
        return rc;
    size_t nh = g.ncols[0];
    bool *is_class = lo_arena_calloc(arena, nh ? nh : 1, sizeof(bool));
    if (!is_class)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    long id_col = -1;
    size_t q = 0;
    for (size_t c = 0; c < nh; c++) {
        struct lo_str h = g.cell[0][c];
        bool id = item_field ? lo_str_eq_cstr(h, item_field) : name_in(h, item_names);
        if (!id && h.len == 0 && c == 0)
            id = true; /* R's write.csv leaves the row-name column unnamed */
        bool group = !id && name_in(h, group_names);
        bool numeric = true;
        for (size_t r = 1; r < g.rows && numeric; r++) {
            double v;
            struct lo_str s = cell_at(&g, r, c);
            if (s.len && !lo_str_to_double(s, &v))
                numeric = false;
        }
        if (id && id_col < 0)
            id_col = (long)c;
        if (!id && !group && numeric) {
            is_class[c] = true;
            q++;
        }
    }
    if (q < 1) {
        lo_error_set(err, LO_EINVAL, "no column of counts found");
        return lo_error_at(err, path, g.line[0]);
    }
    size_t n = g.rows - 1;
    out->n_items = n;
    out->n_classes = q;
    out->counts = lo_arena_calloc(arena, n ? n * q : 1, sizeof(double));
    out->class_names = lo_arena_alloc(arena, q * sizeof(char *));
    out->item_names = lo_arena_alloc(arena, (n ? n : 1) * sizeof(char *));
    if (!out->counts || !out->class_names || !out->item_names)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t c = 0; c < nh; c++)
        if (is_class[c])
            out->class_names[k++] = cstr(arena, g.cell[0][c]);
    for (size_t r = 1; r < g.rows; r++) {
        char rowname[32];
        snprintf(rowname, sizeof(rowname), "%zu", r);
        out->item_names[r - 1] =
            id_col >= 0 ? cstr(arena, cell_at(&g, r, (size_t)id_col)) : cstr(arena, lo_str_from(rowname));
        k = 0;
        for (size_t c = 0; c < nh; c++) {
            if (!is_class[c])
                continue;
            struct lo_str s = cell_at(&g, r, c);
            double v = 0;
            if (s.len && (!lo_str_to_double(s, &v) || v < 0)) {
                lo_error_field(err, LO_EINVAL, out->class_names[k],
                               "'%.*s' is not a count", (int)s.len, s.ptr);
                return lo_error_at(err, path, g.line[r]);
            }
            out->counts[(r - 1) * q + k] = v;
            k++;
        }
    }
    out->class_values = numeric_values(out->class_names, q, arena);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */

static bool all_numeric(const struct grid *g, size_t r, size_t from, size_t *count)
{
    double v;
    for (size_t c = from; c < g->ncols[r]; c++)
        if (!lo_str_to_double(g->cell[r][c], &v))
            return false;
    *count = g->ncols[r] > from ? g->ncols[r] - from : 0;
    return true;
}

int lo_agree_read_table(const char *path, enum lo_format fmt, double n_obs,
                        struct lo_arena *arena, struct lo_agree_table *out,
                        struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    struct grid g;
    int rc = read_grid(path, fmt, arena, &g, err);
    if (rc)
        return rc;
    size_t cnt = 0;
    /* A first row of numbers only is data, not a header (weight matrices often have none). */
    size_t first = all_numeric(&g, 0, 0, &cnt) && cnt >= 2 ? 0 : 1;
    size_t nd = g.rows - first;
    bool one_row = nd == 1 && all_numeric(&g, first, 0, &cnt) && cnt >= 4;
    if (one_row) {
        /* One row of q*q cells. */
        size_t q = (size_t)llround(sqrt((double)cnt));
        if (q * q != cnt) {
            lo_error_set(err, LO_EINVAL, "a one-row table needs q*q cells, found %zu", cnt);
            return lo_error_at(err, path, g.line[first]);
        }
        out->q = q;
        out->cells = lo_arena_alloc(arena, cnt * sizeof(double));
        out->class_names = lo_arena_alloc(arena, q * sizeof(char *));
        if (!out->cells || !out->class_names)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        for (size_t i = 0; i < cnt; i++)
            lo_str_to_double(g.cell[first][i], &out->cells[i]);
        for (size_t k = 0; k < q; k++) {
            char nm[32];
            snprintf(nm, sizeof(nm), "%zu", k + 1);
            out->class_names[k] = cstr(arena, lo_str_from(nm));
        }
    } else {
        /* A square matrix: each data row has q numbers, optionally after a row label. */
        size_t q = nd;
        if (q < 2) {
            lo_error_set(err, LO_EINVAL,
                         "a table is a header and q rows of q counts, or one row of q*q cells");
            return lo_error_at(err, path, g.line[0]);
        }
        out->q = q;
        out->cells = lo_arena_alloc(arena, q * q * sizeof(double));
        out->class_names = lo_arena_alloc(arena, q * sizeof(char *));
        if (!out->cells || !out->class_names)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        bool row_labels = false;
        for (size_t r = first; r < g.rows; r++) {
            size_t from = 0;
            if (!all_numeric(&g, r, 0, &cnt) || cnt == q + 1)
                from = 1;
            row_labels = row_labels || from == 1;
            if (!all_numeric(&g, r, from, &cnt) || cnt != q) {
                lo_error_set(err, LO_EINVAL, "row %zu of the table needs %zu numbers",
                             r - first + 1, q);
                return lo_error_at(err, path, g.line[r]);
            }
            for (size_t c = 0; c < q; c++)
                lo_str_to_double(g.cell[r][from + c], &out->cells[(r - first) * q + c]);
        }
        /* Category names: from the header when it has q of them after any corner cell, else
         * the row labels, else 1..q. */
        size_t nh = first ? g.ncols[0] : 0, off = nh > q ? nh - q : 0;
        for (size_t k = 0; k < q; k++) {
            char num[32];
            snprintf(num, sizeof(num), "%zu", k + 1);
            struct lo_str nm = nh >= q         ? g.cell[0][off + k]
                               : row_labels ? cell_at(&g, first + k, 0)
                                            : lo_str_from(num);
            out->class_names[k] = cstr(arena, nm);
        }
    }
    double total = 0;
    for (size_t i = 0; i < out->q * out->q; i++) {
        if (!isfinite(out->cells[i]) || out->cells[i] < 0) {
            lo_error_set(err, LO_EINVAL, "table cells must be non-negative numbers");
            return lo_error_at(err, path, g.line[one_row ? first : first + i / out->q]);
        }
        total += out->cells[i];
    }
    if (n_obs > 0) {
        if (fabs(total - 1.0) > 1e-6) {
            lo_error_set(err, LO_EINVAL,
                         "--n-obs scales proportions, but the table sums to %g, not 1", total);
            return lo_error_at(err, path, 0);
        }
        for (size_t i = 0; i < out->q * out->q; i++)
            out->cells[i] *= n_obs;
        total = n_obs;
        out->scaled = true;
    }
    out->total = total;
    out->class_values = numeric_values(out->class_names, out->q, arena);
    return 0;
}
