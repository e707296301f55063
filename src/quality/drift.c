/*
 * drift.c - two-proportion test, p-chart, EWMA chart, population stability index (see
 * drift.h and docs/quality/audits.md). Never allocates, never prints.
 */
#include "quality/drift.h"

#include <math.h>

#include "quality/stats.h"

int lo_two_prop_test(long x1, long n1, long x2, long n2, double confidence,
                     struct lo_two_prop *out, struct lo_error *err)
{
    if (n1 < 1 || n2 < 1 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2)
        return lo_error_set(err, LO_EINVAL,
                            "proportions need 0 <= x <= n and n >= 1, got %ld/%ld and %ld/%ld", x1,
                            n1, x2, n2);
    if (!(confidence > 0 && confidence < 1))
        return lo_error_field(err, LO_EINVAL, "confidence",
                              "confidence must lie strictly between 0 and 1, got %g", confidence);
    out->confidence = confidence;
    out->p1 = (double)x1 / (double)n1;
    out->p2 = (double)x2 / (double)n2;
    out->diff = out->p1 - out->p2;
    out->pooled = (double)(x1 + x2) / (double)(n1 + n2);
    double z_crit = lo_normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    double se = sqrt(out->p1 * (1 - out->p1) / (double)n1 + out->p2 * (1 - out->p2) / (double)n2);
    out->ci_lo = out->diff - z_crit * se;
    out->ci_hi = out->diff + z_crit * se;
    double v = out->pooled * (1.0 - out->pooled) * (1.0 / (double)n1 + 1.0 / (double)n2);
    if (!(v > 0)) {
        out->z = out->chi2 = out->p_value = NAN;
        return lo_error_set(err, LO_EUNDEFINED,
                            "both proportions are %s: the test statistic is 0/0",
                            out->pooled == 0 ? "0" : "1");
    }
    out->z = out->diff / sqrt(v);
    out->chi2 = out->z * out->z;
    out->p_value = lo_chi2_sf(out->chi2, 1);
    return 0;
}

int lo_pchart_limits(double pbar, long n, double width, struct lo_pchart *out,
                     struct lo_error *err)
{
    if (!(pbar >= 0 && pbar <= 1))
        return lo_error_field(err, LO_EINVAL, "pbar", "p-bar must lie in [0, 1], got %g", pbar);
    if (n < 1)
        return lo_error_field(err, LO_EINVAL, "n", "the sample size must be >= 1, got %ld", n);
    if (!(width > 0) || isinf(width))
        return lo_error_field(err, LO_EINVAL, "sigmas", "the limit width must be > 0, got %g",
                              width);
    out->centre = pbar;
    out->sigma = sqrt(pbar * (1.0 - pbar) / (double)n);
    out->ucl = fmin(1.0, pbar + width * out->sigma);
    out->lcl = fmax(0.0, pbar - width * out->sigma);
    return 0;
}

int lo_ewma_chart(const double *values, size_t n, double lambda, double target, double sigma,
                  double width, struct lo_ewma_point *out, struct lo_error *err)
{
    if (!(lambda > 0 && lambda <= 1))
        return lo_error_field(err, LO_EINVAL, "lambda", "lambda must lie in (0, 1], got %g",
                              lambda);
    if (!(sigma > 0) || isinf(sigma))
        return lo_error_field(err, LO_EINVAL, "sigma", "sigma must be > 0, got %g", sigma);
    if (!(width > 0) || isinf(width))
        return lo_error_field(err, LO_EINVAL, "sigmas", "the limit width must be > 0, got %g",
                              width);
    if (!isfinite(target))
        return lo_error_field(err, LO_EINVAL, "target", "the target must be a finite number");
    int signals = 0;
    double z = target;
    double keep = 1.0 - lambda;
    double decay = 1.0; /* (1 − λ)^(2t) */
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(values[t]))
            return lo_error_set(err, LO_EINVAL, "value %zu of the series is not a number", t + 1);
        z = lambda * values[t] + keep * z;
        decay *= keep * keep;
        double half = width * sigma * sqrt(lambda / (2.0 - lambda) * (1.0 - decay));
        out[t].value = values[t];
        out[t].z = z;
        out[t].lcl = target - half;
        out[t].ucl = target + half;
        out[t].signal = z > out[t].ucl || z < out[t].lcl;
        if (out[t].signal)
            signals++;
    }
    return signals;
}

static int normalise(const double *in, size_t k, double epsilon, double *out, const char *what,
                     struct lo_error *err)
{
    double sum = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(in[i] >= 0) || isinf(in[i]))
            return lo_error_field(err, LO_EINVAL, what,
                                  "bin %zu of the %s distribution is negative or not a number",
                                  i + 1, what);
        sum += in[i];
    }
    if (!(sum > 0))
        return lo_error_field(err, LO_EINVAL, what, "the %s distribution is all zero", what);
    double sum2 = 0;
    for (size_t i = 0; i < k; i++) {
        out[i] = in[i] / sum;
        if (epsilon > 0 && out[i] < epsilon)
            out[i] = epsilon;
        sum2 += out[i];
    }
    for (size_t i = 0; i < k; i++)
        out[i] /= sum2;
    return 0;
}

#define PSI_MAX_BINS 1000

int lo_psi(const double *expected, const double *actual, size_t k, double epsilon,
           double *psi, size_t *bad_bin, struct lo_error *err)
{
    int rc;
    double e[PSI_MAX_BINS], a[PSI_MAX_BINS];
    if (k < 1 || k > PSI_MAX_BINS)
        return lo_error_set(err, LO_EINVAL, "PSI needs between 1 and %d bins, got %zu",
                            PSI_MAX_BINS, k);
    if (!(epsilon >= 0 && epsilon < 1))
        return lo_error_field(err, LO_EINVAL, "epsilon", "epsilon must lie in [0, 1), got %g",
                              epsilon);
    rc = normalise(expected, k, epsilon, e, "expected", err);
    if (rc)
        return rc;
    rc = normalise(actual, k, epsilon, a, "actual", err);
    if (rc)
        return rc;
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        if (e[i] == 0 || a[i] == 0) {
            if (e[i] == 0 && a[i] == 0)
                continue; /* a bin empty on both sides contributes nothing */
            if (bad_bin)
                *bad_bin = i;
            return lo_error_set(err, LO_EUNDEFINED,
                                "bin %zu is empty in the %s distribution only: PSI is infinite "
                                "(give an epsilon to floor empty bins)",
                                i + 1, e[i] == 0 ? "expected" : "actual");
        }
        s += (a[i] - e[i]) * log(a[i] / e[i]);
    }
    *psi = s;
    return 0;
}
