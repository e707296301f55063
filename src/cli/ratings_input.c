/*
 * ratings_input.c - where the statistics commands (agree, aggregate, gold, disagree) get their
 * labels: a long-format file, or a project's annotations with --project.
 */
#include "cli/cli_app.h"
#include "io/ratings_load.h"

int lo_cli_format_arg(const struct lo_args *args, enum lo_format *fmt, struct lo_error *err)
{
    const char *f = lo_args_get(args, "format");
    *fmt = LO_FMT_AUTO;
    if (!f)
        return 0;
    *fmt = lo_format_parse(f);
    if (*fmt == LO_FMT_AUTO)
        return lo_error_field(err, LO_EUSAGE, "format",
                              "--format must be csv, tsv or jsonl, got '%s'", f);
    return 0;
}

struct lo_label_mapping lo_cli_mapping_arg(const struct lo_args *args)
{
    struct lo_label_mapping map = { lo_args_get(args, "item-field"),
                                    lo_args_get(args, "annotator-field"),
                                    lo_args_get(args, "label-field"),
                                    lo_args_get(args, "gold-field") };
    return map;
}

int lo_cli_ratings_npos(const struct lo_args *args)
{
    return lo_args_has(args, "project") ? 0 : 1;
}

const char *lo_cli_ratings_path(const struct lo_args *args)
{
    const char *p = lo_args_get(args, "project");
    return p ? p : (args->npos ? args->pos[0] : "-");
}

int lo_cli_load_ratings(struct lo_cli *cli, const struct lo_args *args, const char *path,
                        enum lo_format fmt, const struct lo_label_mapping *map,
                        const char *gold_path, struct lo_arena *arena, struct lo_ratings *out,
                        struct lo_error *err)
{
    const char *project = lo_args_get(args, "project");
    if (!project) {
        if (lo_args_get(args, "field"))
            return lo_error_field(err, LO_EUSAGE, "field", "--field goes with --project");
        return lo_ratings_load(path, fmt, map, gold_path, arena, out, err);
    }
    if (gold_path)
        return lo_error_field(err, LO_EUSAGE, "gold",
                              "with --project, known answers come from the project's gold items");
    struct lo_app app;
    int rc = lo_app_open(&app, cli->db_path, err);
    if (rc)
        return rc;
    rc = lo_app_project_ratings(&app, project, lo_args_get(args, "field"), arena, out, err);
    lo_app_close(&app);
    return rc;
}
