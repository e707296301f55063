/*
 * test_sampling.c - ANSI/ASQ Z1.4 (MIL-STD-105E) single sampling: Table I, the resolver with
 * its arrows and 100% inspection, OC curves, AOQ/AOQL/ATI and the switching rules.
 *
 * Sources of the expected values:
 * - tests/fixtures/reference/ops-vectors.md section 1 (Table I, sample sizes, resolved plans,
 *   tightened plans, OC table, hypergeometric and rectifying values);
 * - the level II normal and tightened single-sampling rows for AQL 0.65..15 as transcribed
 *   from MIL-STD-105E Tables II-A and II-B in "TABLE 1-A" / "TABLE 1-B" of
 *   http://www.nibs.org/FMOC/DPW_AC/AC-TABLE.ASC (rejection numbers; Ac = Re - 1 there).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "quality/sampling.h"

/* ops-vectors.md Table I: lot-size ranges x (S-1 S-2 S-3 S-4 I II III). */
static const struct {
    long lo, hi;
    const char *letters;
} table_i[] = {
    { 2, 8, "AAAAAAB" },          { 9, 15, "AAAAABC" },         { 16, 25, "AABBBCD" },
    { 26, 50, "ABBCCDE" },        { 51, 90, "BBCCCEF" },        { 91, 150, "BBCDDFG" },
    { 151, 280, "BCDEEGH" },      { 281, 500, "BCDEFHJ" },      { 501, 1200, "CCEFGJK" },
    { 1201, 3200, "CDEGHKL" },    { 3201, 10000, "CDFGJLM" },   { 10001, 35000, "CDFHKMN" },
    { 35001, 150000, "DEGJLNP" }, { 150001, 500000, "DEGJMPQ" }, { 500001, 5000000, "DEHKNQR" },
};

static void test_code_letters_match_table_i_at_every_range_end(void)
{
    for (size_t r = 0; r < sizeof(table_i) / sizeof(table_i[0]); r++)
        for (int lv = 0; lv < 7; lv++) {
            char a = 0, b = 0;
            CHECK_INT(lo_z14_code_letter(table_i[r].lo, (enum lo_z14_level)lv, &a, NULL), 0);
            CHECK_INT(lo_z14_code_letter(table_i[r].hi, (enum lo_z14_level)lv, &b, NULL), 0);
            CHECK_INT(a, table_i[r].letters[lv]);
            CHECK_INT(b, table_i[r].letters[lv]);
        }
    char c;
    CHECK_INT(lo_z14_code_letter(1, LO_Z14_II, &c, NULL), LO_EINVAL);
}

static void test_sample_sizes_per_letter(void)
{
    static const char *letters = "ABCDEFGHJKLMNPQR";
    static const long normal[] = { 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000 };
    static const long reduced[] = { 2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800 };
    for (int i = 0; i < 16; i++) {
        CHECK_INT(lo_z14_letter_sample_size(letters[i], LO_Z14_NORMAL), normal[i]);
        CHECK_INT(lo_z14_letter_sample_size(letters[i], LO_Z14_TIGHTENED), normal[i]);
        CHECK_INT(lo_z14_letter_sample_size(letters[i], LO_Z14_REDUCED), reduced[i]);
    }
    CHECK_INT(lo_z14_letter_sample_size('S', LO_Z14_TIGHTENED), 3150);
    CHECK_INT(lo_z14_letter_sample_size('S', LO_Z14_NORMAL), 0);
}

/* ops-vectors.md: "Resolved plans, inspection level II, normal". */
static void test_resolver_reproduces_published_level_ii_plans(void)
{
    static const struct {
        long lot;
        double aql;
        char initial, letter;
        const char *steps;
        long n;
        int ac, re;
        int full;
    } rows[] = {
        { 1000, 0.65, 'J', 'J', "", 80, 1, 2, 0 },   { 1000, 1.0, 'J', 'J', "", 80, 2, 3, 0 },
        { 1000, 2.5, 'J', 'J', "", 80, 5, 6, 0 },    { 1000, 4.0, 'J', 'J', "", 80, 7, 8, 0 },
        { 100, 1.0, 'F', 'E', "u", 13, 0, 1, 0 },    { 100, 1.5, 'F', 'G', "d", 32, 1, 2, 0 },
        { 100, 2.5, 'F', 'F', "", 20, 1, 2, 0 },     { 5000, 1.0, 'L', 'L', "", 200, 5, 6, 0 },
        { 5000, 2.5, 'L', 'L', "", 200, 10, 11, 0 }, { 50, 6.5, 'D', 'D', "", 8, 1, 2, 0 },
        { 10, 2.5, 'B', 'C', "d", 5, 0, 1, 0 },       { 200000, 0.065, 'P', 'P', "", 800, 1, 2, 0 },
        { 3, 1.0, 'A', 'E', "dddd", 13, 0, 1, 1 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lo_z14_plan p;
        CHECK_INT(lo_z14_resolve(rows[i].lot, rows[i].aql, LO_Z14_II, LO_Z14_NORMAL, &p, NULL), 0);
        CHECK_INT(p.initial_letter, rows[i].initial);
        CHECK_INT(p.letter, rows[i].letter);
        CHECK_STR(p.steps, rows[i].steps);
        CHECK_INT(p.n, rows[i].n);
        CHECK_INT(p.ac, rows[i].ac);
        CHECK_INT(p.re, rows[i].re);
        CHECK_INT(p.full_inspection, rows[i].full);
        CHECK_INT(p.sample, rows[i].full ? rows[i].lot : rows[i].n);
    }
}

static void test_resolver_tightened_published_plans(void)
{
    struct lo_z14_plan p;
    CHECK_INT(lo_z14_resolve(1000, 2.5, LO_Z14_II, LO_Z14_TIGHTENED, &p, NULL), 0);
    CHECK_INT(p.letter, 'J');
    CHECK_INT(p.n, 80);
    CHECK_INT(p.ac, 3);
    CHECK_INT(p.re, 4);
    CHECK_INT(lo_z14_resolve(1000, 1.0, LO_Z14_II, LO_Z14_TIGHTENED, &p, NULL), 0);
    CHECK_INT(p.n, 80);
    CHECK_INT(p.ac, 1);
    CHECK_INT(p.re, 2);
}

/* Level II rows of Tables II-A and II-B for AQL .65 1.0 1.5 2.5 4.0 6.5 10 15 (nibs.org
 * transcription): "v" arrow down, "^" arrow up, a number is the rejection number. */
static const char *const normal_rows[][9] = {
    { "A", "v", "v", "v", "v", "v", "1", "^", "v" },
    { "B", "v", "v", "v", "v", "1", "^", "v", "2" },
    { "C", "v", "v", "v", "1", "^", "v", "2", "3" },
    { "D", "v", "v", "1", "^", "v", "2", "3", "4" },
    { "E", "v", "1", "^", "v", "2", "3", "4", "6" },
    { "F", "1", "^", "v", "2", "3", "4", "6", "8" },
    { "G", "^", "v", "2", "3", "4", "6", "8", "11" },
    { "H", "v", "2", "3", "4", "6", "8", "11", "15" },
    { "J", "2", "3", "4", "6", "8", "11", "15", "22" },
    { "K", "3", "4", "6", "8", "11", "15", "22", "^" },
    { "L", "4", "6", "8", "11", "15", "22", "^", "^" },
    { "M", "6", "8", "11", "15", "22", "^", "^", "^" },
    { "N", "8", "11", "15", "22", "^", "^", "^", "^" },
    { "P", "11", "15", "22", "^", "^", "^", "^", "^" },
    { "Q", "15", "22", "^", "^", "^", "^", "^", "^" },
};
static const char *const tightened_rows[][9] = {
    { "B", "v", "v", "v", "v", "v", "1", "v", "v" },
    { "C", "v", "v", "v", "v", "1", "v", "v", "2" },
    { "D", "v", "v", "v", "1", "v", "v", "2", "3" },
    { "E", "v", "v", "1", "v", "v", "2", "3", "4" },
    { "F", "v", "1", "v", "v", "2", "3", "4", "6" },
    { "G", "1", "v", "v", "2", "3", "4", "6", "9" },
    { "H", "v", "v", "2", "3", "4", "6", "9", "13" },
    { "J", "v", "2", "3", "4", "6", "9", "13", "19" },
    { "K", "2", "3", "4", "6", "9", "13", "19", "^" },
    { "L", "3", "4", "6", "9", "13", "19", "^", "^" },
};

static int cell_matches(struct lo_z14_cell c, const char *want, enum lo_z14_severity sev)
{
    if (strcmp(want, "v") == 0)
        return c.kind == LO_Z14_ARROW_DOWN;
    if (strcmp(want, "^") == 0)
        return c.kind == LO_Z14_ARROW_UP;
    int re = atoi(want);
    (void)sev;
    return c.kind == LO_Z14_PLAN && c.re == re && c.ac == re - 1;
}

static void test_table_rule_agrees_with_transcribed_rows_of_tables_ii_a_and_ii_b(void)
{
    int first = lo_z14_aql_index(0.65);
    CHECK(first >= 0);
    for (size_t r = 0; r < sizeof(normal_rows) / sizeof(normal_rows[0]); r++)
        for (int c = 0; c < 8; c++) {
            struct lo_z14_cell cell = lo_z14_table_cell(normal_rows[r][0][0], first + c, LO_Z14_NORMAL);
            CHECK_MSG(cell_matches(cell, normal_rows[r][c + 1], LO_Z14_NORMAL),
                      "normal %s AQL %g: want %s", normal_rows[r][0], lo_z14_aqls[first + c],
                      normal_rows[r][c + 1]);
        }
    for (size_t r = 0; r < sizeof(tightened_rows) / sizeof(tightened_rows[0]); r++)
        for (int c = 0; c < 8; c++) {
            struct lo_z14_cell cell =
                lo_z14_table_cell(tightened_rows[r][0][0], first + c, LO_Z14_TIGHTENED);
            CHECK_MSG(cell_matches(cell, tightened_rows[r][c + 1], LO_Z14_TIGHTENED),
                      "tightened %s AQL %g: want %s", tightened_rows[r][0],
                      lo_z14_aqls[first + c], tightened_rows[r][c + 1]);
        }
}

/* Property over the whole space: every lot size class, level, AQL and severity resolves to a
 * plan; arrows are consistent (up lowers n, down raises it); 100% inspection exactly when
 * n >= lot. */
static void test_every_combination_resolves_consistently(void)
{
    static const long lots[] = { 2, 8, 9, 25, 50, 90, 150, 280, 500, 1200, 3200, 10000, 35000,
                                 150000, 500000, 2000000 };
    for (size_t l = 0; l < sizeof(lots) / sizeof(lots[0]); l++)
        for (int lv = 0; lv < 7; lv++)
            for (int j = 0; j < LO_Z14_N_AQL; j++)
                for (int sev = 0; sev < 3; sev++) {
                    struct lo_z14_plan p;
                    int rc = lo_z14_resolve(lots[l], lo_z14_aqls[j], (enum lo_z14_level)lv,
                                            (enum lo_z14_severity)sev, &p, NULL);
                    CHECK_INT(rc, 0);
                    CHECK(p.n > 0);
                    CHECK(p.re > p.ac && p.ac >= 0);
                    CHECK_INT(p.full_inspection, p.n >= lots[l]);
                    long n0 = lo_z14_letter_sample_size(p.initial_letter, (enum lo_z14_severity)sev);
                    /* reduced A, B and C share n = 2, so a step may keep n */
                    if (p.n_steps > 0 && p.steps[0] == 'u')
                        CHECK(sev == LO_Z14_REDUCED ? p.n <= n0 : p.n < n0);
                    if (p.n_steps > 0 && p.steps[0] == 'd')
                        CHECK(sev == LO_Z14_REDUCED ? p.n >= n0 : p.n > n0);
                    if (sev == LO_Z14_REDUCED) {
                        struct lo_z14_plan normal;
                        CHECK_INT(lo_z14_resolve(lots[l], lo_z14_aqls[j], (enum lo_z14_level)lv,
                                                 LO_Z14_NORMAL, &normal, NULL), 0);
                        CHECK(p.n <= normal.n);
                    }
                }
}

static void test_aql_not_in_table_is_rejected_with_the_list(void)
{
    struct lo_z14_plan p;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_z14_resolve(1000, 2.0, LO_Z14_II, LO_Z14_NORMAL, &p, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "2.5") != NULL);
    enum lo_z14_level lv;
    CHECK_INT(lo_z14_level_parse("s-3", &lv, NULL), 0);
    CHECK_INT(lv, LO_Z14_S3);
    CHECK_INT(lo_z14_level_parse("IV", &lv, NULL), LO_EUSAGE);
}

/* ops-vectors.md OC table: Pa at p = 0.5% 1% 2.5% 4% 5% 6.5% 10%. */
static void test_oc_curve_reproduces_published_table(void)
{
    static const double ps[] = { 0.005, 0.01, 0.025, 0.04, 0.05, 0.065, 0.10 };
    static const struct {
        long n;
        int ac;
        double pa[7];
    } rows[] = {
        { 80, 2, { 0.9923, 0.9534, 0.6767, 0.3748, 0.2306, 0.1009, 0.0107 } },
        { 80, 5, { 1.0000, 0.9998, 0.9848, 0.8988, 0.7892, 0.5798, 0.1769 } },
        { 125, 3, { 0.9963, 0.9626, 0.6189, 0.2593, 0.1238, 0.0346, 0.0010 } },
        { 200, 5, { 0.9994, 0.9840, 0.6160, 0.1856, 0.0623, 0.0090, 0.0000 } },
        { 13, 0, { 0.9369, 0.8775, 0.7195, 0.5882, 0.5133, 0.4174, 0.2542 } },
        { 32, 1, { 0.9888, 0.9593, 0.8097, 0.6319, 0.5200, 0.3754, 0.1564 } },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
        for (int k = 0; k < 7; k++)
            CHECK_NEAR(lo_plan_pa(rows[r].n, rows[r].ac, ps[k]), rows[r].pa[k], 5e-5);
}

static void test_hypergeometric_and_rectifying_inspection_values(void)
{
    CHECK_NEAR(lo_plan_pa_finite(1000, 10, 80, 2), 0.9608, 5e-5);
    CHECK_NEAR(lo_plan_pa_finite(1000, 25, 80, 2), 0.6771, 5e-5);
    CHECK_NEAR(lo_plan_pa_finite(1000, 50, 80, 2), 0.2186, 5e-5);
    CHECK_NEAR(lo_plan_aoq(1000, 80, 2, 0.01), 0.00877, 5e-6);
    CHECK_NEAR(lo_plan_ati(1000, 80, 2, 0.01), 122.8, 0.06);
    CHECK_NEAR(lo_plan_aoq(1000, 80, 2, 0.03), 0.01568, 5e-6);
    CHECK_NEAR(lo_plan_ati(1000, 80, 2, 0.03), 477.3, 0.05);
    double aoql, at;
    lo_plan_aoql(1000, 80, 2, &aoql, &at);
    CHECK_NEAR(aoql, 0.01574, 5e-6);
    CHECK_NEAR(at, 0.0281, 5e-4);
    /* 100% inspection: every lot is sorted, ATI is the lot */
    CHECK_NEAR(lo_plan_ati(3, 13, 0, 0.01), 3, 0);
}

static struct lo_z14_lot lot_result(bool accepted, long defectives)
{
    struct lo_z14_lot l = { accepted, defectives, 0, true, true, 2 };
    return l;
}

static void test_switching_normal_to_tightened_and_back(void)
{
    struct lo_z14_switching s;
    lo_z14_switching_init(&s);
    struct lo_z14_lot ok = lot_result(true, 0), bad = lot_result(false, 3);
    /* rejections 5 lots apart do not switch; 2 within 5 consecutive lots do */
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_NORMAL);
    for (int i = 0; i < 4; i++)
        CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_NORMAL);
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_NORMAL);
    for (int i = 0; i < 3; i++)
        CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_NORMAL);
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_TIGHTENED);
    CHECK(strstr(s.reason, "4.7.1") != NULL);
    /* tightened -> normal after 5 consecutive accepted lots; a rejection restarts the count */
    for (int i = 0; i < 4; i++)
        CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_TIGHTENED);
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_TIGHTENED);
    for (int i = 0; i < 4; i++)
        CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_TIGHTENED);
    CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_NORMAL);
}

static void test_switching_discontinues_after_five_rejections_on_tightened(void)
{
    struct lo_z14_switching s;
    lo_z14_switching_init(&s);
    struct lo_z14_lot ok = lot_result(true, 0), bad = lot_result(false, 3);
    lo_z14_switching_record(&s, &bad);
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_TIGHTENED);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_TIGHTENED);
        CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_TIGHTENED);
    }
    CHECK_INT(lo_z14_switching_record(&s, &bad), LO_Z14_STATE_DISCONTINUED);
    CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_DISCONTINUED);
    lo_z14_switching_resume(&s);
    CHECK_INT(s.state, LO_Z14_STATE_TIGHTENED);
}

static void test_switching_to_reduced_needs_ten_lots_limit_steady_and_approval(void)
{
    struct lo_z14_switching s;
    lo_z14_switching_init(&s);
    struct lo_z14_lot ok = lot_result(true, 0);
    struct lo_z14_lot unapproved = ok;
    unapproved.reduced_approved = false;
    for (int i = 0; i < 12; i++)
        CHECK_INT(lo_z14_switching_record(&s, &unapproved), LO_Z14_STATE_NORMAL);
    lo_z14_switching_init(&s);
    struct lo_z14_lot some = lot_result(true, 1);
    for (int i = 0; i < 9; i++)
        CHECK_INT(lo_z14_switching_record(&s, i < 3 ? &some : &ok), LO_Z14_STATE_NORMAL);
    /* lot 10: 3 defectives in the last 10 samples exceed the limit number 2; lot 11: the
     * first lot leaves the window and 2 remain */
    CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_NORMAL);
    CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_REDUCED);
    /* reduced -> normal when a lot is accepted with more than Ac defectives */
    struct lo_z14_lot between = lot_result(true, 1);
    between.ac = 0;
    CHECK_INT(lo_z14_switching_record(&s, &ok), LO_Z14_STATE_REDUCED);
    CHECK_INT(lo_z14_switching_record(&s, &between), LO_Z14_STATE_NORMAL);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_code_letters_match_table_i_at_every_range_end),
        LO_T(test_sample_sizes_per_letter),
        LO_T(test_resolver_reproduces_published_level_ii_plans),
        LO_T(test_resolver_tightened_published_plans),
        LO_T(test_table_rule_agrees_with_transcribed_rows_of_tables_ii_a_and_ii_b),
        LO_T(test_every_combination_resolves_consistently),
        LO_T(test_aql_not_in_table_is_rejected_with_the_list),
        LO_T(test_oc_curve_reproduces_published_table),
        LO_T(test_hypergeometric_and_rectifying_inspection_values),
        LO_T(test_switching_normal_to_tightened_and_back),
        LO_T(test_switching_discontinues_after_five_rejections_on_tightened),
        LO_T(test_switching_to_reduced_needs_ten_lots_limit_steady_and_approval),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
