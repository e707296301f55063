/*
 * test_drift.c - two-proportion test, p-chart, EWMA chart and PSI. Expected values from
 * tests/fixtures/reference/ops-vectors.md section 6, and for EWMA from the closed form of the
 * limits (Montgomery's Example 9.2 setting: λ 0.1, L 2.7, target 10, σ 1).
 */
#include <math.h>

#include "harness.h"
#include "quality/drift.h"

static void test_two_proportion_test_reproduces_guideline_change_example(void)
{
    struct lo_two_prop t;
    CHECK_INT(lo_two_prop_test(460, 500, 425, 500, 0.95, &t, NULL), 0);
    CHECK_NEAR(t.chi2, 12.04, 5e-3);
    CHECK_NEAR(t.p_value, 0.000522, 5e-7);
    CHECK_NEAR(t.ci_lo, 0.0307, 5e-5);
    CHECK_NEAR(t.ci_hi, 0.1093, 5e-5);
    CHECK_NEAR(t.diff, 0.07, 1e-15);
    /* swapping before and after flips the sign, not the evidence */
    struct lo_two_prop u;
    CHECK_INT(lo_two_prop_test(425, 500, 460, 500, 0.95, &u, NULL), 0);
    CHECK_NEAR(u.chi2, t.chi2, 1e-12);
    CHECK_NEAR(u.ci_lo, -t.ci_hi, 1e-12);
}

static void test_two_proportion_test_undefined_when_nothing_varies(void)
{
    struct lo_two_prop t;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_two_prop_test(50, 50, 80, 80, 0.95, &t, &err), LO_EUNDEFINED);
    CHECK(err.msg[0] != '\0');
    CHECK_INT(lo_two_prop_test(5, 4, 1, 2, 0.95, &t, NULL), LO_EINVAL);
    CHECK_INT(lo_two_prop_test(1, 0, 1, 2, 0.95, &t, NULL), LO_EINVAL);
}

static void test_pchart_limits_published_example(void)
{
    struct lo_pchart c;
    CHECK_INT(lo_pchart_limits(0.04, 200, 3, &c, NULL), 0);
    CHECK_NEAR(c.ucl, 0.0816, 5e-5);
    CHECK_NEAR(c.lcl, 0, 0);
    CHECK_NEAR(c.centre, 0.04, 0);
    CHECK_INT(lo_pchart_limits(0.5, 100, 3, &c, NULL), 0);
    CHECK_NEAR(c.lcl, 0.35, 1e-12);
    CHECK_NEAR(c.ucl, 0.65, 1e-12);
    CHECK_INT(lo_pchart_limits(1.5, 100, 3, &c, NULL), LO_EINVAL);
}

static void test_ewma_recursion_and_limits(void)
{
    static const double x[] = { 9.45, 7.99, 9.29, 11.66, 12.16 };
    struct lo_ewma_point pts[5];
    int signals = lo_ewma_chart(x, 5, 0.1, 10, 1, 2.7, pts, NULL);
    CHECK_INT(signals, 0);
    CHECK_NEAR(pts[0].z, 9.945, 1e-12);
    CHECK_NEAR(pts[1].z, 9.7495, 1e-12);
    /* first limit: 2.7 sqrt(0.1/1.9 (1 − 0.81)) = 2.7 × 0.1 exactly */
    CHECK_NEAR(pts[0].ucl, 10.27, 1e-12);
    CHECK_NEAR(pts[0].lcl, 9.73, 1e-12);
    CHECK(pts[4].ucl > pts[3].ucl && pts[4].ucl < 10 + 2.7 * sqrt(0.1 / 1.9));
    /* a sustained shift of two sigmas signals */
    double shifted[40];
    struct lo_ewma_point sp[40];
    for (int i = 0; i < 40; i++)
        shifted[i] = 12;
    CHECK(lo_ewma_chart(shifted, 40, 0.1, 10, 1, 2.7, sp, NULL) > 0);
    CHECK(!sp[0].signal && sp[39].signal);
    /* λ = 1 is the Shewhart chart: z is the value, limits ±L σ */
    CHECK_INT(lo_ewma_chart(x, 5, 1.0, 10, 1, 3, pts, NULL), 0);
    CHECK_NEAR(pts[3].z, 11.66, 1e-12);
    CHECK_NEAR(pts[3].ucl, 13, 1e-12);
    CHECK(lo_ewma_chart(x, 5, 0, 10, 1, 3, pts, NULL) < 0);
}

static void test_psi_published_example_and_empty_bins(void)
{
    static const double e[] = { 0.5, 0.3, 0.2 }, a[] = { 0.4, 0.35, 0.25 };
    double psi = -1;
    CHECK_INT(lo_psi(e, a, 3, 0, &psi, NULL, NULL), 0);
    CHECK_NEAR(psi, 0.0412, 5e-5);
    /* counts give the same index as proportions */
    static const double ec[] = { 50, 30, 20 }, ac[] = { 80, 70, 50 };
    double psi2 = -1;
    CHECK_INT(lo_psi(ec, ac, 3, 0, &psi2, NULL, NULL), 0);
    CHECK_NEAR(psi2, psi, 1e-12);
    CHECK_INT(lo_psi(e, e, 3, 0, &psi2, NULL, NULL), 0);
    CHECK_NEAR(psi2, 0, 0);
    static const double z[] = { 0.5, 0.5, 0 };
    size_t bad = 99;
    CHECK_INT(lo_psi(e, z, 3, 0, &psi2, &bad, NULL), LO_EUNDEFINED);
    CHECK_INT(bad, 2);
    CHECK_INT(lo_psi(e, z, 3, 1e-4, &psi2, NULL, NULL), 0);
    CHECK(psi2 > 0 && isfinite(psi2));
    static const double neg[] = { 0.5, -0.1, 0.6 };
    CHECK_INT(lo_psi(e, neg, 3, 0, &psi2, NULL, NULL), LO_EINVAL);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_two_proportion_test_reproduces_guideline_change_example),
        LO_T(test_two_proportion_test_undefined_when_nothing_varies),
        LO_T(test_pchart_limits_published_example),
        LO_T(test_ewma_recursion_and_limits),
        LO_T(test_psi_published_example_and_empty_bins),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
