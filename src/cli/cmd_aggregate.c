/*
 * cmd_aggregate.c - `labelops aggregate FILE --method M --out OUT`: truth inference over a
 * long-format label file. Reads with lo_ratings_load, runs lo_infer (quality/inference.h),
 * writes CSVs and a summary. It decides nothing about the statistics; an undefined number
 * (the log-likelihood of a vote, accuracy without gold) is printed as such, never as NaN.
 */
#include "cli/cli_app.h"
#include "cli/commands.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "io/csv.h"
#include "io/ratings_load.h"
#include "quality/inference.h"

static void write_field(FILE *f, const char *s)
{
    lo_csv_write_field(f, s, strlen(s));
}

static FILE *open_out(const char *path, struct lo_error *err)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "wb");
    if (!f) {
        lo_error_set(err, LO_EIO, "cannot open output file for writing");
        lo_error_at(err, path, 0);
    }
    return f;
}

static int close_out(FILE *f, const char *path, struct lo_error *err)
{
    int bad = ferror(f);
    if (f == stdout)
        bad |= fflush(f);
    else
        bad |= fclose(f);
    if (bad) {
        lo_error_set(err, LO_EIO, "writing the output failed");
        return lo_error_at(err, path, 0);
    }
    return 0;
}

/* An item appears in the outputs when it has a decision: a rating, or clamped gold. */
static bool item_listed(const struct lo_infer_result *res, size_t i)
{
    return res->label[i] >= 0;
}

static int write_labels(const char *path, const struct lo_ratings *r,
                        const struct lo_infer_result *res, struct lo_error *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return LO_EIO;
    fputs("item,label,confidence\n", f);
    for (size_t i = 0; i < r->n_items; i++) {
        if (!item_listed(res, i))
            continue;
        write_field(f, r->item_names[i]);
        fputc(',', f);
        write_field(f, r->class_names[res->label[i]]);
        fprintf(f, ",%.9g\n", res->confidence[i]);
    }
    return close_out(f, path, err);
}

static int write_posteriors(const char *path, const struct lo_ratings *r,
                            const struct lo_infer_result *res, struct lo_error *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return LO_EIO;
    size_t K = r->n_classes;
    fputs("item", f);
    for (size_t k = 0; k < K; k++) {
        fputc(',', f);
        write_field(f, r->class_names[k]);
    }
    fputc('\n', f);
    for (size_t i = 0; i < r->n_items; i++) {
        if (!item_listed(res, i))
            continue;
        write_field(f, r->item_names[i]);
        for (size_t k = 0; k < K; k++)
            fprintf(f, ",%.9g", res->posterior[i * K + k]);
        fputc('\n', f);
    }
    return close_out(f, path, err);
}

static void write_header_cell(FILE *f, const char *a, const char *b, const char *c)
{
    char cell[3 * 4096 + 8];
    snprintf(cell, sizeof(cell), "%s%s%s", a, b, c);
    fputc(',', f);
    write_field(f, cell);
}

/* annotator,ratings,accuracy[,weight|ability|competence][,p(l|k)... | spam(l)...] */
static int write_annotators(const char *path, const struct lo_ratings *r,
                            const struct lo_infer_result *res, struct lo_error *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return LO_EIO;
    size_t K = r->n_classes;
    const char *ability_name = res->method == LO_INFER_WMV    ? "weight"
                               : res->method == LO_INFER_MACE ? "competence"
                                                              : "ability";
    fputs("annotator,ratings,accuracy", f);
    if (res->ability)
        fprintf(f, ",%s", ability_name);
    if (res->confusion)
        /* p(l|k): the probability of giving label l when the true class is k. */
        for (size_t k = 0; k < K; k++)
            for (size_t l = 0; l < K; l++) {
                char given[4100];
                snprintf(given, sizeof(given), "p(%s|", r->class_names[l]);
                write_header_cell(f, given, r->class_names[k], ")");
            }
    if (res->spam)
        for (size_t l = 0; l < K; l++)
            write_header_cell(f, "spam(", r->class_names[l], ")");
    fputc('\n', f);
    for (size_t a = 0; a < r->n_annotators; a++) {
        write_field(f, r->annotator_names[a]);
        fprintf(f, ",%u,%.9g", res->annotator_ratings[a], res->annotator_accuracy[a]);
        if (res->ability)
            fprintf(f, ",%.9g", res->ability[a]);
        if (res->confusion)
            for (size_t x = 0; x < K * K; x++)
                fprintf(f, ",%.9g", res->confusion[a * K * K + x]);
        if (res->spam)
            for (size_t l = 0; l < K; l++)
                fprintf(f, ",%.9g", res->spam[a * K + l]);
        fputc('\n', f);
    }
    return close_out(f, path, err);
}

struct agg_summary {
    bool has_gold;
    size_t matched, gold_items;
};

static void print_text(FILE *f, const struct lo_ratings *r, const struct lo_infer_result *res,
                       const struct agg_summary *s, const char *out_path)
{
    fprintf(f, "method %s: %zu ratings, %zu items, %zu annotators, %zu classes\n",
            lo_infer_method_name(res->method), r->n, r->n_items, r->n_annotators, r->n_classes);
    if (res->has_loglik && isfinite(res->loglik))
        fprintf(f, "iterations %ld, converged %s, log-likelihood %.6f\n", res->iterations,
                res->converged ? "yes" : "no", res->loglik);
    else if (res->has_loglik)
        fprintf(f, "iterations %ld, converged %s, log-likelihood undefined (-infinity)\n",
                res->iterations, res->converged ? "yes" : "no");
    else
        fputs("iterations 0 (a vote, not EM), log-likelihood undefined\n", f);
    if (s->has_gold && s->gold_items > 0)
        fprintf(f, "accuracy against gold %.4f (%zu of %zu gold items matched)\n",
                (double)s->matched / (double)s->gold_items, s->matched, s->gold_items);
    else if (s->has_gold)
        fputs("accuracy against gold undefined (no gold item has a rating)\n", f);
    fprintf(f, "wrote %s\n", out_path);
}

static json_t *number_or_null(bool defined, double v)
{
    return defined && isfinite(v) ? json_real(v) : json_null();
}

static void print_json(FILE *f, const struct lo_ratings *r, const struct lo_infer_result *res,
                       const struct agg_summary *s, const struct lo_infer_options *opt,
                       const char *out_path)
{
    json_t *o = json_object();
    json_object_set_new(o, "method", json_string(lo_infer_method_name(res->method)));
    json_object_set_new(o, "ratings", json_integer((json_int_t)r->n));
    json_object_set_new(o, "items", json_integer((json_int_t)r->n_items));
    json_object_set_new(o, "annotators", json_integer((json_int_t)r->n_annotators));
    json_object_set_new(o, "classes", json_integer((json_int_t)r->n_classes));
    json_object_set_new(o, "iterations", json_integer(res->iterations));
    json_object_set_new(o, "converged", json_boolean(res->converged));
    json_object_set_new(o, "tol", json_real(opt->tol));
    json_object_set_new(o, "max_iter", json_integer(opt->max_iter));
    json_object_set_new(o, "smoothing", json_real(opt->smoothing));
    json_object_set_new(o, "clamp_gold", json_boolean(opt->clamp_gold));

    json_t *ll = json_object();
    bool ll_ok = res->has_loglik && isfinite(res->loglik);
    json_object_set_new(ll, "value", number_or_null(ll_ok, res->loglik));
    if (!res->has_loglik)
        json_object_set_new(ll, "reason", json_string("a vote fits no model, so it has no likelihood"));
    else if (!ll_ok)
        json_object_set_new(ll, "reason",
                            json_string("the data are impossible under the fitted parameters"));
    if (res->has_loglik) {
        json_t *tr = json_array(), *ob = json_array();
        for (long t = 0; t < res->iterations; t++) {
            json_array_append_new(tr, number_or_null(true, res->loglik_trace[t]));
            json_array_append_new(ob, number_or_null(true, res->objective_trace[t]));
        }
        json_object_set_new(ll, "trace", tr);
        json_object_set_new(ll, "objective_trace", ob);
    }
    json_object_set_new(o, "log_likelihood", ll);

    json_t *cp = json_object();
    for (size_t k = 0; k < r->n_classes; k++)
        json_object_set_new(cp, r->class_names[k], json_real(res->class_prior[k]));
    json_object_set_new(o, "class_prior", cp);

    if (s->has_gold) {
        json_t *acc = json_object();
        if (s->gold_items > 0) {
            json_object_set_new(acc, "value",
                                json_real((double)s->matched / (double)s->gold_items));
        } else {
            json_object_set_new(acc, "value", json_null());
            json_object_set_new(acc, "reason", json_string("no gold item has a rating"));
        }
        json_object_set_new(acc, "matched", json_integer((json_int_t)s->matched));
        json_object_set_new(acc, "gold_items", json_integer((json_int_t)s->gold_items));
        json_object_set_new(o, "accuracy", acc);
    }
    json_object_set_new(o, "out", json_string(out_path));
    json_dumpf(o, f, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12));
    fputc('\n', f);
    json_decref(o);
}

static int parse_options(struct lo_cli *cli, const struct lo_args *args,
                         struct lo_infer_options *opt, struct lo_error *err)
{
    const char *m = lo_args_get(args, "method");
    enum lo_infer_method method;
    if (!m)
        return lo_error_field(err, LO_EUSAGE, "method",
                              "--method is required: mv, wmv, ds, onecoin, glad or mace");
    if (lo_infer_method_parse(m, &method))
        return lo_error_field(err, LO_EUSAGE, "method",
                              "unknown method '%s': use mv, wmv, ds, onecoin, glad or mace", m);
    lo_infer_options_init(opt, method);
    long max_iter, seed, restarts;
    int rc = lo_args_double(args, "tol", opt->tol, &opt->tol, err);
    if (!rc)
        rc = lo_args_long(args, "max-iter", opt->max_iter, &max_iter, err);
    if (!rc)
        rc = lo_args_long(args, "seed", (long)opt->seed, &seed, err);
    if (!rc)
        rc = lo_args_double(args, "smoothing", opt->smoothing, &opt->smoothing, err);
    if (!rc)
        rc = lo_args_long(args, "restarts", opt->restarts, &restarts, err);
    if (rc)
        return rc;
    if (seed < 0)
        return lo_error_field(err, LO_EUSAGE, "seed", "--seed must be >= 0");
    opt->max_iter = max_iter;
    opt->seed = (uint64_t)seed;
    opt->restarts = (int)restarts;
    opt->clamp_gold = lo_args_has(args, "clamp-gold");
    (void)cli;
    return 0;
}

static int run_aggregate(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    if (args->npos != lo_cli_ratings_npos(args))
        return lo_cli_usage(cli, "aggregate needs exactly one FILE (got %d)", args->npos);
    const char *path = lo_cli_ratings_path(args);
    const char *out_path = lo_args_get(args, "out");
    if (!out_path)
        return lo_cli_usage(cli, "--out OUT is required (a CSV item,label,confidence)");
    struct lo_infer_options opt;
    int rc = parse_options(cli, args, &opt, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    enum lo_format fmt;
    rc = lo_cli_format_arg(args, &fmt, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_label_mapping map = lo_cli_mapping_arg(args);
    const char *gold_path = lo_args_get(args, "gold");

    struct lo_arena arena;
    lo_arena_init(&arena, 1 << 20);
    struct lo_ratings r;
    struct lo_infer_result res;
    int code = 0;
    rc = lo_cli_load_ratings(cli, args, path, fmt, &map, gold_path, &arena, &r, &err);
    if (rc)
        goto fail;
    rc = lo_infer(&r, &opt, &arena, &res, &err);
    if (rc)
        goto fail;
    rc = write_labels(out_path, &r, &res, &err);
    if (rc)
        goto fail;
    const char *post_path = lo_args_get(args, "posteriors-out");
    if (post_path) {
        rc = write_posteriors(post_path, &r, &res, &err);
        if (rc)
            goto fail;
    }
    const char *ann_path = lo_args_get(args, "annotators-out");
    if (ann_path) {
        rc = write_annotators(ann_path, &r, &res, &err);
        if (rc)
            goto fail;
    }
    struct agg_summary s = { 0 };
    s.has_gold = r.gold_names != NULL;
    if (s.has_gold)
        lo_infer_gold_accuracy(&r, &res, &s.matched, &s.gold_items);
    /* With --out -, stdout holds the labels; the summary moves to stderr. */
    FILE *sf = strcmp(out_path, "-") == 0 ? cli->errf : cli->out;
    if (cli->json)
        print_json(sf, &r, &res, &s, &opt, out_path);
    else
        print_text(sf, &r, &res, &s, out_path);
    lo_arena_free(&arena);
    return 0;
fail:
    code = lo_cli_fail(cli, &err);
    lo_arena_free(&arena);
    return code;
}

static const struct lo_optspec aggregate_opts[] = {
    { "method", true, "mv, wmv, ds, onecoin, glad or mace (required)" },
    { "out", true, "CSV item,label,confidence to write ('-' for stdout; required)" },
    { "gold", true, "CSV item,label of known answers: prints accuracy, feeds wmv and --clamp-gold" },
    { "posteriors-out", true, "CSV item,<class>...: every class's posterior" },
    { "annotators-out", true, "CSV: each annotator's accuracy (and confusion matrix for ds)" },
    { "tol", true, "EM stops when the log-likelihood changes by less (default 1e-5)" },
    { "max-iter", true, "EM iteration cap (default 100)" },
    { "seed", true, "seed for MACE random restarts (default 1)" },
    { "restarts", true, "MACE: extra random starting points, best kept (default 0)" },
    { "smoothing", true, "pseudo-count for M-steps (defaults: ds, onecoin 0; glad .01; mace .5; wmv 1)" },
    { "clamp-gold", false, "hold items with a known answer at it during EM" },
    { "format", true, "csv, tsv or jsonl (default: from the extension)" },
    { "project", true, "a project\'s annotations instead of FILE (with --db)" },
    { "field", true, "with --project: the schema field (default: the only one)" },
    { "item-field", true, "item column (default item, task, question, orig_id, ...)" },
    { "annotator-field", true, "annotator column (default annotator, worker, ...)" },
    { "label-field", true, "label column (default label, answer, response, ...)" },
    { "gold-field", true, "gold column in FILE (default gold, truth, gold_label)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_aggregate = {
    "aggregate",
    "truth inference: one label per item from several annotators (mv, ds, glad, mace ...)",
    "usage: labelops aggregate FILE --method mv|wmv|ds|onecoin|glad|mace --out OUT\n"
    "           [--gold GOLD] [--posteriors-out F] [--annotators-out F] [--tol T]\n"
    "           [--max-iter N] [--seed S] [--restarts N] [--smoothing A] [--clamp-gold]\n"
    "           [--format csv|tsv|jsonl] [--item-field F] [--annotator-field F]\n"
    "           [--label-field F] [--gold-field F] [--json]\n"
    "\n"
    "FILE is long format: one row per (item, annotator, label); every rating counts, repeats\n"
    "included. Prints the iterations, the log-likelihood, whether EM converged and, with gold,\n"
    "the accuracy against it. Methods and formulas: docs/quality/inference.md.",
    aggregate_opts,
    run_aggregate,
};
