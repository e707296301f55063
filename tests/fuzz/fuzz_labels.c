/*
 * fuzz_labels.c - libFuzzer target: the long-format label reader (io/labels.h) in CSV, TSV and
 * JSONL, and lo_ratings_load (io/ratings_load.h) with and without a gold file.
 *
 * The readers open paths, so each input is written to files in a per-process temporary
 * directory (created once, removed at exit). The input is split at its first form feed
 * (0x0C): the bytes before it are the label file, the bytes after it the gold file; without a
 * form feed the whole input serves as both. Besides "no crash, no leak", every run checks:
 *
 *   reader   every row has a non-empty, trimmed item, annotator and label, a label of at most
 *            LO_LIMIT_LABEL bytes, has_gold only with a non-empty gold, and a line number
 *            > 0 that grows from row to row; an error has err.code == rc, a line > 0 and the
 *            file name.
 *   load     it succeeds only when the reader read the whole file; then n is the number of
 *            rows and every rating decodes back to the row's item, annotator and label texts;
 *            when it fails, the error has a line > 0, no later than the reader's error line.
 *            Without the reader failing, only the class cap or two different gold labels for
 *            one item may make it fail.
 *   ratings  every coded index is < n_items / n_annotators / n_classes; items and annotators
 *            are numbered in order of first appearance and their names are distinct; every
 *            class is used; classes are sorted (numeric order, ties in byte order, when every
 *            label is a number; else strictly in byte order) and class_values match the names;
 *            lo_ratings_class_index finds each class; gold indices agree with gold names.
 *
 * Cross-checks compare names as C strings, the way every consumer of struct lo_ratings reads
 * them. The readers refuse NUL bytes since this target found names cut at them (inputs kept in
 * the seed corpus as regressions); -DLO_FUZZ_TOLERATE_NUL, which skipped the name checks while
 * the bug was open, is kept for triage only: scripts/fuzz.sh builds without it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/limits.h"
#include "io/labels.h"
#include "io/ratings_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_labels: invariant failed at line %d: %s\n", __LINE__,      \
                    #cond);                                                                   \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Temporary files: one directory per process, fixed file names, removed at exit. */

/* Whether names may be compared as C strings for this input (see LO_FUZZ_TOLERATE_NUL). */
static bool names_comparable = true;

static char tmp_dir[256];
static char path_labels[300], path_gold_csv[300], path_gold_tsv[300];

static void remove_tmp(void)
{
    unlink(path_labels);
    unlink(path_gold_csv);
    unlink(path_gold_tsv);
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
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/fuzz_labels.XXXXXX", base);
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        abort();
    }
    /* The label file has no extension: the format is always passed explicitly. The gold
     * file's format comes from its extension, so there is one of each. */
    snprintf(path_labels, sizeof(path_labels), "%s/labels", tmp_dir);
    snprintf(path_gold_csv, sizeof(path_gold_csv), "%s/gold.csv", tmp_dir);
    snprintf(path_gold_tsv, sizeof(path_gold_tsv), "%s/gold.tsv", tmp_dir);
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
/* Rows as the reader returned them, copied. */

struct row_copy {
    char *item, *annotator, *label, *gold;
    size_t item_len, annotator_len, label_len, gold_len;
    bool has_gold;
    long line;
};

struct read_result {
    struct row_copy *rows;
    size_t n, cap;
    int rc;                       /* 0: read to the end; < 0: the error */
    long err_line;
};

static char *dup_view(struct lo_str s)
{
    char *p = malloc(s.len + 1);
    CHECK(p);
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static void free_result(struct read_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        free(res->rows[i].item);
        free(res->rows[i].annotator);
        free(res->rows[i].label);
        free(res->rows[i].gold);
    }
    free(res->rows);
    memset(res, 0, sizeof(*res));
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_trimmed(struct lo_str s)
{
    return s.len == 0 || (!is_space(s.ptr[0]) && !is_space(s.ptr[s.len - 1]));
}

/* Same bytes, read as the C string a consumer of struct lo_ratings sees. */
static bool name_is(const char *name, const char *text, size_t len)
{
    if (!names_comparable)
        return name != NULL;
    return name && strlen(name) == len && memcmp(name, text, len) == 0;
}

static void check_error(int rc, const struct lo_error *err, const char *path)
{
    CHECK(rc < 0);
    CHECK(err->code == rc);
    CHECK(err->msg[0] != '\0');
    if (rc == LO_ENOMEM)
        return;
    CHECK(err->line > 0);
    CHECK(strcmp(err->file, path) == 0);
}

static void read_all(enum lo_format fmt, const struct lo_label_mapping *map,
                     struct read_result *res)
{
    struct lo_error err;
    struct lo_label_reader *r = NULL;
    memset(res, 0, sizeof(*res));
    lo_error_clear(&err);
    int rc = lo_label_reader_open(&r, path_labels, fmt, map, &err);
    if (rc) {
        check_error(rc, &err, path_labels);
        res->rc = rc;
        res->err_line = err.line;
        return;
    }
    long last_line = 0;
    struct lo_label_row row;
    for (;;) {
        rc = lo_label_reader_next(r, &row, &err);
        if (rc <= 0)
            break;
        CHECK(rc == 1);
        CHECK(row.line > last_line);
        last_line = row.line;
        CHECK(row.item.len > 0 && row.annotator.len > 0 && row.label.len > 0);
        CHECK(is_trimmed(row.item) && is_trimmed(row.annotator) && is_trimmed(row.label));
        CHECK(is_trimmed(row.gold));
        CHECK(row.label.len <= LO_LIMIT_LABEL);
        CHECK(row.has_gold == (row.gold.len > 0));
        if (row.has_gold)
            CHECK(lo_label_reader_has_gold(r));
        if (res->n == res->cap) {
            res->cap = res->cap ? res->cap * 2 : 64;
            res->rows = realloc(res->rows, res->cap * sizeof(*res->rows));
            CHECK(res->rows);
        }
        struct row_copy *c = &res->rows[res->n++];
        c->item = dup_view(row.item);
        c->item_len = row.item.len;
        c->annotator = dup_view(row.annotator);
        c->annotator_len = row.annotator.len;
        c->label = dup_view(row.label);
        c->label_len = row.label.len;
        c->gold = dup_view(row.gold);
        c->gold_len = row.gold.len;
        c->has_gold = row.has_gold;
        c->line = row.line;
    }
    if (rc < 0) {
        check_error(rc, &err, path_labels);
        CHECK(err.line >= last_line);
        res->err_line = err.line;
    }
    res->rc = rc;
    lo_label_reader_close(r);
}

/* ------------------------------------------------------------------------------------------ */
/* Invariants of struct lo_ratings, whoever built it. */

#include "fuzz_ratings_checks.h"


/* ------------------------------------------------------------------------------------------ */

/* The ratings hold exactly the rows the reader returned, in order. */
static void check_against_rows(const struct lo_ratings *r, const struct read_result *res)
{
    CHECK(r->n == res->n);
    for (size_t i = 0; i < res->n; i++) {
        const struct row_copy *c = &res->rows[i];
        CHECK(name_is(r->item_names[r->item[i]], c->item, c->item_len));
        CHECK(name_is(r->annotator_names[r->annotator[i]], c->annotator, c->annotator_len));
        CHECK(name_is(r->class_names[r->label[i]], c->label, c->label_len));
        if (c->has_gold) {
            CHECK(r->gold_names);
            CHECK(name_is(r->gold_names[r->item[i]], c->gold, c->gold_len));
        }
    }
}

/* A gold conflict reported at line must be real: the row there gives an item a gold label
 * that differs from the one an earlier row gave it. */
static void check_gold_conflict(const struct read_result *res, long line)
{
    if (!names_comparable)
        return;
    for (size_t j = 0; j < res->n; j++) {
        const struct row_copy *b = &res->rows[j];
        if (b->line != line || !b->has_gold)
            continue;
        for (size_t i = 0; i < j; i++) {
            const struct row_copy *a = &res->rows[i];
            if (a->has_gold && a->item_len == b->item_len &&
                memcmp(a->item, b->item, a->item_len) == 0 &&
                (a->gold_len != b->gold_len || memcmp(a->gold, b->gold, a->gold_len) != 0))
                return;
        }
    }
    CHECK(!"a gold conflict without two different gold labels for one item");
}

/* Loads the label file (and gold_path when not NULL) and checks the outcome against the rows
 * the reader returned; without_gold_ok tells whether the load without a gold file succeeded.
 * Returns lo_ratings_load's result. */
static int run_load(enum lo_format fmt, const struct read_result *res, const char *gold_path,
                    bool without_gold_ok)
{
    struct lo_arena arena;
    struct lo_ratings out;
    struct lo_error err;
    lo_arena_init(&arena, 16 * 1024);
    lo_error_clear(&err);
    int rc = lo_ratings_load(path_labels, fmt, NULL, gold_path, &arena, &out, &err);
    if (rc == 0) {
        CHECK(res->rc == 0);
        if (gold_path)
            CHECK(without_gold_ok);
        check_ratings(&out, gold_path != NULL);
        check_against_rows(&out, res);
    } else {
        CHECK(rc < 0 && err.code == rc);
        if (rc != LO_ENOMEM)
            CHECK(err.line > 0);
        if (res->rc < 0) {
            CHECK(strcmp(err.file, path_labels) == 0);
            CHECK(err.line <= res->err_line);
        } else if (!gold_path || strcmp(err.file, gold_path) != 0) {
            /* The label file read cleanly: only coding the rows can have failed. */
            CHECK(strcmp(err.file, path_labels) == 0);
            CHECK(rc == LO_ELIMIT || (rc == LO_EINVAL && strcmp(err.field, "gold") == 0));
            CHECK(res->n > 0 && err.line <= res->rows[res->n - 1].line);
            if (rc == LO_EINVAL)
                check_gold_conflict(res, err.line);
        }
    }
    lo_arena_free(&arena);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_tmp();
#ifdef LO_FUZZ_TOLERATE_NUL
    names_comparable = memchr(data, '\0', size) == NULL;
#endif
    const uint8_t *ff = memchr(data, '\f', size);
    size_t label_len = ff ? (size_t)(ff - data) : size;
    const uint8_t *gold = ff ? ff + 1 : data;
    size_t gold_len = ff ? size - label_len - 1 : size;
    write_file(path_labels, data, label_len);

    /* Every input is read in the format it looks like (JSONL when it starts with '{', TSV when
     * its first line holds a tab, else CSV): the reader, lo_ratings_load without and with a gold
     * file (JSONL takes gold.csv), and for odd sizes the reader with named columns (as
     * --item-field etc. give them: the "named but missing" paths). It is also read and loaded
     * in one of the two other formats, chosen by size. Choosing by size keeps a run near five
     * reads (the bounded run stays quick) while mutations reach every combination. */
    static const struct lo_label_mapping named = { "question", "worker", "answer", "truth" };
    size_t lead = 0;
    while (lead < size && is_space((char)data[lead]))
        lead++;
    const uint8_t *nl = memchr(data, '\n', label_len);
    bool tab = memchr(data, '\t', nl ? (size_t)(nl - data) : label_len) != NULL;
    enum lo_format natural = lead < label_len && data[lead] == '{' ? LO_FMT_JSONL
                             : tab                                ? LO_FMT_TSV
                                                                  : LO_FMT_CSV;
    static const enum lo_format others[3][2] = { { LO_FMT_TSV, LO_FMT_JSONL },
                                                 { LO_FMT_CSV, LO_FMT_JSONL },
                                                 { LO_FMT_CSV, LO_FMT_TSV } };
    enum lo_format other = others[natural - LO_FMT_CSV][(size / 2) % 2];
    const char *gold_path = natural == LO_FMT_TSV ? path_gold_tsv : path_gold_csv;
    write_file(gold_path, gold, gold_len);

    struct read_result res;
    if (size % 2 == 1) {
        read_all(natural, &named, &res);
        free_result(&res);
    }
    read_all(natural, NULL, &res);
    int rc = run_load(natural, &res, NULL, false);
    run_load(natural, &res, gold_path, rc == 0);
    free_result(&res);

    read_all(other, NULL, &res);
    run_load(other, &res, NULL, false);
    free_result(&res);
    return 0;
}
