/*
 * inference.h - truth inference: from several annotators' labels on each item to one label per
 * item, a posterior over the classes, and an estimate of every annotator's reliability.
 *
 * Methods: majority vote (mv), weighted majority vote with weights from gold accuracy (wmv),
 * Dawid-Skene EM with full confusion matrices (ds), its one-coin restriction (onecoin), GLAD
 * (Whitehill et al. 2009) and MACE (Hovy et al. 2013). The formulas, update rules and sources are
 * in docs/quality/inference.md.
 *
 * This module is pure: it reads a struct lo_ratings and writes into a caller-owned arena. It
 * never does I/O, never keeps global state, and never returns NaN in a result: a quantity that
 * is undefined for the method (the log-likelihood of a vote) is flagged as such. Every rating
 * counts, repeated ratings of an item by the same annotator included (Dawid and Skene 1979).
 */
#ifndef LO_QUALITY_INFERENCE_H
#define LO_QUALITY_INFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "quality/ratings.h"

/* Most cells (annotators x classes x classes) a Dawid-Skene confusion model may hold; past it
 * inference fails with LO_ELIMIT instead of exhausting memory. (Belongs in base/limits.h.) */
#define LO_INFER_MAX_CONFUSION_CELLS ((size_t)64 * 1024 * 1024)

enum lo_infer_method {
    LO_INFER_MV = 0,
    LO_INFER_WMV,
    LO_INFER_DS,
    LO_INFER_ONECOIN,
    LO_INFER_GLAD,
    LO_INFER_MACE,
};

/* "mv", "wmv", "ds", "onecoin", "glad", "mace". */
const char *lo_infer_method_name(enum lo_infer_method m);
/* 0 and *out set, or LO_EINVAL for an unknown name. */
int lo_infer_method_parse(const char *name, enum lo_infer_method *out);

struct lo_infer_options {
    enum lo_infer_method method;
    double tol;        /* EM stops when |L_t - L_(t-1)| < tol (absolute); default 1e-5 */
    long max_iter;     /* EM iteration cap, 1..LO_LIMIT_EM_ITERATIONS; default 100 */
    uint64_t seed;     /* for random restarts (MACE); default 1 */
    double smoothing;  /* pseudo-count added to every count an M-step normalises (Dirichlet /
                        * Beta prior); wmv: added to each annotator's gold hits and misses.
                        * Defaults: ds, onecoin 0 (maximum likelihood); glad 0.01 (class
                        * prior only); mace 0.5; wmv 1; mv unused */
    bool clamp_gold;   /* items with a known class (r->gold[i] >= 0) keep it: posterior one-hot */
    int restarts;      /* MACE: extra runs from random starting points, best objective kept */
};

/* Fills o with the defaults of method m. */
void lo_infer_options_init(struct lo_infer_options *o, enum lo_infer_method m);

struct lo_infer_result {
    enum lo_infer_method method;
    size_t n_items, n_annotators, n_classes;
    /* Per item. */
    int32_t *label;            /* [n_items] chosen class; -1 for an item with no rating (and no
                                * clamped gold). Ties go to the lowest class index. */
    double *confidence;        /* [n_items] posterior of the chosen class (mv: its vote share) */
    double *posterior;         /* [n_items * n_classes], row i is item i (mv: vote shares) */
    uint32_t *n_ratings;       /* [n_items] ratings of the item */
    double *difficulty;        /* glad: beta_i = exp(s_i) (higher is easier), else NULL */
    /* Per class. */
    double *class_prior;       /* [n_classes] estimated class marginals (mv, wmv: mean posterior) */
    /* Per annotator. */
    uint32_t *annotator_ratings; /* [n_annotators] */
    double *annotator_accuracy;  /* [n_annotators] estimated P(label == truth): ds sum_k p_k pi_kk,
                                  * onecoin q, glad mean sigma(alpha beta) over its items, mace
                                  * theta + (1 - theta) sum_k p_k xi_k, wmv smoothed gold accuracy,
                                  * mv agreement with the majority */
    double *confusion;         /* ds: [n_annotators * K * K], [a][true k][given l]; else NULL */
    double *ability;           /* glad alpha_j, mace theta_j, wmv vote weight; else NULL */
    double *spam;              /* mace: [n_annotators * K] spamming distribution xi; else NULL */
    /* EM run. For mv and wmv there is no model: has_loglik is false and iterations 0. */
    bool has_loglik;
    double loglik;             /* log p(labels [, clamped gold] | final parameters) */
    double *loglik_trace;      /* [iterations] log-likelihood after each E-step */
    double *objective_trace;   /* [iterations] what EM maximises: loglik + log prior of the
                                * parameters (equals loglik when smoothing is 0, except GLAD,
                                * whose Gaussian priors always count). Never decreases. */
    long iterations;
    bool converged;            /* stopped on tol rather than on max_iter */
    int restart_chosen;        /* mace: 0 the vote-proportion start, k the k-th random start */
};

/* Runs opt->method on r. All result memory comes from arena (also the scratch space; it is
 * freed with the arena). Errors: LO_EINVAL (no ratings, a code out of range, wmv without gold,
 * bad options, with err naming the option), LO_ELIMIT (too many confusion cells), LO_ENOMEM.
 * Thread-safe for distinct results. */
int lo_infer(const struct lo_ratings *r, const struct lo_infer_options *opt,
             struct lo_arena *arena, struct lo_infer_result *out, struct lo_error *err);

/* Accuracy against the known answers in r: *total counts items with gold text and at least one
 * rating, *matched those whose chosen class is the gold class (a gold text that is no class
 * seen among the labels is a miss). */
void lo_infer_gold_accuracy(const struct lo_ratings *r, const struct lo_infer_result *res,
                            size_t *matched, size_t *total);

/* The one-coin posterior of one item: annotators with accuracies q[j] gave labels[j] (classes
 * 0..n_classes-1), an error picks any other class uniformly; prior NULL means uniform.
 * post[k] ∝ prior_k prod_j (labels[j] == k ? q_j : (1 - q_j) / (K - 1)). Computed in log space;
 * q of exactly 0 or 1 is allowed. LO_EINVAL when n_classes < 2 or a label is out of range. */
int lo_onecoin_posterior(size_t n_classes, size_t n, const uint32_t *labels, const double *q,
                         const double *prior, double *post);

#endif
