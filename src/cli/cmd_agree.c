/*
 * cmd_agree.c - `labelops agree FILE --metric M ...`: inter-annotator agreement from a file in
 * long, wide, counts or table shape. Reading is io/ (ratings_load.h, agree_input.h), every
 * number comes from quality/agreement.h; this file only chooses, calls and renders. An
 * undefined coefficient is printed as "value": null with a reason, never as NaN.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/rng.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "io/agree_input.h"
#include "io/ratings_load.h"
#include "quality/agreement.h"

enum metric { M_PERCENT, M_COHEN, M_CONGER, M_FLEISS, M_ALPHA, M_AC1, M_SCOTT, M_BP, M_COUNT };

static const char *const metric_names[M_COUNT] = { "percent", "cohen", "conger", "fleiss",
                                                   "alpha",   "ac1",   "scott",  "bp" };

/* Everything a run has read, whatever the input shape. */
struct agree_input {
    struct lo_agree_data d;
    const char **annotator_names; /* NULL for counts */
    const char *shape;            /* "long", "wide", "counts", "table" */
};

struct ci_opts {
    bool on;
    double conf;
    long replicates;
    unsigned long long seed;
};

static int load_input(struct lo_cli *cli, const char *path, const char *shape, const struct lo_args *args,
                      struct lo_arena *arena, struct agree_input *in, struct lo_error *err)
{
    enum lo_format fmt;
    int rc = lo_cli_format_arg(args, &fmt, err);
    if (rc)
        return rc;
    in->shape = shape;
    in->annotator_names = NULL;
    if (strcmp(shape, "long") == 0 || strcmp(shape, "wide") == 0) {
        struct lo_ratings r;
        if (shape[0] == 'l') {
            struct lo_label_mapping map = lo_cli_mapping_arg(args);
            map.gold_field = NULL;
            rc = lo_cli_load_ratings(cli, args, path, fmt, &map, NULL, arena, &r, err);
        } else {
            rc = lo_agree_read_wide(path, fmt, lo_args_get(args, "item-field"),
                                    lo_args_get(args, "missing"), arena, &r, err);
        }
        if (rc)
            return rc;
        if (r.n == 0)
            return lo_error_set(err, LO_EINVAL, "%s has no ratings", path);
        in->annotator_names = r.annotator_names;
        return lo_agree_from_ratings(&r, arena, &in->d, err);
    }
    if (strcmp(shape, "counts") == 0) {
        struct lo_agree_counts c;
        rc = lo_agree_read_counts(path, fmt, lo_args_get(args, "item-field"), arena, &c, err);
        if (rc)
            return rc;
        return lo_agree_from_counts(c.counts, c.n_items, c.n_classes, c.class_names,
                                    c.class_values, arena, &in->d, err);
    }
    if (strcmp(shape, "table") == 0) {
        double n_obs = 0;
        rc = lo_args_double(args, "n-obs", 0, &n_obs, err);
        if (rc)
            return rc;
        if (n_obs < 0)
            return lo_error_set(err, LO_EUSAGE, "--n-obs must be positive");
        struct lo_agree_table t;
        rc = lo_agree_read_table(path, fmt, n_obs, arena, &t, err);
        if (rc)
            return rc;
        static const char *const ab[] = { "A", "B" };
        in->annotator_names = (const char **)ab;
        return lo_agree_from_table(t.cells, t.q, t.class_names, t.class_values, arena, &in->d,
                                   err);
    }
    return lo_error_set(err, LO_EUSAGE, "--input must be long, wide, counts or table, got '%s'",
                        shape);
}

/* --weights linear|quadratic|FILE into *w (NULL when not given). */
static int load_weights(const char *spec, const struct lo_agree_data *d, struct lo_arena *arena,
                        double **w, struct lo_error *err)
{
    *w = NULL;
    if (!spec)
        return 0;
    size_t q = d->n_classes;
    if (q == 0 || q > LO_LIMIT_CLASSES_STATS)
        return lo_error_set(err, LO_ELIMIT, "weights need 1..%d classes, the data has %zu",
                            LO_LIMIT_CLASSES_STATS, q);
    if (strcmp(spec, "linear") == 0 || strcmp(spec, "quadratic") == 0) {
        *w = lo_arena_alloc(arena, q * q * sizeof(double));
        if (!*w)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        lo_agree_weights(spec[0] == 'l' ? LO_WEIGHTS_LINEAR : LO_WEIGHTS_QUADRATIC,
                         d->class_values, q, *w);
        return 0;
    }
    /* A matrix file: read as a square table (header of class names, q rows of q numbers). */
    struct lo_agree_table t;
    int rc = lo_agree_read_table(spec, LO_FMT_AUTO, 0, arena, &t, err);
    if (rc) {
        lo_error_prefix(err, "--weights");
        return rc;
    }
    if (t.q != q)
        return lo_error_set(err, LO_EINVAL, "--weights %s is %zu x %zu, the data has %zu classes",
                            spec, t.q, t.q, q);
    rc = lo_agree_weights_normalize(t.cells, q, err);
    if (rc) {
        lo_error_prefix(err, "--weights %s", spec);
        return rc;
    }
    *w = t.cells;
    return 0;
}

/* A finite number, or null: JSON output never holds NaN. */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jcount(double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return jnum(v);
}

struct metric_out {
    enum metric metric;
    struct lo_agree_result res;
    bool has_level;
    double *per_category;        /* fleiss */
    bool has_generalized;        /* fleiss undefined for varying raters */
    double generalized;
    bool has_ci;
    struct lo_agree_ci ci;
    const char *ci_error;        /* why the interval is missing */
};

static int compute_metric(enum metric m, enum lo_level level, const struct agree_input *in,
                          const double *w, const struct ci_opts *ci, struct lo_arena *arena,
                          struct metric_out *o, struct lo_error *err)
{
    const struct lo_agree_data *d = &in->d;
    memset(o, 0, sizeof(*o));
    o->metric = m;
    int rc = 0;
    switch (m) {
    case M_PERCENT:
        rc = lo_agree_percent(d, w, &o->res, err);
        break;
    case M_COHEN:
        rc = lo_agree_cohen(d, w, &o->res, err);
        break;
    case M_SCOTT:
        rc = lo_agree_scott(d, w, &o->res, err);
        break;
    case M_CONGER:
        rc = lo_agree_conger(d, w, &o->res, err);
        break;
    case M_AC1:
        rc = lo_agree_ac1(d, w, &o->res, err);
        break;
    case M_BP:
        rc = lo_agree_bp(d, w, &o->res, err);
        break;
    case M_FLEISS:
        o->per_category = lo_arena_alloc(arena, (d->n_classes ? d->n_classes : 1) * sizeof(double));
        if (!o->per_category)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        rc = lo_agree_fleiss(d, &o->res, o->per_category, err);
        if (rc == 0 && !o->res.defined && strstr(o->res.reason, "varies")) {
            struct lo_agree_result g;
            rc = lo_agree_fleiss_generalized(d, NULL, &g, err);
            if (rc == 0 && g.defined) {
                o->has_generalized = true;
                o->generalized = g.value;
            }
        }
        break;
    case M_ALPHA:
        o->has_level = true;
        rc = lo_agree_alpha(d, level, &o->res, err);
        if (rc == 0 && ci->on && o->res.defined) {
            struct lo_rng rng;
            struct lo_error cerr;
            lo_error_clear(&cerr);
            lo_rng_seed(&rng, ci->seed);
            int crc = lo_agree_alpha_ci(d, level, ci->conf, (size_t)ci->replicates, &rng, &o->ci,
                                        &cerr);
            if (crc == 0) {
                o->has_ci = true;
            } else if (crc == LO_EUNDEFINED) {
                o->ci_error = lo_arena_strndup(arena, cerr.msg, strlen(cerr.msg));
            } else {
                *err = cerr;
                return crc;
            }
        }
        break;
    case M_COUNT:
        break;
    }
    return rc;
}

static json_t *metric_json(const struct metric_out *o, const struct agree_input *in,
                           const char *weights, const struct ci_opts *ci)
{
    const struct lo_agree_result *r = &o->res;
    json_t *j = json_object();
    json_object_set_new(j, "metric", json_string(metric_names[o->metric]));
    if (o->has_level)
        json_object_set_new(j, "level", json_string(lo_level_name(r->level)));
    json_object_set_new(j, "value", r->defined ? jnum(r->value) : json_null());
    if (!r->defined)
        json_object_set_new(j, "reason", json_string(r->reason));
    json_object_set_new(j, "items", jcount(r->items));
    json_object_set_new(j, "annotators", json_integer((json_int_t)r->annotators));
    json_object_set_new(j, "pairable", jcount(r->pairable));
    json_object_set_new(j, "ignored_repeats", json_integer((json_int_t)r->ignored_repeats));
    json_object_set_new(j, "input", json_string(in->shape));
    if (o->has_level) {
        json_object_set_new(j, "observed_disagreement", jnum(r->po));
        json_object_set_new(j, "expected_disagreement", jnum(r->pe));
    } else {
        json_object_set_new(j, "observed", jnum(r->po));
        if (o->metric != M_PERCENT)
            json_object_set_new(j, "chance", jnum(r->pe));
    }
    if (r->weighted && weights)
        json_object_set_new(j, "weights", json_string(weights));
    if (o->metric == M_FLEISS && r->defined) {
        json_t *pc = json_array();
        for (size_t k = 0; k < in->d.n_classes; k++) {
            json_t *c = json_object();
            const char *nm = in->d.class_names ? in->d.class_names[k] : "";
            json_object_set_new(c, "class", json_string(nm));
            json_object_set_new(c, "value", jnum(o->per_category[k]));
            if (!isfinite(o->per_category[k]))
                json_object_set_new(c, "reason",
                                    json_string("the category is used by nobody or on every "
                                                "rating"));
            json_array_append_new(pc, c);
        }
        json_object_set_new(j, "per_category", pc);
    }
    if (o->has_generalized)
        json_object_set_new(j, "generalized", jnum(o->generalized));
    if (o->metric == M_ALPHA && ci->on) {
        json_t *c = json_object();
        json_object_set_new(c, "level", json_real(ci->conf));
        json_object_set_new(c, "replicates", json_integer(ci->replicates));
        json_object_set_new(c, "seed", json_integer((json_int_t)ci->seed));
        if (o->has_ci) {
            json_object_set_new(c, "low", jnum(o->ci.lo));
            json_object_set_new(c, "high", jnum(o->ci.hi));
            json_object_set_new(c, "used", json_integer((json_int_t)o->ci.used));
        } else {
            json_object_set_new(c, "low", json_null());
            json_object_set_new(c, "high", json_null());
            json_object_set_new(c, "reason",
                                json_string(o->ci_error ? o->ci_error : "alpha is undefined"));
        }
        json_object_set_new(j, "ci", c);
    }
    return j;
}

static void metric_text(FILE *f, const struct metric_out *o, const struct agree_input *in,
                        const struct ci_opts *ci)
{
    const struct lo_agree_result *r = &o->res;
    char name[48];
    if (o->has_level)
        snprintf(name, sizeof(name), "alpha (%s)", lo_level_name(r->level));
    else
        snprintf(name, sizeof(name), "%s%s", metric_names[o->metric],
                 r->weighted ? " (weighted)" : "");
    fprintf(f, "%-20s ", name);
    if (!r->defined) {
        fprintf(f, "undefined: %s", r->reason);
        if (o->has_generalized)
            fprintf(f, "\n%-20s %.6f (Gwet's generalisation for varying raters)", "",
                    o->generalized);
        fputc('\n', f);
        return;
    }
    fprintf(f, "%9.6f", r->value);
    if (o->metric == M_COHEN || o->metric == M_SCOTT)
        fprintf(f, "   on %g items rated by both", r->items);
    if (o->has_ci)
        fprintf(f, "   %g%% CI %.6f .. %.6f (%zu of %zu bootstrap replicates, seed %llu)",
                ci->conf * 100, o->ci.lo, o->ci.hi, o->ci.used, o->ci.replicates, ci->seed);
    else if (o->metric == M_ALPHA && ci->on)
        fprintf(f, "   no interval: %s", o->ci_error ? o->ci_error : "undefined");
    fputc('\n', f);
    if (o->metric == M_FLEISS) {
        for (size_t k = 0; k < in->d.n_classes; k++) {
            fprintf(f, "  %-18s ", in->d.class_names ? in->d.class_names[k] : "?");
            if (isfinite(o->per_category[k]))
                fprintf(f, "%9.6f\n", o->per_category[k]);
            else
                fputs("undefined\n", f);
        }
    }
}

static json_t *by_annotator_json(const struct lo_agree_by_annotator *b,
                                 const struct agree_input *in)
{
    json_t *j = json_object();
    json_object_set_new(j, "metric", json_string("by_annotator"));
    json_t *names = json_array();
    for (size_t a = 0; a < b->n; a++)
        json_array_append_new(names, json_string(in->annotator_names[a]));
    json_object_set_new(j, "annotators", names);
    if (b->pairwise) {
        json_t *pw = json_array(), *sh = json_array();
        for (size_t a = 0; a < b->n; a++) {
            json_t *row = json_array(), *srow = json_array();
            for (size_t c = 0; c < b->n; c++) {
                json_array_append_new(row, jnum(b->pairwise[a * b->n + c]));
                json_array_append_new(srow, jcount(b->shared[a * b->n + c]));
            }
            json_array_append_new(pw, row);
            json_array_append_new(sh, srow);
        }
        json_object_set_new(j, "pairwise", pw);
        json_object_set_new(j, "shared", sh);
    } else {
        json_object_set_new(j, "pairwise", json_null());
        json_object_set_new(j, "reason", json_string("too many annotators for a pairwise matrix"));
    }
    json_t *vr = json_array();
    for (size_t a = 0; a < b->n; a++) {
        json_t *o = json_object();
        json_object_set_new(o, "annotator", json_string(in->annotator_names[a]));
        json_object_set_new(o, "value", jnum(b->vs_rest[a]));
        if (!isfinite(b->vs_rest[a]))
            json_object_set_new(o, "reason",
                                json_string("no item rated by this annotator and another"));
        json_object_set_new(o, "pairs", jcount(b->rest_pairs[a]));
        json_array_append_new(vr, o);
    }
    json_object_set_new(j, "vs_rest", vr);
    return j;
}

static void by_annotator_text(FILE *f, const struct lo_agree_by_annotator *b,
                              const struct agree_input *in)
{
    fputs("\neach annotator against the rest (share of agreeing rating pairs):\n", f);
    for (size_t a = 0; a < b->n; a++) {
        fprintf(f, "  %-20s ", in->annotator_names[a]);
        if (isfinite(b->vs_rest[a]))
            fprintf(f, "%.4f  (%g pairs)\n", b->vs_rest[a], b->rest_pairs[a]);
        else
            fputs("undefined (shares no item with another annotator)\n", f);
    }
    if (!b->pairwise || b->n > 30) {
        fputs("(pairwise matrix: use --json)\n", f);
        return;
    }
    fputs("\npairwise percent agreement (items shared):\n", f);
    for (size_t a = 0; a < b->n; a++) {
        fprintf(f, "  %-20s", in->annotator_names[a]);
        for (size_t c = 0; c < b->n; c++) {
            double v = b->pairwise[a * b->n + c];
            if (a == c)
                fputs("       -      ", f);
            else if (isfinite(v))
                fprintf(f, " %6.3f (%4g)", v, b->shared[a * b->n + c]);
            else
                fputs("     n/a      ", f);
        }
        fputc('\n', f);
    }
}

static int parse_ci(const struct lo_args *args, struct ci_opts *ci, struct lo_error *err)
{
    memset(ci, 0, sizeof(*ci));
    ci->on = lo_args_has(args, "ci") || lo_args_has(args, "bootstrap") || lo_args_has(args, "seed");
    int rc = lo_args_double(args, "ci", 0.95, &ci->conf, err);
    if (rc)
        return rc;
    if (!(ci->conf > 0 && ci->conf < 1))
        return lo_error_field(err, LO_EUSAGE, "ci", "--ci must be between 0 and 1, got %g",
                              ci->conf);
    rc = lo_args_long(args, "bootstrap", 1000, &ci->replicates, err);
    if (rc)
        return rc;
    if (ci->replicates < 1 || ci->replicates > LO_LIMIT_BOOTSTRAP)
        return lo_error_field(err, LO_EUSAGE, "bootstrap",
                              "--bootstrap must be 1..%d (LO_LIMIT_BOOTSTRAP), got %ld",
                              LO_LIMIT_BOOTSTRAP, ci->replicates);
    ci->seed = 1;
    const char *s = lo_args_get(args, "seed");
    if (s) {
        char *end;
        errno = 0;
        ci->seed = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-')
            return lo_error_field(err, LO_EUSAGE, "seed",
                                  "--seed needs a non-negative integer, got '%s'", s);
    }
    return 0;
}

static int run_agree(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != lo_cli_ratings_npos(args))
        return lo_cli_usage(cli, "agree needs one FILE (\"-\" reads standard input)");
    const char *path = lo_cli_ratings_path(args);
    struct lo_error err;
    lo_error_clear(&err);

    const char *mname = lo_args_get(args, "metric");
    bool explicit_metric = mname != NULL;
    if (!mname)
        mname = "all";
    int metric = -1;
    for (int m = 0; m < M_COUNT; m++)
        if (strcmp(mname, metric_names[m]) == 0)
            metric = m;
    bool all = strcmp(mname, "all") == 0;
    if (metric < 0 && !all)
        return lo_cli_usage(cli,
                            "--metric must be percent, cohen, conger, fleiss, alpha, ac1, scott, "
                            "bp or all, got '%s'",
                            mname);
    const char *lname = lo_args_get(args, "level");
    int level = lname ? lo_level_parse(lname) : LO_LEVEL_NOMINAL;
    if (level < 0)
        return lo_cli_usage(cli, "--level must be nominal, ordinal, interval or ratio, got '%s'",
                            lname);
    const char *shape = lo_args_get(args, "input");
    if (!shape)
        shape = "long";
    struct ci_opts ci;
    int rc = parse_ci(args, &ci, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    bool by_annotator = lo_args_has(args, "by-annotator");
    const char *wspec = lo_args_get(args, "weights");

    struct lo_arena arena;
    lo_arena_init(&arena, 1 << 20);
    struct agree_input in;
    double *w = NULL;
    struct metric_out outs[M_COUNT + 4];
    size_t nout = 0;
    struct lo_agree_by_annotator by;
    rc = load_input(cli, path, shape, args, &arena, &in, &err);
    if (rc)
        goto fail;
    rc = load_weights(wspec, &in.d, &arena, &w, &err);
    if (rc)
        goto fail;
    if (by_annotator) {
        if (!in.annotator_names) {
            rc = lo_error_set(&err, LO_EUSAGE,
                              "--by-annotator needs annotators: use long, wide or table input");
            goto fail;
        }
        rc = lo_agree_by_annotator(&in.d, &arena, &by, &err);
        if (rc)
            goto fail;
    }
    bool metrics = !by_annotator || explicit_metric;
    if (metrics && !all) {
        rc = compute_metric((enum metric)metric, (enum lo_level)level, &in, w, &ci, &arena,
                            &outs[nout++], &err);
        if (rc)
            goto fail;
    } else if (metrics) {
        for (int m = 0; m < M_COUNT; m++) {
            if (m == M_ALPHA) {
                int top = in.d.class_values ? LO_LEVEL_RATIO : LO_LEVEL_NOMINAL;
                for (int lv = 0; lv <= top; lv++) {
                    rc = compute_metric(M_ALPHA, (enum lo_level)lv, &in, NULL, &ci, &arena,
                                        &outs[nout++], &err);
                    if (rc)
                        goto fail;
                }
                continue;
            }
            rc = compute_metric((enum metric)m, LO_LEVEL_NOMINAL, &in, w, &ci, &arena,
                                &outs[nout++], &err);
            if (rc)
                goto fail;
        }
    }

    if (cli->json) {
        json_t *doc = NULL;
        if (metrics) {
            if (all) {
                doc = json_array();
                for (size_t i = 0; i < nout; i++)
                    json_array_append_new(doc, metric_json(&outs[i], &in, wspec, &ci));
            } else {
                doc = metric_json(&outs[0], &in, wspec, &ci);
            }
        }
        if (by_annotator) {
            json_t *b = by_annotator_json(&by, &in);
            if (doc)
                doc = json_pack("{s:o, s:o}", "agreement", doc, "by_annotator", b);
            else
                doc = b;
        }
        lo_cli_print_json(cli->out, doc);
    } else {
        FILE *f = cli->out;
        const struct lo_agree_data *d = &in.d;
        double pairable = 0, items = 0;
        for (size_t u = 0; u < d->n_units; u++) {
            items += d->weight[u];
            if (d->m[u] >= 2)
                pairable += d->weight[u] * d->m[u];
        }
        fprintf(f, "%s (%s): %g items, ", path, in.shape, items);
        if (d->n_annotators)
            fprintf(f, "%zu annotators, ", d->n_annotators);
        else
            fprintf(f, "up to %zu ratings per item, ", d->max_raters);
        fprintf(f, "%zu classes, %g pairable ratings", d->n_classes, pairable);
        if (d->ignored_repeats)
            fprintf(f, ", %zu repeated ratings ignored (first rating counts)", d->ignored_repeats);
        fputc('\n', f);
        if (w)
            fprintf(f, "weights: %s\n", wspec);
        for (size_t i = 0; i < nout; i++)
            metric_text(f, &outs[i], &in, &ci);
        if (by_annotator)
            by_annotator_text(f, &by, &in);
    }
    lo_arena_free(&arena);
    return 0;
fail:
    lo_arena_free(&arena);
    return lo_cli_fail(cli, &err);
}

static const struct lo_optspec agree_opts[] = {
    { "metric", true, "percent, cohen, conger, fleiss, alpha, ac1, scott, bp or all (default)" },
    { "level", true, "alpha: nominal (default), ordinal, interval or ratio" },
    { "weights", true, "linear, quadratic or FILE (a q x q matrix) for weighted coefficients" },
    { "input", true, "long (default), wide, counts or table" },
    { "format", true, "csv, tsv or jsonl (default: from the file name)" },
    { "item-field", true, "column holding the item" },
    { "annotator-field", true, "column holding the annotator (long input)" },
    { "label-field", true, "column holding the label (long input)" },
    { "missing", true, "wide input: the text of a missing rating besides a blank (default NA)" },
    { "n-obs", true, "table input: the cells are proportions of this many items" },
    { "ci", true, "bootstrap confidence level for alpha, e.g. 0.95" },
    { "bootstrap", true, "bootstrap replicates (default 1000)" },
    { "seed", true, "bootstrap seed (default 1)" },
    { "by-annotator", false, "pairwise agreement matrix and each annotator against the rest" },
    { "project", true, "a project's annotations instead of FILE (with --db)" },
    { "field", true, "with --project: the schema field (default: the only one)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_agree = {
    "agree",
    "inter-annotator agreement: kappa, alpha, AC1 and friends",
    "usage: labelops agree FILE [--metric M] [--level L] [--weights W] [--input SHAPE]\n"
    "                     [--ci 0.95 --bootstrap 1000 --seed S] [--by-annotator] [--json]\n"
    "\n"
    "FILE shapes (--input): long (one row per item, annotator, label; CSV, TSV or JSONL), wide\n"
    "(one row per item, one column per annotator, blank = missing; a first header cell 'coder'\n"
    "means one row per annotator), counts (one row per item, one column per category), table\n"
    "(a contingency table of two annotators). Lines starting with '#' are comments.\n"
    "If an annotator rated an item several times, the first rating counts; the others are\n"
    "reported as ignored_repeats. An undefined coefficient prints \"value\": null and a reason.\n"
    "Formulas and sources: docs/quality/agreement.md.",
    agree_opts,
    run_agree,
};
