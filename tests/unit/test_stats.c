/*
 * test_stats.c - special functions: log-gamma, incomplete beta and its inverse, normal
 * quantile, chi-square tail, binomial and hypergeometric sums. Reference values are textbook
 * identities and the published numbers of tests/fixtures/reference/ops-vectors.md.
 */
#include <math.h>

#include "harness.h"
#include "quality/stats.h"

static void test_log_gamma_matches_factorials_and_half_integers(void)
{
    CHECK_NEAR(lo_log_gamma(1.0), 0.0, 1e-15);
    CHECK_NEAR(lo_log_gamma(2.0), 0.0, 1e-15);
    CHECK_NEAR(lo_log_gamma(5.0), log(24.0), 1e-13);
    CHECK_NEAR(lo_log_gamma(0.5), 0.5 * log(3.14159265358979323846), 1e-13);
    CHECK_NEAR(lo_log_gamma(101.0), 363.73937555556347, 1e-9); /* ln 100! */
    CHECK_NEAR(lo_log_gamma(1e-3), 6.907178885383853, 1e-11);
    CHECK(isnan(lo_log_gamma(0.0)));
    CHECK(isnan(lo_log_gamma(-1.5)));
}

static void test_incomplete_beta_known_values(void)
{
    /* I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b. */
    CHECK_NEAR(lo_beta_cdf(0.3, 1, 1), 0.3, 1e-14);
    CHECK_NEAR(lo_beta_cdf(0.7, 3, 1), pow(0.7, 3), 1e-14);
    CHECK_NEAR(lo_beta_cdf(0.2, 1, 4), 1 - pow(0.8, 4), 1e-14);
    /* symmetry I_x(a, b) = 1 − I_{1−x}(b, a) and the arcsine law I_x(½, ½) = 2/π asin √x */
    CHECK_NEAR(lo_beta_cdf(0.25, 2.5, 7.0), 1 - lo_beta_cdf(0.75, 7.0, 2.5), 1e-14);
    CHECK_NEAR(lo_beta_cdf(0.3, 0.5, 0.5), 2 / 3.14159265358979323846 * asin(sqrt(0.3)), 1e-13);
    CHECK_NEAR(lo_beta_cdf(0, 2, 3), 0, 0);
    CHECK_NEAR(lo_beta_cdf(1, 2, 3), 1, 0);
}

static void test_beta_quantile_inverts_the_cdf(void)
{
    static const double ab[][2] = { { 0.5, 0.5 }, { 1, 1 }, { 19, 3 }, { 7.5, 43.5 },
                                    { 0.5, 20.5 }, { 300, 12 }, { 2, 2000 } };
    static const double ps[] = { 1e-6, 0.025, 0.05, 0.5, 0.95, 0.975, 0.999999 };
    for (size_t i = 0; i < sizeof(ab) / sizeof(ab[0]); i++)
        for (size_t j = 0; j < sizeof(ps) / sizeof(ps[0]); j++) {
            double x = lo_beta_quantile(ps[j], ab[i][0], ab[i][1]);
            CHECK(x >= 0 && x <= 1);
            CHECK_NEAR(lo_beta_cdf(x, ab[i][0], ab[i][1]), ps[j], 1e-10);
        }
    CHECK_NEAR(lo_beta_quantile(0, 2, 3), 0, 0);
    CHECK_NEAR(lo_beta_quantile(1, 2, 3), 1, 0);
}

static void test_normal_quantile_full_precision(void)
{
    CHECK_NEAR(lo_normal_quantile(0.975), 1.959963984540054, 1e-13);
    CHECK_NEAR(lo_normal_quantile(0.5), 0.0, 1e-15);
    CHECK_NEAR(lo_normal_quantile(0.95), 1.6448536269514722, 1e-13);
    CHECK_NEAR(lo_normal_quantile(0.001), -3.090232306167813, 1e-12);
    CHECK_NEAR(lo_normal_quantile(1e-10), -6.361340902404056, 1e-9);
    CHECK_NEAR(lo_normal_quantile(1 - 1e-10), 6.361340889697422, 1e-6);
    for (double p = 0.001; p < 1; p += 0.0137)
        CHECK_NEAR(lo_normal_cdf(lo_normal_quantile(p)), p, 1e-14);
    CHECK(isinf(lo_normal_quantile(0)) && lo_normal_quantile(0) < 0);
}

static void test_chi_square_tail(void)
{
    /* 3.841459 is the 95% point of chi-square(1); 5.991465 of chi-square(2) (= e^(−x/2)). */
    CHECK_NEAR(lo_chi2_sf(3.841458820694124, 1), 0.05, 1e-12);
    CHECK_NEAR(lo_chi2_sf(5.991464547107979, 2), 0.05, 1e-12);
    CHECK_NEAR(lo_chi2_sf(7.0, 2), exp(-3.5), 1e-14);
    CHECK_NEAR(lo_chi2_sf(18.307038053275146, 10), 0.05, 1e-11);
    CHECK_NEAR(lo_chi2_sf(0, 3), 1, 0);
    CHECK_NEAR(lo_gamma_p(2.5, 1.7) + lo_gamma_q(2.5, 1.7), 1, 1e-14);
    CHECK_NEAR(lo_gamma_p(1, 2), 1 - exp(-2), 1e-14);
}

/* ops-vectors.md section 1: OC curve rows (binomial) and the hypergeometric row. */
static void test_binomial_oc_values_published_in_ops_vectors(void)
{
    CHECK_NEAR(lo_binom_cdf(2, 80, 0.005), 0.9923, 5e-5);
    CHECK_NEAR(lo_binom_cdf(2, 80, 0.01), 0.9534, 5e-5);
    CHECK_NEAR(lo_binom_cdf(2, 80, 0.025), 0.6767, 5e-5);
    CHECK_NEAR(lo_binom_cdf(2, 80, 0.10), 0.0107, 5e-5);
    CHECK_NEAR(lo_binom_cdf(3, 125, 0.04), 0.2593, 5e-5);
    CHECK_NEAR(lo_binom_cdf(0, 13, 0.065), 0.4174, 5e-5);
    CHECK_NEAR(lo_binom_cdf(5, 80, 0.01), 0.9998, 5e-5);
    CHECK_NEAR(lo_binom_cdf(2, 80, 0), 1, 0);
    CHECK_NEAR(lo_binom_cdf(2, 80, 1), 0, 0);
    /* the sum and the incomplete beta identity agree where both are used */
    CHECK_NEAR(lo_binom_cdf(300, 1000, 0.31), lo_beta_cdf(0.69, 700, 301), 1e-12);
    CHECK_NEAR(lo_hypergeom_cdf(2, 1000, 10, 80), 0.9608, 5e-5);
    CHECK_NEAR(lo_hypergeom_cdf(2, 1000, 25, 80), 0.6771, 5e-5);
    CHECK_NEAR(lo_hypergeom_cdf(2, 1000, 50, 80), 0.2186, 5e-5);
    CHECK_NEAR(lo_hypergeom_cdf(2, 1000, 0, 80), 1, 0);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_log_gamma_matches_factorials_and_half_integers),
        LO_T(test_incomplete_beta_known_values),
        LO_T(test_beta_quantile_inverts_the_cdf),
        LO_T(test_normal_quantile_full_precision),
        LO_T(test_chi_square_tail),
        LO_T(test_binomial_oc_values_published_in_ops_vectors),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
