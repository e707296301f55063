/*
 * test_audit.c - accuracy intervals, Beta posterior, SPRT, audit sample sizes and overlap
 * designs. Every number comes from tests/fixtures/reference/ops-vectors.md sections 2, 3 and 4
 * and is checked to the precision printed there.
 */
#include <math.h>
#include <stdbool.h>

#include "harness.h"
#include "quality/audit.h"

struct ci_row {
    long x, n;
    double cp[2], wilson[2], jeffreys[2];
    double tol;
};

/* ops-vectors.md section 2, "Estimating accuracy from an audit". */
static const struct ci_row ci_rows[] = {
    { 7, 50, { 0.05819, 0.26740 }, { 0.06951, 0.26186 }, { 0.06487, 0.25533 }, 5e-6 },
    { 45, 50, { 0.78186, 0.96672 }, { 0.78640, 0.95652 }, { 0.79465, 0.96081 }, 5e-6 },
    { 0, 20, { 0, 0.16843 }, { 0, 0.16113 }, { 0, 0.11664 }, 5e-6 },
    { 95, 100, { 0.88717, 0.98357 }, { 0.88825, 0.97846 }, { 0.89390, 0.98067 }, 5e-6 },
    { 190, 200, { 0.90997, 0.97577 }, { 0.91042, 0.97262 }, { 0.91312, 0.97401 }, 5e-6 },
    { 20, 20, { 0.83157, 1 }, { 0.83887, 1 }, { 0.88336, 1 }, 5e-6 },
    { 81, 263, { 0.252737, 0.367622 }, { 0.255289, 0.366210 }, { 0.254522, 0.365647 }, 5e-7 },
};

static void test_intervals_reproduce_published_95_percent_bounds(void)
{
    for (size_t i = 0; i < sizeof(ci_rows) / sizeof(ci_rows[0]); i++) {
        const struct ci_row *r = &ci_rows[i];
        struct lo_interval ci;
        CHECK_INT(lo_binom_interval(LO_CI_CLOPPER_PEARSON, r->x, r->n, 0.95, &ci, NULL), 0);
        CHECK_NEAR(ci.lo, r->cp[0], r->tol);
        CHECK_NEAR(ci.hi, r->cp[1], r->tol);
        CHECK_INT(lo_binom_interval(LO_CI_WILSON, r->x, r->n, 0.95, &ci, NULL), 0);
        CHECK_NEAR(ci.lo, r->wilson[0], r->tol);
        CHECK_NEAR(ci.hi, r->wilson[1], r->tol);
        CHECK_INT(lo_binom_interval(LO_CI_JEFFREYS, r->x, r->n, 0.95, &ci, NULL), 0);
        CHECK_NEAR(ci.lo, r->jeffreys[0], r->tol);
        CHECK_NEAR(ci.hi, r->jeffreys[1], r->tol);
    }
}

static void test_interval_of_nothing_audited_is_undefined_not_nan(void)
{
    struct lo_interval ci = { -1, -1 };
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_binom_interval(LO_CI_WILSON, 0, 0, 0.95, &ci, &err), LO_EUNDEFINED);
    CHECK(err.msg[0] != '\0');
    CHECK_INT(lo_binom_interval(LO_CI_JEFFREYS, 3, 2, 0.95, &ci, NULL), LO_EINVAL);
    CHECK_INT(lo_binom_interval(LO_CI_WILSON, 1, 2, 1.0, &ci, NULL), LO_EINVAL);
}

static void test_wider_confidence_gives_wider_interval(void)
{
    for (int m = LO_CI_WILSON; m <= LO_CI_JEFFREYS; m++) {
        struct lo_interval a, b;
        CHECK_INT(lo_binom_interval((enum lo_interval_method)m, 30, 40, 0.90, &a, NULL), 0);
        CHECK_INT(lo_binom_interval((enum lo_interval_method)m, 30, 40, 0.99, &b, NULL), 0);
        CHECK(b.lo < a.lo && b.hi > a.hi);
        CHECK(a.lo < 0.75 && a.hi > 0.75);
    }
}

static void test_sample_size_for_margin_with_finite_population(void)
{
    static const struct {
        double p, e;
        long n_inf, n_10000, n_2000;
    } rows[] = { { 0.50, 0.05, 385, 370, 323 }, { 0.95, 0.02, 457, 437, 372 },
                 { 0.98, 0.01, 753, 701, 548 } };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lo_sample_size s;
        CHECK_INT(lo_sample_size_margin(rows[i].e, rows[i].p, 0.95, 0, &s, NULL), 0);
        CHECK_INT(s.n, rows[i].n_inf);
        CHECK_INT(lo_sample_size_margin(rows[i].e, rows[i].p, 0.95, 10000, &s, NULL), 0);
        CHECK_INT(s.n, rows[i].n_10000);
        CHECK_INT(s.n_infinite, rows[i].n_inf);
        CHECK_INT(lo_sample_size_margin(rows[i].e, rows[i].p, 0.95, 2000, &s, NULL), 0);
        CHECK_INT(s.n, rows[i].n_2000);
    }
    struct lo_sample_size s;
    CHECK_INT(lo_sample_size_margin(0.05, 0.5, 0.95, 50, &s, NULL), 0);
    CHECK(s.n <= 50);
    CHECK_INT(lo_sample_size_margin(0, 0.5, 0.95, 0, &s, NULL), LO_EINVAL);
}

static void test_zero_defect_sample_size(void)
{
    long n = 0;
    CHECK_INT(lo_sample_size_zero_defect(0.01, 0.05, &n, NULL), 0);
    CHECK_INT(n, 299);
    CHECK_INT(lo_sample_size_zero_defect(0.02, 0.05, &n, NULL), 0);
    CHECK_INT(n, 149);
    CHECK_INT(lo_sample_size_zero_defect(0.05, 0.05, &n, NULL), 0);
    CHECK_INT(n, 59);
    CHECK_INT(lo_sample_size_zero_defect(0.01, 0.10, &n, NULL), 0);
    CHECK_INT(n, 230);
    /* an exact power: 0.5² = 0.25, so two items suffice, not three */
    CHECK_INT(lo_sample_size_zero_defect(0.5, 0.25, &n, NULL), 0);
    CHECK_INT(n, 2);
    CHECK_INT(lo_sample_size_zero_defect(0, 0.05, &n, NULL), LO_EINVAL);
}

/* ops-vectors.md section 3: posterior mean, 5% quantile, P(acc < 0.8), P(acc < 0.9). */
static void test_beta_posterior_reproduces_published_table(void)
{
    static const struct {
        long c, m;
        double a0, b0, mean, q05, below80, below90;
    } rows[] = {
        { 18, 20, 1, 1, 0.8636, 0.7294, 0.1787, 0.6484 },
        { 18, 20, 0.5, 0.5, 0.8810, 0.7498, 0.1270, 0.5419 },
        { 18, 20, 8, 2, 0.8667, 0.7539, 0.1404, 0.6710 },
        { 9, 10, 1, 1, 0.8333, 0.6356, 0.3221, 0.6974 },
        { 45, 50, 1, 1, 0.8846, 0.8048, 0.0421, 0.5976 },
        { 3, 5, 1, 1, 0.5714, 0.2713, 0.9011, 0.9842 },
        { 3, 5, 8, 2, 0.7333, 0.5343, 0.6982, 0.9559 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lo_beta post;
        struct lo_beta prior = { rows[i].a0, rows[i].b0 };
        CHECK_INT(lo_beta_posterior(prior, rows[i].c, rows[i].m, &post, NULL), 0);
        CHECK_NEAR(lo_beta_mean(post), rows[i].mean, 5e-5);
        CHECK_NEAR(lo_beta_dist_quantile(post, 0.05), rows[i].q05, 5e-5);
        CHECK_NEAR(lo_beta_prob_below(post, 0.8), rows[i].below80, 5e-5);
        CHECK_NEAR(lo_beta_prob_below(post, 0.9), rows[i].below90, 5e-5);
    }
    struct lo_beta post;
    CHECK_INT(lo_beta_posterior((struct lo_beta){ 0, 1 }, 1, 2, &post, NULL), LO_EINVAL);
    CHECK_INT(lo_beta_posterior((struct lo_beta){ 1, 1 }, 3, 2, &post, NULL), LO_EINVAL);
}

static void test_smoothed_accuracy(void)
{
    CHECK_NEAR(lo_accuracy_smoothed(9, 10, 0.5), 0.8636, 5e-5);
    CHECK_NEAR(lo_accuracy_smoothed(0, 0, 0.5), 0.5, 0);
}

static void test_sprt_thresholds_and_steps_match_ops_vectors(void)
{
    struct lo_sprt s;
    CHECK_INT(lo_sprt_init(&s, 0.9, 0.75, 0.05, 0.05, NULL), 0);
    CHECK_NEAR(s.upper, 2.9444, 5e-5);
    CHECK_NEAR(s.lower, -2.9444, 5e-5);
    CHECK_NEAR(s.step_correct, -0.1823, 5e-5);
    CHECK_NEAR(s.step_wrong, 0.9163, 5e-5);
    CHECK_INT(lo_sprt_init(&s, 0.75, 0.9, 0.05, 0.05, NULL), LO_EINVAL);
}

static void test_sprt_passes_fails_or_keeps_sampling(void)
{
    struct lo_sprt s;
    struct lo_sprt_result r;
    bool answers[40];
    CHECK_INT(lo_sprt_init(&s, 0.9, 0.75, 0.05, 0.05, NULL), 0);
    /* 2.9444 / 0.1823 = 16.15: seventeen correct answers in a row pass, sixteen do not. */
    for (int i = 0; i < 40; i++)
        answers[i] = true;
    lo_sprt_run(&s, answers, 16, &r);
    CHECK_INT(r.decision, LO_SPRT_CONTINUE);
    CHECK_INT(r.more_correct_to_pass, 1);
    lo_sprt_run(&s, answers, 40, &r);
    CHECK_INT(r.decision, LO_SPRT_PASS);
    CHECK_INT(r.used, 17);
    CHECK_STR(lo_sprt_decision_name(r.decision), "pass");
    /* four wrong answers reach 3.665 > 2.9444: fail after the fourth */
    for (int i = 0; i < 6; i++)
        answers[i] = false;
    lo_sprt_run(&s, answers, 40, &r);
    CHECK_INT(r.decision, LO_SPRT_FAIL);
    CHECK_INT(r.used, 4);
    CHECK_INT(r.wrong, 4);
    /* counts alone: 3 wrong (2.749) and 0 right keeps sampling */
    lo_sprt_counts(&s, 0, 3, &r);
    CHECK_INT(r.decision, LO_SPRT_CONTINUE);
    CHECK_INT(r.more_correct_to_pass, 32);
    CHECK_STR(lo_sprt_decision_name(r.decision), "continue");
}

/* ops-vectors.md section 4: majority of n and "two, then a third only on disagreement". */
static void test_majority_of_n_and_two_then_third(void)
{
    CHECK_NEAR(lo_majority_accuracy(3, 0.7), 0.784, 5e-4);
    CHECK_NEAR(lo_majority_accuracy(5, 0.7), 0.8369, 5e-5);
    CHECK_NEAR(lo_majority_accuracy(7, 0.7), 0.8740, 5e-5);
    CHECK_NEAR(lo_majority_accuracy(3, 0.9), 0.972, 5e-4);
    CHECK_NEAR(lo_majority_accuracy(5, 0.9), 0.9914, 5e-5);
    CHECK_NEAR(lo_majority_accuracy(1, 0.7), 0.7, 1e-15);
    /* a tie is a coin flip, so two labels are no better than one */
    CHECK_NEAR(lo_majority_accuracy(2, 0.7), 0.7, 1e-15);
    static const double ps[] = { 0.7, 0.8, 0.9, 0.95 };
    static const double labels[] = { 2.42, 2.32, 2.18, 2.095 };
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(lo_two_then_third_expected_labels(ps[i]), labels[i], 5e-4);
        CHECK_NEAR(lo_two_then_third_accuracy(ps[i]), lo_majority_accuracy(3, ps[i]), 1e-14);
    }
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_intervals_reproduce_published_95_percent_bounds),
        LO_T(test_interval_of_nothing_audited_is_undefined_not_nan),
        LO_T(test_wider_confidence_gives_wider_interval),
        LO_T(test_sample_size_for_margin_with_finite_population),
        LO_T(test_zero_defect_sample_size),
        LO_T(test_beta_posterior_reproduces_published_table),
        LO_T(test_smoothed_accuracy),
        LO_T(test_sprt_thresholds_and_steps_match_ops_vectors),
        LO_T(test_sprt_passes_fails_or_keeps_sampling),
        LO_T(test_majority_of_n_and_two_then_third),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
