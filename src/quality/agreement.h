/*
 * agreement.h - inter-annotator agreement coefficients: percent agreement, Cohen's kappa
 * (weighted), Scott's pi, Conger's kappa, Fleiss' kappa (with per-category kappa), Gwet's
 * AC1/AC2, Brennan-Prediger and Krippendorff's alpha (nominal, ordinal, interval, ratio), a
 * bootstrap interval for alpha, and per-annotator agreement.
 *
 * Pure computation: no I/O, no global state; memory comes from a caller's arena and
 * randomness from a caller's struct lo_rng. A coefficient that is undefined for the data is
 * never NaN in disguise: the result says defined == false and gives a reason.
 *
 * Every coefficient reads one shape, struct lo_agree_data: units (items) with their ratings,
 * each unit carrying a multiplicity. It is built from coded ratings (first rating of an
 * annotator on an item counts, repeats are counted and ignored), from counts per item and
 * category (no annotator identity), or from a two-annotator contingency table (one unit per
 * cell, the cell count as multiplicity). Formulas and sources: docs/quality/agreement.md.
 */
#ifndef LO_QUALITY_AGREEMENT_H
#define LO_QUALITY_AGREEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/rng.h"
#include "quality/ratings.h"

/* Annotator index used for ratings whose annotator is unknown (counts input). */
#define LO_AGREE_NO_ANNOTATOR UINT32_MAX

enum lo_level {
    LO_LEVEL_NOMINAL = 0,
    LO_LEVEL_ORDINAL,
    LO_LEVEL_INTERVAL,
    LO_LEVEL_RATIO,
};

/* "nominal", "ordinal", "interval", "ratio". */
const char *lo_level_name(enum lo_level level);
/* Parses a level name; -1 when unknown. */
int lo_level_parse(const char *name);

/* Units and their ratings, ready for every coefficient. Arrays live in the arena given to
 * the constructor. */
struct lo_agree_data {
    size_t n_units;             /* units with at least one rating */
    size_t n_annotators;        /* 0 when annotators are unknown (counts input) */
    size_t n_classes;
    const char **class_names;   /* [n_classes] or NULL */
    const double *class_values; /* [n_classes] numbers when every class is numeric, else NULL */
    double *weight;             /* [n_units] multiplicity of each unit (1 for items) */
    uint32_t *unit_item;        /* [n_units] the item index in the source, or NULL */
    /* Ratings grouped by unit: r_start[u] .. r_start[u+1]. */
    size_t *r_start;            /* [n_units + 1] */
    uint32_t *r_annotator;      /* annotator or LO_AGREE_NO_ANNOTATOR */
    uint32_t *r_class;
    /* The same ratings as value counts per unit: v_start[u] .. v_start[u+1]. */
    size_t *v_start;            /* [n_units + 1] */
    uint32_t *v_class;
    double *v_count;
    double *m;                  /* [n_units] ratings in the unit */
    size_t ignored_repeats;     /* later ratings of an annotator on an item, not used */
    size_t max_raters;          /* most ratings on one unit */
};

/* From coded ratings. The first rating of an annotator on an item counts; later ones are
 * counted in ignored_repeats. Items without ratings are left out. O(n + items + annotators +
 * classes). Errors: LO_ENOMEM, LO_EINVAL (a code out of range). */
int lo_agree_from_ratings(const struct lo_ratings *r, struct lo_arena *arena,
                          struct lo_agree_data *out, struct lo_error *err);

/* From counts[i * n_classes + k] = number of ratings of item i in category k (counts may be
 * non-integer weights, never negative). Rows without ratings are left out. class_names and
 * class_values may be NULL; they are borrowed. */
int lo_agree_from_counts(const double *counts, size_t n_items, size_t n_classes,
                         const char **class_names, const double *class_values,
                         struct lo_arena *arena, struct lo_agree_data *out, struct lo_error *err);

/* From a contingency table of two annotators: table[k * q + l] = number of items annotator A
 * put in k and annotator B in l. Each non-zero cell becomes one unit rated (k by A, l by B)
 * with the count as its multiplicity, so proportions times n are counts. */
int lo_agree_from_table(const double *table, size_t q, const char **class_names,
                        const double *class_values, struct lo_arena *arena,
                        struct lo_agree_data *out, struct lo_error *err);

/* The result of one coefficient. */
struct lo_agree_result {
    bool defined;
    double value;          /* NaN when !defined */
    char reason[200];      /* why it is undefined, "" when defined */
    double po;             /* observed agreement (alpha: observed disagreement D_o) */
    double pe;             /* chance agreement (alpha: expected disagreement D_e) */
    double items;          /* units the coefficient used (sum of multiplicities) */
    size_t annotators;     /* annotators in the data (counts input: most raters on a unit) */
    double pairable;       /* ratings in units rated at least twice */
    size_t ignored_repeats;
    enum lo_level level;   /* alpha only */
    bool weighted;         /* a weight matrix was used */
};

/* Every coefficient below returns 0 and fills res (defined or not, with a reason), or a
 * negative enum lo_err for a failure that is not about the data: LO_ENOMEM, LO_ELIMIT (more
 * than LO_LIMIT_CLASSES_STATS classes where a class-by-class table is needed). */

/* Agreement weights: w[k * q + l] in [0, 1], 1 on the diagonal. NULL everywhere below means
 * identity (unweighted). Linear and quadratic weights use the class values when numeric, else
 * the class ranks: w = 1 - |x_k - x_l| / (max - min), w = 1 - (x_k - x_l)^2 / (max - min)^2. */
enum lo_weighting { LO_WEIGHTS_NONE = 0, LO_WEIGHTS_LINEAR, LO_WEIGHTS_QUADRATIC };
/* Fills w (q * q doubles). */
void lo_agree_weights(enum lo_weighting kind, const double *class_values, size_t q, double *w);
/* Turns a user matrix into agreement weights in place: a matrix with 1 on the diagonal is taken
 * as agreement weights; one with 0 on the diagonal as disagreement weights (Cohen 1968) and
 * becomes 1 - v / max(v). Anything else, negative or non-finite entries: LO_EINVAL. */
int lo_agree_weights_normalize(double *w, size_t q, struct lo_error *err);

/* Percent agreement: mean over units rated at least twice of the share of agreeing pairs
 * (weighted: Gwet's r*_ik form). */
int lo_agree_percent(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                     struct lo_error *err);
/* Cohen's kappa: exactly two annotators, units rated by both. Weighted with w. */
int lo_agree_cohen(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Scott's pi: exactly two annotators, units rated by both. */
int lo_agree_scott(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Conger's kappa (Gwet's form for missing ratings): two or more known annotators. */
int lo_agree_conger(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Fleiss' kappa: needs the same number (>= 2) of ratings on every unit, else undefined.
 * per_category (n_classes doubles, may be NULL) gets each category's kappa, NaN when a
 * category is never or always used. */
int lo_agree_fleiss(const struct lo_agree_data *d, struct lo_agree_result *res,
                    double *per_category, struct lo_error *err);
/* Gwet's generalisation of Fleiss' kappa to varying numbers of raters (irrCAC
 * fleiss.kappa.raw); equals Fleiss' kappa on complete data. */
int lo_agree_fleiss_generalized(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Gwet's AC1 (AC2 when w is given). */
int lo_agree_ac1(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Brennan-Prediger: chance agreement 1/q (weighted: sum(w)/q^2). */
int lo_agree_bp(const struct lo_agree_data *d, const double *w,
                     struct lo_agree_result *res, struct lo_error *err);
/* Krippendorff's alpha at a level of measurement. Ordinal, interval and ratio need numeric
 * class values (undefined otherwise). */
int lo_agree_alpha(const struct lo_agree_data *d, enum lo_level level,
                   struct lo_agree_result *res, struct lo_error *err);

/* Krippendorff's coincidence matrix: o[c * q + k] (q = n_classes), from arena. */
int lo_agree_coincidence(const struct lo_agree_data *d, struct lo_arena *arena, double **o,
                         struct lo_error *err);

/* Percentile bootstrap interval for alpha: resamples the pairable units with replacement
 * `replicates` times and takes the (1-conf)/2 and (1+conf)/2 quantiles (linear interpolation)
 * of the replicates where alpha is defined. Deterministic for a given rng state.
 * Scratch memory is malloc'ed and freed before returning.
 * Errors: LO_EINVAL (conf not in (0,1), replicates < 1 or over LO_LIMIT_BOOTSTRAP),
 * LO_EUNDEFINED (alpha undefined on the data or on every replicate), LO_ENOMEM. */
struct lo_agree_ci {
    double conf, lo, hi;
    size_t replicates;       /* asked for */
    size_t used;             /* replicates where alpha was defined */
};
int lo_agree_alpha_ci(const struct lo_agree_data *d, enum lo_level level, double conf,
                      size_t replicates, struct lo_rng *rng, struct lo_agree_ci *out,
                      struct lo_error *err);

/* Per-annotator agreement (unweighted, units' multiplicities counted).
 * pairwise[a * n + b]: share of units rated by both a and b where they agree (NaN when they
 * share none; 1 on the diagonal for an annotator with ratings); shared[a * n + b]: those units
 * (the diagonal: units a rated). vs_rest[a]: over the units a rated with others,
 * the share of (a, other) rating pairs that agree; rest_pairs[a] the number of such pairs.
 * The matrices are only filled when n_annotators <= LO_AGREE_PAIRWISE_MAX (else NULL). */
#define LO_AGREE_PAIRWISE_MAX 2000
struct lo_agree_by_annotator {
    size_t n;
    double *pairwise;
    double *shared;
    double *vs_rest;
    double *rest_pairs;
};
int lo_agree_by_annotator(const struct lo_agree_data *d, struct lo_arena *arena,
                          struct lo_agree_by_annotator *out, struct lo_error *err);

#endif
