/*
 * cmd_guideline.c - `labelops guideline set|show|log`: versioned labeling guidelines.
 */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "cli/cli_app.h"
#include "cli/commands.h"

static int guideline_set(struct lo_cli *cli, const struct lo_args *args, struct lo_app *app)
{
    if (args->npos != 3)
        return lo_cli_usage(cli, "usage: labelops guideline set PROJECT FILE  (FILE - : stdin)");
    struct lo_error err;
    char *body = NULL;
    lo_error_clear(&err);
    int rc = lo_cli_read_file(args->pos[2], LO_LIMIT_GUIDELINE_BYTES, &body, &err);
    int version = 0;
    if (!rc)
        rc = lo_app_guideline_set(app, args->pos[1], body, &version, &err);
    free(body);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (cli->json)
        lo_cli_print_json(cli->out, json_pack("{s:s, s:i}", "project", args->pos[1], "version",
                                              version));
    else
        fprintf(cli->out, "guideline of %s is now version %d\n", args->pos[1], version);
    return 0;
}

static int guideline_show(struct lo_cli *cli, const struct lo_args *args, struct lo_app *app)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops guideline show PROJECT [--version N]");
    struct lo_error err;
    struct lo_arena arena;
    struct lo_guideline g;
    long version;
    lo_error_clear(&err);
    int rc = lo_args_long(args, "version", 0, &version, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (version < 0)
        return lo_cli_usage(cli, "--version must be a positive number");
    lo_arena_init(&arena, 4096);
    rc = lo_app_guideline_get(app, args->pos[1], (int)version, &arena, &g, &err);
    if (rc) {
        lo_arena_free(&arena);
        return lo_cli_fail(cli, &err);
    }
    char t[40];
    lo_time_format(g.created_ms, t, sizeof(t));
    if (cli->json)
        lo_cli_print_json(cli->out,
                          json_pack("{s:s, s:i, s:s, s:s, s:s}", "project", args->pos[1],
                                    "version", g.version, "author", g.author ? g.author : "",
                                    "created", t, "body", g.body));
    else
        fputs(g.body, cli->out);
    lo_arena_free(&arena);
    return 0;
}

struct log_ctx {
    struct lo_cli *cli;
    json_t *arr;
};

static int log_cb(void *ctx, const struct lo_guideline *g)
{
    struct log_ctx *c = ctx;
    char t[40];
    lo_time_format(g->created_ms, t, sizeof(t));
    if (c->arr)
        json_array_append_new(c->arr, json_pack("{s:i, s:s, s:s}", "version", g->version,
                                                "author", g->author ? g->author : "", "created",
                                                t));
    else
        fprintf(c->cli->out, "v%-4d %s  %s\n", g->version, t, g->author ? g->author : "");
    return 0;
}

static int guideline_log(struct lo_cli *cli, const struct lo_args *args, struct lo_app *app)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops guideline log PROJECT");
    struct lo_error err;
    struct lo_arena arena;
    lo_error_clear(&err);
    lo_arena_init(&arena, 4096);
    struct log_ctx c = { cli, cli->json ? json_array() : NULL };
    int rc = lo_app_guideline_log(app, args->pos[1], &arena, log_cb, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return lo_cli_fail(cli, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    return 0;
}

static int run_guideline(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    int (*fn)(struct lo_cli *, const struct lo_args *, struct lo_app *) = NULL;
    if (strcmp(sub, "set") == 0)
        fn = guideline_set;
    else if (strcmp(sub, "show") == 0)
        fn = guideline_show;
    else if (strcmp(sub, "log") == 0)
        fn = guideline_log;
    else
        return lo_cli_usage(cli, "guideline needs one of: set, show, log");
    struct lo_app app;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    code = fn(cli, args, &app);
    lo_app_close(&app);
    return code;
}

static const struct lo_optspec guideline_opts[] = {
    { "version", true, "show: this version instead of the latest" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_guideline = {
    "guideline", "set, show or list the versions of a project's guidelines",
    "usage: labelops guideline set PROJECT FILE     (Markdown; FILE - reads stdin)\n"
    "       labelops guideline show PROJECT [--version N]\n"
    "       labelops guideline log PROJECT\n"
    "\n"
    "Every set makes a new numbered version; old versions are kept unchanged, and each\n"
    "annotation records the version in force when it was made.",
    guideline_opts, run_guideline,
};
