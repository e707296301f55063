/*
 * cmd_sample_size.c - `labelops sample-size`: how many items to audit, either to estimate an
 * accuracy within +-E (with the finite-population correction) or, with --zero-defect, to rule
 * out a defect rate when no defect is found. Formulas: quality/audit.h.
 */
#include <jansson.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "quality/audit.h"

static int run_sample_size(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    if (args->npos != 0)
        return lo_cli_usage(cli, "sample-size takes no FILE, only options");
    if (lo_args_has(args, "zero-defect")) {
        double p, alpha;
        long n;
        if (!lo_args_get(args, "defect-rate"))
            return lo_cli_usage(cli, "--zero-defect needs --defect-rate P");
        rc = lo_args_double(args, "defect-rate", 0, &p, &err);
        if (!rc)
            rc = lo_args_double(args, "alpha", 0.05, &alpha, &err);
        if (!rc)
            rc = lo_sample_size_zero_defect(p, alpha, &n, &err);
        if (rc)
            return lo_cli_fail_as_usage(cli, &err);
        if (cli->json)
            lo_cli_print_json(cli->out, json_pack("{s:s, s:f, s:f, s:I}", "method", "zero-defect",
                                           "defect_rate", p, "alpha", alpha, "n", (json_int_t)n));
        else
            fprintf(cli->out,
                    "audit %ld items: if none is defective, a defect rate of %g or more is ruled "
                    "out with confidence %g\n",
                    n, p, 1 - alpha);
        return 0;
    }
    if (!lo_args_get(args, "margin"))
        return lo_cli_usage(cli, "give --margin E (or --zero-defect --defect-rate P)");
    double margin, p, conf;
    long pop;
    rc = lo_args_double(args, "margin", 0, &margin, &err);
    if (!rc)
        rc = lo_args_double(args, "p", 0.5, &p, &err);
    if (!rc)
        rc = lo_args_double(args, "confidence", 0.95, &conf, &err);
    if (!rc)
        rc = lo_args_long(args, "population", 0, &pop, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (lo_args_get(args, "population") && pop < 1)
        return lo_cli_usage(cli, "--population must be at least 1, got %ld", pop);
    struct lo_sample_size s;
    rc = lo_sample_size_margin(margin, p, conf, pop, &s, &err);
    if (rc)
        return lo_cli_fail_as_usage(cli, &err);
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:I}", "method", "margin",
                              "margin", margin, "p", p, "confidence", conf, "z", s.z, "n0", s.n0,
                              "n_infinite", (json_int_t)s.n_infinite, "n", (json_int_t)s.n);
        if (pop > 0)
            json_object_set_new(o, "population", json_integer(pop));
        else
            json_object_set_new(o, "population", json_null());
        lo_cli_print_json(cli->out, o);
    } else {
        fprintf(cli->out, "audit %ld items to estimate a proportion near %g within +-%g at %g%% ",
                s.n, p, margin, conf * 100);
        if (pop > 0)
            fprintf(cli->out, "(population %ld; %ld without the correction)\n", pop,
                    s.n_infinite);
        else
            fprintf(cli->out, "(unbounded population)\n");
    }
    return 0;
}

static const struct lo_optspec sample_size_opts[] = {
    { "margin", true, "half-width E of the interval, e.g. 0.05" },
    { "p", true, "expected proportion (default 0.5, the worst case)" },
    { "confidence", true, "confidence (default 0.95)" },
    { "population", true, "items in the population (finite-population correction)" },
    { "zero-defect", false, "success-run size instead: no defect seen rules out --defect-rate" },
    { "defect-rate", true, "with --zero-defect: the defect rate to rule out" },
    { "alpha", true, "with --zero-defect: risk of missing that rate (default 0.05)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_sample_size = {
    "sample-size",
    "how many items to audit (margin of error, or zero-defect)",
    "usage: labelops sample-size --margin E [--p 0.5] [--confidence 0.95] [--population N] [--json]\n"
    "       labelops sample-size --zero-defect --defect-rate P [--alpha 0.05] [--json]\n"
    "\n"
    "n0 = z^2 p (1 - p) / E^2, with a population N: n = n0 / (1 + (n0 - 1) / N), rounded up.\n"
    "Zero-defect: n = ceil(ln alpha / ln(1 - P)).",
    sample_size_opts,
    run_sample_size,
};
