/*
 * audit.h - what an audit of labels can say about accuracy: binomial confidence intervals
 * (Wilson, Clopper-Pearson, Jeffreys), the Beta posterior of an annotator's accuracy on gold,
 * Wald's sequential probability ratio test (pass / fail / keep sampling), and how many items to
 * audit (margin of error with finite-population correction; zero-defect "success run").
 *
 * Pure functions over counts: no I/O, no allocation, no global state. Inputs outside the
 * domain are LO_EINVAL; a statistic the data cannot define (nothing audited) is LO_EUNDEFINED
 * with a reason in err. Formulas and sources: docs/quality/audits.md.
 */
#ifndef LO_QUALITY_AUDIT_H
#define LO_QUALITY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

enum lo_interval_method {
    LO_CI_WILSON = 0,        /* Wilson (1927) score interval */
    LO_CI_CLOPPER_PEARSON,   /* Clopper & Pearson (1934) exact interval */
    LO_CI_JEFFREYS,          /* equal-tailed Beta(x + 1/2, n − x + 1/2) interval */
};

struct lo_interval {
    double lo, hi;
};

/* Name of a method ("wilson", "clopper-pearson", "jeffreys"). */
const char *lo_interval_method_name(enum lo_interval_method m);

/* Two-sided interval for a binomial proportion from x successes in n trials at the given
 * confidence (0 < confidence < 1). The bounds are clamped to [0, 1]; at x = 0 the lower bound
 * is 0 and at x = n the upper bound is 1 for every method. n = 0 is LO_EUNDEFINED; x < 0,
 * x > n or a confidence outside (0, 1) is LO_EINVAL. */
int lo_binom_interval(enum lo_interval_method m, long x, long n, double confidence,
                      struct lo_interval *out, struct lo_error *err);

/* ---- Beta posterior of an accuracy ------------------------------------------------------ */

struct lo_beta {
    double a, b;  /* Beta(a, b), a, b > 0 */
};

/* Posterior Beta(a0 + correct, b0 + total − correct) of a prior and gold results.
 * LO_EINVAL for a prior with a or b <= 0, or counts with correct > total or negative. */
int lo_beta_posterior(struct lo_beta prior, long correct, long total, struct lo_beta *out,
                      struct lo_error *err);
double lo_beta_mean(struct lo_beta b);
/* The q-quantile of the distribution (0 <= q <= 1). */
double lo_beta_dist_quantile(struct lo_beta b, double q);
/* P(accuracy < target) under the distribution. */
double lo_beta_prob_below(struct lo_beta b, double target);

/* Accuracy smoothed towards 1/2: (K + correct) / (2K + total); 1/2 when nothing was seen. */
double lo_accuracy_smoothed(long correct, long total, double k);

/* ---- Sequential probability ratio test (Wald 1945) -------------------------------------- */

enum lo_sprt_decision {
    LO_SPRT_CONTINUE = 0, /* keep sampling */
    LO_SPRT_PASS,         /* accept H0: accuracy is p0 (good) */
    LO_SPRT_FAIL,         /* accept H1: accuracy is p1 (bad) */
};

/* The test of H0: accuracy = p0 against H1: accuracy = p1 (p1 < p0) with error rates alpha
 * (fail a good annotator) and beta (pass a bad one). The log-likelihood ratio
 * ln L(H1)/L(H0) moves by step_correct for a correct answer and step_wrong for a wrong one;
 * it fails at >= upper = ln((1 − beta)/alpha) and passes at <= lower = ln(beta/(1 − alpha)). */
struct lo_sprt {
    double p0, p1, alpha, beta;
    double step_correct, step_wrong;
    double upper, lower;
};

/* LO_EINVAL unless 0 < p1 < p0 < 1 and 0 < alpha, beta < 1 with alpha + beta < 1. */
int lo_sprt_init(struct lo_sprt *s, double p0, double p1, double alpha, double beta,
                 struct lo_error *err);
const char *lo_sprt_decision_name(enum lo_sprt_decision d); /* "pass", "fail", "continue" */

struct lo_sprt_result {
    enum lo_sprt_decision decision;
    double llr;              /* the log-likelihood ratio when the test stopped (or at the end) */
    size_t used;             /* answers consumed: the test stops at the first boundary crossed */
    long correct, wrong;     /* among the answers used */
    long more_correct_to_pass; /* while continuing: consecutive correct answers still needed to
                                * pass; 0 once decided */
};

/* Runs the test over answers in the order they were given (true = correct). */
void lo_sprt_run(const struct lo_sprt *s, const bool *correct, size_t n,
                 struct lo_sprt_result *out);
/* The decision for counts alone (as if the answers came in any order and never stopped). */
void lo_sprt_counts(const struct lo_sprt *s, long correct, long wrong, struct lo_sprt_result *out);

/* ---- How many to audit ------------------------------------------------------------------ */

struct lo_sample_size {
    double n0;         /* z² p (1 − p) / E², the infinite-population size before rounding */
    long n_infinite;   /* ⌈n0⌉ */
    long n;            /* with the finite-population correction when population > 0, else
                        * n_infinite; never more than the population */
    double z;
};

/* Items to audit to estimate a proportion near p within ± margin at the given confidence.
 * population 0 means unknown / infinite. LO_EINVAL for margin outside (0, 1), p outside
 * [0, 1], confidence outside (0, 1), population < 0. p = 0 or 1 gives n = 1 (nothing varies;
 * documented, not undefined). */
int lo_sample_size_margin(double margin, double p, double confidence, long population,
                          struct lo_sample_size *out, struct lo_error *err);

/* Zero-defect ("success run") sample size: the smallest n with (1 − p)^n <= alpha, i.e.
 * n = ⌈ln alpha / ln(1 − p)⌉: seeing no defect in n items rules out a defect rate of p or more
 * with confidence 1 − alpha. LO_EINVAL unless 0 < p < 1 and 0 < alpha < 1. */
int lo_sample_size_zero_defect(double defect_rate, double alpha, long *n_out,
                               struct lo_error *err);

/* ---- Overlap designs -------------------------------------------------------------------- */

/* Accuracy of a majority vote of n independent binary labels, each right with probability p.
 * For even n a tie is broken by a fair coin. */
double lo_majority_accuracy(long n, double p);
/* "Two labels, a third only when they disagree" (binary): its accuracy (equal to majority of
 * three) and the expected number of labels per item, 2 + 2p(1 − p). */
double lo_two_then_third_accuracy(double p);
double lo_two_then_third_expected_labels(double p);

#endif
