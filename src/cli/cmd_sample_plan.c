/*
 * cmd_sample_plan.c - `labelops sample-plan --lot N --aql A [--level L] [--severity S]`: the
 * ANSI/ASQ Z1.4 (MIL-STD-105E) single sampling plan for a lot, the arrows followed, 100%
 * inspection, the OC curve at a few defect rates, AOQL and ATI. The tables and formulas are
 * quality/sampling.h; nothing is decided here.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "quality/sampling.h"

static const double oc_points[] = { 0.005, 0.01, 0.025, 0.04, 0.05, 0.065, 0.10, 0.15, 0.20 };
#define N_OC (sizeof(oc_points) / sizeof(oc_points[0]))

static void arrows_text(const struct lo_z14_plan *p, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "%c", p->initial_letter);
    char letter = p->initial_letter;
    static const char letters[] = "ABCDEFGHJKLMNPQRS";
    int idx = 0;
    while (letters[idx] && letters[idx] != letter)
        idx++;
    for (int k = 0; k < p->n_steps && used < cap; k++) {
        const char *word = p->steps[k] == 'u' ? "up" : (p->steps[k] == 'd' ? "down" : "right");
        if (p->steps[k] == 'u')
            idx--;
        else if (p->steps[k] == 'd')
            idx++;
        used += (size_t)snprintf(out + used, cap - used, " %s -> %c", word, letters[idx]);
    }
}

static int run_sample_plan(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    long lot;
    double aql;
    int rc;
    if (args->npos != 0)
        return lo_cli_usage(cli, "sample-plan takes no FILE, only options");
    if (!lo_args_get(args, "lot") || !lo_args_get(args, "aql"))
        return lo_cli_usage(cli, "--lot N and --aql A are required");
    rc = lo_args_long(args, "lot", 0, &lot, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    rc = lo_args_double(args, "aql", 0, &aql, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    enum lo_z14_level level = LO_Z14_II;
    enum lo_z14_severity sev = LO_Z14_NORMAL;
    if (lo_args_get(args, "level")) {
        rc = lo_z14_level_parse(lo_args_get(args, "level"), &level, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
    }
    if (lo_args_get(args, "severity")) {
        rc = lo_z14_severity_parse(lo_args_get(args, "severity"), &sev, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
    }
    if (lot < 2)
        return lo_cli_usage(cli, "--lot must be at least 2, got %ld", lot);
    if (lo_z14_aql_index(aql) < 0) {
        struct lo_z14_plan dummy;
        lo_z14_resolve(lot, aql, level, sev, &dummy, &err);
        err.code = LO_EUSAGE;
        return lo_cli_fail(cli, &err);
    }
    struct lo_z14_plan p;
    rc = lo_z14_resolve(lot, aql, level, sev, &p, &err);
    if (rc)
        return lo_cli_fail(cli, &err);

    /* Rates are percent in the tables and fractions here. */
    double aql_p = p.aql / 100.0;
    double aoql = 0, aoql_p = 0;
    lo_plan_aoql(lot, p.sample, p.ac, &aoql, &aoql_p);
    double ati_aql = lo_plan_ati(lot, p.sample, p.ac, aql_p > 1 ? 1 : aql_p);
    char arrows[256];
    arrows_text(&p, arrows, sizeof(arrows));

    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "lot", json_integer(lot));
        json_object_set_new(o, "aql", json_real(p.aql));
        json_object_set_new(o, "level", json_string(lo_z14_level_name(level)));
        json_object_set_new(o, "severity", json_string(lo_z14_severity_name(sev)));
        json_object_set_new(o, "code_letter", json_sprintf("%c", p.initial_letter));
        json_object_set_new(o, "letter", json_sprintf("%c", p.letter));
        json_t *steps = json_array();
        for (int k = 0; k < p.n_steps; k++)
            json_array_append_new(steps, json_string(p.steps[k] == 'u'   ? "up"
                                                     : p.steps[k] == 'd' ? "down"
                                                                         : "right"));
        json_object_set_new(o, "arrows", steps);
        json_object_set_new(o, "path", json_string(arrows));
        json_object_set_new(o, "n", json_integer(p.n));
        json_object_set_new(o, "ac", json_integer(p.ac));
        json_object_set_new(o, "re", json_integer(p.re));
        json_object_set_new(o, "full_inspection", json_boolean(p.full_inspection));
        json_object_set_new(o, "inspect", json_integer(p.sample));
        json_t *oc = json_array();
        for (size_t k = 0; k < N_OC; k++)
            json_array_append_new(oc, json_pack("{s:f, s:f, s:f, s:f}", "p", oc_points[k], "pa",
                                                lo_plan_pa(p.sample, p.ac, oc_points[k]), "aoq",
                                                lo_plan_aoq(lot, p.sample, p.ac, oc_points[k]),
                                                "ati",
                                                lo_plan_ati(lot, p.sample, p.ac, oc_points[k])));
        json_object_set_new(o, "oc", oc);
        json_object_set_new(o, "aoql", json_pack("{s:f, s:f}", "value", aoql, "at_p", aoql_p));
        json_object_set_new(o, "ati_at_aql", json_real(ati_aql));
        lo_cli_print_json(cli->out, o);
        return 0;
    }
    FILE *f = cli->out;
    fprintf(f, "lot %ld, AQL %g%%, level %s, %s inspection\n", lot, p.aql,
            lo_z14_level_name(level), lo_z14_severity_name(sev));
    fprintf(f, "code letter %c", p.initial_letter);
    if (p.n_steps)
        fprintf(f, " (arrows: %s)", arrows);
    fputc('\n', f);
    fprintf(f, "plan: letter %c, n %ld, Ac %d, Re %d\n", p.letter, p.n, p.ac, p.re);
    if (p.full_inspection)
        fprintf(f, "n %ld >= lot %ld: inspect 100%% of the lot (accept with <= %d defectives)\n",
                p.n, lot, p.ac);
    if (p.re > p.ac + 1)
        fprintf(f, "reduced: %d..%d defectives accept the lot but reinstate normal inspection\n",
                p.ac + 1, p.re - 1);
    fprintf(f, "\n%8s %10s %10s %10s\n", "p", "Pa", "AOQ", "ATI");
    for (size_t k = 0; k < N_OC; k++)
        fprintf(f, "%7.1f%% %10.4f %10.5f %10.1f\n", oc_points[k] * 100,
                lo_plan_pa(p.sample, p.ac, oc_points[k]),
                lo_plan_aoq(lot, p.sample, p.ac, oc_points[k]),
                lo_plan_ati(lot, p.sample, p.ac, oc_points[k]));
    fprintf(f, "\nAOQL %.5f at p = %.2f%%; ATI at the AQL %.1f\n", aoql, aoql_p * 100, ati_aql);
    return 0;
}

static const struct lo_optspec sample_plan_opts[] = {
    { "lot", true, "lot size N (units delivered together; required)" },
    { "aql", true, "acceptable quality level in percent, a Z1.4 column, e.g. 1.0 (required)" },
    { "level", true, "inspection level I, II (default), III, S-1, S-2, S-3, S-4" },
    { "severity", true, "normal (default), tightened or reduced" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_sample_plan = {
    "sample-plan",
    "ANSI/ASQ Z1.4 (MIL-STD-105E) acceptance sampling plan, OC curve, AOQL, ATI",
    "usage: labelops sample-plan --lot N --aql A [--level I|II|III|S-1..S-4]\n"
    "                            [--severity normal|tightened|reduced] [--json]\n"
    "\n"
    "Finds the sample-size code letter (Table I), follows the arrows of Table II-A/B/C to a\n"
    "plan (n, Ac, Re) and switches to 100% inspection when n >= the lot. Prints the\n"
    "probability of acceptance, AOQ and ATI at a few defect rates, and the AOQL.",
    sample_plan_opts,
    run_sample_plan,
};
