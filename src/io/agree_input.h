/*
 * agree_input.h - readers for the other shapes in which agreement data is published:
 * wide (one row per item, one column per annotator), counts (one row per item, one column per
 * category) and a two-annotator contingency table. Long format is io/ratings_load.h.
 *
 * Files are CSV or TSV and may start with '#' comment lines. A reader only reads: it never
 * computes a statistic. All memory comes from the caller's arena.
 */
#ifndef LO_IO_AGREE_INPUT_H
#define LO_IO_AGREE_INPUT_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "io/csv.h"
#include "quality/ratings.h"

/* Wide: the header names the annotators. A column named item, item_id, unit, units, subject,
 * patient, task, question or id (or item_field) holds item ids; without one, items are named
 * by row number; a column named group is ignored. Blank cells are missing ratings, and so are
 * cells equal to `missing` (NULL: "NA", as R writes them). When the first header cell is coder,
 * rater, annotator, observer or worker the layout is transposed (one row per annotator, one
 * column per unit, as in Krippendorff 2011). */
int lo_agree_read_wide(const char *path, enum lo_format fmt, const char *item_field,
                       const char *missing, struct lo_arena *arena, struct lo_ratings *out,
                       struct lo_error *err);

struct lo_agree_counts {
    size_t n_items, n_classes;
    double *counts;              /* [n_items * n_classes] */
    const char **class_names;    /* [n_classes], header order */
    double *class_values;        /* when every class name is a number, else NULL */
    const char **item_names;     /* [n_items] */
};

/* Counts: the header names the categories. Leading id columns are recognised by name (as for
 * wide, and group) or by holding a non-number, and left out. Cells are non-negative numbers. */
int lo_agree_read_counts(const char *path, enum lo_format fmt, const char *item_field,
                         struct lo_arena *arena, struct lo_agree_counts *out,
                         struct lo_error *err);

struct lo_agree_table {
    size_t q;
    double *cells;               /* [q * q], row = annotator A, column = annotator B */
    const char **class_names;    /* [q] */
    double *class_values;        /* when every class name is a number, else NULL */
    double total;
    bool scaled;                 /* proportions were multiplied by n_obs */
};

/* Table: either a square matrix (an optional header with the category names, then q rows of q
 * numbers, each optionally led by its category name), or one data row of q*q numbers in
 * row-major order (categories named 1..q). Also reads weight matrices. When n_obs > 0 the cells must be proportions (summing to 1) and are
 * multiplied by n_obs. */
int lo_agree_read_table(const char *path, enum lo_format fmt, double n_obs,
                        struct lo_arena *arena, struct lo_agree_table *out,
                        struct lo_error *err);

#endif
