/*
 * sampling.c - ANSI/ASQ Z1.4 (MIL-STD-105E) single sampling: tables, arrows, OC, AOQ, AOQL,
 * ATI and the switching rules. The master tables are encoded by the diagonal rule the printed
 * tables follow (docs/quality/audits.md); tests/unit/test_sampling.c checks it against the
 * published rows. Never allocates, never prints.
 */
#include "quality/sampling.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "quality/stats.h"

const double lo_z14_aqls[LO_Z14_N_AQL] = {
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5,
    4.0,   6.5,   10,    15,    25,    40,   65,  100,  150,  250,  400, 650, 1000,
};

/* Letters of Tables I and II; S (3150) appears under tightened inspection only. */
static const char letters[] = "ABCDEFGHJKLMNPQRS";
#define N_LETTERS 17
#define LETTER_R 15
#define LETTER_S 16

static const long size_normal[N_LETTERS] = { 2,   3,   5,   8,   13,  20,   32,   50,  80,
                                             125, 200, 315, 500, 800, 1250, 2000, 3150 };
static const long size_reduced[LETTER_R + 1] = { 2,  2,  2,   3,   5,   8,   13,  20,
                                                 32, 50, 80, 125, 200, 315, 500, 800 };

/* Table I: upper bounds of the lot-size ranges, and the letter index per level
 * (columns S-1 S-2 S-3 S-4 I II III). */
static const long lot_upper[15] = { 8,     15,    25,    50,     90,     150,    280,
                                    500,   1200,  3200,  10000,  35000,  150000, 500000,
                                    -1 /* 500,001 and over */ };
static const char table_i[15][8] = {
    "AAAAAAB", "AAAAABC", "AABBBCD", "ABBCCDE", "BBCCCEF", "BBCDDFG", "BCDEEGH", "BCDEFHJ",
    "CCEFGJK", "CDEGHKL", "CDFGJLM", "CDFHKMN", "DEGJLNP", "DEGJMPQ", "DEHKNQR",
};

/* The acceptance/rejection pairs along a diagonal of Tables II-A, II-B and II-C. */
static const int plans_normal[][2] = { { 0, 1 },   { 1, 2 },   { 2, 3 },   { 3, 4 },
                                       { 5, 6 },   { 7, 8 },   { 10, 11 }, { 14, 15 },
                                       { 21, 22 }, { 30, 31 }, { 44, 45 } };
static const int plans_tightened[][2] = { { 0, 1 },  { 1, 2 },   { 2, 3 },   { 3, 4 },
                                          { 5, 6 },  { 8, 9 },   { 12, 13 }, { 18, 19 },
                                          { 27, 28 }, { 41, 42 } };
static const int plans_reduced[][2] = { { 0, 1 },   { 0, 2 },   { 1, 3 },   { 1, 4 },
                                        { 2, 5 },   { 3, 6 },   { 5, 8 },   { 7, 10 },
                                        { 10, 13 }, { 14, 17 }, { 21, 24 } };

int lo_z14_level_parse(const char *s, enum lo_z14_level *out, struct lo_error *err)
{
    static const char *const names[] = { "S-1", "S-2", "S-3", "S-4", "I", "II", "III" };
    static const char *const alt[] = { "S1", "S2", "S3", "S4", "1", "2", "3" };
    for (int i = 0; i < 7; i++)
        if (strcasecmp(s, names[i]) == 0 || strcasecmp(s, alt[i]) == 0) {
            *out = (enum lo_z14_level)i;
            return 0;
        }
    return lo_error_field(err, LO_EUSAGE, "level",
                          "unknown inspection level '%s' (use I, II, III, S-1, S-2, S-3, S-4)", s);
}

const char *lo_z14_level_name(enum lo_z14_level l)
{
    static const char *const names[] = { "S-1", "S-2", "S-3", "S-4", "I", "II", "III" };
    return (int)l >= 0 && (int)l < 7 ? names[l] : "?";
}

int lo_z14_severity_parse(const char *s, enum lo_z14_severity *out, struct lo_error *err)
{
    if (strcasecmp(s, "normal") == 0)
        *out = LO_Z14_NORMAL;
    else if (strcasecmp(s, "tightened") == 0)
        *out = LO_Z14_TIGHTENED;
    else if (strcasecmp(s, "reduced") == 0)
        *out = LO_Z14_REDUCED;
    else
        return lo_error_field(err, LO_EUSAGE, "severity",
                              "unknown severity '%s' (use normal, tightened or reduced)", s);
    return 0;
}

const char *lo_z14_severity_name(enum lo_z14_severity s)
{
    switch (s) {
    case LO_Z14_NORMAL:
        return "normal";
    case LO_Z14_TIGHTENED:
        return "tightened";
    case LO_Z14_REDUCED:
        return "reduced";
    }
    return "?";
}

int lo_z14_aql_index(double aql)
{
    for (int j = 0; j < LO_Z14_N_AQL; j++)
        if (fabs(aql - lo_z14_aqls[j]) <= 1e-3 * lo_z14_aqls[j])
            return j;
    return -1;
}

int lo_z14_code_letter(long lot, enum lo_z14_level level, char *letter, struct lo_error *err)
{
    if (lot < 2)
        return lo_error_field(err, LO_EINVAL, "lot", "a lot needs at least 2 units, got %ld",
                              lot);
    if ((int)level < 0 || (int)level > 6)
        return lo_error_field(err, LO_EINVAL, "level", "unknown inspection level %d",
                              (int)level);
    int row = 0;
    while (lot_upper[row] >= 0 && lot > lot_upper[row])
        row++;
    *letter = table_i[row][level];
    return 0;
}

static int letter_index(char letter)
{
    const char *p = letter ? strchr(letters, letter) : NULL;
    return p ? (int)(p - letters) : -1;
}

long lo_z14_letter_sample_size(char letter, enum lo_z14_severity sev)
{
    int i = letter_index(letter);
    if (i < 0)
        return 0;
    if (sev == LO_Z14_REDUCED)
        return i <= LETTER_R ? size_reduced[i] : 0;
    if (sev == LO_Z14_NORMAL && i == LETTER_S)
        return 0;
    return size_normal[i];
}

static struct lo_z14_cell cell_of(enum lo_z14_cell_kind kind, int ac, int re)
{
    struct lo_z14_cell c = { kind, ac, re };
    return c;
}

struct lo_z14_cell lo_z14_table_cell(char letter, int aql_index, enum lo_z14_severity sev)
{
    int i = letter_index(letter);
    int j = aql_index;
    if (i < 0 || j < 0 || j >= LO_Z14_N_AQL || (i == LETTER_S && sev != LO_Z14_TIGHTENED))
        return cell_of(LO_Z14_NONE, 0, 0);
    if (sev == LO_Z14_TIGHTENED) {
        if (i == LETTER_S) /* reached only through the down arrows of row R */
            return cell_of(LO_Z14_PLAN, 1, 2);
        int d = j - (15 - i);
        if (d < 0 || d == 1 || d == 2)
            return cell_of(LO_Z14_ARROW_DOWN, 0, 0);
        if (d == 0)
            return cell_of(LO_Z14_PLAN, 0, 1);
        int k = d - 2;
        int cap = i >= 5 ? 7 : 9; /* F..R stop at 18/19; A..E at 41/42 (A reaches 27/28) */
        if (k > cap)
            return cell_of(LO_Z14_ARROW_UP, 0, 0);
        return cell_of(LO_Z14_PLAN, plans_tightened[k][0], plans_tightened[k][1]);
    }
    /* Normal (II-A) and reduced (II-C) share the arrows; their plans differ. */
    int d = j - (14 - i);
    if (d < 0 || d == 2)
        return cell_of(LO_Z14_ARROW_DOWN, 0, 0);
    if (d == 1)
        return cell_of(LO_Z14_ARROW_UP, 0, 0);
    if (d == 0)
        return cell_of(LO_Z14_PLAN, 0, 1);
    int k = d - 2;
    int cap = i == 0 ? 9 : (i <= 4 ? 10 : 8); /* A 30/31, B..E 44/45, F..R 21/22 */
    if (k > cap)
        return cell_of(LO_Z14_ARROW_UP, 0, 0);
    const int(*plans)[2] = sev == LO_Z14_REDUCED ? plans_reduced : plans_normal;
    return cell_of(LO_Z14_PLAN, plans[k][0], plans[k][1]);
}

static void aql_list(char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int j = 0; j < LO_Z14_N_AQL && used < cap; j++) {
        int w = snprintf(out + used, cap - used, "%s%g", j ? " " : "", lo_z14_aqls[j]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int lo_z14_resolve(long lot, double aql, enum lo_z14_level level, enum lo_z14_severity sev,
                   struct lo_z14_plan *out, struct lo_error *err)
{
    int rc;
    char letter;
    memset(out, 0, sizeof(*out));
    int j = lo_z14_aql_index(aql);
    if (j < 0) {
        char list[256];
        aql_list(list, sizeof(list));
        return lo_error_field(err, LO_EINVAL, "aql",
                              "AQL %g is not a column of the Z1.4 tables (use one of: %s)", aql,
                              list);
    }
    if ((int)sev < 0 || (int)sev > 2)
        return lo_error_field(err, LO_EINVAL, "severity", "unknown severity %d", (int)sev);
    rc = lo_z14_code_letter(lot, level, &letter, err);
    if (rc)
        return rc;
    out->lot = lot;
    out->aql = lo_z14_aqls[j];
    out->level = level;
    out->severity = sev;
    out->initial_letter = letter;
    int i = letter_index(letter);
    int last = sev == LO_Z14_TIGHTENED ? LETTER_S : LETTER_R;
    for (;;) {
        struct lo_z14_cell c = lo_z14_table_cell(letters[i], j, sev);
        if (c.kind == LO_Z14_PLAN) {
            out->ac = c.ac;
            out->re = c.re;
            break;
        }
        if (out->n_steps >= LO_Z14_MAX_STEPS)
            return lo_error_set(err, LO_EINVAL, "Z1.4 arrows do not lead to a plan");
        if (c.kind == LO_Z14_ARROW_UP && i > 0) {
            i--;
            out->steps[out->n_steps++] = 'u';
        } else if (c.kind == LO_Z14_ARROW_DOWN && i < last) {
            i++;
            out->steps[out->n_steps++] = 'd';
        } else {
            /* A down arrow off the bottom of Table II-A/C (row R, AQL 0.015): no larger sample
             * exists, so take the next plan to the right in the same row. */
            int jj = j + 1;
            struct lo_z14_cell r = lo_z14_table_cell(letters[i], jj, sev);
            while (r.kind != LO_Z14_PLAN && jj + 1 < LO_Z14_N_AQL)
                r = lo_z14_table_cell(letters[i], ++jj, sev);
            if (r.kind != LO_Z14_PLAN)
                return lo_error_set(err, LO_EINVAL, "Z1.4 arrows do not lead to a plan");
            out->steps[out->n_steps++] = 'r';
            out->ac = r.ac;
            out->re = r.re;
            break;
        }
    }
    out->steps[out->n_steps] = '\0';
    out->letter = letters[i];
    out->n = lo_z14_letter_sample_size(out->letter, sev);
    out->full_inspection = out->n >= lot;
    out->sample = out->full_inspection ? lot : out->n;
    return 0;
}

/* ---- OC, AOQ, ATI ----------------------------------------------------------------------- */

double lo_plan_pa(long n, int ac, double p)
{
    return lo_binom_cdf(ac, n, p);
}

double lo_plan_pa_finite(long N, long D, long n, int ac)
{
    return lo_hypergeom_cdf(ac, N, D, n);
}

double lo_plan_aoq(long N, long n, int ac, double p)
{
    double share = N > 0 ? (double)(N - n) / (double)N : 1.0;
    if (share < 0)
        share = 0;
    return lo_plan_pa(n, ac, p) * p * share;
}

double lo_plan_ati(long N, long n, int ac, double p)
{
    if (N <= 0)
        return NAN;
    if (n >= N)
        return (double)N;
    return (double)n + (1.0 - lo_plan_pa(n, ac, p)) * (double)(N - n);
}

void lo_plan_aoql(long N, long n, int ac, double *aoql, double *at_p)
{
    /* AOQ(p) rises from 0, peaks once and falls back to 0 at p = 1: find the peak on a grid,
     * then narrow it by golden section. */
    const int steps = 4000;
    double best_p = 0, best = 0;
    for (int k = 1; k < steps; k++) {
        double p = (double)k / steps;
        double v = lo_plan_aoq(N, n, ac, p);
        if (v > best) {
            best = v;
            best_p = p;
        }
    }
    double a = best_p - 1.0 / steps, b = best_p + 1.0 / steps;
    if (a < 0)
        a = 0;
    if (b > 1)
        b = 1;
    const double g = 0.61803398874989484820;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = lo_plan_aoq(N, n, ac, c), fd = lo_plan_aoq(N, n, ac, d);
    for (int it = 0; it < 100 && b - a > 1e-12; it++) {
        if (fc > fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = lo_plan_aoq(N, n, ac, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = lo_plan_aoq(N, n, ac, d);
        }
    }
    double p = 0.5 * (a + b);
    double v = lo_plan_aoq(N, n, ac, p);
    if (v < best) {
        v = best;
        p = best_p;
    }
    *aoql = v;
    *at_p = p;
}

/* ---- Switching rules -------------------------------------------------------------------- */

void lo_z14_switching_init(struct lo_z14_switching *s)
{
    memset(s, 0, sizeof(*s));
    s->state = LO_Z14_STATE_NORMAL;
    s->reason = "";
}

const char *lo_z14_state_name(enum lo_z14_state st)
{
    switch (st) {
    case LO_Z14_STATE_NORMAL:
        return "normal";
    case LO_Z14_STATE_TIGHTENED:
        return "tightened";
    case LO_Z14_STATE_REDUCED:
        return "reduced";
    case LO_Z14_STATE_DISCONTINUED:
        return "discontinued";
    }
    return "?";
}

static void enter(struct lo_z14_switching *s, enum lo_z14_state st, const char *why)
{
    s->state = st;
    s->reason = why;
    s->normal_history = 0;
    s->normal_history_len = 0;
    s->run_accepted = 0;
    memset(s->run_defectives, 0, sizeof(s->run_defectives));
    if (st == LO_Z14_STATE_TIGHTENED)
        s->tightened_rejected = 0;
}

enum lo_z14_state lo_z14_switching_record(struct lo_z14_switching *s, const struct lo_z14_lot *lot)
{
    s->reason = "";
    if (s->state == LO_Z14_STATE_DISCONTINUED)
        return s->state;
    s->lots++;
    switch (s->state) {
    case LO_Z14_STATE_NORMAL: {
        /* 4.7.1: two rejected among five or fewer consecutive lots. */
        bool earlier_rejection = (s->normal_history & 0xF) != 0;
        s->normal_history = ((s->normal_history << 1) | (lot->accepted ? 0 : 1)) & 0xF;
        if (s->normal_history_len < 4)
            s->normal_history_len++;
        if (!lot->accepted) {
            if (earlier_rejection)
                enter(s, LO_Z14_STATE_TIGHTENED,
                      "2 of 5 or fewer consecutive lots rejected on normal inspection (4.7.1)");
            else {
                s->run_accepted = 0;
                memset(s->run_defectives, 0, sizeof(s->run_defectives));
            }
            break;
        }
        s->run_defectives[s->run_accepted % 10] = lot->defectives;
        s->run_accepted++;
        if (s->run_accepted >= 10 && lot->limit_number >= 0 && lot->production_steady &&
            lot->reduced_approved) {
            long total = 0;
            for (int k = 0; k < 10; k++)
                total += s->run_defectives[k];
            if (total <= lot->limit_number)
                enter(s, LO_Z14_STATE_REDUCED,
                      "10 consecutive lots accepted within the limit number, production steady, "
                      "reduced approved (4.7.3)");
        }
        break;
    }
    case LO_Z14_STATE_TIGHTENED:
        if (!lot->accepted) {
            s->run_accepted = 0;
            s->tightened_rejected++;
            if (s->tightened_rejected >= 5)
                enter(s, LO_Z14_STATE_DISCONTINUED,
                      "5 lots rejected while on tightened inspection (4.7.5)");
            break;
        }
        s->run_accepted++;
        if (s->run_accepted >= 5)
            enter(s, LO_Z14_STATE_NORMAL,
                  "5 consecutive lots accepted on tightened inspection (4.7.2)");
        break;
    case LO_Z14_STATE_REDUCED:
        if (!lot->accepted)
            enter(s, LO_Z14_STATE_NORMAL, "a lot rejected on reduced inspection (4.7.4 a)");
        else if (lot->defectives > lot->ac)
            enter(s, LO_Z14_STATE_NORMAL,
                  "a lot accepted with defectives between Ac and Re on reduced inspection (4.7.4 b)");
        else if (!lot->production_steady)
            enter(s, LO_Z14_STATE_NORMAL, "production irregular or delayed (4.7.4 c)");
        break;
    case LO_Z14_STATE_DISCONTINUED:
        break;
    }
    return s->state;
}

void lo_z14_switching_resume(struct lo_z14_switching *s)
{
    if (s->state == LO_Z14_STATE_DISCONTINUED)
        enter(s, LO_Z14_STATE_TIGHTENED, "resumed after corrective action (4.7.6)");
}
