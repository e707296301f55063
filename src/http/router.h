/*
 * router.h - the route table of the server: method, path pattern with {params}, handler, what
 * the route needs (a signed-in caller, a JSON body, an upload). The table is data, so that
 * `labelops serve --routes` can print it and a test can check that docs/openapi.yaml describes
 * every route.
 *
 * Matching is pure string work: no allocation, no I/O, thread-safe.
 */
#ifndef LO_HTTP_ROUTER_H
#define LO_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"

struct lo_http_req;

enum lo_route_auth {
    LO_ROUTE_PUBLIC,       /* anyone: health, metrics, signing in */
    LO_ROUTE_USER,         /* a signed-in user (session cookie or API token) */
};

enum lo_route_body {
    LO_BODY_NONE,          /* a body is read and ignored (bounded by LO_LIMIT_HTTP_BODY) */
    LO_BODY_JSON,          /* application/json, buffered up to LO_LIMIT_HTTP_BODY */
    LO_BODY_UPLOAD,        /* streamed to a temporary file up to LO_LIMIT_HTTP_UPLOAD */
    LO_BODY_TEXT,          /* text/markdown or text/plain, buffered up to LO_LIMIT_HTTP_BODY */
};

#define LO_ROUTE_PARAMS_MAX 4

struct lo_route {
    const char *method;    /* "GET", "POST", "DELETE" ... */
    const char *pattern;   /* "/api/v1/projects/{name}" */
    const char *name;      /* short stable name for metrics and logs */
    enum lo_route_auth auth;
    enum lo_route_body body;
    int (*handler)(struct lo_http_req *r);
};

struct lo_route_match {
    int index;                                   /* into the table, -1 when none */
    int nparams;
    const char *param_names[LO_ROUTE_PARAMS_MAX];/* point into the pattern (not NUL-ended) */
    size_t param_name_lens[LO_ROUTE_PARAMS_MAX];
    struct lo_str params[LO_ROUTE_PARAMS_MAX];   /* point into the path */
};

/* Finds the route for method and path (no query string). Returns 0 and fills m; LO_ENOTFOUND when
 * no pattern matches the path (404); LO_EUSAGE when a pattern matches but not for this method
 * (405), with the allowed methods written to allow as "GET, POST". */
int lo_route_find(const struct lo_route *table, size_t n, const char *method, const char *path,
                  struct lo_route_match *m, char *allow, size_t allow_cap);

/* True when path matches pattern; fills m's params. */
bool lo_route_pattern_match(const char *pattern, const char *path, struct lo_route_match *m);

/* The value of parameter name in m, or an empty view. */
struct lo_str lo_route_param(const struct lo_route_match *m, const char *name);

/* The table of the server (api.c). */
const struct lo_route *lo_http_routes(size_t *n);

#endif
