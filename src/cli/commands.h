/*
 * commands.h - every command object; the table is cli/commands.def.
 */
#ifndef LO_CLI_COMMANDS_H
#define LO_CLI_COMMANDS_H

#include "cli/cli.h"

#define LO_COMMAND(sym) extern const struct lo_command sym;
#include "cli/commands.def"
#undef LO_COMMAND

#endif
