/*
 * cmd_project.c - `labelops init`, `labelops project create|list|show|delete`.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "cli/cli_app.h"
#include "cli/commands.h"

int lo_cli_open_app(struct lo_cli *cli, struct lo_app *app)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_app_open(app, cli->db_path, &err);
    if (rc) {
        if (!err.file[0])
            lo_error_at(&err, cli->db_path, 0);
        return lo_cli_fail(cli, &err);
    }
    return 0;
}

int lo_cli_fail_app(struct lo_cli *cli, struct lo_app *app, const struct lo_error *err)
{
    int code = lo_cli_fail(cli, err);
    lo_app_close(app);
    return code;
}

int lo_cli_read_file(const char *path, size_t max, char **out, struct lo_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        lo_error_set(err, LO_EIO, "cannot open file");
        return lo_error_at(err, path, 0);
    }
    struct lo_buf b;
    lo_buf_init(&b, max);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = lo_buf_append(&b, chunk, n);
        if (rc) {
            lo_error_set(err, LO_ELIMIT, "file larger than %zu bytes", max);
            lo_error_at(err, path, 0);
            break;
        }
    }
    if (!rc && ferror(f)) {
        lo_error_set(err, LO_EIO, "read error");
        rc = lo_error_at(err, path, 0);
    }
    if (f != stdin)
        fclose(f);
    if (rc) {
        lo_buf_free(&b);
        return rc;
    }
    *out = lo_buf_take(&b);
    return 0;
}

/* ---- init -------------------------------------------------------------------------------- */

static int run_init(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos)
        return lo_cli_usage(cli, "init takes no arguments (the database is --db PATH)");
    struct lo_app app;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_app_close(&app);
    if (cli->json)
        lo_cli_print_json(cli->out, json_pack("{s:s, s:i}", "database", cli->db_path, "schema_version",
                                       lo_store_schema_version()));
    else
        fprintf(cli->out, "database %s ready (schema version %d)\n", cli->db_path,
                lo_store_schema_version());
    return 0;
}

static const struct lo_optspec init_opts[] = { { NULL, false, NULL } };

const struct lo_command lo_cmd_init = {
    "init", "create a database (or bring one up to date)",
    "usage: labelops init [--db PATH]\n"
    "\n"
    "Creates the database file if needed and applies every pending migration.",
    init_opts, run_init,
};

/* ---- project ----------------------------------------------------------------------------- */

/* The shared JSON of a project, with the counts at the top level (project show). */
static json_t *project_json(const struct lo_project *p, const struct lo_project_counts *c)
{
    json_t *o = lo_project_json(p);
    if (c) {
        json_object_set_new(o, "items", json_integer(c->items));
        json_object_set_new(o, "annotations", json_integer(c->annotations));
        json_object_set_new(o, "predictions", json_integer(c->predictions));
        json_object_set_new(o, "gold_items", json_integer(c->gold_items));
        json_object_set_new(o, "annotators", json_integer(c->annotators));
    }
    return o;
}

static void print_goal(FILE *out, const char *label, double v, const char *unit)
{
    if (!isnan(v))
        fprintf(out, "  %-18s %g%s\n", label, v, unit);
}

static int parse_goal(struct lo_cli *cli, const struct lo_args *args, const char *name,
                      double *out, struct lo_error *err)
{
    (void)cli;
    return lo_args_double(args, name, NAN, out, err);
}

static int project_create(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops project create NAME [--schema FILE] ...");
    struct lo_project_spec spec;
    struct lo_error err;
    lo_error_clear(&err);
    lo_project_spec_init(&spec);
    spec.name = args->pos[1];
    spec.description = lo_args_get(args, "description");
    spec.goal_deadline = lo_args_get(args, "deadline");
    int rc = parse_goal(cli, args, "accuracy", &spec.goal_accuracy, &err);
    if (!rc)
        rc = parse_goal(cli, args, "turnaround", &spec.goal_turnaround_hours, &err);
    if (!rc)
        rc = parse_goal(cli, args, "cost-per-label", &spec.goal_cost_per_label, &err);
    if (!rc)
        rc = parse_goal(cli, args, "budget", &spec.goal_budget, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    char *schema = NULL;
    const char *schema_path = lo_args_get(args, "schema");
    if (schema_path) {
        rc = lo_cli_read_file(schema_path, LO_LIMIT_SCHEMA_BYTES, &schema, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
        spec.schema_json = schema;
    }
    struct lo_app app;
    int code = lo_cli_open_app(cli, &app);
    if (code) {
        free(schema);
        return code;
    }
    int64_t id;
    rc = lo_app_project_create(&app, &spec, &id, &err);
    free(schema);
    if (rc) {
        if (schema_path && !err.file[0] && strncmp(err.msg, "schema", 6) == 0)
            lo_error_at(&err, schema_path, 0);
        return lo_cli_fail_app(cli, &app, &err);
    }
    if (cli->json)
        lo_cli_print_json(cli->out, json_pack("{s:s, s:I}", "created", spec.name, "id", (json_int_t)id));
    else
        fprintf(cli->out, "created project %s%s\n", spec.name,
                schema_path ? "" : " (its schema comes from the first `import labels`)");
    lo_app_close(&app);
    return 0;
}

struct list_ctx {
    struct lo_cli *cli;
    json_t *arr;
    int n;
};

static int list_cb(void *ctx, const struct lo_project *p)
{
    struct list_ctx *c = ctx;
    c->n++;
    if (c->arr) {
        json_array_append_new(c->arr, project_json(p, NULL));
    } else {
        char t[40];
        lo_time_format(p->created_ms, t, sizeof(t));
        fprintf(c->cli->out, "%-30s created %.10s  schema v%d  guideline v%d\n", p->name, t,
                p->schema_version, p->guideline_version);
    }
    return 0;
}

static int project_list(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 1)
        return lo_cli_usage(cli, "usage: labelops project list [--json]");
    struct lo_app app;
    struct lo_error err;
    struct lo_arena arena;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    lo_arena_init(&arena, 4096);
    struct list_ctx c = { cli, cli->json ? json_array() : NULL, 0 };
    int rc = lo_app_project_list(&app, &arena, list_cb, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return lo_cli_fail_app(cli, &app, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    else if (c.n == 0)
        fprintf(cli->out, "no projects yet (labelops project create NAME)\n");
    lo_app_close(&app);
    return 0;
}

static int project_show(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops project show NAME [--json]");
    struct lo_app app;
    struct lo_error err;
    struct lo_arena arena;
    struct lo_project p;
    struct lo_project_counts counts;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    lo_arena_init(&arena, 4096);
    int rc = lo_app_project_get(&app, args->pos[1], &arena, &p, &counts, &err);
    if (rc) {
        lo_arena_free(&arena);
        return lo_cli_fail_app(cli, &app, &err);
    }
    if (cli->json) {
        lo_cli_print_json(cli->out, project_json(&p, &counts));
    } else {
        char t[40];
        lo_time_format(p.created_ms, t, sizeof(t));
        fprintf(cli->out, "project %s\n", p.name);
        if (p.description && p.description[0])
            fprintf(cli->out, "  %s\n", p.description);
        fprintf(cli->out, "  created            %s\n", t);
        fprintf(cli->out, "  items              %lld\n", (long long)counts.items);
        fprintf(cli->out, "  annotations        %lld\n", (long long)counts.annotations);
        fprintf(cli->out, "  annotators         %lld\n", (long long)counts.annotators);
        fprintf(cli->out, "  gold items         %lld\n", (long long)counts.gold_items);
        fprintf(cli->out, "  predictions        %lld\n", (long long)counts.predictions);
        fprintf(cli->out, "  schema version     %d\n", p.schema_version);
        fprintf(cli->out, "  guideline version  %d\n", p.guideline_version);
        print_goal(cli->out, "accuracy target", p.goal_accuracy, "");
        print_goal(cli->out, "turnaround target", p.goal_turnaround_hours, " h");
        print_goal(cli->out, "cost per label", p.goal_cost_per_label, "");
        print_goal(cli->out, "budget", p.goal_budget, "");
        if (p.goal_deadline)
            fprintf(cli->out, "  %-18s %s\n", "deadline", p.goal_deadline);
        if (p.schema_json)
            fprintf(cli->out, "  schema             %s\n", p.schema_json);
    }
    lo_arena_free(&arena);
    lo_app_close(&app);
    return 0;
}

static int project_delete(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops project delete NAME --yes");
    if (!lo_args_has(args, "yes"))
        return lo_cli_usage(cli,
                            "deleting project '%s' removes its items, labels and guidelines for "
                            "good; add --yes to confirm",
                            args->pos[1]);
    struct lo_app app;
    struct lo_error err;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    int rc = lo_app_project_delete(&app, args->pos[1], &err);
    if (rc)
        return lo_cli_fail_app(cli, &app, &err);
    if (cli->json)
        lo_cli_print_json(cli->out, json_pack("{s:s}", "deleted", args->pos[1]));
    else
        fprintf(cli->out, "deleted project %s\n", args->pos[1]);
    lo_app_close(&app);
    return 0;
}

static int run_project(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    if (strcmp(sub, "create") == 0)
        return project_create(cli, args);
    if (strcmp(sub, "list") == 0)
        return project_list(cli, args);
    if (strcmp(sub, "show") == 0)
        return project_show(cli, args);
    if (strcmp(sub, "delete") == 0)
        return project_delete(cli, args);
    return lo_cli_usage(cli, "project needs one of: create, list, show, delete");
}

static const struct lo_optspec project_opts[] = {
    { "schema", true, "create: label schema file (JSON); default: inferred from labels" },
    { "description", true, "create: what the project is for" },
    { "accuracy", true, "create: accuracy target, a share in (0, 1]" },
    { "turnaround", true, "create: turnaround target in hours" },
    { "cost-per-label", true, "create: cost-per-label target" },
    { "budget", true, "create: budget" },
    { "deadline", true, "create: deadline, YYYY-MM-DD" },
    { "yes", false, "delete: confirm" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_project = {
    "project", "create, list, show or delete projects",
    "usage: labelops project create NAME [--schema FILE] [--description D] [goals]\n"
    "       labelops project list [--json]\n"
    "       labelops project show NAME [--json]\n"
    "       labelops project delete NAME --yes\n"
    "\n"
    "A project created without --schema gets one from its first `import labels`: a\n"
    "single-choice field whose classes are the labels read (--numeric: a rating).",
    project_opts, run_project,
};

int lo_cli_fail_as_usage(struct lo_cli *cli, struct lo_error *err)
{
    if (err->code == LO_EINVAL)
        err->code = LO_EUSAGE;
    return lo_cli_fail(cli, err);
}

void lo_cli_print_json(FILE *out, json_t *v_take)
{
    char *s = json_dumps(v_take, JSON_COMPACT | JSON_REAL_PRECISION(12));
    fprintf(out, "%s\n", s ? s : "null");
    free(s);
    json_decref(v_take);
}
