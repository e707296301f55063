/*
 * labels.h - reading labels in long format: one row per (item, annotator, label), from CSV,
 * TSV or JSONL. Shared by `import labels`, `agree` and `aggregate`, so the same file reads the
 * same way everywhere.
 *
 * Column names recognised (case-insensitive): item: item, item_id, task, question, orig_id,
 * unit, subject, patient; annotator: annotator, worker, worker_id, !amt_worker_ids, rater,
 * coder, observer, user; label: label, answer, response, value, rating; gold: gold, truth,
 * gold_label. Flags name other columns. For JSONL the same names are object keys; numbers and
 * booleans are read as their JSON text.
 */
#ifndef LO_IO_LABELS_H
#define LO_IO_LABELS_H

#include <stdbool.h>

#include "base/err.h"
#include "base/str.h"
#include "io/csv.h"

struct lo_label_mapping {
    const char *item_field;       /* NULL: recognise by name */
    const char *annotator_field;
    const char *label_field;
    const char *gold_field;       /* NULL: a column named gold/truth/gold_label if present */
};

struct lo_label_row {
    struct lo_str item;
    struct lo_str annotator;
    struct lo_str label;
    struct lo_str gold;           /* empty when the file has no gold column or the cell is blank */
    bool has_gold;
    long line;                    /* first line of the record in the file */
};

struct lo_label_reader;

/* Opens path ("-" is stdin) in format fmt (LO_FMT_AUTO: by extension, else CSV) and reads the
 * header. A missing required column is LO_EINVAL naming the columns that were found. */
int lo_label_reader_open(struct lo_label_reader **out, const char *path, enum lo_format fmt,
                         const struct lo_label_mapping *map, struct lo_error *err);
/* 1 with *row set (views valid until the next call), 0 at end, < 0 on error (err: file:line).
 * A row with an empty item, annotator or label is an error naming the column. */
int lo_label_reader_next(struct lo_label_reader *r, struct lo_label_row *row,
                         struct lo_error *err);
/* Whether the file has a gold column. */
bool lo_label_reader_has_gold(const struct lo_label_reader *r);
void lo_label_reader_close(struct lo_label_reader *r);

#endif
