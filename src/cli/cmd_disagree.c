/*
 * cmd_disagree.c - `labelops disagree FILE [--consensus mv|ds] [--top N] [--json]`: the class
 * pairs annotators confuse most, the most uncertain items, and each annotator's confusion matrix
 * against a consensus label per item. Reads long-format labels (io/ratings_load.h); the numbers
 * come from quality/disagree.h, the consensus from quality/inference.h. No rules live here.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "io/ratings_load.h"
#include "quality/disagree.h"
#include "quality/inference.h"

/* The consensus a run compares against. */
struct consensus {
    const char *method;       /* "mv" or "ds" */
    const int32_t *label;     /* [n_items] class index, -1 for none */
    const double *posterior;  /* [n_items * n_classes] vote shares (mv) or posterior (ds) */
    bool has_loglik;
    double loglik;
    long iterations;
    bool converged;
};

/* The one place the consensus comes from, so that another method is a change here only:
 * majority vote (ties to the lowest label) or Dawid-Skene EM with the library's defaults. */
static int compute_consensus(const struct lo_ratings *r, const char *method,
                             struct lo_arena *arena, struct consensus *out, struct lo_error *err)
{
    enum lo_infer_method m = strcmp(method, "ds") == 0 ? LO_INFER_DS : LO_INFER_MV;
    struct lo_infer_options opt;
    struct lo_infer_result res;
    lo_infer_options_init(&opt, m);
    int rc = lo_infer(r, &opt, arena, &res, err);
    if (rc)
        return rc;
    out->method = method;
    out->label = res.label;
    out->posterior = res.posterior;
    out->has_loglik = res.has_loglik;
    out->loglik = res.loglik;
    out->iterations = res.iterations;
    out->converged = res.converged;
    return 0;
}

/* {"value": x} or {"value": null, "reason": why}: an undefined statistic is never NaN. */
static json_t *json_stat(bool defined, double v, const char *reason)
{
    if (defined)
        return json_pack("{s:f}", "value", v);
    return json_pack("{s:n, s:s}", "value", "reason", reason);
}

static json_t *json_matrix(const uint32_t *m, size_t K)
{
    json_t *rows = json_array();
    for (size_t k = 0; k < K; k++) {
        json_t *row = json_array();
        for (size_t l = 0; l < K; l++)
            json_array_append_new(row, json_integer(m[k * K + l]));
        json_array_append_new(rows, row);
    }
    return rows;
}

static void render_json(struct lo_cli *cli, const char *path, const struct lo_ratings *r,
                        const struct consensus *cons, const struct lo_confusion_pair *pairs,
                        size_t n_pairs, size_t n_multi, const struct lo_item_uncertainty *unc,
                        size_t n_unc, const struct lo_annotator_confusion *ac, size_t top)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(path));
    json_object_set_new(o, "consensus", json_string(cons->method));
    if (cons->has_loglik) {
        json_object_set_new(o, "loglik", json_real(cons->loglik));
        json_object_set_new(o, "iterations", json_integer(cons->iterations));
        json_object_set_new(o, "converged", json_boolean(cons->converged));
    }
    json_object_set_new(o, "items", json_integer((json_int_t)r->n_items));
    json_object_set_new(o, "items_multi", json_integer((json_int_t)n_multi));
    json_object_set_new(o, "ratings", json_integer((json_int_t)r->n));
    json_object_set_new(o, "annotators", json_integer((json_int_t)r->n_annotators));
    json_t *classes = json_array();
    for (size_t k = 0; k < r->n_classes; k++)
        json_array_append_new(classes, json_string(r->class_names[k]));
    json_object_set_new(o, "classes", classes);

    json_t *jp = json_array();
    for (size_t k = 0; k < n_pairs && k < top; k++)
        json_array_append_new(
            jp, json_pack("{s:s, s:s, s:I, s:f, s:I}", "a", r->class_names[pairs[k].a], "b",
                          r->class_names[pairs[k].b], "items", (json_int_t)pairs[k].items,
                          "share", pairs[k].share, "rating_pairs", (json_int_t)pairs[k].pairs));
    json_object_set_new(o, "confusion_pairs", jp);

    json_t *ju = json_array();
    for (size_t k = 0; k < n_unc && k < top; k++)
        json_array_append_new(
            ju, json_pack("{s:s, s:I, s:f, s:f, s:s, s:f}", "item", r->item_names[unc[k].item],
                          "ratings", (json_int_t)unc[k].n_ratings, "entropy", unc[k].entropy,
                          "normalized", unc[k].normalized, "top", r->class_names[unc[k].top],
                          "top_p", unc[k].top_p));
    json_object_set_new(o, "uncertain_items", ju);

    json_t *ja = json_array();
    for (size_t a = 0; a < ac->n_annotators; a++) {
        double rate = 0;
        bool def = lo_annotator_agreement(ac, a, &rate);
        size_t K = ac->n_classes;
        json_array_append_new(
            ja, json_pack("{s:s, s:I, s:I, s:o, s:o}", "annotator", r->annotator_names[a],
                          "compared", (json_int_t)ac->compared[a], "agreed",
                          (json_int_t)ac->agreed[a], "agreement",
                          json_stat(def, rate, "no rating on an item with a consensus"),
                          "confusion", json_matrix(ac->counts + a * K * K, K)));
    }
    json_object_set_new(o, "annotator_confusion", ja);
    json_object_set_new(o, "skipped_ratings", json_integer((json_int_t)ac->skipped));
    lo_cli_print_json(cli->out, o);
}

static void render_text(struct lo_cli *cli, const char *path, const struct lo_ratings *r,
                        const struct consensus *cons, const struct lo_confusion_pair *pairs,
                        size_t n_pairs, size_t n_multi, const struct lo_item_uncertainty *unc,
                        size_t n_unc, const struct lo_annotator_confusion *ac, size_t top)
{
    FILE *f = cli->out;
    fprintf(f, "%s: %zu ratings, %zu items (%zu with several labels), %zu annotators, %zu classes\n",
            path, r->n, r->n_items, n_multi, r->n_annotators, r->n_classes);
    fprintf(f, "consensus: %s", strcmp(cons->method, "ds") == 0 ? "Dawid-Skene" : "majority vote");
    if (cons->has_loglik)
        fprintf(f, " (%ld iterations, %s, log-likelihood %.6f)", cons->iterations,
                cons->converged ? "converged" : "not converged", cons->loglik);
    fputc('\n', f);

    fprintf(f, "\nconfusion pairs (items where both labels were given, of %zu with several):\n",
            n_multi);
    if (n_pairs == 0)
        fputs("  none: no item received two different labels\n", f);
    for (size_t k = 0; k < n_pairs && k < top; k++)
        fprintf(f, "  %2zu. %s / %s  %zu items (%.1f%%), %.0f disagreeing rating pairs\n", k + 1,
                r->class_names[pairs[k].a], r->class_names[pairs[k].b], pairs[k].items,
                100.0 * pairs[k].share, pairs[k].pairs);

    fprintf(f, "\nmost uncertain items (entropy in bits of the %s):\n",
            strcmp(cons->method, "ds") == 0 ? "Dawid-Skene posterior" : "vote shares");
    for (size_t k = 0; k < n_unc && k < top; k++)
        fprintf(f, "  %2zu. %s  entropy %.4f (normalized %.3f), %u ratings, top %s (%.3f)\n",
                k + 1, r->item_names[unc[k].item], unc[k].entropy, unc[k].normalized,
                unc[k].n_ratings, r->class_names[unc[k].top], unc[k].top_p);

    fputs("\nannotators against the consensus (rows: consensus, columns: label given):\n", f);
    size_t K = ac->n_classes;
    for (size_t a = 0; a < ac->n_annotators; a++) {
        double rate;
        fprintf(f, "  %s: ", r->annotator_names[a]);
        if (lo_annotator_agreement(ac, a, &rate))
            fprintf(f, "agreement %.4f (%u of %u)\n", rate, ac->agreed[a], ac->compared[a]);
        else
            fputs("agreement undefined (no rating on an item with a consensus)\n", f);
        fprintf(f, "    %12s", "");
        for (size_t l = 0; l < K; l++)
            fprintf(f, " %8.8s", r->class_names[l]);
        fputc('\n', f);
        for (size_t k = 0; k < K; k++) {
            fprintf(f, "    %12.12s", r->class_names[k]);
            for (size_t l = 0; l < K; l++)
                fprintf(f, " %8u", ac->counts[(a * K + k) * K + l]);
            fputc('\n', f);
        }
    }
    if (ac->skipped)
        fprintf(f, "  (%zu ratings on items without a consensus were not counted)\n", ac->skipped);
}

static int run_disagree(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != lo_cli_ratings_npos(args))
        return lo_cli_usage(cli, "disagree needs exactly one FILE");
    const char *path = lo_cli_ratings_path(args);
    const char *method = lo_args_get(args, "consensus");
    if (!method)
        method = "mv";
    if (strcmp(method, "mv") != 0 && strcmp(method, "ds") != 0)
        return lo_cli_usage(cli, "--consensus must be mv or ds, got '%s'", method);
    struct lo_error err;
    lo_error_clear(&err);
    long top;
    int rc = lo_args_long(args, "top", 10, &top, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (top < 1)
        return lo_cli_usage(cli, "--top must be at least 1, got %ld", top);
    enum lo_format fmt;
    rc = lo_cli_format_arg(args, &fmt, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    struct lo_label_mapping map = lo_cli_mapping_arg(args);
    map.gold_field = NULL;

    struct lo_arena arena;
    lo_arena_init(&arena, 1 << 20);
    struct lo_ratings r;
    struct consensus cons;
    struct lo_confusion_pair *pairs;
    struct lo_item_uncertainty *unc;
    struct lo_annotator_confusion ac;
    size_t n_pairs, n_multi, n_unc;
    rc = lo_cli_load_ratings(cli, args, path, fmt, &map, NULL, &arena, &r, &err);
    if (rc)
        goto fail;
    if (r.n == 0) {
        rc = lo_error_set(&err, LO_EINVAL, "%s has no labels", path);
        goto fail;
    }
    rc = compute_consensus(&r, method, &arena, &cons, &err);
    if (rc)
        goto fail;
    rc = lo_confusion_pairs(&r, &arena, &pairs, &n_pairs, &n_multi, &err);
    if (rc)
        goto fail;
    rc = lo_items_by_entropy(&r, cons.posterior, &arena, &unc, &n_unc, &err);
    if (rc)
        goto fail;
    rc = lo_annotator_confusion(&r, cons.label, &arena, &ac, &err);
    if (rc)
        goto fail;
    if (cli->json)
        render_json(cli, path, &r, &cons, pairs, n_pairs, n_multi, unc, n_unc, &ac, (size_t)top);
    else
        render_text(cli, path, &r, &cons, pairs, n_pairs, n_multi, unc, n_unc, &ac, (size_t)top);
    lo_arena_free(&arena);
    return 0;
fail:
    lo_arena_free(&arena);
    return lo_cli_fail(cli, &err);
}

static const struct lo_optspec disagree_opts[] = {
    { "consensus", true, "mv (majority vote, default) or ds (Dawid-Skene posterior)" },
    { "top", true, "how many confusion pairs and uncertain items to list (default 10)" },
    { "format", true, "csv, tsv or jsonl (default: from the file name)" },
    { "project", true, "a project\'s annotations instead of FILE (with --db)" },
    { "field", true, "with --project: the schema field (default: the only one)" },
    { "item-field", true, "column holding the item" },
    { "annotator-field", true, "column holding the annotator" },
    { "label-field", true, "column holding the label" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_disagree = {
    "disagree",
    "confusion pairs, most uncertain items, annotators against the consensus",
    "usage: labelops disagree FILE [--consensus mv|ds] [--top N] [--json]\n"
    "\n"
    "FILE holds long-format labels (one row per item, annotator, label; CSV, TSV or JSONL).\n"
    "Lists the pairs of labels given together on the most items, the items whose vote shares\n"
    "(mv) or Dawid-Skene posterior (ds) have the highest entropy, and each annotator's\n"
    "confusion matrix against the consensus label (see docs/quality/disagreement.md).",
    disagree_opts,
    run_disagree,
};
