/*
 * consolidate.h - several annotators' structured answers on one item merged into one answer:
 * boxes by clustering on IoU and averaging coordinates, spans by a vote on every position.
 *
 * Pure C on the plain structs of quality/compare.h: no JSON, no store, no state. Results are
 * allocated from a caller-owned arena; scratch memory is malloc'ed and freed inside each call.
 * The algorithms, their choices and edge cases are in docs/quality/structured.md.
 */
#ifndef LO_QUALITY_CONSOLIDATE_H
#define LO_QUALITY_CONSOLIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "quality/compare.h"

/* ---- boxes ---- */

struct lo_box_consolidate_opts {
    double iou_threshold;   /* in (0, 1]; boxes join a cluster at IoU >= threshold. Default 0.5 */
    bool ignore_class;      /* false (default): only boxes of one class cluster together */
    size_t min_support;     /* clusters drawn by fewer annotators are dropped; 0 means 1 */
};

struct lo_box_consolidate_opts lo_box_consolidate_defaults(void);

struct lo_consensus_box {
    struct lo_box box;      /* mean x, y, w, h of the members; class: theirs, or with
                             * ignore_class the most frequent (ties: the lowest code) */
    size_t support;         /* members = distinct annotators who drew the object */
    double mean_iou;        /* mean IoU of the members with the consensus box (spread) */
};

/*
 * Merges n boxes, box i drawn by annotator[i], into consensus boxes.
 *
 * Clustering is greedy agglomerative with complete linkage: candidate pairs (boxes of different
 * annotators with IoU >= threshold) are taken in decreasing IoU (ties: lower indices first), and
 * two clusters merge when they share no annotator and every pair across them has IoU >=
 * threshold (and one class unless ignore_class). So a cluster holds at most one box per
 * annotator, and all its boxes overlap one another at the threshold; no chains.
 *
 * *out (arena) receives the clusters with support >= min_support, in decreasing support, ties
 * by their lowest input index; *n_out their count. cluster_of (n entries, optional) receives for
 * each input box the index of its consensus box in *out, or -1 when its cluster was dropped.
 * Errors: LO_EINVAL for a degenerate box (naming it), LO_EUSAGE for a threshold out of range,
 * LO_ELIMIT past LO_COMPARE_MAX_CANDIDATE_PAIRS, LO_ENOMEM.
 */
int lo_boxes_consolidate(const struct lo_box *boxes, const uint32_t *annotator, size_t n,
                         const struct lo_box_consolidate_opts *opts, struct lo_arena *arena,
                         struct lo_consensus_box **out, size_t *n_out, long *cluster_of,
                         struct lo_error *err);

/* ---- spans ---- */

struct lo_consensus_span {
    struct lo_span span;
    size_t support;         /* fewest annotators voting for the class on any of its positions */
};

/*
 * Merges n spans, span i marked by annotator[i], by a vote on each position (token or
 * character, whichever the offsets count).
 *
 * Each annotator votes once for class c at position p when one of its spans of class c covers p
 * (its overlapping spans of one class are united first). A position gets the class with the
 * most votes when that is at least min_support (0 means 1); ties go to the lowest class code.
 * Consecutive positions with the same class form one span, except that a new span starts at p
 * when more than half of the annotators voting for the class at p begin a span there, so two
 * adjacent entities that most annotators separated stay separate.
 *
 * *out (arena) receives the spans in increasing start; *n_out their count.
 * Errors: LO_EINVAL for an empty or reversed span, LO_ENOMEM.
 */
int lo_spans_consolidate(const struct lo_span *spans, const uint32_t *annotator, size_t n,
                         size_t min_support, struct lo_arena *arena,
                         struct lo_consensus_span **out, size_t *n_out, struct lo_error *err);

#endif
