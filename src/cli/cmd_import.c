/*
 * cmd_import.c - `labelops import items|labels|predictions PROJECT FILE` and
 * `labelops export PROJECT`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_app.h"
#include "cli/commands.h"

static int parse_format(struct lo_cli *cli, const struct lo_args *args, enum lo_format *fmt)
{
    const char *f = lo_args_get(args, "format");
    *fmt = LO_FMT_AUTO;
    if (!f)
        return 0;
    *fmt = lo_format_parse(f);
    if (*fmt == LO_FMT_AUTO)
        return lo_cli_usage(cli, "--format must be jsonl, csv or tsv, got '%s'", f);
    return 0;
}

static void print_report(struct lo_cli *cli, const char *kind, const char *path,
                         const struct lo_import_report *r, const char *rejects)
{
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:f}",
                              "import", kind, "file", path, "lines", (json_int_t)r->lines,
                              "items_inserted", (json_int_t)r->items_inserted, "items_updated",
                              (json_int_t)r->items_updated, "items_skipped",
                              (json_int_t)(r->items_skipped + r->items_unchanged), "annotations",
                              (json_int_t)r->annotations, "annotations_skipped",
                              (json_int_t)r->annotations_skipped, "predictions",
                              (json_int_t)r->predictions, "gold", (json_int_t)r->gold,
                              "rejected", (json_int_t)r->rejected, "schema_inferred",
                              r->schema_inferred, "seconds", r->seconds);
        if (r->rejected && rejects)
            json_object_set_new(o, "rejects_file", json_string(rejects));
        lo_cli_print_json(cli->out, o);
        return;
    }
    fprintf(cli->out, "imported %s from %s: %lld lines", kind, path, (long long)r->lines);
    if (r->items_inserted || r->items_updated || r->items_skipped || r->items_unchanged)
        fprintf(cli->out, ", %lld new items", (long long)r->items_inserted);
    if (r->items_updated)
        fprintf(cli->out, ", %lld updated", (long long)r->items_updated);
    if (r->items_skipped || r->items_unchanged)
        fprintf(cli->out, ", %lld existing items skipped",
                (long long)(r->items_skipped + r->items_unchanged));
    if (r->annotations)
        fprintf(cli->out, ", %lld annotations", (long long)r->annotations);
    if (r->annotations_skipped)
        fprintf(cli->out, " (%lld on skipped items left out)", (long long)r->annotations_skipped);
    if (r->predictions)
        fprintf(cli->out, ", %lld predictions", (long long)r->predictions);
    if (r->gold)
        fprintf(cli->out, ", %lld gold answers", (long long)r->gold);
    fprintf(cli->out, " in %.2f s\n", r->seconds);
    if (r->schema_inferred)
        fprintf(cli->out, "the project's label schema was inferred from these labels\n");
    if (r->rejected)
        fprintf(cli->out, "%lld invalid lines rejected, written with their reasons to %s\n",
                (long long)r->rejected, rejects ? rejects : "the rejects file");
}

static int run_import(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 3)
        return lo_cli_usage(cli, "usage: labelops import items|labels|predictions PROJECT FILE");
    const char *kind = args->pos[0], *project = args->pos[1], *path = args->pos[2];
    struct lo_import_opts o;
    lo_import_opts_init(&o);
    int code = parse_format(cli, args, &o.format);
    if (code)
        return code;
    o.update = lo_args_has(args, "update");
    o.skip_invalid = lo_args_has(args, "skip-invalid");
    o.rejects_path = lo_args_get(args, "rejects");
    o.id_field = lo_args_get(args, "id-field");
    o.text_field = lo_args_get(args, "text-field");
    o.image_field = lo_args_get(args, "image-field");
    o.item_field = lo_args_get(args, "item-field");
    o.annotator_field = lo_args_get(args, "annotator-field");
    o.label_field = lo_args_get(args, "label-field");
    o.gold_field = lo_args_get(args, "gold-field");
    o.value_field = lo_args_get(args, "field");
    o.numeric = lo_args_has(args, "numeric");
    o.model = lo_args_get(args, "model");
    o.model_version = lo_args_get(args, "model-version");
    int (*fn)(struct lo_app *, const char *, const char *, const struct lo_import_opts *,
              struct lo_import_report *, struct lo_error *);
    if (strcmp(kind, "items") == 0)
        fn = lo_app_import_items;
    else if (strcmp(kind, "labels") == 0)
        fn = lo_app_import_labels;
    else if (strcmp(kind, "predictions") == 0)
        fn = lo_app_import_predictions;
    else
        return lo_cli_usage(cli, "import needs one of: items, labels, predictions (got '%s')",
                            kind);
    char rejects[4096];
    if (o.skip_invalid && !o.rejects_path) {
        snprintf(rejects, sizeof(rejects), "%s.rejected.jsonl",
                 strcmp(path, "-") ? path : "stdin");
        o.rejects_path = rejects;
    }
    struct lo_app app;
    code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    struct lo_import_report rep;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = fn(&app, project, path, &o, &rep, &err);
    if (rc) {
        if (!err.file[0] && rc == LO_ESTORE)
            lo_error_at(&err, cli->db_path, 0);
        lo_error_prefix(&err, "import failed, nothing was changed");
        return lo_cli_fail_app(cli, &app, &err);
    }
    if (o.skip_invalid && rep.rejected == 0)
        unlink(o.rejects_path);
    print_report(cli, kind, path, &rep, o.rejects_path);
    lo_app_close(&app);
    return 0;
}

static const struct lo_optspec import_opts[] = {
    { "format", true, "jsonl, csv or tsv (default: from the file's extension)" },
    { "skip-invalid", false, "import the valid lines; write the others with reasons to a file" },
    { "rejects", true, "where --skip-invalid writes rejected lines (default FILE.rejected.jsonl)" },
    { "update", false, "items: replace the payload of items that exist (default: skip them)" },
    { "id-field", true, "items: the column/key holding the item id (default id, external_id, item)" },
    { "text-field", true, "items: the column/key stored as the item's text" },
    { "image-field", true, "items: the column/key stored as the item's image URL or path" },
    { "item-field", true, "labels: item column (default item, task, question, orig_id, ...)" },
    { "annotator-field", true, "labels: annotator column (default annotator, worker, ...)" },
    { "label-field", true, "labels: label column (default label, answer, response, ...)" },
    { "gold-field", true, "labels: gold column (default gold, truth)" },
    { "field", true, "labels, predictions: the schema field the labels fill" },
    { "numeric", false, "labels: an inferred schema is a numeric rating, not classes" },
    { "model", true, "predictions: model name when the file has none" },
    { "model-version", true, "predictions: model version when the file has none" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_import = {
    "import", "import items, labels or model predictions into a project",
    "usage: labelops import items PROJECT FILE [--format F] [--id-field F] [--text-field F]\n"
    "       labelops import labels PROJECT FILE [--item-field F] [--annotator-field F]\n"
    "                                           [--label-field F] [--gold-field F] [--numeric]\n"
    "       labelops import predictions PROJECT FILE [--model M] [--model-version V]\n"
    "\n"
    "An import is all or nothing: the first bad line stops it with file:line and the reason,\n"
    "and the database is left unchanged. --skip-invalid imports the rest instead.\n"
    "Items whose id exists are skipped and counted (--update replaces their payload).\n"
    "import items reads the JSONL export back, annotations and predictions included.",
    import_opts, run_import,
};

/* ---- export ------------------------------------------------------------------------------ */

static int run_export(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 1)
        return lo_cli_usage(cli, "usage: labelops export PROJECT [--format jsonl|csv] [--out FILE]");
    enum lo_format fmt;
    int code = parse_format(cli, args, &fmt);
    if (code)
        return code;
    const char *out_path = lo_args_get(args, "out");
    if (fmt == LO_FMT_AUTO)
        fmt = out_path ? lo_format_from_path(out_path) : LO_FMT_JSONL;
    if (fmt == LO_FMT_AUTO)
        fmt = LO_FMT_JSONL;
    if (fmt == LO_FMT_TSV)
        return lo_cli_usage(cli, "export formats are jsonl and csv");
    struct lo_error err;
    lo_error_clear(&err);
    FILE *out = stdout;
    char tmp[4096];
    if (out_path) {
        /* Write beside the target and rename at the end: a failed export leaves no half file. */
        snprintf(tmp, sizeof(tmp), "%s.partial", out_path);
        out = fopen(tmp, "w");
        if (!out) {
            lo_error_set(&err, LO_EIO, "cannot write the export file");
            lo_error_at(&err, out_path, 0);
            return lo_cli_fail(cli, &err);
        }
        static char big[1 << 20];
        setvbuf(out, big, _IOFBF, sizeof(big));
    }
    struct lo_app app;
    code = lo_cli_open_app(cli, &app);
    if (code) {
        if (out_path) {
            fclose(out);
            unlink(tmp);
        }
        return code;
    }
    struct lo_export_report rep;
    int rc = lo_app_export(&app, args->pos[0], fmt, out, &rep, &err);
    if (out_path) {
        if (fclose(out) != 0 && !rc)
            rc = lo_error_set(&err, LO_EIO, "writing the export file failed");
        if (!rc && rename(tmp, out_path) != 0)
            rc = lo_error_set(&err, LO_EIO, "cannot move the export into place");
        if (rc)
            unlink(tmp);
    }
    if (rc)
        return lo_cli_fail_app(cli, &app, &err);
    if (out_path) {
        if (cli->json)
            lo_cli_print_json(cli->out,
                              json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "export", args->pos[0],
                                        "file", out_path, "items", (json_int_t)rep.items,
                                        "annotations", (json_int_t)rep.annotations,
                                        "predictions", (json_int_t)rep.predictions, "seconds",
                                        rep.seconds));
        else
            fprintf(stderr, "exported %lld items, %lld annotations, %lld predictions to %s in "
                            "%.2f s\n",
                    (long long)rep.items, (long long)rep.annotations,
                    (long long)rep.predictions, out_path, rep.seconds);
    }
    lo_app_close(&app);
    return 0;
}

static const struct lo_optspec export_opts[] = {
    { "format", true, "jsonl (default) or csv" },
    { "out", true, "write to FILE instead of stdout (atomically)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_export = {
    "export", "stream a project's items, annotations and predictions out",
    "usage: labelops export PROJECT [--format jsonl|csv] [--out FILE]\n"
    "\n"
    "JSONL: one item per line {id, data, gold, annotations[], predictions[]} with every\n"
    "annotation's provenance; `import items` reads it back. CSV: one row per annotation or\n"
    "prediction (items with neither get one row), with a plain `label` column for projects\n"
    "whose schema has one choice or rating field.",
    export_opts, run_export,
};
