/*
 * cmd_user.c - `labelops user|vendor|member|token|audit`: accounts and the audit log from the
 * command line.
 *
 * The command line acts as the local operator (whoever can open the database file), so this is
 * where the first admin comes from: `labelops user add --role admin NAME`. A password is read
 * from a prompt with echo off, or from the first line of stdin when stdin is not a terminal;
 * never from the command line, where other users of the machine could read it.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app/accounts.h"
#include "base/json.h"
#include "cli/cli_app.h"
#include "cli/commands.h"

/* Reads one line into buf (without the newline). From a terminal the echo is switched off. */
static int read_password(struct lo_cli *cli, const char *prompt, char *buf, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(cli->errf, "%s", prompt);
        fflush(cli->errf);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = false;
        }
    }
    char *got = fgets(buf, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', cli->errf);
    }
    if (!got)
        return -1;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    return 0;
}

static int fail_rc(struct lo_cli *cli, struct lo_app *app, struct lo_error *err)
{
    return lo_cli_fail_app(cli, app, err);
}

/* ---- user ------------------------------------------------------------------------------------ */

static int user_add(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2 || !lo_args_get(args, "role"))
        return lo_cli_usage(cli, "usage: labelops user add --role ROLE [--vendor V] NAME");
    enum lo_role role = lo_role_parse(lo_args_get(args, "role"));
    if (role == LO_ROLE_NONE)
        return lo_cli_usage(cli, "--role must be admin, manager, reviewer, annotator or "
                                 "vendor_manager");
    char pw[LO_PASSWORD_MAX + 2], again[LO_PASSWORD_MAX + 2];
    if (read_password(cli, "password: ", pw, sizeof(pw)))
        return lo_cli_usage(cli, "no password given (a prompt, or one line on stdin)");
    if (isatty(STDIN_FILENO)) {
        if (read_password(cli, "again: ", again, sizeof(again)) || strcmp(pw, again) != 0) {
            sodium_memzero(pw, sizeof(pw));
            return lo_cli_usage(cli, "the passwords differ");
        }
        sodium_memzero(again, sizeof(again));
    }
    struct lo_app app;
    struct lo_error err;
    int64_t id = 0;
    int code = lo_cli_open_app(cli, &app);
    if (code) {
        sodium_memzero(pw, sizeof(pw));
        return code;
    }
    lo_error_clear(&err);
    int rc = lo_app_user_add(&app, args->pos[1], role, lo_args_get(args, "vendor"), pw, &id,
                             &err);
    sodium_memzero(pw, sizeof(pw));
    if (rc)
        return fail_rc(cli, &app, &err);
    if (cli->json)
        lo_cli_print_json(cli->out, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name",
                                              args->pos[1], "role", lo_role_name(role)));
    else
        fprintf(cli->out, "user '%s' (%s) created\n", args->pos[1], lo_role_name(role));
    lo_app_close(&app);
    return 0;
}

struct list_ctx {
    struct lo_cli *cli;
    json_t *arr;
    int n;
};

static int user_row(void *ctx, const struct lo_user *u)
{
    struct list_ctx *c = ctx;
    c->n++;
    if (c->arr) {
        json_array_append_new(c->arr, json_pack("{s:I, s:s, s:s, s:s?, s:b}", "id",
                                                (json_int_t)u->id, "name", u->name, "role",
                                                lo_role_name(u->role), "vendor", u->vendor_name,
                                                "disabled", u->disabled));
        return 0;
    }
    fprintf(c->cli->out, "%-24s %-15s %-16s %s\n", u->name, lo_role_name(u->role),
            u->vendor_name ? u->vendor_name : "(in-house)", u->disabled ? "disabled" : "active");
    return 0;
}

static int user_list(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 1)
        return lo_cli_usage(cli, "usage: labelops user list [--json]");
    struct lo_app app;
    struct lo_error err;
    struct lo_arena arena;
    struct list_ctx c = { cli, cli->json ? json_array() : NULL, 0 };
    int code = lo_cli_open_app(cli, &app);
    if (code) {
        json_decref(c.arr);
        return code;
    }
    lo_error_clear(&err);
    lo_arena_init(&arena, 4096);
    int rc = lo_app_user_list(&app, &arena, user_row, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return fail_rc(cli, &app, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    else if (c.n == 0)
        fprintf(cli->out, "no users yet (labelops user add --role admin NAME)\n");
    lo_app_close(&app);
    return 0;
}

static int user_disable(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops user disable NAME");
    struct lo_app app;
    struct lo_error err;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (lo_app_user_disable(&app, args->pos[1], &err))
        return fail_rc(cli, &app, &err);
    fprintf(cli->out, "user '%s' disabled; their sessions and tokens are revoked\n",
            args->pos[1]);
    lo_app_close(&app);
    return 0;
}

static int user_enable(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2)
        return lo_cli_usage(cli, "usage: labelops user enable NAME");
    struct lo_app app;
    struct lo_error err;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (lo_app_user_enable(&app, args->pos[1], &err))
        return fail_rc(cli, &app, &err);
    fprintf(cli->out, "user '%s' enabled; they sign in again (old sessions and tokens stay "
                      "revoked)\n",
            args->pos[1]);
    lo_app_close(&app);
    return 0;
}

static int user_role(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos != 2 || !lo_args_get(args, "role"))
        return lo_cli_usage(cli, "usage: labelops user role NAME --role ROLE");
    enum lo_role role = lo_role_parse(lo_args_get(args, "role"));
    if (role == LO_ROLE_NONE)
        return lo_cli_usage(cli, "--role must be admin, manager, reviewer, annotator or "
                                 "vendor_manager");
    struct lo_app app;
    struct lo_error err;
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (lo_app_user_set_role(&app, args->pos[1], role, &err))
        return fail_rc(cli, &app, &err);
    fprintf(cli->out, "user '%s' is now %s\n", args->pos[1], lo_role_name(role));
    lo_app_close(&app);
    return 0;
}

static int run_user(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    if (strcmp(sub, "add") == 0)
        return user_add(cli, args);
    if (strcmp(sub, "list") == 0)
        return user_list(cli, args);
    if (strcmp(sub, "disable") == 0)
        return user_disable(cli, args);
    if (strcmp(sub, "enable") == 0)
        return user_enable(cli, args);
    if (strcmp(sub, "role") == 0)
        return user_role(cli, args);
    return lo_cli_usage(cli, "user needs one of: add, list, disable, enable, role");
}

static const struct lo_optspec user_opts[] = {
    { "role", true, "add, role: admin, manager, reviewer, annotator or vendor_manager" },
    { "vendor", true, "add: the vendor the user works for (default: in-house)" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_user = {
    "user", "add, list, disable or enable user accounts, or change their role",
    "usage: labelops user add --role ROLE [--vendor V] NAME\n"
    "       labelops user list [--json]\n"
    "       labelops user disable NAME\n"
    "       labelops user enable NAME\n"
    "       labelops user role NAME --role ROLE\n"
    "\n"
    "The password is read from a prompt, or from the first line of stdin when it is not a\n"
    "terminal; never from the command line. There is no default account: the first admin is\n"
    "made with `labelops user add --role admin NAME`.",
    user_opts, run_user,
};

/* ---- vendor ---------------------------------------------------------------------------------- */

static int vendor_row(void *ctx, const struct lo_vendor *v)
{
    struct list_ctx *c = ctx;
    c->n++;
    if (c->arr)
        json_array_append_new(c->arr, json_pack("{s:I, s:s}", "id", (json_int_t)v->id, "name",
                                                v->name));
    else
        fprintf(c->cli->out, "%s\n", v->name);
    return 0;
}

static int run_vendor(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    struct lo_app app;
    struct lo_error err;
    bool add = strcmp(sub, "add") == 0;
    if (!(add && args->npos == 2) && !(strcmp(sub, "list") == 0 && args->npos == 1))
        return lo_cli_usage(cli, "usage: labelops vendor add NAME | labelops vendor list");
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (add) {
        if (lo_app_vendor_add(&app, args->pos[1], NULL, &err))
            return fail_rc(cli, &app, &err);
        fprintf(cli->out, "vendor '%s' created\n", args->pos[1]);
        lo_app_close(&app);
        return 0;
    }
    struct lo_arena arena;
    struct list_ctx c = { cli, cli->json ? json_array() : NULL, 0 };
    lo_arena_init(&arena, 4096);
    int rc = lo_app_vendor_list(&app, &arena, vendor_row, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return fail_rc(cli, &app, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    lo_app_close(&app);
    return 0;
}

static const struct lo_optspec no_opts[] = { { NULL, false, NULL } };

const struct lo_command lo_cmd_vendor = {
    "vendor", "add or list vendors (the organisations users work for)",
    "usage: labelops vendor add NAME\n"
    "       labelops vendor list [--json]",
    no_opts, run_vendor,
};

/* ---- member ---------------------------------------------------------------------------------- */

static int member_row(void *ctx, const struct lo_membership *m)
{
    struct list_ctx *c = ctx;
    c->n++;
    if (c->arr)
        json_array_append_new(c->arr, json_pack("{s:s, s:s}", "user", m->user_name, "role",
                                                lo_role_name(m->role)));
    else
        fprintf(c->cli->out, "%-24s %s\n", m->user_name, lo_role_name(m->role));
    return 0;
}

static int run_member(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    struct lo_app app;
    struct lo_error err;
    bool add = strcmp(sub, "add") == 0, rm = strcmp(sub, "remove") == 0;
    bool list = strcmp(sub, "list") == 0;
    if (!((add && args->npos == 3 && lo_args_get(args, "role")) || (rm && args->npos == 3)
          || (list && args->npos == 2)))
        return lo_cli_usage(cli, "usage: labelops member add PROJECT USER --role ROLE | "
                                 "member remove PROJECT USER | member list PROJECT");
    enum lo_role role = add ? lo_role_parse(lo_args_get(args, "role")) : LO_ROLE_NONE;
    if (add && role == LO_ROLE_NONE)
        return lo_cli_usage(cli, "--role must be manager, reviewer, annotator or vendor_manager");
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (add || rm) {
        int rc = add ? lo_app_member_add(&app, args->pos[1], args->pos[2], role, &err)
                     : lo_app_member_remove(&app, args->pos[1], args->pos[2], &err);
        if (rc)
            return fail_rc(cli, &app, &err);
        if (add)
            fprintf(cli->out, "'%s' is %s in '%s'\n", args->pos[2], lo_role_name(role),
                    args->pos[1]);
        else
            fprintf(cli->out, "'%s' left '%s'\n", args->pos[2], args->pos[1]);
        lo_app_close(&app);
        return 0;
    }
    struct lo_arena arena;
    struct list_ctx c = { cli, cli->json ? json_array() : NULL, 0 };
    lo_arena_init(&arena, 4096);
    int rc = lo_app_member_list(&app, args->pos[1], &arena, member_row, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return fail_rc(cli, &app, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    else if (c.n == 0)
        fprintf(cli->out, "no members yet\n");
    lo_app_close(&app);
    return 0;
}

static const struct lo_optspec member_opts[] = {
    { "role", true, "add: manager, reviewer, annotator or vendor_manager" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_member = {
    "member", "add, remove or list the members of a project",
    "usage: labelops member add PROJECT USER --role ROLE\n"
    "       labelops member remove PROJECT USER\n"
    "       labelops member list PROJECT [--json]",
    member_opts, run_member,
};

/* ---- token ----------------------------------------------------------------------------------- */

static int run_token(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    struct lo_app app;
    struct lo_error err;
    bool create = strcmp(sub, "create") == 0;
    if (create) {
        if (args->npos != 1 || !lo_args_get(args, "user") || !lo_args_get(args, "name"))
            return lo_cli_usage(cli, "usage: labelops token create --user NAME --name N");
    } else if (strcmp(sub, "revoke") != 0 || args->npos != 2) {
        return lo_cli_usage(cli, "usage: labelops token create --user NAME --name N | "
                                 "labelops token revoke ID");
    }
    long id = 0;
    if (!create) {
        char *end;
        id = strtol(args->pos[1], &end, 10);
        if (*end || id <= 0)
            return lo_cli_usage(cli, "token revoke needs the token's number, got '%s'",
                                args->pos[1]);
    }
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (create) {
        char tok[LO_API_TOKEN_CAP];
        int64_t tid = 0;
        if (lo_app_token_create_for(&app, lo_args_get(args, "user"), lo_args_get(args, "name"),
                                    tok, sizeof(tok), &tid, &err))
            return fail_rc(cli, &app, &err);
        if (cli->json)
            lo_cli_print_json(cli->out, json_pack("{s:I, s:s}", "id", (json_int_t)tid, "token",
                                                  tok));
        else
            fprintf(cli->out, "token %lld: %s\n(shown once: only its hash is stored)\n",
                    (long long)tid, tok);
        sodium_memzero(tok, sizeof(tok));
    } else {
        if (lo_app_token_revoke(&app, id, &err))
            return fail_rc(cli, &app, &err);
        fprintf(cli->out, "token %ld revoked\n", id);
    }
    lo_app_close(&app);
    return 0;
}

static const struct lo_optspec token_opts[] = {
    { "user", true, "create: whose token (it carries exactly that user's rights)" },
    { "name", true, "create: what the token is for" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_token = {
    "token", "create or revoke API tokens",
    "usage: labelops token create --user NAME --name N\n"
    "       labelops token revoke ID\n"
    "\n"
    "The token is printed once; the database keeps only its SHA-256.",
    token_opts, run_token,
};

/* ---- audit ----------------------------------------------------------------------------------- */

static int audit_row(void *ctx, const struct lo_audit_entry *e)
{
    struct list_ctx *c = ctx;
    char t[40];
    c->n++;
    lo_time_format(e->created_ms, t, sizeof(t));
    if (c->arr) {
        json_error_t jerr;
        json_t *payload = json_loads(e->payload_json, 0, &jerr);
        json_array_append_new(c->arr,
                              json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:s}", "seq",
                                        (json_int_t)e->seq, "event", (json_int_t)e->event_id,
                                        "time", t, "kind", e->kind, "actor", e->actor,
                                        "object_type", e->object_type, "object_id",
                                        (json_int_t)e->object_id, "payload",
                                        payload ? payload : json_object(), "hash",
                                        e->hash_hex ? e->hash_hex : ""));
        return 0;
    }
    fprintf(c->cli->out, "%6lld %s %-16s %-16s %s:%lld %s\n", (long long)e->seq, t, e->kind,
            e->actor, e->object_type, (long long)e->object_id, e->payload_json);
    return 0;
}

static int run_audit(struct lo_cli *cli, const struct lo_args *args)
{
    const char *sub = args->npos ? args->pos[0] : "";
    struct lo_app app;
    struct lo_error err;
    bool verify = strcmp(sub, "verify") == 0;
    if (args->npos != 1 || (!verify && strcmp(sub, "list") != 0))
        return lo_cli_usage(cli, "usage: labelops audit verify | labelops audit list [--json]");
    int code = lo_cli_open_app(cli, &app);
    if (code)
        return code;
    lo_error_clear(&err);
    if (verify) {
        int64_t checked = 0, bad = 0;
        if (lo_app_audit_verify(&app, &checked, &bad, &err)) {
            if (cli->json && bad)
                lo_cli_print_json(cli->out, json_pack("{s:b, s:I, s:I, s:s}", "ok", 0, "checked",
                                                      (json_int_t)checked, "first_bad",
                                                      (json_int_t)bad, "message", err.msg));
            return fail_rc(cli, &app, &err);
        }
        if (cli->json)
            lo_cli_print_json(cli->out,
                              json_pack("{s:b, s:I}", "ok", 1, "checked", (json_int_t)checked));
        else
            fprintf(cli->out, "audit chain intact: %lld entries\n", (long long)checked);
        lo_app_close(&app);
        return 0;
    }
    struct lo_arena arena;
    struct list_ctx c = { cli, cli->json ? json_array() : NULL, 0 };
    lo_arena_init(&arena, 64 * 1024);
    int rc = lo_app_audit_list(&app, &arena, audit_row, &c, &err);
    lo_arena_free(&arena);
    if (rc) {
        json_decref(c.arr);
        return fail_rc(cli, &app, &err);
    }
    if (c.arr)
        lo_cli_print_json(cli->out, c.arr);
    lo_app_close(&app);
    return 0;
}

const struct lo_command lo_cmd_audit = {
    "audit", "list or verify the hash-chained audit log",
    "usage: labelops audit verify\n"
    "       labelops audit list [--json]\n"
    "\n"
    "verify recomputes the chain and exits 1 naming the first changed, removed or reordered\n"
    "entry.",
    no_opts, run_audit,
};
