/*
 * stats.c - special functions for the audit, sampling and drift statistics.
 *
 * Written from the formulas (Lanczos 1964 for log-gamma, DLMF 8.17.22 for the incomplete beta
 * continued fraction, DLMF 8.7.1 / 8.9.2 for the incomplete gamma, Acklam's published
 * coefficients for the normal quantile). Must never hold state between calls.
 */
#include "quality/stats.h"

#include <float.h>
#include <math.h>

#define LO_LN_SQRT_2PI 0.91893853320467274178
#define LO_SQRT2 1.41421356237309504880
#define LO_SQRT_2PI 2.50662827463100050242
#define LO_TINY 1e-300
#define LO_EPS 1e-16
#define LO_CF_MAX 10000

/* Lanczos coefficients for g = 7, n = 9 (published with the approximation). */
static const double lanczos_c[9] = {
    0.99999999999980993,     676.5203681218851,     -1259.1392167224028,
    771.32342877765313,      -176.61502916214059,   12.507343278686905,
    -0.13857109526572012,    9.9843695780195716e-6, 1.5056327351493116e-7,
};

double lo_log_gamma(double x)
{
    if (!(x > 0) || isinf(x))
        return isinf(x) && x > 0 ? INFINITY : NAN;
    if (x < 0.5)
        return lo_log_gamma(x + 1.0) - log(x); /* Γ(x) = Γ(x + 1) / x */
    if (x == 1.0 || x == 2.0)
        return 0.0;
    double z = x - 1.0;
    double sum = lanczos_c[0];
    for (int i = 1; i < 9; i++)
        sum += lanczos_c[i] / (z + i);
    double t = z + 7.5;
    return LO_LN_SQRT_2PI + (z + 0.5) * log(t) - t + log(sum);
}

double lo_log_beta(double a, double b)
{
    return lo_log_gamma(a) + lo_log_gamma(b) - lo_log_gamma(a + b);
}

double lo_log_choose(double n, double k)
{
    if (k < 0 || k > n)
        return -INFINITY;
    if (k == 0 || k == n)
        return 0.0;
    return lo_log_gamma(n + 1) - lo_log_gamma(k + 1) - lo_log_gamma(n - k + 1);
}

/* The continued fraction of DLMF 8.17.22 for I_x(a, b) without its prefactor; converges fast
 * for x < (a + 1) / (a + b + 2). Modified Lentz evaluation. */
static double beta_cf(double x, double a, double b)
{
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < LO_TINY)
        d = LO_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= LO_CF_MAX; m++) {
        /* even step: d_{2m} */
        double num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        if (fabs(d) < LO_TINY)
            d = LO_TINY;
        c = 1.0 + num / c;
        if (fabs(c) < LO_TINY)
            c = LO_TINY;
        d = 1.0 / d;
        h *= d * c;
        /* odd step: d_{2m+1} */
        num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        if (fabs(d) < LO_TINY)
            d = LO_TINY;
        c = 1.0 + num / c;
        if (fabs(c) < LO_TINY)
            c = LO_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < LO_EPS)
            break;
    }
    return h;
}

double lo_beta_cdf(double x, double a, double b)
{
    if (!(a > 0) || !(b > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 0.0;
    if (x >= 1)
        return 1.0;
    double ln_front = a * log(x) + b * log1p(-x) - lo_log_beta(a, b);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(ln_front) * beta_cf(x, a, b) / a;
    return 1.0 - exp(ln_front) * beta_cf(1.0 - x, b, a) / b;
}

static double beta_log_pdf(double x, double a, double b)
{
    return (a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lo_log_beta(a, b);
}

double lo_beta_quantile(double p, double a, double b)
{
    if (!(a > 0) || !(b > 0) || !(p >= 0 && p <= 1))
        return NAN;
    if (p == 0)
        return 0.0;
    if (p == 1)
        return 1.0;
    double lo = 0.0, hi = 1.0;
    double x = a / (a + b);
    for (int it = 0; it < 300; it++) {
        double f = lo_beta_cdf(x, a, b) - p;
        if (f == 0)
            return x;
        if (f < 0)
            lo = x;
        else
            hi = x;
        double next = x - f / exp(beta_log_pdf(x, a, b));
        /* Newton only while it stays inside the bracket; otherwise halve the bracket. */
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        /* Stop relative to the nearer end: quantiles of 1e-14 and of 1 − 1e-12 both matter. */
        if (next == x || next <= lo || next >= hi ||
            fabs(next - x) <= 1e-15 * fmin(next, 1.0 - next))
            return next;
        x = next;
    }
    return x;
}

double lo_normal_cdf(double x)
{
    return 0.5 * erfc(-x / LO_SQRT2);
}

double lo_normal_sf(double x)
{
    return 0.5 * erfc(x / LO_SQRT2);
}

double lo_normal_quantile(double p)
{
    static const double a[6] = { -3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[5] = { -5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01 };
    static const double c[6] = { -7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00 };
    static const double d[4] = { 7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00 };
    const double p_low = 0.02425;
    if (isnan(p) || p < 0 || p > 1)
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    double x;
    if (p < p_low || p > 1 - p_low) {
        double q = sqrt(-2.0 * log(p < p_low ? p : 1.0 - p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
        if (p > 1 - p_low)
            x = -x;
    } else {
        double q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    /* One Halley step on Φ(x) − p brings the 1e-9 approximation to full precision. The
     * upper half is refined through the upper tail so that p near 1 loses nothing. */
    double e = p < 0.5 ? lo_normal_cdf(x) - p : (1.0 - p) - lo_normal_sf(x);
    double u = e * LO_SQRT_2PI * exp(x * x / 2.0);
    x = x - u / (1.0 + x * u / 2.0);
    return x;
}

static double gamma_p_series(double a, double x)
{
    double term = 1.0 / a, sum = term;
    for (int n = 1; n <= LO_CF_MAX; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * LO_EPS)
            break;
    }
    return sum * exp(-x + a * log(x) - lo_log_gamma(a));
}

static double gamma_q_cf(double a, double x)
{
    double bb = x + 1.0 - a;
    double c = 1.0 / LO_TINY;
    double d = 1.0 / bb;
    double h = d;
    for (int i = 1; i <= LO_CF_MAX; i++) {
        double an = -i * (i - a);
        bb += 2.0;
        d = an * d + bb;
        if (fabs(d) < LO_TINY)
            d = LO_TINY;
        c = bb + an / c;
        if (fabs(c) < LO_TINY)
            c = LO_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < LO_EPS)
            break;
    }
    return exp(-x + a * log(x) - lo_log_gamma(a)) * h;
}

double lo_gamma_p(double a, double x)
{
    if (!(a > 0) || isnan(x) || x < 0)
        return NAN;
    if (x == 0)
        return 0.0;
    if (x < a + 1.0)
        return gamma_p_series(a, x);
    return 1.0 - gamma_q_cf(a, x);
}

double lo_gamma_q(double a, double x)
{
    if (!(a > 0) || isnan(x) || x < 0)
        return NAN;
    if (x == 0)
        return 1.0;
    if (x < a + 1.0)
        return 1.0 - gamma_p_series(a, x);
    return gamma_q_cf(a, x);
}

double lo_chi2_sf(double x, double df)
{
    if (!(df > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 1.0;
    if (df == 1.0)
        return erfc(sqrt(x / 2.0)); /* exact identity, no series needed */
    return lo_gamma_q(df / 2.0, x / 2.0);
}

double lo_binom_pmf(long k, long n, double p)
{
    if (n < 0 || !(p >= 0 && p <= 1))
        return NAN;
    if (k < 0 || k > n)
        return 0.0;
    if (p == 0)
        return k == 0 ? 1.0 : 0.0;
    if (p == 1)
        return k == n ? 1.0 : 0.0;
    return exp(lo_log_choose((double)n, (double)k) + k * log(p) + (n - k) * log1p(-p));
}

double lo_binom_cdf(long k, long n, double p)
{
    if (n < 0 || !(p >= 0 && p <= 1))
        return NAN;
    if (k < 0)
        return 0.0;
    if (k >= n)
        return 1.0;
    /* Acceptance numbers are small, so summing the terms is both exact enough and cheap;
     * past a few hundred terms the incomplete beta identity is cheaper. */
    if (k > 200)
        return lo_beta_cdf(1.0 - p, (double)(n - k), (double)k + 1.0);
    double s = 0;
    for (long d = 0; d <= k; d++)
        s += lo_binom_pmf(d, n, p);
    return s > 1.0 ? 1.0 : s;
}

double lo_hypergeom_cdf(long k, long N, long D, long n)
{
    if (N < 0 || D < 0 || D > N || n < 0 || n > N)
        return NAN;
    long lo = n - (N - D);
    if (lo < 0)
        lo = 0;
    long hi = n < D ? n : D;
    if (k < lo)
        return 0.0;
    if (k >= hi)
        return 1.0;
    double ln_total = lo_log_choose((double)N, (double)n);
    double s = 0;
    for (long d = lo; d <= k; d++)
        s += exp(lo_log_choose((double)D, (double)d) +
                 lo_log_choose((double)(N - D), (double)(n - d)) - ln_total);
    return s > 1.0 ? 1.0 : s;
}
