/*
 * fuzz_agree_input.c - libFuzzer target: the wide, counts and table readers behind
 * `labelops agree --input` (io/agree_input.h), over CSV and TSV.
 *
 * The readers open paths, so each input is written to one file in a per-process temporary
 * directory (created once, removed at exit); the format is passed explicitly (the one the
 * input looks like, sometimes the other one and other options: see LLVMFuzzerTestOneInput).
 * An independent reading of the same bytes with the CSV reader (the "grid": records after the
 * comment preamble, '#' records dropped, cells trimmed) is the oracle. Besides "no crash, no
 * leak", every run checks:
 *
 *   all      an error has err.code == rc and a line > 0, except the empty file (no record
 *            at all: line 0); JSONL is refused with LO_EUSAGE before the file is opened.
 *   wide     on success, n is exactly the number of rating cells the grid holds (not blank,
 *            not the missing marker, not in the item, group or transposed name column), and
 *            the struct lo_ratings invariants hold: coded indices < n_items / n_annotators /
 *            n_classes, first-appearance numbering, distinct names, every class used, classes
 *            sorted (numeric order with byte-order ties when every label is a number, else byte
 *            order), class_values matching, lo_ratings_class_index finding each class, no
 *            gold. It fails when the grid has a row longer than the header.
 *   counts   on success, n_items is the number of data records, 1 <= n_classes <= header
 *            columns, every count is finite and >= 0, names are set, class_values is set
 *            exactly when every class name is a number and matches the names.
 *   table    on success, q >= 2 and q is the number of data records (square form) or q*q
 *            cells sit in the one data record; cells are finite and >= 0; total is their sum
 *            (n_obs when scaled, and then the cells sum to n_obs); class_values as above.
 *
 * The two reader bugs this target found (names cut at a NUL byte; a table cell error without
 * its line) are fixed; their inputs stay in the seed corpus as regressions. The
 * -DLO_FUZZ_TOLERATE_* switches that let the target run while they were open are kept for
 * triage only: scripts/fuzz.sh builds without them.
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/limits.h"
#include "io/agree_input.h"
#include "io/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_agree_input: invariant failed at line %d: %s\n", __LINE__, \
                    #cond);                                                                   \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Whether names may be compared as C strings for this input (see LO_FUZZ_TOLERATE_NUL). */
static bool names_comparable = true;

/* ------------------------------------------------------------------------------------------ */
/* One temporary file per process, removed at exit. */

static char tmp_dir[256];
static char path_grid[300];

static void remove_tmp(void)
{
    unlink(path_grid);
    rmdir(tmp_dir);
}

static void make_tmp(void)
{
    if (tmp_dir[0])
        return;
    /* $TMPDIR, else /dev/shm (memory, no disk) when there is one, else /tmp. */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/fuzz_agree.XXXXXX", base);
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        abort();
    }
    snprintf(path_grid, sizeof(path_grid), "%s/input", tmp_dir);
    atexit(remove_tmp);
}

/* A new file each time: truncating and rewriting a file makes ext4 (auto_da_alloc) flush it
 * at close, which turned a 10 s run into a minute of waiting on the disk. */
static void write_file(const char *path, const uint8_t *p, size_t n)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            perror(path);
            abort();
        }
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

/* ------------------------------------------------------------------------------------------ */
/* The oracle: the records of the input as the readers should see them. */

struct grid {
    size_t rows;
    size_t *ncols;     /* [rows] */
    size_t *first;     /* [rows] index of the row's first cell in off / len */
    size_t *off, *len; /* [cells] a trimmed cell: text + off, len bytes */
    char *text;        /* every cell's bytes; one buffer, so a run costs few mallocs */
    size_t cells, cells_cap, rows_cap, text_len, text_cap;
    bool ok;           /* the CSV reader read to the end */
};

static void grid_free(struct grid *g)
{
    free(g->ncols);
    free(g->first);
    free(g->off);
    free(g->len);
    free(g->text);
    memset(g, 0, sizeof(*g));
}

static void grid_add_row(struct grid *g, const struct lo_str *fl, size_t n)
{
    if (g->rows == g->rows_cap) {
        g->rows_cap = g->rows_cap ? g->rows_cap * 2 : 16;
        g->ncols = realloc(g->ncols, g->rows_cap * sizeof(*g->ncols));
        g->first = realloc(g->first, g->rows_cap * sizeof(*g->first));
        CHECK(g->ncols && g->first);
    }
    g->ncols[g->rows] = n;
    g->first[g->rows] = g->cells;
    g->rows++;
    for (size_t c = 0; c < n; c++) {
        struct lo_str t = lo_str_trim(fl[c]);
        if (g->cells == g->cells_cap) {
            g->cells_cap = g->cells_cap ? g->cells_cap * 2 : 64;
            g->off = realloc(g->off, g->cells_cap * sizeof(*g->off));
            g->len = realloc(g->len, g->cells_cap * sizeof(*g->len));
            CHECK(g->off && g->len);
        }
        while (g->text_len + t.len > g->text_cap) {
            g->text_cap = g->text_cap ? g->text_cap * 2 : 1024;
            g->text = realloc(g->text, g->text_cap);
            CHECK(g->text);
        }
        if (t.len)
            memcpy(g->text + g->text_len, t.ptr, t.len);
        g->off[g->cells] = g->text_len;
        g->len[g->cells] = t.len;
        g->text_len += t.len;
        g->cells++;
    }
}

static void grid_read(const uint8_t *data, size_t size, char delim, struct grid *g)
{
    memset(g, 0, sizeof(*g));
    if (!size) {
        g->ok = true;
        return;
    }
    FILE *f = fmemopen((void *)data, size, "rb");
    CHECK(f);
    struct lo_csv_reader csv;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK(lo_csv_open(&csv, f, "grid", delim, delim == ',', &err) == 0);
    int rc = lo_csv_skip_comments(&csv, &err);
    while (rc >= 0) {
        struct lo_str *fl;
        size_t n;
        rc = lo_csv_next(&csv, &fl, &n, &err);
        if (rc <= 0)
            break;
        if (n >= 1 && fl[0].len > 0 && fl[0].ptr[0] == '#')
            continue;
        grid_add_row(g, fl, n);
    }
    g->ok = rc == 0;
    lo_csv_close(&csv);
    fclose(f);
}

static struct lo_str grid_at(const struct grid *g, size_t r, size_t c)
{
    if (c >= g->ncols[r])
        return (struct lo_str){ "", 0 };
    size_t k = g->first[r] + c;
    if (g->len[k] == 0) /* g->text is NULL while every cell is empty */
        return (struct lo_str){ "", 0 };
    return (struct lo_str){ g->text + g->off[k], g->len[k] };
}

static bool name_in(struct lo_str s, const char *const *names)
{
    for (const char *const *n = names; *n; n++)
        if (lo_str_ieq_cstr(s, *n))
            return true;
    return false;
}

static void check_error(int rc, const struct lo_error *err, const struct grid *g)
{
    CHECK(rc < 0);
    CHECK(err->code == rc);
    CHECK(err->msg[0] != '\0');
    if (rc == LO_ENOMEM)
        return;
    if (err->line == 0) {
        /* Only an error about no record at all, or about the whole table, has no line. */
        bool whole_file = g->ok && g->rows == 0;
        bool whole_table = strstr(err->msg, "--n-obs scales proportions") != NULL;
#ifdef LO_FUZZ_TOLERATE_TABLE_LINE0
        whole_table = whole_table || strstr(err->msg, "must be non-negative numbers") != NULL;
#endif
        CHECK(whole_file || whole_table);
    }
    CHECK(strcmp(err->file, path_grid) == 0);
}

/* Class values when every name is a number: set exactly then, and matching the names. */
static void check_class_values(const char **names, const double *values, size_t n)
{
    bool all_numbers = true;
    for (size_t k = 0; k < n; k++) {
        double v;
        CHECK(names[k]);
        if (!lo_str_to_double(lo_str_from(names[k]), &v))
            all_numbers = false;
        else if (values)
            CHECK(values[k] == v);
    }
    CHECK((values != NULL) == all_numbers);
}

/* ------------------------------------------------------------------------------------------ */
/* Invariants of struct lo_ratings, whoever built it. */

#include "fuzz_ratings_checks.h"


/* ------------------------------------------------------------------------------------------ */
/* Wide. */

static const char *const item_names[] = { "item",    "item_id", "unit",     "units", "subject",
                                          "patient", "task",    "question", "id",    NULL };
static const char *const annotator_row_names[] = { "coder",    "coders", "rater", "annotator",
                                                   "observer", "worker", NULL };

/* The number of ratings the grid holds for the wide reader, or -1 when it must fail. */
static long wide_expected(const struct grid *g, const char *item_field, const char *missing)
{
    if (!g->ok || g->rows == 0)
        return -1;
    size_t nh = g->ncols[0];
    bool transposed = nh > 0 && name_in(grid_at(g, 0, 0), annotator_row_names);
    long item_col = -1;
    for (size_t c = 0; c < nh && !transposed; c++) {
        struct lo_str h = grid_at(g, 0, c);
        if (item_field ? lo_str_eq_cstr(h, item_field) : name_in(h, item_names)) {
            item_col = (long)c;
            break;
        }
    }
    if (item_field && !transposed && item_col < 0)
        return -1;
    long n = 0;
    for (size_t r = 1; r < g->rows; r++) {
        if (g->ncols[r] > nh)
            return -1;
        for (size_t c = 0; c < g->ncols[r]; c++) {
            if ((long)c == item_col || (transposed && c == 0))
                continue;
            if (!transposed && lo_str_ieq_cstr(grid_at(g, 0, c), "group"))
                continue;
            struct lo_str v = grid_at(g, r, c);
            if (v.len == 0 || lo_str_eq_cstr(v, missing))
                continue;
            struct lo_str item = transposed ? grid_at(g, 0, c)
                                 : item_col >= 0 ? grid_at(g, r, (size_t)item_col)
                                                 : LO_STR_LIT("row");
            struct lo_str annotator = transposed ? grid_at(g, r, 0) : grid_at(g, 0, c);
            if (item.len == 0 || annotator.len == 0)
                return -1;
            n++;
        }
    }
    return n;
}

static void run_wide(const struct grid *g, enum lo_format fmt, const char *item_field,
                     const char *missing)
{
    struct lo_arena arena;
    struct lo_ratings out;
    struct lo_error err;
    lo_arena_init(&arena, 16 * 1024);
    lo_error_clear(&err);
    int rc = lo_agree_read_wide(path_grid, fmt, item_field, missing, &arena, &out, &err);
    long expected = wide_expected(g, item_field, missing ? missing : "NA");
    if (rc == 0) {
        CHECK(expected >= 0 && out.n == (size_t)expected);
        check_ratings(&out, false);
        CHECK(out.gold == NULL && out.gold_names == NULL);
        if (out.n_annotators)
            CHECK(out.n_annotators <= (g->ncols[0] > g->rows ? g->ncols[0] : g->rows));
    } else {
        check_error(rc, &err, g);
        /* Otherwise only the class cap (LO_LIMIT_CLASSES_STATS) may stop it. */
        CHECK(expected < 0 || rc == LO_ELIMIT);
    }
    lo_arena_free(&arena);
}

/* ------------------------------------------------------------------------------------------ */
/* Counts. */

static void run_counts(const struct grid *g, enum lo_format fmt, const char *item_field)
{
    struct lo_arena arena;
    struct lo_agree_counts out;
    struct lo_error err;
    lo_arena_init(&arena, 16 * 1024);
    lo_error_clear(&err);
    int rc = lo_agree_read_counts(path_grid, fmt, item_field, &arena, &out, &err);
    if (rc == 0) {
        CHECK(g->ok && g->rows >= 1);
        CHECK(out.n_items == g->rows - 1);
        CHECK(out.n_classes >= 1 && out.n_classes <= g->ncols[0]);
        CHECK(out.counts && out.class_names && out.item_names);
        for (size_t i = 0; i < out.n_items * out.n_classes; i++)
            CHECK(isfinite(out.counts[i]) && out.counts[i] >= 0);
        for (size_t i = 0; i < out.n_items; i++)
            CHECK(out.item_names[i]);
        check_class_values(out.class_names, out.class_values, out.n_classes);
    } else {
        check_error(rc, &err, g);
    }
    lo_arena_free(&arena);
}

/* ------------------------------------------------------------------------------------------ */
/* Table. */

static void run_table(const struct grid *g, enum lo_format fmt, double n_obs)
{
    struct lo_arena arena;
    struct lo_agree_table out;
    struct lo_error err;
    lo_arena_init(&arena, 16 * 1024);
    lo_error_clear(&err);
    int rc = lo_agree_read_table(path_grid, fmt, n_obs, &arena, &out, &err);
    if (rc == 0) {
        CHECK(g->ok && g->rows >= 1);
        CHECK(out.q >= 2 && out.cells && out.class_names);
        /* The data records: all of them, or all but a header. */
        size_t q = out.q;
        bool square = g->rows == q || g->rows == q + 1;
        bool one_row = (g->rows == 1 || g->rows == 2) && g->ncols[g->rows - 1] == q * q;
        CHECK(square || one_row);
        double sum = 0;
        for (size_t i = 0; i < q * q; i++) {
            CHECK(isfinite(out.cells[i]) && out.cells[i] >= 0);
            sum += out.cells[i];
        }
        CHECK(out.scaled == (n_obs > 0));
        if (out.scaled) {
            CHECK(out.total == n_obs);
            CHECK(fabs(sum - n_obs) <= 1e-6 * n_obs + 1e-9);
        } else {
            CHECK(out.total == sum);
        }
        for (size_t k = 0; k < q; k++)
            CHECK(out.class_names[k]);
        check_class_values(out.class_names, out.class_values, q);
    } else {
        check_error(rc, &err, g);
    }
    lo_arena_free(&arena);
}

/* ------------------------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_tmp();
#ifdef LO_FUZZ_TOLERATE_NUL
    names_comparable = memchr(data, '\0', size) == NULL;
#endif
    write_file(path_grid, data, size);

    /* Every input is read in the format it looks like, with default options; one in four
     * (size % 4 == 1) also with named columns, another missing marker and proportions scaled
     * to 200 observations, and one in eight (size % 8 == 2) also in the other format.
     * Choosing by size keeps a run near four reads (the bounded run stays quick) while
     * mutations reach every combination; the CSV layer itself is fuzz_csv's business. */
    const uint8_t *nl = memchr(data, '\n', size);
    bool tab = memchr(data, '\t', nl ? (size_t)(nl - data) : size) != NULL;
    enum lo_format natural = tab ? LO_FMT_TSV : LO_FMT_CSV;
    enum lo_format other = tab ? LO_FMT_CSV : LO_FMT_TSV;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && size % 8 != 2)
            break;
        enum lo_format fmt = pass == 0 ? natural : other;
        struct grid g;
        grid_read(data, size, fmt == LO_FMT_TSV ? '\t' : ',', &g);
        run_wide(&g, fmt, NULL, NULL);
        run_counts(&g, fmt, NULL);
        run_table(&g, fmt, 0);
        if (pass == 0 && size % 4 == 1) {
            run_wide(&g, fmt, "item", ".");
            run_counts(&g, fmt, "subject");
            run_table(&g, fmt, 200);
        }
        grid_free(&g);
    }

    /* JSONL is refused before the file is read. */
    struct lo_arena arena;
    struct lo_ratings out;
    struct lo_error err;
    lo_arena_init(&arena, 4096);
    lo_error_clear(&err);
    CHECK(lo_agree_read_wide(path_grid, LO_FMT_JSONL, NULL, NULL, &arena, &out, &err) ==
          LO_EUSAGE);
    lo_arena_free(&arena);
    return 0;
}
