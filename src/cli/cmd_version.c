/*
 * cmd_version.c - `labelops version`.
 */
#include "cli/commands.h"

#include <sqlite3.h>
#include <jansson.h>

static int run_version(struct lo_cli *cli, const struct lo_args *args)
{
    (void)args;
    if (cli->json)
        fprintf(cli->out, "{\"labelops\":\"%s\",\"sqlite\":\"%s\",\"jansson\":\"%s\"}\n",
                LO_VERSION, sqlite3_libversion(), JANSSON_VERSION);
    else
        fprintf(cli->out, "labelops %s (sqlite %s, jansson %s)\n", LO_VERSION,
                sqlite3_libversion(), JANSSON_VERSION);
    return 0;
}

static const struct lo_optspec version_opts[] = { { NULL, false, NULL } };

const struct lo_command lo_cmd_version = {
    "version", "print the version of labelops and its libraries",
    "usage: labelops version [--json]", version_opts, run_version,
};
