/*
 * cli.c - dispatch: global options, the command table, help, and how errors are shown.
 */
#include "cli/cli.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

const struct lo_command *const lo_commands[] = {
#define LO_COMMAND(sym) &sym,
#include "cli/commands.def"
#undef LO_COMMAND
    NULL,
};

static void print_general_help(FILE *f)
{
    fputs("labelops - labeling operations: projects, import/export, agreement, truth inference\n"
          "\n"
          "usage: labelops [--db PATH] COMMAND [ARGS] [--json]\n"
          "\n"
          "commands:\n",
          f);
    for (const struct lo_command *const *c = lo_commands; *c; c++)
        fprintf(f, "  %-14s %s\n", (*c)->name, (*c)->summary);
    fputs("\n"
          "global options (before or after the command):\n"
          "  --db PATH      database file (default $LABELOPS_DB, else ./labelops.db)\n"
          "  --json         machine-readable output; errors are JSON too\n"
          "  --help         help for a command: labelops COMMAND --help\n"
          "\n"
          "exit codes: 0 success, 1 bad input or failed operation, 2 usage error\n",
          f);
}

static void print_command_help(FILE *f, const struct lo_command *cmd)
{
    fprintf(f, "%s\n", cmd->usage);
    bool any = false;
    for (const struct lo_optspec *o = cmd->opts; o && o->name; o++) {
        if (!any)
            fputs("\noptions:\n", f);
        any = true;
        char left[64];
        snprintf(left, sizeof(left), "--%s%s", o->name, o->takes_value ? " V" : "");
        fprintf(f, "  %-22s %s\n", left, o->help);
    }
    fputs("  --db PATH              database file\n"
          "  --json                 machine-readable output\n",
          f);
}

static const struct lo_command *find_command(const char *name)
{
    for (const struct lo_command *const *c = lo_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

int lo_cli_fail(struct lo_cli *cli, const struct lo_error *err)
{
    int exit_code = err->code == LO_EUSAGE ? 2 : 1;
    if (cli->json) {
        json_t *e = json_object();
        json_object_set_new(e, "code", json_string(lo_err_name(err->code)));
        json_object_set_new(e, "message", json_string(err->msg[0] ? err->msg : lo_err_name(err->code)));
        if (err->field[0])
            json_object_set_new(e, "field", json_string(err->field));
        if (err->file[0])
            json_object_set_new(e, "file", json_string(err->file));
        if (err->line > 0)
            json_object_set_new(e, "line", json_integer(err->line));
        json_t *root = json_pack("{s:o}", "error", e);
        char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
        fprintf(cli->errf, "%s\n", s ? s : "{\"error\":{\"code\":\"out_of_memory\"}}");
        free(s);
        json_decref(root);
    } else {
        char line[1024];
        lo_error_format(err, line, sizeof(line));
        fprintf(cli->errf, "labelops: %s\n", line);
        if (exit_code == 2 && cli->cmd)
            fprintf(cli->errf, "(see: labelops %s --help)\n", cli->cmd->name);
    }
    return exit_code;
}

int lo_cli_usage(struct lo_cli *cli, const char *fmt, ...)
{
    struct lo_error err;
    lo_error_clear(&err);
    err.code = LO_EUSAGE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
    va_end(ap);
    return lo_cli_fail(cli, &err);
}

void lo_cli_print_double(FILE *f, double v)
{
    if (isnan(v))
        fputs("undefined", f);
    else
        fprintf(f, "%.6g", v);
}

int lo_cli_main(int argc, char **argv)
{
    struct lo_cli cli = { 0 };
    cli.out = stdout;
    cli.errf = stderr;
    cli.db_path = getenv("LABELOPS_DB");
    if (!cli.db_path || !cli.db_path[0])
        cli.db_path = "labelops.db";

    /* Pull the global --db out wherever it stands, and find the command name. */
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    if (!rest)
        return 1;
    int nrest = 0;
    const char *cmd_name = NULL;
    bool help = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            for (; i < argc; i++)
                rest[nrest++] = argv[i];
            break;
        }
        if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc) {
                free(rest);
                return lo_cli_usage(&cli, "option '--db' needs a value");
            }
            cli.db_path = argv[++i];
            continue;
        }
        if (strncmp(argv[i], "--db=", 5) == 0) {
            cli.db_path = argv[i] + 5;
            continue;
        }
        if (strcmp(argv[i], "--json") == 0)
            cli.json = true;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help = true;
            continue;
        }
        if (!cmd_name && argv[i][0] != '-') {
            cmd_name = argv[i];
            continue;
        }
        rest[nrest++] = argv[i];
    }

    int rc;
    if (!cmd_name || strcmp(cmd_name, "help") == 0) {
        const struct lo_command *c = (cmd_name && nrest > 0) ? find_command(rest[0]) : NULL;
        if (c)
            print_command_help(stdout, c);
        else if (!cmd_name && !help) {
            print_general_help(stderr);
            free(rest);
            return 2;
        } else
            print_general_help(stdout);
        free(rest);
        return 0;
    }
    const struct lo_command *cmd = find_command(cmd_name);
    if (!cmd) {
        rc = lo_cli_usage(&cli, "unknown command '%s' (see: labelops help)", cmd_name);
        free(rest);
        return rc;
    }
    cli.cmd = cmd;
    if (help) {
        print_command_help(stdout, cmd);
        free(rest);
        return 0;
    }
    struct lo_args args;
    struct lo_error err;
    lo_error_clear(&err);
    rc = lo_args_parse(&args, nrest, rest, cmd->opts, &err);
    if (rc) {
        rc = lo_cli_fail(&cli, &err);
        free(rest);
        return rc;
    }
    rc = cmd->run(&cli, &args);
    free(rest);
    return rc;
}
