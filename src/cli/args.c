/*
 * args.c - option parsing shared by every command.
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/cli.h"

static const struct lo_optspec *find_spec(const struct lo_optspec *spec, const char *name,
                                          size_t len)
{
    static const struct lo_optspec global[] = {
        { "json", false, "" },
        { "help", false, "" },
        { NULL, false, NULL },
    };
    for (const struct lo_optspec *s = spec; s && s->name; s++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    for (const struct lo_optspec *s = global; s->name; s++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

int lo_args_parse(struct lo_args *a, int argc, char **argv, const struct lo_optspec *spec,
                  struct lo_error *err)
{
    memset(a, 0, sizeof(*a));
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (only_positional || arg[0] != '-' || arg[1] != '-' || arg[2] == '\0') {
            if (a->npos >= LO_ARGS_MAX)
                return lo_error_set(err, LO_EUSAGE, "too many arguments (at most %d)",
                                    LO_ARGS_MAX);
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct lo_optspec *s = find_spec(spec, name, len);
        if (!s)
            return lo_error_set(err, LO_EUSAGE, "unknown option '--%.*s'", (int)len, name);
        if (a->nopts >= LO_ARGS_MAX)
            return lo_error_set(err, LO_EUSAGE, "too many options (at most %d)", LO_ARGS_MAX);
        const char *value = NULL;
        if (s->takes_value) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return lo_error_set(err, LO_EUSAGE, "option '--%s' needs a value", s->name);
            }
        } else if (eq) {
            return lo_error_set(err, LO_EUSAGE, "option '--%s' takes no value", s->name);
        }
        a->opts[a->nopts].name = s->name;
        a->opts[a->nopts].value = value;
        a->nopts++;
    }
    return 0;
}

const char *lo_args_get(const struct lo_args *a, const char *name)
{
    for (int i = a->nopts - 1; i >= 0; i--)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->opts[i].value;
    return NULL;
}

bool lo_args_has(const struct lo_args *a, const char *name)
{
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return true;
    return false;
}

int lo_args_double(const struct lo_args *a, const char *name, double def, double *out,
                   struct lo_error *err)
{
    const char *v = lo_args_get(a, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!lo_str_to_double(lo_str_from(v), out))
        return lo_error_field(err, LO_EUSAGE, name, "option '--%s' needs a number, got '%s'",
                              name, v);
    return 0;
}

int lo_args_long(const struct lo_args *a, const char *name, long def, long *out,
                 struct lo_error *err)
{
    const char *v = lo_args_get(a, name);
    long long x;
    if (!v) {
        *out = def;
        return 0;
    }
    if (!lo_str_to_i64(lo_str_from(v), &x) || x < -2147483647LL || x > 2147483647LL)
        return lo_error_field(err, LO_EUSAGE, name, "option '--%s' needs an integer, got '%s'",
                              name, v);
    *out = (long)x;
    return 0;
}
