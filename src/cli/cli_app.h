/*
 * cli_app.h - what the commands that use a database share.
 */
#ifndef LO_CLI_CLI_APP_H
#define LO_CLI_CLI_APP_H

#include <jansson.h>

#include "app/app.h"
#include "cli/cli.h"

/* Prints v compactly on one line and releases it. */
void lo_cli_print_json(FILE *out, json_t *v_take);

/* Opens the database named by --db / LABELOPS_DB; on failure reports and returns the exit code
 * (non-zero). */
int lo_cli_open_app(struct lo_cli *cli, struct lo_app *app);

/* Reports err and closes app. */
int lo_cli_fail_app(struct lo_cli *cli, struct lo_app *app, const struct lo_error *err);

/* Reads a whole file ("-": stdin) up to max bytes into a NUL-terminated malloc'd string. */
int lo_cli_read_file(const char *path, size_t max, char **out, struct lo_error *err);

#endif
