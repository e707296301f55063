/*
 * cli_app.h - what the commands that use a database share.
 */
#ifndef LO_CLI_CLI_APP_H
#define LO_CLI_CLI_APP_H

#include <jansson.h>

#include "app/app.h"
#include "io/labels.h"
#include "cli/cli.h"


/* Opens the database named by --db / LABELOPS_DB; on failure reports and returns the exit code
 * (non-zero). */
int lo_cli_open_app(struct lo_cli *cli, struct lo_app *app);

/* Reports err and closes app. */
int lo_cli_fail_app(struct lo_cli *cli, struct lo_app *app, const struct lo_error *err);

/* Reads a whole file ("-": stdin) up to max bytes into a NUL-terminated malloc'd string. */
int lo_cli_read_file(const char *path, size_t max, char **out, struct lo_error *err);

/* The labels a statistics command works on: the file at path, or, with --project P, the
 * project's annotations of one schema field (--field F; default: the only field) in the
 * database of --db. Known answers come from gold_path and the file's gold column, or from the
 * project's gold items. */
int lo_cli_load_ratings(struct lo_cli *cli, const struct lo_args *args, const char *path,
                        enum lo_format fmt, const struct lo_label_mapping *map,
                        const char *gold_path, struct lo_arena *arena, struct lo_ratings *out,
                        struct lo_error *err);

/* --format as an enum (LO_FMT_AUTO when absent); a bad value is a usage error in err. */
int lo_cli_format_arg(const struct lo_args *args, enum lo_format *fmt, struct lo_error *err);

/* The label-column flags (--item-field, --annotator-field, --label-field, --gold-field). */
struct lo_label_mapping lo_cli_mapping_arg(const struct lo_args *args);

/* How many positional arguments a statistics command expects: 0 with --project, else 1. */
int lo_cli_ratings_npos(const struct lo_args *args);

/* The name of the data: the file path, or the project's name with --project. */
const char *lo_cli_ratings_path(const struct lo_args *args);

#endif
