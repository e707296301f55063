/*
 * disagree.h - where annotators disagree: which pairs of classes are confused most often, which
 * items are the most uncertain (to adjudicate, or to add to the guideline as edge cases), and how
 * each annotator's labels relate to a consensus label per item (a confusion matrix each).
 *
 * Pure: reads a struct lo_ratings (and, when the caller has one, a consensus and a posterior per
 * item from quality/inference.h) and writes into a caller-owned arena. No I/O, no state, never
 * NaN in a result: a rate with no denominator is reported as undefined. Formulas and edge cases:
 * docs/quality/disagreement.md.
 */
#ifndef LO_QUALITY_DISAGREE_H
#define LO_QUALITY_DISAGREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "quality/ratings.h"

/* Most cells (annotators x classes x classes) the per-annotator confusion matrices may hold;
 * past it LO_ELIMIT instead of exhausting memory. (Belongs in base/limits.h.) */
#define LO_DISAGREE_MAX_CONFUSION_CELLS ((size_t)64 * 1024 * 1024)

/* ---- confusion pairs ---- */

/* One unordered pair of classes {a, b}, a < b (class indices of the ratings). */
struct lo_confusion_pair {
    uint32_t a, b;
    size_t items;     /* items whose ratings include both a and b */
    double pairs;     /* disagreeing rating pairs: sum over items of n_ia * n_ib */
    double share;     /* items / items with at least two ratings */
};

/*
 * Every pair of classes given together on at least one item, ranked by items (decreasing), then
 * pairs (decreasing), then a, b. Every rating counts, repeated ratings of an item by one
 * annotator included. *n_multi receives the number of items with at least two ratings (the
 * denominator of share; when it is 0 the list is empty).
 * Memory: *out from arena. Errors: LO_EINVAL (a code out of range), LO_ELIMIT (more than
 * LO_LIMIT_CLASSES_STATS classes), LO_ENOMEM.
 */
int lo_confusion_pairs(const struct lo_ratings *r, struct lo_arena *arena,
                       struct lo_confusion_pair **out, size_t *n_out, size_t *n_multi,
                       struct lo_error *err);

/* ---- uncertain items ---- */

struct lo_item_uncertainty {
    uint32_t item;
    uint32_t n_ratings;
    double entropy;      /* bits: -sum_k p_k log2 p_k */
    double normalized;   /* entropy / log2(n_classes); 0 when there is one class */
    uint32_t top;        /* the most probable class (ties: the lowest index) */
    double top_p;        /* its probability */
};

/*
 * Items with at least one rating, ranked by entropy (decreasing; values within 1e-12 count as
 * equal), then by number of ratings (decreasing: the same split among more annotators is stronger
 * evidence of a hard item), then by item index. The distribution of item i is row i of posterior
 * (n_items x n_classes, rows summing to 1, e.g. lo_infer_result.posterior) or, when posterior is
 * NULL, the item's vote shares n_ik / n_i.
 * Memory: *out (n_out entries) from arena. Errors: LO_EINVAL (a code out of range, a posterior
 * row with a negative or non-finite entry), LO_ENOMEM.
 */
int lo_items_by_entropy(const struct lo_ratings *r, const double *posterior,
                        struct lo_arena *arena, struct lo_item_uncertainty **out, size_t *n_out,
                        struct lo_error *err);

/* ---- per-annotator confusion against a consensus ---- */

struct lo_annotator_confusion {
    size_t n_annotators, n_classes;
    /* counts[(a * K + k) * K + l]: ratings by annotator a with label l on items whose consensus
     * is k. Every rating counts. */
    uint32_t *counts;
    uint32_t *compared;   /* [n_annotators] ratings on items with a consensus */
    uint32_t *agreed;     /* [n_annotators] of which equal to the consensus */
    size_t skipped;       /* ratings on items without a consensus (consensus[i] < 0) */
};

/*
 * Fills out from r and consensus[n_items] (a class index, or -1 for none). The consensus is
 * usually built from the same ratings, the annotator's own included, so agreement with it is
 * biased upwards, most for items with few ratings (see the docs).
 * Memory from arena. Errors: LO_EINVAL (a consensus or rating code out of range), LO_ELIMIT (past
 * LO_DISAGREE_MAX_CONFUSION_CELLS), LO_ENOMEM.
 */
int lo_annotator_confusion(const struct lo_ratings *r, const int32_t *consensus,
                           struct lo_arena *arena, struct lo_annotator_confusion *out,
                           struct lo_error *err);

/* Agreement of annotator a with the consensus: true and *rate = agreed / compared, or false when
 * the annotator has no compared rating (undefined, never NaN). */
bool lo_annotator_agreement(const struct lo_annotator_confusion *c, size_t a, double *rate);

/* ---- vote shares ---- */

/*
 * The vote-share consensus: shares[i * K + k] = n_ik / n_i and label[i] the class with the most
 * votes (ties: the lowest class index, i.e. the lowest label in numeric or byte order), -1 for
 * an item without ratings (its share row is all zero). Either output may be NULL.
 * Memory from arena. Errors: LO_EINVAL, LO_ELIMIT (n_items x n_classes too large), LO_ENOMEM.
 */
int lo_vote_shares(const struct lo_ratings *r, struct lo_arena *arena, double **shares,
                   int32_t **label, struct lo_error *err);

#endif
