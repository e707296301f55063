/*
 * cmd_workflow.c - `labelops workflow ...`: a project's workflow from the command line: its
 * configuration, tasks (next, heartbeat, draft, submit, skip, flag) acting as a named user
 * (--as), the manager's queue and actions, item history and annotations. The same use cases
 * as the API (app/workflow.h); every answer is printed as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "app/accounts.h"
#include "app/workflow.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/str.h"
#include "cli/cli_app.h"
#include "cli/commands.h"

/* Acts as user NAME (--as): the local operator may act for anyone. */
static int act_as(struct lo_cli *cli, const struct lo_args *args, struct lo_app *app,
                  struct lo_arena *arena)
{
    const char *name = lo_args_get(args, "as");
    if (!name)
        return 0;
    struct lo_user u;
    struct lo_error err;
    lo_error_clear(&err);
    if (lo_app_user_get(app, name, arena, &u, &err))
        return lo_cli_fail(cli, &err);
    app->who = (struct lo_principal){
        .kind = LO_PRINCIPAL_USER,
        .user_id = u.id,
        .name = u.name,
        .role = u.role,
        .vendor_id = u.vendor_id,
    };
    app->actor = u.name;
    return 0;
}

/* The JSON of --json-body / --value / --reason / --comment as a request body. */
static int body_from_args(struct lo_cli *cli, const struct lo_args *args, json_t **out)
{
    struct lo_error err;
    lo_error_clear(&err);
    const char *text = lo_args_get(args, "body");
    json_t *b = NULL;
    if (text) {
        b = lo_json_parse(text, strlen(text), &err);
        if (!b)
            return lo_cli_fail(cli, &err);
        if (!json_is_object(b)) {
            json_decref(b);
            return lo_cli_usage(cli, "--body must be a JSON object");
        }
    } else {
        b = json_object();
    }
    const char *value = lo_args_get(args, "value");
    if (value) {
        json_t *v = lo_json_parse(value, strlen(value), &err);
        if (!v) {
            json_decref(b);
            return lo_cli_fail(cli, &err);
        }
        json_object_set_new(b, "value", v);
    }
    static const char *const strings[] = { "reason", "comment", "kind", "verdict", NULL };
    for (const char *const *k = strings; *k; k++)
        if (lo_args_get(args, *k))
            json_object_set_new(b, *k, json_string(lo_args_get(args, *k)));
    const char *reasons = lo_args_get(args, "reasons");
    if (reasons) {
        json_t *arr = json_array();
        char *copy = strdup(reasons);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_string(tok));
        free(copy);
        json_object_set_new(b, "reasons", arr);
    }
    if (lo_args_get(args, "since")) {
        long long ms;
        if (!lo_str_to_i64(lo_str_from(lo_args_get(args, "since")), &ms) || ms < 0) {
            json_decref(b);
            return lo_cli_usage(cli, "--since is milliseconds since the epoch");
        }
        json_object_set_new(b, "since_ms", json_integer(ms));
    }
    *out = b;
    return 0;
}

static int need(struct lo_cli *cli, const struct lo_args *args, int npos, const char *usage)
{
    if (args->npos != npos)
        return lo_cli_usage(cli, "usage: labelops workflow %s", usage);
    return 0;
}

static int parse_id(struct lo_cli *cli, const char *text, int64_t *out)
{
    long long v;
    if (!lo_str_to_i64(lo_str_from(text), &v) || v <= 0)
        return lo_cli_usage(cli, "'%s' is not an id", text);
    *out = v;
    return 0;
}

static int run_sub(struct lo_cli *cli, const struct lo_args *args, struct lo_app *app)
{
    const char *sub = args->pos[0];
    const char *const *p = (const char *const *)args->pos;
    json_t *out = NULL, *body = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    int rc, code;
    int64_t id = 0;
    if (!strcmp(sub, "show")) {
        if ((code = need(cli, args, 2, "show PROJECT")))
            return code;
        rc = lo_app_workflow_get(app, p[1], &out, &err);
    } else if (!strcmp(sub, "set")) {
        if ((code = need(cli, args, 3, "set PROJECT FILE  (JSON; - reads stdin)")))
            return code;
        char *text = NULL;
        rc = lo_cli_read_file(p[2], LO_LIMIT_HTTP_BODY, &text, &err);
        json_t *cfg = rc ? NULL : lo_json_parse(text, strlen(text), &err);
        free(text);
        if (!rc && !cfg)
            rc = LO_EINVAL;
        if (!rc)
            rc = lo_app_workflow_set(app, p[1], cfg, &out, &err);
        json_decref(cfg);
    } else if (!strcmp(sub, "next")) {
        if ((code = need(cli, args, 2, "next PROJECT --as USER [--kind label|review|adjudicate]")))
            return code;
        rc = lo_app_task_next(app, p[1], lo_args_get(args, "kind"), &out, &err);
    } else if (!strcmp(sub, "heartbeat")) {
        if ((code = need(cli, args, 2, "heartbeat LEASE --as USER")))
            return code;
        rc = lo_app_task_heartbeat(app, p[1], &out, &err);
    } else if (!strcmp(sub, "draft") || !strcmp(sub, "submit") || !strcmp(sub, "skip")
               || !strcmp(sub, "flag")) {
        if ((code = need(cli, args, 2, "submit|draft|skip|flag LEASE --as USER [--value JSON] "
                                       "[--verdict V --reasons A,B --comment C] [--reason R]")))
            return code;
        if ((code = body_from_args(cli, args, &body)))
            return code;
        if (!strcmp(sub, "draft"))
            rc = lo_app_task_draft(app, p[1], body, &out, &err);
        else if (!strcmp(sub, "submit"))
            rc = lo_app_task_submit(app, p[1], body, lo_args_get(args, "idempotency-key"), &out,
                                    &err);
        else if (!strcmp(sub, "skip"))
            rc = lo_app_task_skip(app, p[1], body, &out, &err);
        else
            rc = lo_app_task_flag(app, p[1], body, &out, &err);
    } else if (!strcmp(sub, "queue")) {
        if ((code = need(cli, args, 2, "queue PROJECT")))
            return code;
        rc = lo_app_wf_queue(app, p[1], &out, &err);
    } else if (!strcmp(sub, "me")) {
        if ((code = need(cli, args, 2, "me PROJECT --as USER")))
            return code;
        rc = lo_app_wf_me(app, p[1], &out, &err);
    } else if (!strcmp(sub, "requeue") || !strcmp(sub, "history")) {
        if ((code = need(cli, args, 3, "requeue|history PROJECT ITEM_ID")))
            return code;
        if ((code = parse_id(cli, p[2], &id)))
            return code;
        if (!strcmp(sub, "history")) {
            rc = lo_app_item_history(app, p[1], id, &out, &err);
        } else {
            if ((code = body_from_args(cli, args, &body)))
                return code;
            rc = lo_app_item_requeue(app, p[1], id, body, &out, &err);
        }
    } else if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "invalidate")) {
        if ((code = need(cli, args, 3, "pause|resume|invalidate PROJECT USER [--reason R] "
                                       "[--since MS]")))
            return code;
        if ((code = body_from_args(cli, args, &body)))
            return code;
        rc = lo_app_annotator_action(app, p[1], p[2], sub, body, &out, &err);
    } else if (!strcmp(sub, "annotators")) {
        if ((code = need(cli, args, 2, "annotators PROJECT")))
            return code;
        rc = lo_app_wf_annotators(app, p[1], &out, &err);
    } else if (!strcmp(sub, "annotator")) {
        if ((code = need(cli, args, 3, "annotator PROJECT USER [--skills A,B] [--languages L,M] "
                                       "[--cap N]")))
            return code;
        body = json_object();
        static const char *const lists[] = { "skills", "languages", NULL };
        for (const char *const *k = lists; *k; k++) {
            const char *v = lo_args_get(args, *k);
            if (!v)
                continue;
            json_t *arr = json_array();
            char *copy = strdup(v);
            for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save))
                json_array_append_new(arr, json_string(tok));
            free(copy);
            json_object_set_new(body, *k, arr);
        }
        if (lo_args_get(args, "cap")) {
            long cap;
            rc = lo_args_long(args, "cap", 0, &cap, &err);
            if (rc) {
                json_decref(body);
                return lo_cli_fail(cli, &err);
            }
            json_object_set_new(body, "cap_per_day", json_integer(cap));
        }
        rc = lo_app_annotator_action(app, p[1], p[2], "set", body, &out, &err);
    } else if (!strcmp(sub, "consolidate")) {
        if ((code = need(cli, args, 2, "consolidate PROJECT [--method mv|ds|onecoin|glad|mace]")))
            return code;
        rc = lo_app_wf_consolidate(app, p[1], lo_args_get(args, "method")
                                                  ? lo_args_get(args, "method")
                                                  : "ds",
                                   &out, &err);
    } else if (!strcmp(sub, "annotation")) {
        if ((code = need(cli, args, 2, "annotation ID")))
            return code;
        if ((code = parse_id(cli, p[1], &id)))
            return code;
        int version = 0;
        rc = lo_app_annotation_get(app, id, &out, &version, &err);
    } else if (!strcmp(sub, "edit")) {
        if ((code = need(cli, args, 2, "edit ANNOTATION_ID --if-match VERSION --value JSON")))
            return code;
        long version;
        if ((code = parse_id(cli, p[1], &id)))
            return code;
        rc = lo_args_long(args, "if-match", 0, &version, &err);
        if (rc)
            return lo_cli_fail(cli, &err);
        if (version < 1)
            return lo_cli_usage(cli, "edit needs --if-match VERSION (the version read)");
        if ((code = body_from_args(cli, args, &body)))
            return code;
        rc = lo_app_annotation_edit(app, id, (int)version, body, &out, &err);
    } else {
        return lo_cli_usage(cli, "workflow needs one of: show, set, next, heartbeat, draft, "
                                 "submit, skip, flag, queue, me, requeue, history, pause, "
                                 "resume, invalidate, consolidate, annotators, annotator, "
                                 "annotation, edit");
    }
    json_decref(body);
    if (rc)
        return lo_cli_fail(cli, &err);
    lo_cli_print_json(cli->out, out);
    return 0;
}

static int run_workflow(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos == 0)
        return lo_cli_usage(cli, "workflow needs a subcommand: see labelops workflow --help");
    struct lo_app app;
    struct lo_arena arena;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_arena_init(&arena, 1024);
    code = act_as(cli, args, &app, &arena);
    if (!code)
        code = run_sub(cli, args, &app);
    lo_arena_free(&arena);
    lo_app_close(&app);
    return code;
}

static const struct lo_optspec workflow_opts[] = {
    { "as", true, "act as this user (tasks belong to a user)" },
    { "kind", true, "next: label (default; serves your rework first), review or adjudicate" },
    { "value", true, "submit, draft, edit: the label value, a JSON object" },
    { "verdict", true, "submit of a review: accept, fix or reject" },
    { "reasons", true, "submit of a reject: reason codes, comma-separated" },
    { "reason", true, "flag, skip, pause: the reason" },
    { "comment", true, "a comment for a review, flag or requeue" },
    { "body", true, "the whole request body as JSON (other flags add to it)" },
    { "idempotency-key", true, "submit: a repeat with the same key returns the first answer" },
    { "since", true, "invalidate: labels made at or after this time (ms since the epoch)" },
    { "if-match", true, "edit: the version the edit is based on" },
    { "method", true, "consolidate: mv, ds (default), onecoin, glad or mace" },
    { "skills", true, "annotator: skill tags, comma-separated (items list theirs in \"skills\")" },
    { "languages", true, "annotator: languages (items name theirs in \"language\")" },
    { "cap", true, "annotator: most labels a day (0: the project's cap)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_workflow = {
    "workflow", "configure a project's workflow; take, submit and review tasks",
    "usage: labelops workflow show PROJECT\n"
    "       labelops workflow set PROJECT FILE           (JSON, docs/api-workflow.md)\n"
    "       labelops workflow next PROJECT --as USER [--kind label|review|adjudicate]\n"
    "       labelops workflow submit LEASE --as USER --value JSON [--idempotency-key K]\n"
    "       labelops workflow submit LEASE --as USER --verdict reject --reasons R1,R2\n"
    "       labelops workflow heartbeat|draft|skip|flag LEASE --as USER ...\n"
    "       labelops workflow queue PROJECT\n"
    "       labelops workflow me PROJECT --as USER\n"
    "       labelops workflow requeue|history PROJECT ITEM_ID\n"
    "       labelops workflow pause|resume|invalidate PROJECT USER [--since MS]\n"
    "       labelops workflow consolidate PROJECT [--method ds]\n"
    "       labelops workflow annotators PROJECT\n"
    "       labelops workflow annotator PROJECT USER [--skills A,B] [--languages L] [--cap N]\n"
    "       labelops workflow annotation ID\n"
    "       labelops workflow edit ID --if-match VERSION --value JSON\n"
    "\n"
    "The same rules as the API: see docs/workflow.md and docs/api-workflow.md.",
    workflow_opts, run_workflow,
};
