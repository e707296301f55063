/*
 * router.c - matching a request path against the route patterns.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"

bool lo_route_pattern_match(const char *pattern, const char *path, struct lo_route_match *m)
{
    const char *p = pattern, *s = path;
    m->nparams = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || m->nparams == LO_ROUTE_PARAMS_MAX)
                return false;
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0)
                return false;
            m->param_names[m->nparams] = p + 1;
            m->param_name_lens[m->nparams] = (size_t)(close - p - 1);
            m->params[m->nparams] = (struct lo_str){ s, len };
            m->nparams++;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

int lo_route_find(const struct lo_route *table, size_t n, const char *method, const char *path,
                  struct lo_route_match *m, char *allow, size_t allow_cap)
{
    size_t used = 0;
    bool path_known = false;
    m->index = -1;
    if (allow_cap)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        struct lo_route_match tmp;
        if (!lo_route_pattern_match(table[i].pattern, path, &tmp))
            continue;
        if (strcmp(table[i].method, method) == 0) {
            *m = tmp;
            m->index = (int)i;
            return 0;
        }
        path_known = true;
        if (used < allow_cap)
            used += (size_t)snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "",
                                     table[i].method);
    }
    return path_known ? LO_EUSAGE : LO_ENOTFOUND;
}

struct lo_str lo_route_param(const struct lo_route_match *m, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < m->nparams; i++)
        if (m->param_name_lens[i] == len && memcmp(m->param_names[i], name, len) == 0)
            return m->params[i];
    return (struct lo_str){ "", 0 };
}
