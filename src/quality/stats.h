/*
 * stats.h - special functions and distribution tails shared by the audit, sampling and drift
 * statistics: log-gamma, the regularized incomplete beta function and its inverse, the normal
 * distribution, the chi-square tail, binomial and hypergeometric probabilities.
 *
 * Pure functions of their arguments: no global state (lgamma() from libm writes the global
 * signgam, so this module carries its own), no allocation, no I/O. Arguments outside a
 * function's domain give NaN; callers that present results to users check their inputs first
 * and report an undefined statistic with a reason instead of printing NaN.
 */
#ifndef LO_QUALITY_STATS_H
#define LO_QUALITY_STATS_H

/* ln Γ(x) for x > 0 (Lanczos approximation, relative error about 1e-15). NaN for x <= 0. */
double lo_log_gamma(double x);
/* ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), a, b > 0. */
double lo_log_beta(double a, double b);
/* ln C(n, k) for 0 <= k <= n (real n, k allowed). */
double lo_log_choose(double n, double k);

/* The regularized incomplete beta function I_x(a, b) = P(X <= x) for X ~ Beta(a, b):
 * a, b > 0, 0 <= x <= 1. Continued fraction (DLMF 8.17.22) evaluated by Lentz's method. */
double lo_beta_cdf(double x, double a, double b);
/* The p-quantile of Beta(a, b): the x with I_x(a, b) = p, 0 <= p <= 1. Newton steps kept
 * inside a shrinking bisection bracket; absolute error below 1e-13. */
double lo_beta_quantile(double p, double a, double b);

/* Standard normal CDF Φ(x) and upper tail 1 − Φ(x) (without cancellation). */
double lo_normal_cdf(double x);
double lo_normal_sf(double x);
/* Standard normal quantile Φ⁻¹(p), 0 < p < 1 (±INFINITY at 0 and 1): Acklam's rational
 * approximation refined by one Halley step, close to full double precision. */
double lo_normal_quantile(double p);

/* Regularized lower and upper incomplete gamma P(a, x), Q(a, x) = 1 − P(a, x); a > 0, x >= 0.
 * Series for x < a + 1, continued fraction otherwise (DLMF 8.7.1, 8.9.2). */
double lo_gamma_p(double a, double x);
double lo_gamma_q(double a, double x);
/* P(X >= x) for X ~ chi-square with df degrees of freedom (df > 0). */
double lo_chi2_sf(double x, double df);

/* P(X = k) and P(X <= k) for X ~ Binomial(n, p); 0 <= p <= 1. */
double lo_binom_pmf(long k, long n, double p);
double lo_binom_cdf(long k, long n, double p);
/* P(X <= k) for X ~ Hypergeometric: a sample of n drawn without replacement from N units of
 * which D are defective (0 <= D <= N, 0 <= n <= N). */
double lo_hypergeom_cdf(long k, long N, long D, long n);

#endif
