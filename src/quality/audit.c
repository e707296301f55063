/*
 * audit.c - intervals, Beta posterior, SPRT and audit sample sizes (see audit.h and
 * docs/quality/audits.md). Never allocates, never prints.
 */
#include "quality/audit.h"

#include <math.h>

#include "quality/stats.h"

const char *lo_interval_method_name(enum lo_interval_method m)
{
    switch (m) {
    case LO_CI_WILSON:
        return "wilson";
    case LO_CI_CLOPPER_PEARSON:
        return "clopper-pearson";
    case LO_CI_JEFFREYS:
        return "jeffreys";
    }
    return "unknown";
}

static double clamp01(double v)
{
    return v < 0 ? 0 : (v > 1 ? 1 : v);
}

int lo_binom_interval(enum lo_interval_method m, long x, long n, double confidence,
                      struct lo_interval *out, struct lo_error *err)
{
    if (!(confidence > 0 && confidence < 1))
        return lo_error_field(err, LO_EINVAL, "confidence",
                              "confidence must lie strictly between 0 and 1, got %g", confidence);
    if (n < 0 || x < 0 || x > n)
        return lo_error_set(err, LO_EINVAL, "counts must satisfy 0 <= x <= n, got %ld/%ld", x, n);
    if (n == 0)
        return lo_error_set(err, LO_EUNDEFINED, "no trials: a proportion of 0/0 has no interval");
    double alpha = 1.0 - confidence;
    double lo = 0, hi = 1;
    switch (m) {
    case LO_CI_WILSON: {
        double z = lo_normal_quantile(1.0 - alpha / 2.0);
        double z2 = z * z;
        double nn = (double)n;
        double centre = ((double)x + z2 / 2.0) / (nn + z2);
        double half = z / (nn + z2) * sqrt((double)x * (double)(n - x) / nn + z2 / 4.0);
        lo = centre - half;
        hi = centre + half;
        break;
    }
    case LO_CI_CLOPPER_PEARSON:
        if (x > 0)
            lo = lo_beta_quantile(alpha / 2.0, (double)x, (double)(n - x) + 1.0);
        if (x < n)
            hi = lo_beta_quantile(1.0 - alpha / 2.0, (double)x + 1.0, (double)(n - x));
        break;
    case LO_CI_JEFFREYS:
        /* Brown, Cai & DasGupta (2001): the bound at an extreme count is set to 0 or 1. */
        if (x > 0)
            lo = lo_beta_quantile(alpha / 2.0, (double)x + 0.5, (double)(n - x) + 0.5);
        if (x < n)
            hi = lo_beta_quantile(1.0 - alpha / 2.0, (double)x + 0.5, (double)(n - x) + 0.5);
        break;
    default:
        return lo_error_set(err, LO_EINVAL, "unknown interval method %d", (int)m);
    }
    if (x == 0)
        lo = 0;
    if (x == n)
        hi = 1;
    out->lo = clamp01(lo);
    out->hi = clamp01(hi);
    return 0;
}

int lo_beta_posterior(struct lo_beta prior, long correct, long total, struct lo_beta *out,
                      struct lo_error *err)
{
    if (!(prior.a > 0) || !(prior.b > 0) || isinf(prior.a) || isinf(prior.b))
        return lo_error_field(err, LO_EINVAL, "prior",
                              "a Beta prior needs a > 0 and b > 0, got Beta(%g, %g)", prior.a,
                              prior.b);
    if (total < 0 || correct < 0 || correct > total)
        return lo_error_set(err, LO_EINVAL, "counts must satisfy 0 <= correct <= total, got %ld/%ld",
                            correct, total);
    out->a = prior.a + (double)correct;
    out->b = prior.b + (double)(total - correct);
    return 0;
}

double lo_beta_mean(struct lo_beta b)
{
    return b.a / (b.a + b.b);
}

double lo_beta_dist_quantile(struct lo_beta b, double q)
{
    return lo_beta_quantile(q, b.a, b.b);
}

double lo_beta_prob_below(struct lo_beta b, double target)
{
    return lo_beta_cdf(target, b.a, b.b);
}

double lo_accuracy_smoothed(long correct, long total, double k)
{
    double den = 2.0 * k + (double)total;
    if (!(den > 0))
        return 0.5;
    return (k + (double)correct) / den;
}

int lo_sprt_init(struct lo_sprt *s, double p0, double p1, double alpha, double beta,
                 struct lo_error *err)
{
    if (!(p0 > 0 && p0 < 1) || !(p1 > 0 && p1 < 1) || !(p1 < p0))
        return lo_error_field(err, LO_EINVAL, "sprt-p1",
                              "the SPRT needs 0 < p1 < p0 < 1 (p0 good, p1 bad), got p0 %g, p1 %g",
                              p0, p1);
    if (!(alpha > 0 && alpha < 1) || !(beta > 0 && beta < 1) || !(alpha + beta < 1))
        return lo_error_field(err, LO_EINVAL, "alpha",
                              "the SPRT needs 0 < alpha, beta and alpha + beta < 1, got %g, %g",
                              alpha, beta);
    s->p0 = p0;
    s->p1 = p1;
    s->alpha = alpha;
    s->beta = beta;
    s->step_correct = log(p1 / p0);
    s->step_wrong = log((1.0 - p1) / (1.0 - p0));
    s->upper = log((1.0 - beta) / alpha);
    s->lower = log(beta / (1.0 - alpha));
    return 0;
}

const char *lo_sprt_decision_name(enum lo_sprt_decision d)
{
    switch (d) {
    case LO_SPRT_PASS:
        return "pass";
    case LO_SPRT_FAIL:
        return "fail";
    case LO_SPRT_CONTINUE:
        break;
    }
    return "continue";
}

/* A little slack so that a boundary reached exactly in exact arithmetic counts as reached. */
#define SPRT_SLACK 1e-12

static enum lo_sprt_decision sprt_decide(const struct lo_sprt *s, double llr)
{
    if (llr >= s->upper - SPRT_SLACK)
        return LO_SPRT_FAIL;
    if (llr <= s->lower + SPRT_SLACK)
        return LO_SPRT_PASS;
    return LO_SPRT_CONTINUE;
}

static void sprt_finish(const struct lo_sprt *s, struct lo_sprt_result *out)
{
    out->more_correct_to_pass = 0;
    if (out->decision == LO_SPRT_CONTINUE) {
        double k = (out->llr - s->lower) / -s->step_correct;
        out->more_correct_to_pass = (long)ceil(k - SPRT_SLACK);
        if (out->more_correct_to_pass < 1)
            out->more_correct_to_pass = 1;
    }
}

void lo_sprt_run(const struct lo_sprt *s, const bool *correct, size_t n,
                 struct lo_sprt_result *out)
{
    out->decision = LO_SPRT_CONTINUE;
    out->llr = 0;
    out->used = 0;
    out->correct = out->wrong = 0;
    for (size_t i = 0; i < n && out->decision == LO_SPRT_CONTINUE; i++) {
        if (correct[i]) {
            out->llr += s->step_correct;
            out->correct++;
        } else {
            out->llr += s->step_wrong;
            out->wrong++;
        }
        out->used = i + 1;
        out->decision = sprt_decide(s, out->llr);
    }
    sprt_finish(s, out);
}

void lo_sprt_counts(const struct lo_sprt *s, long correct, long wrong, struct lo_sprt_result *out)
{
    out->correct = correct;
    out->wrong = wrong;
    out->used = (size_t)(correct + wrong);
    out->llr = (double)correct * s->step_correct + (double)wrong * s->step_wrong;
    out->decision = sprt_decide(s, out->llr);
    sprt_finish(s, out);
}

/* ⌈v⌉ that forgives the last bits of rounding: 370.0000000001 is 370. */
static long ceil_tolerant(double v)
{
    return (long)ceil(v - 1e-9 * (1.0 + fabs(v)));
}

int lo_sample_size_margin(double margin, double p, double confidence, long population,
                          struct lo_sample_size *out, struct lo_error *err)
{
    if (!(margin > 0 && margin < 1))
        return lo_error_field(err, LO_EINVAL, "margin",
                              "the margin must lie strictly between 0 and 1, got %g", margin);
    if (!(p >= 0 && p <= 1))
        return lo_error_field(err, LO_EINVAL, "p", "p must lie in [0, 1], got %g", p);
    if (!(confidence > 0 && confidence < 1))
        return lo_error_field(err, LO_EINVAL, "confidence",
                              "confidence must lie strictly between 0 and 1, got %g", confidence);
    if (population < 0)
        return lo_error_field(err, LO_EINVAL, "population",
                              "the population must be positive, got %ld", population);
    out->z = lo_normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    out->n0 = out->z * out->z * p * (1.0 - p) / (margin * margin);
    out->n_infinite = ceil_tolerant(out->n0);
    if (out->n_infinite < 1)
        out->n_infinite = 1;
    out->n = out->n_infinite;
    if (population > 0) {
        double n = out->n0 / (1.0 + (out->n0 - 1.0) / (double)population);
        out->n = ceil_tolerant(n);
        if (out->n < 1)
            out->n = 1;
        if (out->n > population)
            out->n = population;
    }
    return 0;
}

int lo_sample_size_zero_defect(double defect_rate, double alpha, long *n_out,
                               struct lo_error *err)
{
    if (!(defect_rate > 0 && defect_rate < 1))
        return lo_error_field(err, LO_EINVAL, "defect-rate",
                              "the defect rate must lie strictly between 0 and 1, got %g",
                              defect_rate);
    if (!(alpha > 0 && alpha < 1))
        return lo_error_field(err, LO_EINVAL, "alpha",
                              "alpha must lie strictly between 0 and 1, got %g", alpha);
    long n = ceil_tolerant(log(alpha) / log1p(-defect_rate));
    *n_out = n < 1 ? 1 : n;
    return 0;
}

double lo_majority_accuracy(long n, double p)
{
    if (n <= 0 || !(p >= 0 && p <= 1))
        return NAN;
    double s = 0;
    for (long k = 0; k <= n; k++) {
        double pk = lo_binom_pmf(k, n, p);
        if (2 * k > n)
            s += pk;
        else if (2 * k == n)
            s += 0.5 * pk;
    }
    return s;
}

double lo_two_then_third_accuracy(double p)
{
    /* agree and right (p²), or disagree (2p(1 − p)) and the third is right (p). */
    return p * p + 2.0 * p * (1.0 - p) * p;
}

double lo_two_then_third_expected_labels(double p)
{
    return 2.0 + 2.0 * p * (1.0 - p);
}
