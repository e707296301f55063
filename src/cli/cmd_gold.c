/*
 * cmd_gold.c - `labelops gold FILE [--gold GOLD] ...`: each annotator's accuracy on gold items
 * with Wilson, Clopper-Pearson and Jeffreys intervals, the Beta posterior, P(accuracy < target)
 * and Wald's SPRT decision. Reads long-format labels through io/ratings_load.h; the statistics
 * are quality/audit.h. No rules live here.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "io/ratings_load.h"
#include "quality/audit.h"

struct gold_opts {
    struct lo_beta prior;
    double target, confidence;
    struct lo_sprt sprt;
};

struct annot_score {
    long correct, total;
    bool *seq;        /* answers on gold items in the order they were read */
};

static int parse_pair(const char *s, double *a, double *b)
{
    const char *comma = strchr(s, ',');
    if (!comma)
        return -1;
    struct lo_str left = { s, (size_t)(comma - s) };
    if (!lo_str_to_double(left, a) || !lo_str_to_double(lo_str_from(comma + 1), b))
        return -1;
    return 0;
}

static int parse_opts(const struct lo_args *args, struct gold_opts *o, struct lo_error *err)
{
    int rc;
    double p0, p1, alpha, beta;
    o->prior.a = o->prior.b = 1.0;
    const char *prior = lo_args_get(args, "prior");
    if (prior && parse_pair(prior, &o->prior.a, &o->prior.b))
        return lo_error_field(err, LO_EUSAGE, "prior", "--prior needs A,B (e.g. 1,1), got '%s'",
                              prior);
    if (!(o->prior.a > 0) || !(o->prior.b > 0))
        return lo_error_field(err, LO_EUSAGE, "prior", "--prior needs A > 0 and B > 0");
    rc = lo_args_double(args, "target", 0.9, &o->target, err);
    if (rc)
        return rc;
    if (!(o->target > 0 && o->target < 1))
        return lo_error_field(err, LO_EUSAGE, "target", "--target must lie in (0, 1)");
    rc = lo_args_double(args, "confidence", 0.95, &o->confidence, err);
    if (rc)
        return rc;
    if (!(o->confidence > 0 && o->confidence < 1))
        return lo_error_field(err, LO_EUSAGE, "confidence", "--confidence must lie in (0, 1)");
    rc = lo_args_double(args, "sprt-p0", 0.9, &p0, err);
    if (rc)
        return rc;
    rc = lo_args_double(args, "sprt-p1", 0.75, &p1, err);
    if (rc)
        return rc;
    rc = lo_args_double(args, "alpha", 0.05, &alpha, err);
    if (rc)
        return rc;
    rc = lo_args_double(args, "beta", 0.05, &beta, err);
    if (rc)
        return rc;
    rc = lo_sprt_init(&o->sprt, p0, p1, alpha, beta, err);
    if (rc) {
        err->code = LO_EUSAGE;
        return rc == LO_EINVAL ? LO_EUSAGE : rc;
    }
    return 0;
}

/* Scores every rating on an item with a known answer. */
static int score(const struct lo_ratings *r, struct lo_arena *arena, struct annot_score *s,
                 size_t *gold_items, size_t *items_without_gold, size_t *ignored,
                 struct lo_error *err)
{
    size_t A = r->n_annotators;
    *gold_items = *items_without_gold = *ignored = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        if (r->gold_names && r->gold_names[i])
            (*gold_items)++;
        else
            (*items_without_gold)++;
    }
    for (size_t k = 0; k < r->n; k++) {
        uint32_t i = r->item[k];
        if (r->gold_names && r->gold_names[i])
            s[r->annotator[k]].total++;
        else
            (*ignored)++;
    }
    for (size_t a = 0; a < A; a++) {
        s[a].seq = lo_arena_calloc(arena, (size_t)s[a].total + 1, sizeof(bool));
        if (!s[a].seq)
            return lo_error_set(err, LO_ENOMEM, "out of memory scoring gold answers");
        s[a].total = 0;
    }
    for (size_t k = 0; k < r->n; k++) {
        uint32_t i = r->item[k];
        if (!r->gold_names || !r->gold_names[i])
            continue;
        struct annot_score *as = &s[r->annotator[k]];
        /* gold[i] is -1 when the known answer is no label anyone gave: every answer is wrong. */
        bool ok = r->gold[i] >= 0 && r->label[k] == (uint32_t)r->gold[i];
        as->seq[as->total++] = ok;
        if (ok)
            as->correct++;
    }
    return 0;
}

static json_t *json_undefined(const char *reason)
{
    return json_pack("{s:n, s:s}", "value", "reason", reason);
}

static json_t *json_interval(enum lo_interval_method m, const struct annot_score *s,
                             double confidence)
{
    struct lo_interval ci;
    struct lo_error e;
    lo_error_clear(&e);
    if (lo_binom_interval(m, s->correct, s->total, confidence, &ci, &e))
        return json_undefined(e.msg);
    return json_pack("{s:f, s:f}", "lo", ci.lo, "hi", ci.hi);
}

static void render_json(struct lo_cli *cli, const char *path, const struct lo_ratings *r,
                        const struct annot_score *s, const struct gold_opts *o, size_t gold_items,
                        size_t no_gold, size_t ignored)
{
    json_t *root = json_object();
    json_object_set_new(root, "file", json_string(path));
    json_object_set_new(root, "gold_items", json_integer((json_int_t)gold_items));
    json_object_set_new(root, "items_without_gold", json_integer((json_int_t)no_gold));
    json_object_set_new(root, "ratings_ignored", json_integer((json_int_t)ignored));
    json_object_set_new(root, "confidence", json_real(o->confidence));
    json_object_set_new(root, "target", json_real(o->target));
    json_object_set_new(root, "prior", json_pack("{s:f, s:f}", "a", o->prior.a, "b", o->prior.b));
    json_object_set_new(root, "sprt",
                        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "p0", o->sprt.p0,
                                  "p1", o->sprt.p1, "alpha", o->sprt.alpha, "beta", o->sprt.beta,
                                  "upper", o->sprt.upper, "lower", o->sprt.lower, "step_correct",
                                  o->sprt.step_correct, "step_wrong", o->sprt.step_wrong));
    json_t *arr = json_array();
    double tail = (1.0 - o->confidence) / 2.0;
    for (size_t a = 0; a < r->n_annotators; a++) {
        const struct annot_score *as = &s[a];
        struct lo_beta post;
        struct lo_sprt_result sr;
        lo_beta_posterior(o->prior, as->correct, as->total, &post, NULL);
        lo_sprt_run(&o->sprt, as->seq, (size_t)as->total, &sr);
        json_t *acc = as->total > 0
                          ? json_pack("{s:f}", "value", (double)as->correct / (double)as->total)
                          : json_undefined("no answers on gold items");
        json_t *jp = json_pack("{s:f, s:f, s:f, s:f, s:f}", "a", post.a, "b", post.b, "mean",
                               lo_beta_mean(post), "lo", lo_beta_dist_quantile(post, tail), "hi",
                               lo_beta_dist_quantile(post, 1.0 - tail));
        json_t *js = json_pack("{s:s, s:f, s:I, s:I, s:I, s:I}", "decision",
                               lo_sprt_decision_name(sr.decision), "llr", sr.llr, "used",
                               (json_int_t)sr.used, "correct", (json_int_t)sr.correct, "wrong",
                               (json_int_t)sr.wrong, "more_correct_to_pass",
                               (json_int_t)sr.more_correct_to_pass);
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:f, s:o}", "annotator",
                           r->annotator_names[a], "correct", (json_int_t)as->correct, "total",
                           (json_int_t)as->total, "accuracy", acc, "wilson",
                           json_interval(LO_CI_WILSON, as, o->confidence), "clopper_pearson",
                           json_interval(LO_CI_CLOPPER_PEARSON, as, o->confidence), "jeffreys",
                           json_interval(LO_CI_JEFFREYS, as, o->confidence), "posterior", jp,
                           "p_below_target", lo_beta_prob_below(post, o->target), "sprt", js));
    }
    json_object_set_new(root, "annotators", arr);
    lo_cli_print_json(cli->out, root);
}

static void print_interval(FILE *f, enum lo_interval_method m, const struct annot_score *s,
                           double confidence)
{
    struct lo_interval ci;
    if (lo_binom_interval(m, s->correct, s->total, confidence, &ci, NULL))
        fprintf(f, "  %-17s", "undefined");
    else
        fprintf(f, "  [%.4f, %.4f] ", ci.lo, ci.hi);
}

static void render_text(struct lo_cli *cli, const char *path, const struct lo_ratings *r,
                        const struct annot_score *s, const struct gold_opts *o, size_t gold_items,
                        size_t no_gold, size_t ignored)
{
    FILE *f = cli->out;
    fprintf(f, "%s: %zu gold items (%zu items without gold, %zu ratings on them ignored)\n", path,
            gold_items, no_gold, ignored);
    fprintf(f,
            "intervals at %g%%; prior Beta(%g, %g); target %g; SPRT p0 %g vs p1 %g, alpha %g, "
            "beta %g (fail at LLR >= %.4f, pass at <= %.4f)\n\n",
            o->confidence * 100, o->prior.a, o->prior.b, o->target, o->sprt.p0, o->sprt.p1,
            o->sprt.alpha, o->sprt.beta, o->sprt.upper, o->sprt.lower);
    fprintf(f, "%-16s %9s %8s  %-16s  %-16s  %-16s %7s %8s  %s\n", "annotator", "correct",
            "accuracy", "wilson", "clopper-pearson", "jeffreys", "post.mean", "P(<tgt)", "sprt");
    for (size_t a = 0; a < r->n_annotators; a++) {
        const struct annot_score *as = &s[a];
        struct lo_beta post;
        struct lo_sprt_result sr;
        char cnt[48];
        lo_beta_posterior(o->prior, as->correct, as->total, &post, NULL);
        lo_sprt_run(&o->sprt, as->seq, (size_t)as->total, &sr);
        snprintf(cnt, sizeof(cnt), "%ld/%ld", as->correct, as->total);
        fprintf(f, "%-16s %9s ", r->annotator_names[a], cnt);
        if (as->total > 0)
            fprintf(f, "%8.4f", (double)as->correct / (double)as->total);
        else
            fprintf(f, "%8s", "undef.");
        print_interval(f, LO_CI_WILSON, as, o->confidence);
        print_interval(f, LO_CI_CLOPPER_PEARSON, as, o->confidence);
        print_interval(f, LO_CI_JEFFREYS, as, o->confidence);
        fprintf(f, "%7.4f %8.4f  %s", lo_beta_mean(post), lo_beta_prob_below(post, o->target),
                lo_sprt_decision_name(sr.decision));
        if (sr.decision == LO_SPRT_CONTINUE)
            fprintf(f, " (%ld more correct in a row to pass)", sr.more_correct_to_pass);
        else
            fprintf(f, " (after %zu answers)", sr.used);
        fputc('\n', f);
    }
}

static int run_gold(struct lo_cli *cli, const struct lo_args *args)
{
    struct lo_error err;
    lo_error_clear(&err);
    if (args->npos != lo_cli_ratings_npos(args))
        return lo_cli_usage(cli, "gold needs exactly one FILE (got %d)", args->npos);
    const char *path = lo_cli_ratings_path(args);
    struct gold_opts o;
    int rc = parse_opts(args, &o, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    enum lo_format fmt;
    rc = lo_cli_format_arg(args, &fmt, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_label_mapping map = lo_cli_mapping_arg(args);
    struct lo_arena arena;
    lo_arena_init(&arena, 1 << 20);
    struct lo_ratings r;
    size_t gold_items, no_gold, ignored;
    int code;
    rc = lo_cli_load_ratings(cli, args, path, fmt, &map, lo_args_get(args, "gold"), &arena, &r, &err);
    if (rc)
        goto fail;
    struct annot_score *s = lo_arena_calloc(&arena, r.n_annotators + 1, sizeof(*s));
    if (!s) {
        rc = lo_error_set(&err, LO_ENOMEM, "out of memory");
        goto fail;
    }
    rc = score(&r, &arena, s, &gold_items, &no_gold, &ignored, &err);
    if (rc)
        goto fail;
    if (gold_items == 0) {
        rc = lo_error_set(&err, LO_EINVAL,
                          "no item has a known answer: give --gold FILE (item,label) or a gold "
                          "column (gold, truth, gold_label)");
        goto fail;
    }
    if (cli->json)
        render_json(cli, path, &r, s, &o, gold_items, no_gold, ignored);
    else
        render_text(cli, path, &r, s, &o, gold_items, no_gold, ignored);
    lo_arena_free(&arena);
    return 0;
fail:
    code = lo_cli_fail(cli, &err);
    lo_arena_free(&arena);
    return code;
}

static const struct lo_optspec gold_opts_spec[] = {
    { "gold", true, "CSV item,label (or question,truth) of known answers" },
    { "prior", true, "Beta prior A,B of an annotator's accuracy (default 1,1)" },
    { "target", true, "accuracy target for P(accuracy < target) (default 0.9)" },
    { "confidence", true, "confidence of the intervals (default 0.95)" },
    { "sprt-p0", true, "SPRT: accuracy of a good annotator, H0 (default 0.9)" },
    { "sprt-p1", true, "SPRT: accuracy of a bad annotator, H1 (default 0.75)" },
    { "alpha", true, "SPRT: risk of failing a good annotator (default 0.05)" },
    { "beta", true, "SPRT: risk of passing a bad annotator (default 0.05)" },
    { "format", true, "csv, tsv or jsonl (default: from the extension)" },
    { "project", true, "a project\'s annotations instead of FILE (with --db)" },
    { "field", true, "with --project: the schema field (default: the only one)" },
    { "item-field", true, "item column (default item, task, question, orig_id, ...)" },
    { "annotator-field", true, "annotator column (default annotator, worker, ...)" },
    { "label-field", true, "label column (default label, answer, response, ...)" },
    { "gold-field", true, "gold column in FILE (default gold, truth, gold_label)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_gold = {
    "gold",
    "score annotators on gold items: accuracy, intervals, Beta posterior, SPRT",
    "usage: labelops gold FILE [--gold GOLD] [--prior A,B] [--target 0.9] [--confidence 0.95]\n"
    "                     [--sprt-p0 0.9 --sprt-p1 0.75 --alpha 0.05 --beta 0.05] [--json]\n"
    "\n"
    "FILE holds labels in long format (item, annotator, label). Known answers come from a gold\n"
    "column of FILE or from --gold. Items without a known answer are ignored (and counted).\n"
    "Every answer on a gold item counts, repeats included. The SPRT reads each annotator's\n"
    "answers in file order and stops at the first boundary: pass, fail, or keep sampling.",
    gold_opts_spec,
    run_gold,
};
