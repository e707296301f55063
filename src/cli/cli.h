/*
 * cli.h - the command line adapter: parses argv, calls app/ (or a domain library for
 * file-only commands), renders text or JSON. It holds no rules of its own.
 *
 * Exit codes: 0 success, 1 bad input or failed operation, 2 usage error. Errors go to stderr
 * (as JSON on stdout's sibling stderr when --json is given).
 */
#ifndef LO_CLI_CLI_H
#define LO_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "base/err.h"

#define LO_ARGS_MAX 128

/* One option a command accepts. Options are written --name VALUE, --name=VALUE or --name. */
struct lo_optspec {
    const char *name;   /* without the leading dashes */
    bool takes_value;
    const char *help;   /* one line, for COMMAND --help */
};

struct lo_args {
    const char *pos[LO_ARGS_MAX];
    int npos;
    struct {
        const char *name;
        const char *value; /* NULL for a flag */
    } opts[LO_ARGS_MAX];
    int nopts;
};

/* What every command receives. */
struct lo_cli {
    const char *db_path;   /* from --db, LABELOPS_DB or ./labelops.db */
    bool json;             /* --json */
    FILE *out;
    FILE *errf;
    const struct lo_command *cmd;
};

struct lo_command {
    const char *name;      /* e.g. "agree", "project" */
    const char *summary;   /* one line for `labelops help` */
    const char *usage;     /* the full help text, lines separated by \n */
    const struct lo_optspec *opts; /* terminated by a {NULL} entry; --db --json --help implied */
    int (*run)(struct lo_cli *cli, const struct lo_args *args);
};

int lo_cli_main(int argc, char **argv);

/* Parses argv (after the command name) against spec. Unknown options are usage errors. */
int lo_args_parse(struct lo_args *a, int argc, char **argv, const struct lo_optspec *spec,
                  struct lo_error *err);
/* The value of the last --name given, or NULL. */
const char *lo_args_get(const struct lo_args *a, const char *name);
bool lo_args_has(const struct lo_args *a, const char *name);
/* Strict numeric option parsing; a malformed value is a usage error naming the option. */
int lo_args_double(const struct lo_args *a, const char *name, double def, double *out,
                   struct lo_error *err);
int lo_args_long(const struct lo_args *a, const char *name, long def, long *out,
                 struct lo_error *err);

/* Reports err on stderr (JSON when cli->json) and returns the exit code for it (1, or 2 for
 * LO_EUSAGE). */
int lo_cli_fail(struct lo_cli *cli, const struct lo_error *err);
/* Shorthand: a usage error with a message. Returns 2. */
int lo_cli_usage(struct lo_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints v compactly on one line (reals to 12 significant digits) and releases it. */
void lo_cli_print_json(FILE *out, json_t *v_take);

/* Reports err as a usage error (exit 2) when it is about the input given on the command line
 * (LO_EINVAL becomes LO_EUSAGE). */
int lo_cli_fail_as_usage(struct lo_cli *cli, struct lo_error *err);

/* Writes a double for humans: %.6g, or "undefined" for NaN. */
void lo_cli_print_double(FILE *f, double v);

/* The command table (cli.c). */
extern const struct lo_command *const lo_commands[];

#endif
