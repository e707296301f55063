/*
 * ratings.h - labels coded as dense integers: the one input shape every statistic in
 * quality/ takes. Pure data, no I/O; io/ratings_load.c fills it from a file, app/ from a
 * project.
 *
 * Ratings keep the order in which they were read, so "the first rating of an annotator on an
 * item" is well defined. Classes are sorted: in numeric order when every label is a number,
 * else in byte order; class_values holds the numbers (for ordinal/interval/ratio statistics).
 */
#ifndef LO_QUALITY_RATINGS_H
#define LO_QUALITY_RATINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lo_ratings {
    size_t n;                     /* number of ratings */
    uint32_t *item;               /* [n] in [0, n_items) */
    uint32_t *annotator;          /* [n] in [0, n_annotators) */
    uint32_t *label;              /* [n] in [0, n_classes) */
    size_t n_items, n_annotators, n_classes;
    const char **item_names;      /* [n_items], in order of first appearance */
    const char **annotator_names; /* [n_annotators], in order of first appearance */
    const char **class_names;     /* [n_classes], sorted as above */
    double *class_values;         /* [n_classes] the numbers when numeric, else NULL */
    bool numeric;                 /* every label parsed as a number */
    /* Known answers, or NULL when there are none: gold_names[i] is the gold text of item i
     * (NULL when unknown), gold[i] its class index or -1 when unknown or not a class seen. */
    const char **gold_names;
    int32_t *gold;
};

#endif

#include "base/arena.h"
#include "base/err.h"
#include "base/str.h"

/* Builds a struct lo_ratings from labels given as strings, interning names in a hash table.
 * All memory comes from the arena passed to init (the ratings live as long as it). */
struct lo_ratings_builder;

int lo_ratings_builder_new(struct lo_ratings_builder **out, struct lo_arena *arena);
/* Adds one rating. Fails with LO_ELIMIT past LO_LIMIT_LABEL bytes in a label. */
int lo_ratings_builder_add(struct lo_ratings_builder *b, struct lo_str item,
                           struct lo_str annotator, struct lo_str label, struct lo_error *err);
/* Records the known answer of an item (creating the item if it has no rating yet); a second
 * different gold for the same item is LO_EINVAL. */
int lo_ratings_builder_gold(struct lo_ratings_builder *b, struct lo_str item, struct lo_str gold,
                            struct lo_error *err);
/* Sorts the classes, recodes the labels and fills out. The builder is freed (its memory is in
 * the arena, so out stays valid). */
int lo_ratings_builder_finish(struct lo_ratings_builder *b, struct lo_ratings *out,
                              struct lo_error *err);
/* Frees a builder that will not be finished. */
void lo_ratings_builder_free(struct lo_ratings_builder *b);

/* Index of the class named name, or -1. */
int lo_ratings_class_index(const struct lo_ratings *r, const char *name);
