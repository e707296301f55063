/*
 * compare.h - comparators for structured labels: exact match of plain values, Jaccard for
 * multi-label sets, text spans (exact and position-overlap F1) and bounding boxes (IoU with
 * matching at a threshold), and precision/recall/F1 of one set against another.
 *
 * Used by agreement, gold scoring and consolidation. Pure C on plain structs: this module never
 * parses JSON, never touches the store and keeps no state. Degenerate geometry (a box with
 * w <= 0 or h <= 0, a span with end <= start, non-finite coordinates) is rejected with
 * LO_EINVAL rather than scored. The formulas, sources and edge cases are in
 * docs/quality/structured.md.
 *
 * Conventions every function here keeps:
 * - "pred" is the set being judged and "ref" the reference (gold, or the other annotator);
 *   precision = tp / |pred|, recall = tp / |ref|, F1 = 2 tp / (|pred| + |ref|).
 * - Empty against empty is perfect agreement: precision = recall = F1 = 1 and Jaccard = 1
 *   (both annotators said "nothing here", which is an answer). Empty against non-empty is 0.
 * - Scratch memory is malloc'ed and freed inside each call; LO_ENOMEM when it fails.
 *   Functions are reentrant and thread-safe on distinct outputs.
 */
#ifndef LO_QUALITY_COMPARE_H
#define LO_QUALITY_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/str.h"

/* An axis-aligned box: (x, y) the top-left corner, w and h > 0, in any one unit (pixels). */
struct lo_box {
    double x, y, w, h;
    int cls;
};

/* A text span over positions [start, end) (end exclusive, start < end). Positions are whatever
 * the caller counts in: character offsets give character-level overlap, token indices give
 * token-level overlap (see lo_spans_prf_overlap). */
struct lo_span {
    size_t start, end;
    int cls;
};

/* Precision, recall and F1 of pred against ref, with the counts they came from. */
struct lo_prf {
    size_t tp;       /* matched objects, or overlapping positions for overlap F1 */
    size_t n_pred;   /* objects (or positions) in pred */
    size_t n_ref;    /* objects (or positions) in ref */
    double precision, recall, f1;
};

/* Fills out from counts (tp <= n_pred, tp <= n_ref), with the empty conventions above:
 * both empty gives 1, 1, 1; one side empty gives 0 for all three. Never NaN. */
void lo_prf_from_counts(size_t tp, size_t n_pred, size_t n_ref, struct lo_prf *out);

/* ---- class sets (multi-label answers) ---- */

/* Jaccard index |A n B| / |A u B| of two sets of class codes (duplicates ignored).
 * Both empty: 1. */
int lo_jaccard(const int *a, size_t na, const int *b, size_t nb, double *out,
               struct lo_error *err);

/* ---- spans ---- */

/* LO_EINVAL naming the offending span when one has end <= start. */
int lo_spans_validate(const struct lo_span *s, size_t n, struct lo_error *err);

/* Exact match: a pred span counts as a true positive when a ref span has the same start, end
 * and class, each ref span matching at most one pred span (multiset intersection, so a
 * duplicated span counts once as a match and once as a false positive). */
int lo_spans_prf_exact(const struct lo_span *pred, size_t n_pred, const struct lo_span *ref,
                       size_t n_ref, struct lo_prf *out, struct lo_error *err);

/* Overlap F1 at the level of positions: each side becomes the set of (position, class) pairs
 * its spans cover (overlapping spans of one class on one side count a position once);
 * tp = |pred n ref|, n_pred = |pred|, n_ref = |ref|. With character offsets this is
 * character-level F1, with token indices token-level F1. Partial overlaps earn partial credit
 * and a class mismatch earns none. */
int lo_spans_prf_overlap(const struct lo_span *pred, size_t n_pred, const struct lo_span *ref,
                         size_t n_ref, struct lo_prf *out, struct lo_error *err);

/* ---- boxes ---- */

/* LO_EINVAL when a coordinate is not finite or w <= 0 or h <= 0. */
int lo_box_validate(const struct lo_box *b, struct lo_error *err);

/* Intersection over union of two valid boxes, in [0, 1]; classes are not looked at. */
int lo_box_iou(const struct lo_box *a, const struct lo_box *b, double *out, struct lo_error *err);

enum lo_box_matching {
    /* Pairs with IoU >= threshold are taken in decreasing IoU (ties: lower pred index, then
     * lower ref index), each box used once. The default: the PASCAL VOC / COCO practice,
     * symmetric in pred and ref, O(P log P) in the candidate pairs P. */
    LO_MATCH_GREEDY = 0,
    /* Most matched pairs, then the largest total IoU among such matchings (Hungarian
     * algorithm on each connected group of overlapping boxes). Can match more than greedy
     * when duplicated boxes crowd one object. */
    LO_MATCH_OPTIMAL = 1,
};

struct lo_box_match_opts {
    double iou_threshold;          /* in (0, 1]; a pair matches when IoU >= threshold */
    bool ignore_class;             /* false: only boxes of the same class match */
    enum lo_box_matching method;
};

/* Default options: threshold 0.5, classes must agree, greedy. */
struct lo_box_match_opts lo_box_match_defaults(void);

/* Candidate pairs (box pairs with IoU >= threshold) one matching may hold in memory: a crowd of
 * identical boxes would otherwise need |pred| x |ref| of them. Over it: LO_ELIMIT. */
#define LO_COMPARE_MAX_CANDIDATE_PAIRS (4u * 1000u * 1000u)
/* Boxes in one connected group that LO_MATCH_OPTIMAL solves exactly (O(k^3)); over it:
 * LO_ELIMIT. */
#define LO_COMPARE_MAX_OPTIMAL_GROUP 2000u

struct lo_box_match {
    struct lo_prf prf;   /* tp = matched pairs */
    double mean_iou;     /* mean IoU of the matched pairs; 0 when none matched */
};

/* Matches pred against ref. pred_match[i] (if not NULL, n_pred entries) receives the index of
 * the ref box matched to pred box i or -1; ref_match likewise. Every box is validated first. */
int lo_boxes_match(const struct lo_box *pred, size_t n_pred, const struct lo_box *ref,
                   size_t n_ref, const struct lo_box_match_opts *opts, long *pred_match,
                   long *ref_match, struct lo_box_match *out, struct lo_error *err);

/* ---- exact match of plain values ---- */

enum lo_value_kind {
    LO_VALUE_CLASS,      /* a class code */
    LO_VALUE_NUMBER,     /* a finite double */
    LO_VALUE_TEXT,       /* bytes, compared as they are (no case folding, no trimming) */
    LO_VALUE_CLASS_SET,  /* a multi-label answer; order and duplicates do not matter */
    LO_VALUE_SPANS,      /* spans; order does not matter, duplicates do */
    LO_VALUE_BOXES,      /* boxes; order does not matter, duplicates do, coordinates exact */
};

/* A borrowed view of one label value. */
struct lo_value {
    enum lo_value_kind kind;
    union {
        int cls;
        double number;
        struct lo_str text;
        struct {
            const int *v;
            size_t n;
        } set;
        struct {
            const struct lo_span *v;
            size_t n;
        } spans;
        struct {
            const struct lo_box *v;
            size_t n;
        } boxes;
    } u;
};

/* *equal = whether a and b are the same answer. Values of different kinds, a NaN number or
 * degenerate geometry: LO_EINVAL. */
int lo_value_equal(const struct lo_value *a, const struct lo_value *b, bool *equal,
                   struct lo_error *err);

#endif
