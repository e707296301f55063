/*
 * drift.h - did something change after a guideline, schema or workforce change? Compares two
 * proportions (agreement, error rate) with the two-proportion z / chi-square test and a
 * confidence interval of the difference; p-chart limits (Shewhart) and the EWMA chart for a
 * series of rates; the population stability index between two label distributions.
 *
 * Pure functions; no I/O, no allocation. A statistic that the data cannot define (both
 * proportions 0 or 1, an empty bin in PSI) is LO_EUNDEFINED with the reason in err, never NaN.
 * Formulas and sources: docs/quality/audits.md.
 */
#ifndef LO_QUALITY_DRIFT_H
#define LO_QUALITY_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct lo_two_prop {
    double p1, p2;          /* x1/n1 (before), x2/n2 (after) */
    double diff;            /* p1 − p2 */
    double pooled;          /* (x1 + x2)/(n1 + n2) */
    double z;               /* diff / sqrt(pooled (1 − pooled)(1/n1 + 1/n2)) */
    double chi2;            /* z², Pearson's chi-square of the 2x2 table without continuity
                             * correction, 1 degree of freedom */
    double p_value;         /* two-sided */
    double ci_lo, ci_hi;    /* Wald interval of diff with unpooled standard error */
    double confidence;
};

/* Compares x1/n1 with x2/n2. LO_EINVAL for counts outside 0 <= x <= n, n >= 1, or a confidence
 * outside (0, 1); LO_EUNDEFINED when the pooled proportion is 0 or 1 (nothing varies; the
 * proportions are equal but the test statistic is 0/0). */
int lo_two_prop_test(long x1, long n1, long x2, long n2, double confidence,
                     struct lo_two_prop *out, struct lo_error *err);

struct lo_pchart {
    double centre, ucl, lcl; /* p̄ ± L sqrt(p̄(1 − p̄)/n), clamped to [0, 1] */
    double sigma;            /* sqrt(p̄(1 − p̄)/n) */
};

/* p-chart limits for samples of n units around p̄ at L sigmas (3 is Shewhart's). LO_EINVAL
 * unless 0 <= pbar <= 1, n >= 1, L > 0. */
int lo_pchart_limits(double pbar, long n, double width, struct lo_pchart *out,
                     struct lo_error *err);

struct lo_ewma_point {
    double value;     /* x_t */
    double z;         /* z_t = λ x_t + (1 − λ) z_{t−1}, z_0 = target */
    double lcl, ucl;  /* target ± L σ sqrt(λ/(2 − λ) (1 − (1 − λ)^(2t))) */
    bool signal;      /* z outside the limits */
};

/* EWMA chart (Roberts 1959; Montgomery, Introduction to Statistical Quality Control, 9.2)
 * over n values with smoothing λ in (0, 1], process target and σ of one value (> 0), limits
 * at L σ. Fills out[0..n−1]. Returns the number of points that signal, or < 0 on error. */
int lo_ewma_chart(const double *values, size_t n, double lambda, double target, double sigma,
                  double width, struct lo_ewma_point *out, struct lo_error *err);

/* Population stability index Σ (a_k − e_k) ln(a_k / e_k) over k bins. The inputs may be
 * counts or proportions: each is normalised to sum 1. epsilon > 0 replaces empty bins by
 * epsilon (then renormalises); with epsilon 0 an empty bin in either distribution is
 * LO_EUNDEFINED (the index is infinite) and *bad_bin says which. Negative entries or an
 * all-zero distribution are LO_EINVAL. */
int lo_psi(const double *expected, const double *actual, size_t k, double epsilon,
           double *psi, size_t *bad_bin, struct lo_error *err);

#endif
