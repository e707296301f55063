/*
 * test_agreement.c - agreement coefficients (quality/agreement.h) and the wide, counts and
 * table readers (io/agree_input.h), against published values.
 *
 * Every row of tests/fixtures/reference/agreement/expected.csv is reproduced within its
 * tolerance (test_every_published_value_in_expected_csv), plus the more precise numbers in
 * tests/fixtures/reference/README.md. Sources are cited next to each number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/rng.h"
#include "harness.h"
#include "io/agree_input.h"
#include "io/csv.h"
#include "quality/agreement.h"
#include "quality/ratings.h"

#define FIX(name) lo_fixture("reference/agreement/" name)

/* ---------------------------------------------------------------------------------------
 * Loading helpers (return 0 on success)
 */

static int load_wide(struct lo_arena *a, const char *path, struct lo_agree_data *d)
{
    struct lo_ratings r;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_agree_read_wide(path, LO_FMT_CSV, NULL, NULL, a, &r, &err);
    if (rc) {
        fprintf(stdout, "    load %s: %s\n", path, err.msg);
        return rc;
    }
    return lo_agree_from_ratings(&r, a, d, &err);
}

static int load_counts(struct lo_arena *a, const char *path, struct lo_agree_data *d)
{
    struct lo_agree_counts c;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_agree_read_counts(path, LO_FMT_CSV, NULL, a, &c, &err);
    if (rc) {
        fprintf(stdout, "    load %s: %s\n", path, err.msg);
        return rc;
    }
    return lo_agree_from_counts(c.counts, c.n_items, c.n_classes, c.class_names, c.class_values,
                                a, d, &err);
}

static int load_table(struct lo_arena *a, const char *path, double n_obs, struct lo_agree_data *d)
{
    struct lo_agree_table t;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_agree_read_table(path, LO_FMT_CSV, n_obs, a, &t, &err);
    if (rc) {
        fprintf(stdout, "    load %s: %s\n", path, err.msg);
        return rc;
    }
    return lo_agree_from_table(t.cells, t.q, t.class_names, t.class_values, a, d, &err);
}

/* Row `name` of cohen_wikipedia_2x2.csv as a 2x2 table. */
static int load_cohen_wiki(struct lo_arena *a, const char *name, struct lo_agree_data *d)
{
    const char *path = FIX("cohen_wikipedia_2x2.csv");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return LO_EIO;
    struct lo_csv_reader csv;
    struct lo_error err;
    double t[4] = { 0 };
    int found = 0;
    int rc = lo_csv_open(&csv, fp, path, ',', true, &err);
    if (rc == 0)
        rc = lo_csv_skip_comments(&csv, &err);
    while (rc >= 0) {
        struct lo_str *f;
        size_t n;
        rc = lo_csv_next(&csv, &f, &n, &err);
        if (rc <= 0)
            break;
        if (n >= 5 && lo_str_eq_cstr(f[0], name)) {
            for (int i = 0; i < 4; i++)
                lo_str_to_double(f[i + 1], &t[i]);
            found = 1;
        }
    }
    lo_csv_close(&csv);
    fclose(fp);
    if (!found)
        return LO_ENOTFOUND;
    return lo_agree_from_table(t, 2, NULL, NULL, a, d, &err);
}

/* Keeps only the ratings of annotators 0 and 1 (wide files: the first two columns). */
static int load_wide_first_two(struct lo_arena *a, const char *path, struct lo_agree_data *d)
{
    struct lo_ratings r;
    struct lo_error err;
    int rc = lo_agree_read_wide(path, LO_FMT_CSV, NULL, NULL, a, &r, &err);
    if (rc)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.annotator[i] < 2) {
            r.item[k] = r.item[i];
            r.annotator[k] = r.annotator[i];
            r.label[k] = r.label[i];
            k++;
        }
    }
    r.n = k;
    r.n_annotators = 2;
    return lo_agree_from_ratings(&r, a, d, &err);
}

/* Cohen (1968) disagreement weights 0 1 3 / 1 0 6 / 3 6 0, as agreement weights. */
static void cohen1968_weights(double *w)
{
    static const double v[9] = { 0, 1, 3, 1, 0, 6, 3, 6, 0 };
    memcpy(w, v, sizeof(v));
    lo_agree_weights_normalize(w, 3, NULL);
}

/* Fleiss, Cohen & Everitt (1969) similarity weights. */
static void fce1969_weights(double *w)
{
    static const double v[9] = { 1, 0, .4444, 0, 1, .6667, .4444, .6667, 1 };
    memcpy(w, v, sizeof(v));
}

/* ---------------------------------------------------------------------------------------
 * Every row of expected.csv
 */

enum what { VALUE, PO, PE };

/* Computes the coefficient a row of expected.csv names. Returns false for an unknown name. */
static bool compute_named(const char *name, double *out)
{
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result res;
    double per_cat[16];
    double w[9];
    bool known = true;
    enum what what = VALUE;
    int rc = 0;
    *out = NAN;
    res.defined = false;

#define HAS(s) (strstr(name, (s)) != NULL)
    if (HAS(".K2011C")) {
        if (HAS("alpha.K2011C.")) {
            /* Krippendorff's own layout (coders in rows) */
            rc = load_wide(&a, FIX("krippendorff2011_C_coders_x_units.csv"), &d);
            int lv = HAS(".nominal")   ? LO_LEVEL_NOMINAL
                     : HAS(".ordinal") ? LO_LEVEL_ORDINAL
                     : HAS(".interval") ? LO_LEVEL_INTERVAL
                                        : LO_LEVEL_RATIO;
            if (!rc)
                rc = lo_agree_alpha(&d, (enum lo_level)lv, &res, NULL);
        } else {
            rc = load_wide(&a, FIX("irrCAC_cac_raw4raters.csv"), &d);
            if (rc)
                ;
            else if (HAS("krippen.alpha.raw"))
                rc = lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &res, NULL);
            else if (HAS("gwet.ac1.raw"))
                rc = lo_agree_ac1(&d, NULL, &res, NULL);
            else if (HAS("fleiss.kappa.raw"))
                rc = lo_agree_fleiss_generalized(&d, NULL, &res, NULL);
            else if (HAS("conger.kappa.raw"))
                rc = lo_agree_conger(&d, NULL, &res, NULL);
            else if (HAS("bp.coeff.raw"))
                rc = lo_agree_bp(&d, NULL, &res, NULL);
            else if (HAS("pa.coeff.raw"))
                rc = lo_agree_percent(&d, NULL, &res, NULL);
            else
                known = false;
        }
    } else if (HAS("alpha.Wiki3.")) {
        rc = load_wide(&a, FIX("krippendorff_wikipedia_3coders.csv"), &d);
        if (!rc)
            rc = lo_agree_alpha(&d, HAS("interval") ? LO_LEVEL_INTERVAL : LO_LEVEL_NOMINAL, &res,
                                NULL);
    } else if (HAS(".FleissWiki")) {
        rc = load_counts(&a, FIX("fleiss_wikipedia_counts.csv"), &d);
        if (!rc)
            rc = lo_agree_fleiss(&d, &res, NULL, NULL);
        what = HAS(".pa") ? PO : HAS(".pe") ? PE : VALUE;
    } else if (HAS(".Fleiss1971")) {
        rc = load_wide(&a, FIX("fleiss1971_diagnoses_raw.csv"), &d);
        if (!rc)
            rc = lo_agree_fleiss(&d, &res, per_cat, NULL);
        const char *cat = strstr(name, ".cat");
        if (cat && !rc) {
            int k = atoi(cat + 4) - 1;
            res.value = per_cat[k];
        }
    } else if (HAS(".distrib6")) {
        rc = load_counts(&a, FIX("irrCAC_distrib_6raters.csv"), &d);
        if (rc)
            ;
        else if (HAS("gwet.ac1"))
            rc = lo_agree_ac1(&d, NULL, &res, NULL);
        else if (HAS("fleiss.kappa"))
            rc = lo_agree_fleiss(&d, &res, NULL, NULL);
        else if (HAS("krippen.alpha"))
            rc = lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &res, NULL);
        else if (HAS("bp.coeff"))
            rc = lo_agree_bp(&d, NULL, &res, NULL);
        else
            known = false;
    } else if (HAS(".dist4cat")) {
        rc = load_counts(&a, FIX("irrCAC_cac_dist4cat.csv"), &d);
        if (!rc)
            rc = lo_agree_ac1(&d, NULL, &res, NULL);
    } else if (HAS(".cont3x3")) {
        rc = load_table(&a, FIX("irrCAC_cont3x3abstractors.csv"), 0, &d);
        if (rc)
            ;
        else if (HAS("kappa2") || HAS("cohens_kappa"))
            rc = lo_agree_cohen(&d, NULL, &res, NULL);
        else if (HAS("scott2"))
            rc = lo_agree_scott(&d, NULL, &res, NULL);
        else if (HAS("gwet.ac1"))
            rc = lo_agree_ac1(&d, NULL, &res, NULL);
        else if (HAS("bp2"))
            rc = lo_agree_bp(&d, NULL, &res, NULL);
        else if (HAS("krippen2"))
            rc = lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &res, NULL);
        else if (HAS("pa2"))
            rc = lo_agree_percent(&d, NULL, &res, NULL);
        else
            known = false;
    } else if (HAS(".CohenWiki.")) {
        rc = load_cohen_wiki(&a, HAS(".main") ? "main" : HAS("same_pct_1") ? "same_pct_1"
                                                                             : "same_pct_2",
                             &d);
        if (!rc)
            rc = lo_agree_cohen(&d, NULL, &res, NULL);
    } else if (HAS(".Cohen1968.")) {
        rc = load_table(&a, FIX("cohen1968_weighted_proportions.csv"), 200, &d);
        cohen1968_weights(w);
        if (!rc)
            rc = lo_agree_cohen(&d, HAS("unweighted") ? NULL : w, &res, NULL);
    } else if (HAS(".FCE1969.")) {
        rc = load_table(&a, FIX("fce1969_weighted_counts.csv"), 0, &d);
        fce1969_weights(w);
        if (!rc)
            rc = lo_agree_cohen(&d, HAS("unweighted") ? NULL : w, &res, NULL);
    } else {
        known = false;
    }
#undef HAS
    if (known && rc == 0)
        *out = what == PO ? res.po : what == PE ? res.pe : res.value;
    lo_arena_free(&a);
    return known;
}

static void test_every_published_value_in_expected_csv(void)
{
    const char *path = FIX("expected.csv");
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    struct lo_csv_reader csv;
    struct lo_error err;
    CHECK_INT(lo_csv_open(&csv, fp, path, ',', true, &err), 0);
    struct lo_str *f;
    size_t n;
    int rows = 0, bad = 0;
    CHECK_INT(lo_csv_next(&csv, &f, &n, &err), 1); /* header */
    while (lo_csv_next(&csv, &f, &n, &err) == 1) {
        char name[256];
        double expected, tol, got;
        if (n < 3)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)f[0].len, f[0].ptr);
        if (!lo_str_to_double(f[1], &expected) || !lo_str_to_double(f[2], &tol)) {
            bad += !lo__test_fail(__FILE__, __LINE__, "%s: unreadable row", name);
            continue;
        }
        rows++;
        if (!compute_named(name, &got)) {
            bad += !lo__test_fail(__FILE__, __LINE__, "%s: no computation for this row", name);
            continue;
        }
        /* Published values are rounded: a value printed to k decimals is within half a unit
         * of the k-th decimal plus the row's tolerance. */
        if (!(fabs(got - expected) <= tol + 1e-12))
            bad += !lo__test_fail(__FILE__, __LINE__, "%s = %.10g, expected %.10g within %g",
                                  name, got, expected, tol);
    }
    lo_csv_close(&csv);
    fclose(fp);
    CHECK(rows >= 40);
    CHECK_INT(bad, 0);
}

/* ---------------------------------------------------------------------------------------
 * The precise numbers of tests/fixtures/reference/README.md
 */

static void test_krippendorff_2011_data_c_all_levels(void)
{
    /* Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", data C. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_wide(&a, FIX("krippendorff2011_C_coders_x_units.csv"), &d), 0);
    CHECK_INT(d.n_units, 12);
    CHECK_INT(d.n_annotators, 4);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK(r.defined);
    CHECK_NEAR(r.value, 0.7434211, 5e-8);
    CHECK_NEAR(r.pairable, 40, 0); /* unit 12 has one value and is not pairable */
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_ORDINAL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.8153875, 5e-8);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_INTERVAL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.8491071, 5e-8);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_RATIO, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.7974028, 5e-8);
    lo_arena_free(&a);
}

static void test_krippendorff_transposed_and_irrcac_layout_agree(void)
{
    /* irrCAC's cac.raw4raters is data C with coders in columns. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d1, d2;
    struct lo_agree_result r1, r2;
    CHECK_INT(load_wide(&a, FIX("krippendorff2011_C_coders_x_units.csv"), &d1), 0);
    CHECK_INT(load_wide(&a, FIX("irrCAC_cac_raw4raters.csv"), &d2), 0);
    for (int lv = 0; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&d1, (enum lo_level)lv, &r1, NULL), 0);
        CHECK_INT(lo_agree_alpha(&d2, (enum lo_level)lv, &r2, NULL), 0);
        CHECK_NEAR(r1.value, r2.value, 1e-12);
    }
    lo_arena_free(&a);
}

static void test_coincidence_matrix_of_data_c(void)
{
    /* Krippendorff (2011), data C: the coincidence marginals are the pairable values per
     * category: 1 -> 9, 2 -> 13, 3 -> 10, 4 -> 5, 5 -> 3 (n = 40). */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    double *o;
    CHECK_INT(load_wide(&a, FIX("krippendorff2011_C_coders_x_units.csv"), &d), 0);
    CHECK_INT(lo_agree_coincidence(&d, &a, &o, NULL), 0);
    static const double marg[5] = { 9, 13, 10, 5, 3 };
    double total = 0;
    for (size_t c = 0; c < 5; c++) {
        double s = 0;
        for (size_t k = 0; k < 5; k++) {
            s += o[c * 5 + k];
            CHECK_NEAR(o[c * 5 + k], o[k * 5 + c], 1e-12);
        }
        CHECK_NEAR(s, marg[c], 1e-12);
        total += s;
    }
    CHECK_NEAR(total, 40, 1e-12);
    CHECK_NEAR(o[0 * 5 + 0], 7, 1e-12);        /* o_11 = 7 in Krippendorff's table */
    CHECK_NEAR(o[0 * 5 + 1], 4.0 / 3, 1e-12);  /* o_12 = 4/3 */
    lo_arena_free(&a);
}

static void test_fleiss_1971_kappa_per_category_alpha_and_ac1(void)
{
    /* Fleiss (1971) Psychol Bull 76:378; README: kappa 0.4302445, per category .245 .245 .520
     * .471 .566, alpha nominal 0.4334098 (complete data), AC1 0.44788. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    double cat[5];
    CHECK_INT(load_wide(&a, FIX("fleiss1971_diagnoses_raw.csv"), &d), 0);
    CHECK_INT(d.n_units, 30);
    CHECK_INT(lo_agree_fleiss(&d, &r, cat, NULL), 0);
    CHECK(r.defined);
    CHECK_NEAR(r.value, 0.4302445, 5e-8);
    CHECK_NEAR(cat[0], 0.245, 5e-4);
    CHECK_NEAR(cat[1], 0.245, 5e-4);
    CHECK_NEAR(cat[2], 0.520, 5e-4);
    CHECK_NEAR(cat[3], 0.471, 5e-4);
    CHECK_NEAR(cat[4], 0.566, 5e-4);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.4334098, 5e-8);
    CHECK_INT(lo_agree_ac1(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.44788, 5e-6);
    /* Gwet's generalisation equals Fleiss' kappa on complete data. */
    CHECK_INT(lo_agree_fleiss_generalized(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.4302445, 5e-8);
    lo_arena_free(&a);
}

static void test_fleiss_wikipedia_counts(void)
{
    /* Wikipedia "Fleiss' kappa": kappa 0.2099307, P-bar 0.3780220, P-bar-e 0.2127551;
     * README: AC1 0.2256142, alpha 0.2155741. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_counts(&a, FIX("fleiss_wikipedia_counts.csv"), &d), 0);
    CHECK_INT(d.n_units, 10);
    CHECK_INT(d.n_classes, 5);
    CHECK_INT(lo_agree_fleiss(&d, &r, NULL, NULL), 0);
    CHECK_NEAR(r.value, 0.2099307, 5e-8);
    CHECK_NEAR(r.po, 0.3780220, 5e-8);
    CHECK_NEAR(r.pe, 0.2127551, 5e-8);
    CHECK_INT(r.annotators, 14);
    CHECK_INT(lo_agree_ac1(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.2256142, 5e-8);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.2155741, 5e-8);
    lo_arena_free(&a);
}

static void test_cohen_wikipedia_tables(void)
{
    /* Wikipedia "Cohen's kappa": 0.40; 45/15/25/15 -> 0.1304348; 25/35/5/35 -> 0.2592593. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_cohen_wiki(&a, "main", &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.40, 1e-12);
    CHECK_NEAR(r.po, 0.70, 1e-12);
    CHECK_NEAR(r.pe, 0.50, 1e-12);
    CHECK_NEAR(r.items, 50, 0);
    CHECK_INT(load_cohen_wiki(&a, "same_pct_1", &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.1304348, 5e-8);
    CHECK_INT(load_cohen_wiki(&a, "same_pct_2", &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.2592593, 5e-8);
    lo_arena_free(&a);
}

static void test_cohen_1968_and_fce_1969_weighted_kappa(void)
{
    /* Cohen (1968): kappa .4915254, weighted .3478261; Fleiss, Cohen & Everitt (1969): kappa
     * .4285714, weighted .5070700 (weights printed to 4 decimals, hence 5e-6). */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    double w[9];
    CHECK_INT(load_table(&a, FIX("cohen1968_weighted_proportions.csv"), 200, &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.4915254, 5e-8);
    CHECK_NEAR(r.items, 200, 1e-9);
    cohen1968_weights(w);
    CHECK_INT(lo_agree_cohen(&d, w, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.3478261, 5e-8);
    CHECK_INT(load_table(&a, FIX("fce1969_weighted_counts.csv"), 0, &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.4285714, 5e-8);
    fce1969_weights(w);
    CHECK_INT(lo_agree_cohen(&d, w, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.5070700, 5e-6);
    lo_arena_free(&a);
}

static void test_weighted_kappa_linear_and_quadratic_on_anxiety(void)
{
    /* R irr: kappa2(anxiety[,1:2], "equal") 0.1891892, "squared" 0.2967651. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_wide_first_two(&a, FIX("irr_anxiety_raw.csv"), &d), 0);
    CHECK_INT(d.n_classes, 6);
    double w[36];
    lo_agree_weights(LO_WEIGHTS_LINEAR, d.class_values, 6, w);
    CHECK_INT(lo_agree_cohen(&d, w, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.1891892, 5e-8);
    CHECK(r.weighted);
    lo_agree_weights(LO_WEIGHTS_QUADRATIC, d.class_values, 6, w);
    CHECK_INT(lo_agree_cohen(&d, w, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.2967651, 5e-8);
    lo_arena_free(&a);
}

static void test_alpha_interval_on_irr_anxiety(void)
{
    /* README: alpha interval 0.1700986 on irr's anxiety data (20 subjects x 3 raters). */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_wide(&a, FIX("irr_anxiety_raw.csv"), &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_INTERVAL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.1700986, 5e-8);
    CHECK_STR(lo_level_name(r.level), "interval");
    lo_arena_free(&a);
}

static void test_conger_kappa_matches_irrcac_readme(void)
{
    /* cran/irrCAC README: conger.kappa.raw(cac.raw4raters) = 0.76282 (Gwet's form with
     * missing ratings); expected.csv allows 0.005, we match to the printed digits. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(load_wide(&a, FIX("irrCAC_cac_raw4raters.csv"), &d), 0);
    CHECK_INT(lo_agree_conger(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 0.76282, 5e-6);
    CHECK_INT(r.annotators, 4);
    CHECK_NEAR(r.items, 12, 0);
    lo_arena_free(&a);
}

/* ---------------------------------------------------------------------------------------
 * Properties and undefined cases
 */

/* Builds ratings from parallel string arrays through the ratings builder. */
static int build(struct lo_arena *a, size_t n, const char *const *items, const char *const *anns,
                 const char *const *labels, struct lo_agree_data *d)
{
    struct lo_ratings_builder *b;
    struct lo_ratings r;
    struct lo_error err;
    int rc = lo_ratings_builder_new(&b, a);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rc = lo_ratings_builder_add(b, lo_str_from(items[i]), lo_str_from(anns[i]),
                                    lo_str_from(labels[i]), &err);
        if (rc) {
            lo_ratings_builder_free(b);
            return rc;
        }
    }
    rc = lo_ratings_builder_finish(b, &r, &err);
    if (rc)
        return rc;
    return lo_agree_from_ratings(&r, a, d, &err);
}

static void test_alpha_is_one_for_perfect_agreement(void)
{
    static const char *const it[] = { "i1", "i1", "i2", "i2", "i2", "i3", "i3", "i4", "i4" };
    static const char *const an[] = { "a", "b", "a", "b", "c", "b", "c", "a", "c" };
    static const char *const lb[] = { "1", "1", "3", "3", "3", "2", "2", "5", "5" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(build(&a, 9, it, an, lb, &d), 0);
    for (int lv = 0; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&d, (enum lo_level)lv, &r, NULL), 0);
        CHECK(r.defined);
        CHECK_NEAR(r.value, 1.0, 1e-12);
    }
    CHECK_INT(lo_agree_percent(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 1.0, 1e-12);
    CHECK_INT(lo_agree_ac1(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 1.0, 1e-12);
    lo_arena_free(&a);
}

static void test_renaming_classes_changes_no_nominal_coefficient(void)
{
    static const char *const it[] = { "i1", "i1", "i1", "i2", "i2", "i3", "i3", "i3", "i4", "i4",
                                      "i5", "i5" };
    static const char *const an[] = { "a", "b", "c", "a", "b", "a", "b", "c", "b", "c", "a", "c" };
    static const char *const lb1[] = { "x", "x", "y", "z", "z", "y", "y", "y", "x", "z", "z", "x" };
    static const char *const lb2[] = { "9", "9", "0", "qq", "qq", "0", "0", "0", "9", "qq", "qq",
                                       "9" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d1, d2;
    struct lo_agree_result r1, r2;
    CHECK_INT(build(&a, 12, it, an, lb1, &d1), 0);
    CHECK_INT(build(&a, 12, it, an, lb2, &d2), 0);
    CHECK_INT(lo_agree_alpha(&d1, LO_LEVEL_NOMINAL, &r1, NULL), 0);
    CHECK_INT(lo_agree_alpha(&d2, LO_LEVEL_NOMINAL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_ac1(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_ac1(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_conger(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_conger(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_fleiss_generalized(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_fleiss_generalized(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_percent(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_percent(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    lo_arena_free(&a);
}

static void test_reordering_rows_changes_nothing(void)
{
    static const char *const it[] = { "i1", "i1", "i1", "i2", "i2", "i3", "i3", "i3", "i4", "i4",
                                      "i5", "i5" };
    static const char *const an[] = { "a", "b", "c", "a", "b", "a", "b", "c", "b", "c", "a", "c" };
    static const char *const lb[] = { "1", "1", "2", "3", "3", "2", "2", "1", "1", "3", "3", "1" };
    const char *it2[12], *an2[12], *lb2[12];
    for (int i = 0; i < 12; i++) {
        int j = (i * 5 + 3) % 12; /* a permutation of 0..11 */
        it2[i] = it[j];
        an2[i] = an[j];
        lb2[i] = lb[j];
    }
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d1, d2;
    struct lo_agree_result r1, r2;
    CHECK_INT(build(&a, 12, it, an, lb, &d1), 0);
    CHECK_INT(build(&a, 12, it2, an2, lb2, &d2), 0);
    for (int lv = 0; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&d1, (enum lo_level)lv, &r1, NULL), 0);
        CHECK_INT(lo_agree_alpha(&d2, (enum lo_level)lv, &r2, NULL), 0);
        CHECK_NEAR(r1.value, r2.value, 1e-12);
    }
    CHECK_INT(lo_agree_conger(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_conger(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_bp(&d1, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_bp(&d2, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    lo_arena_free(&a);
}

static void test_first_rating_counts_and_repeats_are_reported(void)
{
    /* Annotator a rates i1 three times: only the first ("x") counts. */
    static const char *const it[] = { "i1", "i1", "i1", "i1", "i2", "i2" };
    static const char *const an[] = { "a", "a", "b", "a", "a", "b" };
    static const char *const lb[] = { "x", "y", "x", "y", "y", "y" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(build(&a, 6, it, an, lb, &d), 0);
    CHECK_INT(d.ignored_repeats, 2);
    CHECK_INT(lo_agree_percent(&d, NULL, &r, NULL), 0);
    CHECK_NEAR(r.value, 1.0, 1e-12);
    CHECK_INT(r.ignored_repeats, 2);
    CHECK_NEAR(r.pairable, 4, 0);
    lo_arena_free(&a);
}

static void test_undefined_cases_give_a_reason(void)
{
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;

    /* One annotator: nothing pairable. */
    static const char *const it1[] = { "i1", "i2", "i3" };
    static const char *const an1[] = { "a", "a", "a" };
    static const char *const lb1[] = { "x", "y", "x" };
    CHECK_INT(build(&a, 3, it1, an1, lb1, &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(isnan(r.value));
    CHECK(r.reason[0] != '\0');
    CHECK_INT(lo_agree_percent(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "two annotators") != NULL);
    CHECK_INT(lo_agree_conger(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);

    /* One value only: alpha and kappa undefined, percent agreement 1. */
    static const char *const it2[] = { "i1", "i1", "i2", "i2" };
    static const char *const an2[] = { "a", "b", "a", "b" };
    static const char *const lb2[] = { "x", "x", "x", "x" };
    CHECK_INT(build(&a, 4, it2, an2, lb2, &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "one value") != NULL);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(r.reason[0] != '\0');
    CHECK_INT(lo_agree_percent(&d, NULL, &r, NULL), 0);
    CHECK(r.defined);
    CHECK_NEAR(r.value, 1, 0);

    /* Nothing pairable: two annotators who never share an item. */
    static const char *const it3[] = { "i1", "i2" };
    static const char *const an3[] = { "a", "b" };
    static const char *const lb3[] = { "x", "y" };
    CHECK_INT(build(&a, 2, it3, an3, lb3, &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "nothing to compare") != NULL);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "both") != NULL);

    /* Cohen with three annotators; Fleiss with varying raters (data C). */
    CHECK_INT(load_wide(&a, FIX("irrCAC_cac_raw4raters.csv"), &d), 0);
    CHECK_INT(lo_agree_cohen(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "exactly two") != NULL);
    CHECK_INT(lo_agree_scott(&d, NULL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK_INT(lo_agree_fleiss(&d, &r, NULL, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "varies") != NULL);

    /* Ordinal on labels that are not numbers. */
    CHECK_INT(build(&a, 2, it3, an3, lb3, &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_ORDINAL, &r, NULL), 0);
    CHECK(!r.defined);
    CHECK(strstr(r.reason, "not all numbers") != NULL);
    lo_arena_free(&a);
}

static void test_ratio_distance_is_zero_when_values_sum_to_zero(void)
{
    /* Values -1 and 1 sum to 0: their ratio distance is 0, so a unit holding both shows no
     * disagreement, and alpha is 1 with another unit that differs. */
    static const char *const it[] = { "i1", "i1", "i2", "i2" };
    static const char *const an[] = { "a", "b", "a", "b" };
    static const char *const lb[] = { "-1", "1", "3", "3" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(build(&a, 4, it, an, lb, &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_RATIO, &r, NULL), 0);
    CHECK(r.defined);
    CHECK_NEAR(r.value, 1.0, 1e-12);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_INTERVAL, &r, NULL), 0);
    CHECK(r.value < 1.0);
    lo_arena_free(&a);
}

static void test_equal_numbers_are_one_value_for_ordinal(void)
{
    /* "0" and "00" are two labels but one number: at the ordinal level they are the same
     * value (distance 0), whatever order the tie is sorted in. */
    static const char *const it[] = { "i1", "i1", "i2", "i2", "i3", "i3" };
    static const char *const an[] = { "a", "b", "a", "b", "a", "b" };
    static const char *const lb[] = { "0", "00", "3", "3", "1", "1" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    CHECK_INT(build(&a, 6, it, an, lb, &d), 0);
    CHECK_INT(d.n_classes, 4);
    for (int lv = LO_LEVEL_ORDINAL; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&d, (enum lo_level)lv, &r, NULL), 0);
        CHECK(r.defined);
        CHECK_NEAR(r.value, 1.0, 1e-12);
    }
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    CHECK(r.value < 1.0);
    lo_arena_free(&a);
}

static void test_bootstrap_interval_is_deterministic_and_brackets_alpha(void)
{
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r;
    struct lo_agree_ci ci1, ci2, ci3;
    struct lo_rng rng;
    CHECK_INT(load_wide(&a, FIX("fleiss1971_diagnoses_raw.csv"), &d), 0);
    CHECK_INT(lo_agree_alpha(&d, LO_LEVEL_NOMINAL, &r, NULL), 0);
    lo_rng_seed(&rng, 7);
    CHECK_INT(lo_agree_alpha_ci(&d, LO_LEVEL_NOMINAL, 0.95, 500, &rng, &ci1, NULL), 0);
    lo_rng_seed(&rng, 7);
    CHECK_INT(lo_agree_alpha_ci(&d, LO_LEVEL_NOMINAL, 0.95, 500, &rng, &ci2, NULL), 0);
    CHECK(ci1.lo == ci2.lo && ci1.hi == ci2.hi);
    CHECK(ci1.lo < r.value && r.value < ci1.hi);
    CHECK(ci1.used > 490);
    lo_rng_seed(&rng, 8);
    CHECK_INT(lo_agree_alpha_ci(&d, LO_LEVEL_NOMINAL, 0.95, 500, &rng, &ci3, NULL), 0);
    CHECK(ci3.lo != ci1.lo || ci3.hi != ci1.hi);
    /* A narrower level gives a narrower interval from the same replicates. */
    lo_rng_seed(&rng, 7);
    CHECK_INT(lo_agree_alpha_ci(&d, LO_LEVEL_NOMINAL, 0.5, 500, &rng, &ci3, NULL), 0);
    CHECK(ci3.lo >= ci1.lo && ci3.hi <= ci1.hi);
    struct lo_error err;
    CHECK_INT(lo_agree_alpha_ci(&d, LO_LEVEL_NOMINAL, 1.5, 500, &rng, &ci3, &err), LO_EINVAL);
    lo_arena_free(&a);
}

static void test_by_annotator_pairwise_and_vs_rest(void)
{
    static const char *const it[] = { "i1", "i1", "i1", "i2", "i2", "i2", "i3", "i3" };
    static const char *const an[] = { "a", "b", "c", "a", "b", "c", "a", "b" };
    static const char *const lb[] = { "x", "x", "y", "x", "x", "x", "y", "x" };
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_by_annotator by;
    CHECK_INT(build(&a, 8, it, an, lb, &d), 0);
    CHECK_INT(lo_agree_by_annotator(&d, &a, &by, NULL), 0);
    CHECK_INT(by.n, 3);
    /* a-b share 3 items and agree on 2; a-c share 2, agree on 1. */
    CHECK_NEAR(by.shared[0 * 3 + 1], 3, 0);
    CHECK_NEAR(by.pairwise[0 * 3 + 1], 2.0 / 3, 1e-12);
    CHECK_NEAR(by.pairwise[1 * 3 + 0], 2.0 / 3, 1e-12);
    CHECK_NEAR(by.pairwise[0 * 3 + 2], 0.5, 1e-12);
    /* a: pairs with b (3) and c (2), agreeing 2 + 1. */
    CHECK_NEAR(by.rest_pairs[0], 5, 0);
    CHECK_NEAR(by.vs_rest[0], 3.0 / 5, 1e-12);
    /* c: pairs with a (2) and b (2); agrees with both on i2 only. */
    CHECK_NEAR(by.vs_rest[2], 2.0 / 4, 1e-12);
    lo_arena_free(&a);
}

static void test_weight_matrix_normalisation(void)
{
    double w[4] = { 0, 2, 2, 0 };
    CHECK_INT(lo_agree_weights_normalize(w, 2, NULL), 0);
    CHECK_NEAR(w[0], 1, 0);
    CHECK_NEAR(w[1], 0, 0);
    double bad[4] = { 0.5, 0, 0, 1 };
    struct lo_error err;
    CHECK_INT(lo_agree_weights_normalize(bad, 2, &err), LO_EINVAL);
    double lin[9];
    lo_agree_weights(LO_WEIGHTS_LINEAR, NULL, 3, lin);
    CHECK_NEAR(lin[0 * 3 + 1], 0.5, 1e-12);
    CHECK_NEAR(lin[0 * 3 + 2], 0.0, 1e-12);
    lo_agree_weights(LO_WEIGHTS_QUADRATIC, NULL, 3, lin);
    CHECK_NEAR(lin[0 * 3 + 1], 0.75, 1e-12);
}

static void test_table_and_raw_two_rater_data_agree(void)
{
    /* The same data as a table and as wide ratings gives the same coefficients. */
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data dt, dr;
    struct lo_agree_result r1, r2;
    CHECK_INT(load_wide_first_two(&a, FIX("irr_anxiety_raw.csv"), &dr), 0);
    double t[36] = { 0 };
    for (size_t u = 0; u < dr.n_units; u++) {
        CHECK_INT(dr.r_start[u + 1] - dr.r_start[u], 2);
        uint32_t k = dr.r_annotator[dr.r_start[u]] == 0 ? dr.r_class[dr.r_start[u]]
                                                        : dr.r_class[dr.r_start[u] + 1];
        uint32_t l = dr.r_annotator[dr.r_start[u]] == 0 ? dr.r_class[dr.r_start[u] + 1]
                                                        : dr.r_class[dr.r_start[u]];
        t[k * 6 + l] += 1;
    }
    CHECK_INT(lo_agree_from_table(t, 6, dr.class_names, dr.class_values, &a, &dt, NULL), 0);
    CHECK_INT(lo_agree_cohen(&dr, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_cohen(&dt, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_ac1(&dr, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_ac1(&dt, NULL, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    for (int lv = 0; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&dr, (enum lo_level)lv, &r1, NULL), 0);
        CHECK_INT(lo_agree_alpha(&dt, (enum lo_level)lv, &r2, NULL), 0);
        CHECK_NEAR(r1.value, r2.value, 1e-12);
    }
    lo_arena_free(&a);
}

static void test_identity_weights_equal_unweighted(void)
{
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d;
    struct lo_agree_result r1, r2;
    CHECK_INT(load_wide(&a, FIX("irrCAC_cac_raw4raters.csv"), &d), 0);
    double w[25];
    lo_agree_weights(LO_WEIGHTS_NONE, d.class_values, d.n_classes, w);
    CHECK_INT(lo_agree_percent(&d, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_percent(&d, w, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_ac1(&d, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_ac1(&d, w, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_bp(&d, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_bp(&d, w, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_conger(&d, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_conger(&d, w, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    CHECK_INT(lo_agree_fleiss_generalized(&d, NULL, &r1, NULL), 0);
    CHECK_INT(lo_agree_fleiss_generalized(&d, w, &r2, NULL), 0);
    CHECK_NEAR(r1.value, r2.value, 1e-12);
    /* Weighted agreement credits near misses: quadratic AC2 >= AC1 on data C. */
    lo_agree_weights(LO_WEIGHTS_QUADRATIC, d.class_values, d.n_classes, w);
    CHECK_INT(lo_agree_percent(&d, w, &r2, NULL), 0);
    CHECK(r2.value > 0.8181818);
    lo_arena_free(&a);
}

/* ---------------------------------------------------------------------------------------
 * Readers
 */

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", lo_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_wide_reader_item_column_group_and_missing(void)
{
    const char *p = write_tmp("w.csv", "# a comment\n"
                                       "Group,id,ann,bob,cy\n"
                                       "g1,x1,a,a,\n"
                                       "g1,x2,b,NA,b\n"
                                       "g2,x3,a,b,a\n");
    CHECK(p != NULL);
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(lo_agree_read_wide(p, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), 0);
    CHECK_INT(r.n, 7);
    CHECK_INT(r.n_items, 3);
    CHECK_INT(r.n_annotators, 3);
    CHECK_STR(r.item_names[1], "x2");
    CHECK_STR(r.annotator_names[2], "cy");
    CHECK_INT(r.n_classes, 2);
    /* With another missing marker, NA becomes a label. */
    CHECK_INT(lo_agree_read_wide(p, LO_FMT_AUTO, NULL, "-", &a, &r, &err), 0);
    CHECK_INT(r.n, 8);
    CHECK_INT(r.n_classes, 3);
    lo_arena_free(&a);
}

static void test_wide_reader_reports_the_line_of_a_ragged_row(void)
{
    const char *p = write_tmp("ragged.csv", "r1,r2\n1,2\n1,2,3\n");
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_ratings r;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_agree_read_wide(p, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK_INT(err.line, 3);
    CHECK(strstr(err.file, "ragged.csv") != NULL);
    lo_arena_free(&a);
}

static void test_counts_with_numeric_categories_out_of_order(void)
{
    /* The same counts with columns 1,2,3 and 3,1,2: ordinal alpha sorts by value. */
    const char *p1 = write_tmp("c1.csv", "1,2,3\n2,1,0\n0,2,1\n0,0,3\n1,1,1\n");
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_data d1, d2;
    struct lo_agree_result r1, r2;
    CHECK_INT(load_counts(&a, p1, &d1), 0);
    const char *p2 = write_tmp("c2.csv", "3,1,2\n0,2,1\n1,0,2\n3,0,0\n1,1,1\n");
    CHECK_INT(load_counts(&a, p2, &d2), 0);
    for (int lv = 0; lv <= LO_LEVEL_RATIO; lv++) {
        CHECK_INT(lo_agree_alpha(&d1, (enum lo_level)lv, &r1, NULL), 0);
        CHECK_INT(lo_agree_alpha(&d2, (enum lo_level)lv, &r2, NULL), 0);
        CHECK(r1.defined);
        CHECK_NEAR(r1.value, r2.value, 1e-12);
    }
    lo_arena_free(&a);
}

static void test_table_reader_shapes(void)
{
    struct lo_arena a;
    lo_arena_init(&a, 0);
    struct lo_agree_table t;
    struct lo_error err;
    /* Header-less matrix, row-labelled matrix, one row of q*q cells: the same table. */
    const char *p = write_tmp("t1.csv", "20,5\n10,15\n");
    CHECK_INT(lo_agree_read_table(p, LO_FMT_AUTO, 0, &a, &t, &err), 0);
    CHECK_INT(t.q, 2);
    CHECK_NEAR(t.cells[2], 10, 0);
    CHECK_NEAR(t.total, 50, 0);
    p = write_tmp("t2.csv", ",yes,no\nyes,20,5\nno,10,15\n");
    CHECK_INT(lo_agree_read_table(p, LO_FMT_AUTO, 0, &a, &t, &err), 0);
    CHECK_INT(t.q, 2);
    CHECK_STR(t.class_names[1], "no");
    CHECK_NEAR(t.cells[1], 5, 0);
    p = write_tmp("t3.csv", "a,b,c,d\n0.4,0.1,0.2,0.3\n");
    CHECK_INT(lo_agree_read_table(p, LO_FMT_AUTO, 50, &a, &t, &err), 0);
    CHECK_NEAR(t.cells[0], 20, 1e-12);
    CHECK(t.scaled);
    /* --n-obs on counts is a mistake the reader names. */
    p = write_tmp("t4.csv", "20,5\n10,15\n");
    CHECK_INT(lo_agree_read_table(p, LO_FMT_AUTO, 50, &a, &t, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "proportions") != NULL);
    lo_arena_free(&a);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_every_published_value_in_expected_csv),
        LO_T(test_krippendorff_2011_data_c_all_levels),
        LO_T(test_krippendorff_transposed_and_irrcac_layout_agree),
        LO_T(test_coincidence_matrix_of_data_c),
        LO_T(test_fleiss_1971_kappa_per_category_alpha_and_ac1),
        LO_T(test_fleiss_wikipedia_counts),
        LO_T(test_cohen_wikipedia_tables),
        LO_T(test_cohen_1968_and_fce_1969_weighted_kappa),
        LO_T(test_weighted_kappa_linear_and_quadratic_on_anxiety),
        LO_T(test_alpha_interval_on_irr_anxiety),
        LO_T(test_conger_kappa_matches_irrcac_readme),
        LO_T(test_alpha_is_one_for_perfect_agreement),
        LO_T(test_renaming_classes_changes_no_nominal_coefficient),
        LO_T(test_reordering_rows_changes_nothing),
        LO_T(test_first_rating_counts_and_repeats_are_reported),
        LO_T(test_undefined_cases_give_a_reason),
        LO_T(test_ratio_distance_is_zero_when_values_sum_to_zero),
        LO_T(test_equal_numbers_are_one_value_for_ordinal),
        LO_T(test_bootstrap_interval_is_deterministic_and_brackets_alpha),
        LO_T(test_by_annotator_pairwise_and_vs_rest),
        LO_T(test_weight_matrix_normalisation),
        LO_T(test_table_and_raw_two_rater_data_agree),
        LO_T(test_identity_weights_equal_unweighted),
        LO_T(test_wide_reader_item_column_group_and_missing),
        LO_T(test_wide_reader_reports_the_line_of_a_ragged_row),
        LO_T(test_counts_with_numeric_categories_out_of_order),
        LO_T(test_table_reader_shapes),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
