/*
 * cmd_drift.c - `labelops drift`: did a rate or a label distribution move after a change?
 * Four modes: two proportions (--before X/N --after Y/M), p-chart limits (--pchart), an EWMA
 * chart (--ewma) and the population stability index (--psi). The statistics are
 * quality/drift.h; this file parses and prints.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/commands.h"
#include "quality/drift.h"

#define DRIFT_MAX_VALUES 100000 /* values in one --series / distribution on the command line */

/* "X/N" */
static int parse_fraction(const char *opt, const char *s, long *x, long *n, struct lo_error *err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    long long a, b;
    if (!slash || !lo_str_to_i64((struct lo_str){ s, (size_t)(slash - s) }, &a) ||
        !lo_str_to_i64(lo_str_from(slash + 1), &b) || a < 0 || b < 1 || a > b || b > 2147483647LL)
        return lo_error_field(err, LO_EUSAGE, opt,
                              "--%s needs COUNT/TOTAL with 0 <= COUNT <= TOTAL, got '%s'", opt,
                              s ? s : "");
    *x = (long)a;
    *n = (long)b;
    return 0;
}

/* A comma-separated list of numbers into a malloc'ed array (caller frees). */
static int parse_list(const char *opt, const char *s, double **out, size_t *n,
                      struct lo_error *err)
{
    *out = NULL;
    *n = 0;
    if (!s || !*s)
        return lo_error_field(err, LO_EUSAGE, opt, "--%s needs a comma-separated list", opt);
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    if (cap > DRIFT_MAX_VALUES)
        return lo_error_field(err, LO_ELIMIT, opt, "--%s has more than %d values", opt,
                              DRIFT_MAX_VALUES);
    double *v = malloc(cap * sizeof(double));
    if (!v)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!lo_str_to_double((struct lo_str){ p, len }, &v[*n])) {
            free(v);
            return lo_error_field(err, LO_EUSAGE, opt, "--%s: '%.*s' is not a number", opt,
                                  (int)len, p);
        }
        (*n)++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = v;
    return 0;
}

static json_t *json_num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int run_two_prop(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    long x1, n1, x2, n2;
    double conf;
    int rc = parse_fraction("before", lo_args_get(args, "before"), &x1, &n1, &err);
    if (!rc)
        rc = parse_fraction("after", lo_args_get(args, "after"), &x2, &n2, &err);
    if (!rc)
        rc = lo_args_double(args, "confidence", 0.95, &conf, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_two_prop t;
    rc = lo_two_prop_test(x1, n1, x2, n2, conf, &t, &err);
    if (rc && rc != LO_EUNDEFINED)
        return lo_cli_fail_as_usage(cli, &err);
    bool defined = rc == 0;
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:f, s:{s:f, s:f, s:f}}", "test",
                              "two-proportion", "before", t.p1, "after", t.p2, "difference",
                              t.diff, "pooled", t.pooled, "ci", "confidence", conf, "lo", t.ci_lo,
                              "hi", t.ci_hi);
        if (defined) {
            json_object_set_new(o, "chi2", json_pack("{s:f, s:i}", "value", t.chi2, "df", 1));
            json_object_set_new(o, "z", json_num_or_null(t.z));
            json_object_set_new(o, "p_value", json_pack("{s:f}", "value", t.p_value));
        } else {
            json_object_set_new(o, "chi2", json_pack("{s:n, s:s}", "value", "reason", err.msg));
            json_object_set_new(o, "p_value", json_pack("{s:n, s:s}", "value", "reason", err.msg));
        }
        lo_cli_print_json(cli->out, o);
        return 0;
    }
    FILE *f = cli->out;
    fprintf(f, "before %ld/%ld = %.4f, after %ld/%ld = %.4f, difference %.4f\n", x1, n1, t.p1, x2,
            n2, t.p2, t.diff);
    if (defined)
        fprintf(f, "chi-square %.4f (1 df, no continuity correction), z %.4f, p = %.6g\n", t.chi2,
                t.z, t.p_value);
    else
        fprintf(f, "chi-square undefined: %s\n", err.msg);
    fprintf(f, "%g%% CI of the difference: [%.4f, %.4f]\n", conf * 100, t.ci_lo, t.ci_hi);
    return 0;
}

static int run_pchart(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    double pbar, width;
    long n;
    if (!lo_args_get(args, "pbar") || !lo_args_get(args, "n"))
        return lo_cli_usage(cli, "--pchart needs --pbar P and --n N");
    int rc = lo_args_double(args, "pbar", 0, &pbar, &err);
    if (!rc)
        rc = lo_args_long(args, "n", 0, &n, &err);
    if (!rc)
        rc = lo_args_double(args, "sigmas", 3, &width, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_pchart c;
    rc = lo_pchart_limits(pbar, n, width, &c, &err);
    if (rc)
        return lo_cli_fail_as_usage(cli, &err);
    double *series = NULL;
    size_t ns = 0;
    if (lo_args_get(args, "series")) {
        rc = parse_list("series", lo_args_get(args, "series"), &series, &ns, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
    }
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:f, s:I, s:f, s:f, s:f, s:f, s:f}", "chart", "p", "pbar",
                              pbar, "n", (json_int_t)n, "sigmas", width, "sigma", c.sigma, "centre",
                              c.centre, "lcl", c.lcl, "ucl", c.ucl);
        if (series) {
            json_t *pts = json_array();
            for (size_t k = 0; k < ns; k++)
                json_array_append_new(pts, json_pack("{s:f, s:b}", "value", series[k], "out",
                                                     series[k] > c.ucl || series[k] < c.lcl));
            json_object_set_new(o, "points", pts);
        }
        lo_cli_print_json(cli->out, o);
    } else {
        fprintf(cli->out, "p-chart, p-bar %g, n %ld, %g sigma: LCL %.4f, centre %.4f, UCL %.4f\n",
                pbar, n, width, c.lcl, c.centre, c.ucl);
        for (size_t k = 0; k < ns; k++)
            fprintf(cli->out, "%4zu  %.4f%s\n", k + 1, series[k],
                    series[k] > c.ucl || series[k] < c.lcl ? "  out of control" : "");
    }
    free(series);
    return 0;
}

static int run_ewma(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    double lambda, target, sigma, width;
    long n = 0;
    if (!lo_args_get(args, "series") || !lo_args_get(args, "target") ||
        !lo_args_get(args, "lambda"))
        return lo_cli_usage(cli, "--ewma needs --lambda L, --target MU and --series V1,V2,...");
    int rc = lo_args_double(args, "lambda", 0.2, &lambda, &err);
    if (!rc)
        rc = lo_args_double(args, "target", 0, &target, &err);
    if (!rc)
        rc = lo_args_double(args, "sigmas", 3, &width, &err);
    if (!rc)
        rc = lo_args_long(args, "n", 0, &n, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (lo_args_get(args, "sigma")) {
        rc = lo_args_double(args, "sigma", 0, &sigma, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
    } else if (n > 0 && target > 0 && target < 1) {
        sigma = sqrt(target * (1 - target) / (double)n); /* a proportion over samples of n */
    } else {
        return lo_cli_usage(cli, "--ewma needs --sigma S, or --n N with a target proportion");
    }
    double *series = NULL;
    size_t ns = 0;
    rc = parse_list("series", lo_args_get(args, "series"), &series, &ns, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_ewma_point *pts = malloc(ns * sizeof(*pts));
    if (!pts) {
        free(series);
        lo_error_set(&err, LO_ENOMEM, "out of memory");
        return lo_cli_fail(cli, &err);
    }
    int signals = lo_ewma_chart(series, ns, lambda, target, sigma, width, pts, &err);
    free(series);
    if (signals < 0) {
        free(pts);
        return lo_cli_fail_as_usage(cli, &err);
    }
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t k = 0; k < ns; k++)
            json_array_append_new(arr, json_pack("{s:f, s:f, s:f, s:f, s:b}", "value",
                                                 pts[k].value, "z", pts[k].z, "lcl", pts[k].lcl,
                                                 "ucl", pts[k].ucl, "signal", pts[k].signal));
        lo_cli_print_json(cli->out, json_pack("{s:s, s:f, s:f, s:f, s:f, s:i, s:o}", "chart", "ewma",
                                       "lambda", lambda, "target", target, "sigma", sigma,
                                       "sigmas", width, "signals", signals, "points", arr));
    } else {
        fprintf(cli->out, "EWMA, lambda %g, target %g, sigma %g, %g sigma limits: %d signal%s\n",
                lambda, target, sigma, width, signals, signals == 1 ? "" : "s");
        fprintf(cli->out, "%4s %10s %10s %10s %10s\n", "t", "value", "ewma", "lcl", "ucl");
        for (size_t k = 0; k < ns; k++)
            fprintf(cli->out, "%4zu %10.4f %10.4f %10.4f %10.4f%s\n", k + 1, pts[k].value,
                    pts[k].z, pts[k].lcl, pts[k].ucl, pts[k].signal ? "  signal" : "");
    }
    free(pts);
    return 0;
}

static int run_psi(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    double *e = NULL, *a = NULL, eps, psi = 0;
    size_t ne = 0, na = 0, bad = 0;
    int rc = lo_args_double(args, "epsilon", 0, &eps, &err);
    if (!rc)
        rc = parse_list("expected", lo_args_get(args, "expected"), &e, &ne, &err);
    if (!rc)
        rc = parse_list("actual", lo_args_get(args, "actual"), &a, &na, &err);
    if (!rc && ne != na)
        rc = lo_error_set(&err, LO_EUSAGE, "--expected has %zu bins and --actual %zu", ne, na);
    if (rc) {
        free(e);
        free(a);
        return lo_cli_fail(cli, &err);
    }
    rc = lo_psi(e, a, ne, eps, &psi, &bad, &err);
    free(e);
    free(a);
    if (rc && rc != LO_EUNDEFINED)
        return lo_cli_fail_as_usage(cli, &err);
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:I, s:f}", "statistic", "psi", "bins", (json_int_t)ne,
                              "epsilon", eps);
        if (rc == 0)
            json_object_set_new(o, "value", json_real(psi));
        else {
            json_object_set_new(o, "value", json_null());
            json_object_set_new(o, "reason", json_string(err.msg));
        }
        lo_cli_print_json(cli->out, o);
    } else if (rc == 0) {
        fprintf(cli->out, "PSI %.4f over %zu bins (%s)\n", psi, ne,
                psi < 0.1 ? "below 0.1: little shift" : psi < 0.25 ? "0.1-0.25: moderate shift"
                                                              : "above 0.25: major shift");
    } else {
        fprintf(cli->out, "PSI undefined: %s\n", err.msg);
    }
    return 0;
}

static int run_drift(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 0)
        return lo_cli_usage(cli, "drift takes no FILE, only options");
    int modes = (lo_args_get(args, "before") || lo_args_get(args, "after")) +
                lo_args_has(args, "psi") + lo_args_has(args, "pchart") + lo_args_has(args, "ewma");
    if (modes != 1)
        return lo_cli_usage(cli, "choose one of --before/--after, --psi, --pchart, --ewma");
    if (lo_args_has(args, "psi"))
        return run_psi(cli, args);
    if (lo_args_has(args, "pchart"))
        return run_pchart(cli, args);
    if (lo_args_has(args, "ewma"))
        return run_ewma(cli, args);
    if (!lo_args_get(args, "before") || !lo_args_get(args, "after"))
        return lo_cli_usage(cli, "the two-proportion test needs --before X/N and --after Y/M");
    return run_two_prop(cli, args);
}

static const struct lo_optspec drift_opts[] = {
    { "before", true, "X/N: count and total before the change" },
    { "after", true, "Y/M: count and total after the change" },
    { "confidence", true, "confidence of the interval of the difference (default 0.95)" },
    { "psi", false, "population stability index of --expected vs --actual" },
    { "expected", true, "with --psi: distribution before, proportions or counts a,b,c" },
    { "actual", true, "with --psi: distribution after" },
    { "epsilon", true, "with --psi: floor for empty bins (default 0: empty bin = undefined)" },
    { "pchart", false, "p-chart limits for --pbar and --n (optionally flag --series)" },
    { "pbar", true, "with --pchart: the centre line (long-run proportion)" },
    { "n", true, "sample size per point (--pchart; --ewma: derives sigma of a proportion)" },
    { "sigmas", true, "limit width L in sigmas (default 3)" },
    { "ewma", false, "EWMA chart of --series around --target" },
    { "lambda", true, "with --ewma: smoothing weight in (0, 1] (0.05-0.25 typical)" },
    { "target", true, "with --ewma: the in-control mean" },
    { "sigma", true, "with --ewma: standard deviation of one value" },
    { "series", true, "comma-separated values in time order" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_drift = {
    "drift",
    "drift statistics: two-proportion test, p-chart, EWMA, population stability index",
    "usage: labelops drift --before X/N --after Y/M [--confidence 0.95] [--json]\n"
    "       labelops drift --psi --expected E1,E2,... --actual A1,A2,... [--epsilon E] [--json]\n"
    "       labelops drift --pchart --pbar P --n N [--sigmas 3] [--series P1,P2,...] [--json]\n"
    "       labelops drift --ewma --lambda L --target MU (--sigma S | --n N) [--sigmas 3]\n"
    "                      --series V1,V2,... [--json]",
    drift_opts,
    run_drift,
};
