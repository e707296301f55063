/*
 * main.c - the labelops binary: hands argv to the command line adapter.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return lo_cli_main(argc, argv);
}
