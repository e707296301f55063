/*
 * api.c - the route table and its handlers: health, metrics, sessions, projects, export and
 * import. Each handler reads the request, calls one app/ use case with app->who set to the
 * caller (lo_http_app), and renders JSON. Rules live in app/; a handler decides nothing but the
 * shape of the answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/limits.h"
#include "app/accounts.h"
#include "http/api_admin.h"
#include "http/api_workflow.h"
#include "http/api_media.h"
#include "http/server_int.h"

#define TIMED(r, call)                                                                         \
    do {                                                                                       \
        double t0_ = lo_monotonic_s();                                                         \
        rc = (call);                                                                           \
        (r)->store_s += lo_monotonic_s() - t0_;                                                \
    } while (0)

/* ---- health and metrics ------------------------------------------------------------------ */

static int h_healthz(struct lo_http_req *r)
{
    lo_buf_reset(&r->resp.body);
    lo_buf_puts(&r->resp.body, "{\"status\":\"ok\"}\n");
    r->resp.status = 200;
    r->resp.content_type = "application/json";
    return 0;
}

static int h_metrics(struct lo_http_req *r)
{
    lo_buf_reset(&r->resp.body);
    int rc = lo__http_metrics_render(r->srv, &r->resp.body);
    if (rc)
        return rc;
    r->resp.status = 200;
    r->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

/* ---- sessions ---------------------------------------------------------------------------- */

static const char *client_address(struct lo_http_req *r, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out,
                  (socklen_t)cap);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
                  (socklen_t)cap);
    return out;
}

/* Reads a required string member; sets a 422 naming the field when missing or not a string. */
static const char *body_string(struct lo_http_req *r, json_t *o, const char *key, bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required)
        return NULL;
    if (!v || !json_is_string(v)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "'%s' must be a string", key);
        lo_http_error(&r->resp, 422, "invalid", msg, key);
        return NULL;
    }
    return json_string_value(v);
}

/* 422 for a member the route does not know: a typo must not be silently ignored. */
static int reject_unknown(struct lo_http_req *r, json_t *o, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        (void)v;
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(*k, key) == 0;
        if (!ok) {
            lo_http_error(&r->resp, 422, "invalid", "unknown member in the request body", key);
            return LO_EINVAL;
        }
    }
    return 0;
}

static int h_session_create(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "name", "password", NULL };
    int rc = reject_unknown(r, body, known);
    const char *name = rc ? NULL : body_string(r, body, "name", true);
    const char *password = name ? body_string(r, body, "password", true) : NULL;
    if (!password) {
        json_decref(body);
        return LO_EINVAL;
    }
    char token[LO_SESSION_TOKEN_CAP], csrf[LO_CSRF_TOKEN_CAP], addr[64];
    int64_t expires = 0;
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_login(lo_http_app(r), name, password, client_address(r, addr, sizeof(addr)),
                          token, sizeof(token), csrf, sizeof(csrf), &expires, &err));
    if (rc) {
        json_decref(body);
        lo_http_fail(r, rc, &err);
        if (rc == LO_ERATE)
            r->resp.retry_after = (int)(LO_LOGIN_WINDOW_MS / 1000);
        return rc;
    }
    int64_t max_age = (expires - lo_clock_now_ms(&r->app->clock)) / 1000;
    snprintf(r->resp.set_cookie, sizeof(r->resp.set_cookie),
             "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", LO_HTTP_SESSION_COOKIE,
             token, (long long)(max_age > 0 ? max_age : 0),
             lo__http_config(r->srv)->secure_cookies ? "; Secure" : "");
    char t[40];
    lo_time_format(expires, t, sizeof(t));
    rc = lo_http_json(&r->resp, 201, json_pack("{s:s, s:s, s:s}", "user", name, "csrf_token",
                                               csrf, "expires", t));
    json_decref(body); /* name points into it */
    return rc;
}

static int h_session_get(struct lo_http_req *r)
{
    const char *role = lo_role_name(r->who.role);
    json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "user", r->who.name ? r->who.name : "",
                          "role", role, "vendor_id", (json_int_t)r->who.vendor_id, "via",
                          r->cookie_auth ? "session" : "token");
    /* A reloaded page has its cookie but not the CSRF token it got at sign-in: a same-origin
     * GET gives it back (SameSite=Strict and the same-origin policy keep it from other sites). */
    if (o && r->cookie_auth)
        json_object_set_new(o, "csrf_token", json_string(r->csrf));
    return lo_http_json(&r->resp, 200, o);
}

static int h_session_delete(struct lo_http_req *r)
{
    if (!r->cookie_auth) {
        lo_http_error(&r->resp, 422, "invalid",
                      "only a browser session signs out; revoke an API token instead", NULL);
        return LO_EINVAL;
    }
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
                                                     LO_HTTP_SESSION_COOKIE);
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_logout(lo_http_app(r), cookie ? cookie : "", &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    snprintf(r->resp.set_cookie, sizeof(r->resp.set_cookie),
             "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s", LO_HTTP_SESSION_COOKIE,
             lo__http_config(r->srv)->secure_cookies ? "; Secure" : "");
    lo_buf_reset(&r->resp.body);
    r->resp.status = 204;
    r->resp.content_type = NULL;
    return 0;
}

/* ---- projects ---------------------------------------------------------------------------- */

/* The shared JSON of a project (app/), with the counts as an object when asked for. */
static json_t *project_json(const struct lo_project *p, const struct lo_project_counts *c)
{
    json_t *o = lo_project_json(p);
    if (c) {
        json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I}", "items", (json_int_t)c->items,
                                   "annotations", (json_int_t)c->annotations, "predictions",
                                   (json_int_t)c->predictions, "gold_items",
                                   (json_int_t)c->gold_items, "annotators",
                                   (json_int_t)c->annotators);
        json_object_set_new(o, "counts", counts);
    }
    return o;
}

struct list_ctx {
    struct lo_http_page page;
    json_t *rows;
    int n;
    const char *next;   /* the key of the last row sent when there are more */
    struct lo_arena *arena;
};

static int list_one(void *ctx, const struct lo_project *p)
{
    struct list_ctx *c = ctx;
    if (c->page.after && strcmp(p->name, c->page.after) <= 0)
        return 0;
    if (c->n == c->page.limit)
        return 1; /* one more exists: stop, the page is full */
    json_array_append_new(c->rows, project_json(p, NULL));
    c->n++;
    c->next = p->name;
    return 0;
}

static int h_projects_list(struct lo_http_req *r)
{
    struct list_ctx c = { .rows = json_array(), .arena = &r->arena };
    int rc = lo_http_page_parse(r, &c.page);
    if (rc) {
        json_decref(c.rows);
        return rc;
    }
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_project_list(lo_http_app(r), &r->arena, list_one, &c, &err));
    bool more = rc == 1;
    if (rc && !more) {
        json_decref(c.rows);
        return lo_http_fail(r, rc, &err);
    }
    return lo_http_json(&r->resp, 200,
                        json_pack("{s:o, s:o}", "projects", c.rows, "next",
                                  more && c.next ? json_string(c.next) : json_null()));
}

static int goal_number(struct lo_http_req *r, json_t *goals, const char *key, double *out)
{
    json_t *v = json_object_get(goals, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v)) {
        lo_http_error(&r->resp, 422, "invalid", "a goal must be a number", key);
        return LO_EINVAL;
    }
    *out = json_number_value(v);
    return 0;
}

static int h_projects_create(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "name", "description", "schema", "goals", NULL };
    static const char *const known_goals[] = { "accuracy", "turnaround_hours", "cost_per_label",
                                               "budget", "deadline", NULL };
    struct lo_project_spec spec;
    lo_project_spec_init(&spec);
    char *schema = NULL;
    int rc = reject_unknown(r, body, known);
    if (rc)
        goto out;
    spec.name = body_string(r, body, "name", true);
    if (!spec.name) {
        rc = LO_EINVAL;
        goto out;
    }
    if (json_object_get(body, "description")) {
        spec.description = body_string(r, body, "description", true);
        if (!spec.description) {
            rc = LO_EINVAL;
            goto out;
        }
    }
    json_t *sch = json_object_get(body, "schema");
    if (sch && !json_is_null(sch)) {
        if (!json_is_object(sch)) {
            lo_http_error(&r->resp, 422, "invalid", "'schema' must be an object", "schema");
            rc = LO_EINVAL;
            goto out;
        }
        schema = lo_json_dump(sch);
        spec.schema_json = schema;
    }
    json_t *goals = json_object_get(body, "goals");
    if (goals && !json_is_null(goals)) {
        if (!json_is_object(goals)) {
            lo_http_error(&r->resp, 422, "invalid", "'goals' must be an object", "goals");
            rc = LO_EINVAL;
            goto out;
        }
        rc = reject_unknown(r, goals, known_goals);
        if (!rc)
            rc = goal_number(r, goals, "accuracy", &spec.goal_accuracy);
        if (!rc)
            rc = goal_number(r, goals, "turnaround_hours", &spec.goal_turnaround_hours);
        if (!rc)
            rc = goal_number(r, goals, "cost_per_label", &spec.goal_cost_per_label);
        if (!rc)
            rc = goal_number(r, goals, "budget", &spec.goal_budget);
        if (!rc && json_object_get(goals, "deadline") &&
            !json_is_null(json_object_get(goals, "deadline"))) {
            spec.goal_deadline = body_string(r, goals, "deadline", true);
            if (!spec.goal_deadline)
                rc = LO_EINVAL;
        }
        if (rc)
            goto out;
    }
    struct lo_error err;
    lo_error_clear(&err);
    int64_t id = 0;
    TIMED(r, lo_app_project_create(lo_http_app(r), &spec, &id, &err));
    if (rc) {
        lo_http_fail(r, rc, &err);
        goto out;
    }
    struct lo_project p;
    struct lo_project_counts counts;
    TIMED(r, lo_app_project_get(lo_http_app(r), spec.name, &r->arena, &p, &counts, &err));
    if (rc)
        lo_http_fail(r, rc, &err);
    else
        rc = lo_http_json(&r->resp, 201, project_json(&p, &counts));
out:
    free(schema);
    json_decref(body);
    return rc;
}

static bool query_true(struct lo_http_req *r, const char *name)
{
    const char *v = lo_http_query(r, name);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* Counts cost a scan of the project's items and annotations in the store (O(items)), so they
 * are computed only when asked for (?counts=true); the project itself is one indexed read. */
static int h_project_get(struct lo_http_req *r)
{
    struct lo_project p;
    struct lo_project_counts counts;
    bool with_counts = query_true(r, "counts");
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_project_get(lo_http_app(r), lo_http_param(r, "name"), &r->arena, &p,
                                with_counts ? &counts : NULL, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    if (!with_counts) {
        /* The common read: written straight into the body, no JSON tree (bench/README.md). */
        lo_buf_reset(&r->resp.body);
        if (lo_project_json_write(&p, &r->resp.body) == 0 &&
            lo_buf_putc(&r->resp.body, '\n') == 0) {
            r->resp.status = 200;
            r->resp.content_type = "application/json";
            return 0;
        }
    }
    return lo_http_json(&r->resp, 200, project_json(&p, with_counts ? &counts : NULL));
}

static int h_project_delete(struct lo_http_req *r)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_project_delete(lo_http_app(r), lo_http_param(r, "name"), &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    lo_buf_reset(&r->resp.body);
    r->resp.status = 204;
    r->resp.content_type = NULL;
    return 0;
}

/* ---- export: a thread writes lo_app_export into a pipe, the response reads the pipe -------- */

struct export_job {
    atomic_int refs;               /* the thread and the response */
    struct lo_http_server *srv;
    char *db_path;
    char *project;
    char *who_name;
    struct lo_principal who;
    enum lo_format format;
    int read_fd, write_fd;
    atomic_int rc;
    struct lo_error err;
    char first[4096];              /* bytes read to learn that the export started */
    size_t first_len, first_pos;
};

static void job_unref(struct export_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    if (j->read_fd >= 0)
        close(j->read_fd);
    free(j->db_path);
    free(j->project);
    free(j->who_name);
    free(j);
}

static void *export_thread(void *arg)
{
    struct export_job *j = arg;
    struct lo_http_server *srv = j->srv;
    struct lo_app app;
    int rc = lo_app_open(&app, j->db_path, &j->err);
    FILE *out = fdopen(j->write_fd, "w");
    if (!out) {
        close(j->write_fd);
        rc = rc ? rc : lo_error_set(&j->err, LO_ENOMEM, "out of memory");
    }
    if (!rc) {
        app.who = j->who;
        app.who.name = j->who_name;
        app.actor = j->who_name;
        struct lo_export_report rep;
        rc = lo_app_export(&app, j->project, j->format, out, &rep, &j->err);
    }
    atomic_store(&j->rc, rc);
    if (out)
        fclose(out); /* the reader sees the end: after rc is stored */
    if (app.store)
        lo_app_close(&app);
    job_unref(j);
    lo__http_background_end(srv);
    return NULL;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct export_job *j = cls;
    if (j->first_pos < j->first_len) {
        size_t n = j->first_len - j->first_pos;
        if (n > max)
            n = max;
        memcpy(buf, j->first + j->first_pos, n);
        j->first_pos += n;
        return (ssize_t)n;
    }
    for (;;) {
        /* Blocks only while the exporter (at several hundred thousand items a second) has not
         * produced the next bytes: the worker waits on this export's own store work. */
        ssize_t n = read(j->read_fd, buf, max);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && atomic_load(&j->rc) == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        /* Failed midway: end the chunked stream with an error so the client sees it cut. */
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void export_free(void *cls)
{
    job_unref(cls);
}

static int h_project_export(struct lo_http_req *r)
{
    const char *name = lo_http_param(r, "name");
    const char *f = lo_http_query(r, "format");
    enum lo_format fmt = f ? lo_format_parse(f) : LO_FMT_JSONL;
    if (fmt != LO_FMT_JSONL && fmt != LO_FMT_CSV) {
        lo_http_error(&r->resp, 422, "invalid", "format must be jsonl or csv", "format");
        return LO_EINVAL;
    }
    struct export_job *j = calloc(1, sizeof(*j));
    int fds[2] = { -1, -1 };
    if (!j || pipe(fds) != 0) {
        free(j);
        return lo_http_fail(r, LO_ENOMEM, NULL);
    }
    atomic_init(&j->refs, 2);
    j->srv = r->srv;
    j->db_path = NULL;
    j->read_fd = fds[0];
    j->write_fd = fds[1];
    j->format = fmt;
    j->who = r->who;
    j->db_path = strdup(lo__http_config(r->srv)->db_path);
    j->project = strdup(name);
    j->who_name = strdup(r->who.name ? r->who.name : "anonymous");
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    lo__http_background_begin(r->srv);
    if (!j->db_path || !j->project || !j->who_name ||
        pthread_create(&th, &attr, export_thread, j) != 0) {
        pthread_attr_destroy(&attr);
        lo__http_background_end(r->srv);
        close(fds[1]);
        atomic_store(&j->refs, 1);
        job_unref(j);
        return lo_http_fail(r, LO_ENOMEM, NULL);
    }
    pthread_attr_destroy(&attr);
    /* Wait for the first bytes (or the end): an export refused by the policy or naming an
     * unknown project gets its proper status instead of a 200 cut short. */
    double t0 = lo_monotonic_s();
    ssize_t n;
    do {
        n = read(j->read_fd, j->first, sizeof(j->first));
    } while (n < 0 && errno == EINTR);
    r->store_s += lo_monotonic_s() - t0;
    if (n <= 0 && atomic_load(&j->rc) != 0) {
        struct lo_error err = j->err;
        int rc = atomic_load(&j->rc);
        job_unref(j);
        return lo_http_fail(r, rc, &err);
    }
    j->first_len = n > 0 ? (size_t)n : 0;
    r->resp.stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, export_read,
                                                       j, export_free);
    if (!r->resp.stream) {
        job_unref(j);
        return lo_http_fail(r, LO_ENOMEM, NULL);
    }
    r->resp.status = 200;
    r->resp.content_type = fmt == LO_FMT_CSV ? "text/csv; charset=utf-8" : "application/x-ndjson";
    char safe[64];
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < sizeof(safe); p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_')
            safe[k++] = *p;
    safe[k] = '\0';
    snprintf(r->resp.disposition, sizeof(r->resp.disposition),
             "attachment; filename=\"%s.%s\"", k ? safe : "export",
             fmt == LO_FMT_CSV ? "csv" : "jsonl");
    return 0;
}

/* ---- import by upload -------------------------------------------------------------------- */

static int h_project_import(struct lo_http_req *r)
{
    if (r->upload_fd < 0 || r->body_bytes == 0) {
        lo_http_error(&r->resp, 400, "malformed", "an import needs the file as the request body",
                      NULL);
        return LO_EINVAL;
    }
    struct lo_import_opts o;
    lo_import_opts_init(&o);
    o.format = lo_http_upload_format(r);
    if (o.format == LO_FMT_AUTO) {
        lo_http_error(&r->resp, 422, "invalid", "say the format: ?format=jsonl, csv or tsv",
                      "format");
        return LO_EINVAL;
    }
    const char *upd = lo_http_query(r, "update");
    o.update = upd && (strcmp(upd, "true") == 0 || strcmp(upd, "1") == 0);
    o.id_field = lo_http_query(r, "id_field");
    o.text_field = lo_http_query(r, "text_field");
    o.image_field = lo_http_query(r, "image_field");
    close(r->upload_fd);
    r->upload_fd = -1;
    struct lo_import_report rep;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_import_items(lo_http_app(r), lo_http_param(r, "name"), r->upload_path, &o,
                                 &rep, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(
        &r->resp, 200,
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "lines", (json_int_t)rep.lines,
                  "items_inserted", (json_int_t)rep.items_inserted, "items_updated",
                  (json_int_t)rep.items_updated, "items_skipped",
                  (json_int_t)(rep.items_skipped + rep.items_unchanged), "annotations",
                  (json_int_t)rep.annotations, "predictions", (json_int_t)rep.predictions, "gold",
                  (json_int_t)rep.gold));
}

/* ---- the table --------------------------------------------------------------------------- */

static const struct lo_route k_routes[] = {
    { "GET", "/healthz", "GET /healthz", LO_ROUTE_PUBLIC, LO_BODY_NONE, h_healthz },
    { "GET", "/metrics", "GET /metrics", LO_ROUTE_PUBLIC, LO_BODY_NONE, h_metrics },
    { "POST", "/api/v1/session", "POST /api/v1/session", LO_ROUTE_PUBLIC, LO_BODY_JSON,
      h_session_create },
    { "GET", "/api/v1/session", "GET /api/v1/session", LO_ROUTE_USER, LO_BODY_NONE,
      h_session_get },
    { "DELETE", "/api/v1/session", "DELETE /api/v1/session", LO_ROUTE_USER, LO_BODY_NONE,
      h_session_delete },
    { "GET", "/api/v1/projects", "GET /api/v1/projects", LO_ROUTE_USER, LO_BODY_NONE,
      h_projects_list },
    { "POST", "/api/v1/projects", "POST /api/v1/projects", LO_ROUTE_USER, LO_BODY_JSON,
      h_projects_create },
    { "GET", "/api/v1/projects/{name}", "GET /api/v1/projects/{name}", LO_ROUTE_USER,
      LO_BODY_NONE, h_project_get },
    { "DELETE", "/api/v1/projects/{name}", "DELETE /api/v1/projects/{name}", LO_ROUTE_USER,
      LO_BODY_NONE, h_project_delete },
    { "GET", "/api/v1/projects/{name}/export", "GET /api/v1/projects/{name}/export",
      LO_ROUTE_USER, LO_BODY_NONE, h_project_export },
    { "POST", "/api/v1/projects/{name}/items", "POST /api/v1/projects/{name}/items",
      LO_ROUTE_USER, LO_BODY_UPLOAD, h_project_import },
    /* data routes (api_data.c) */
    { "GET", "/api/v1/projects/{name}/items", "GET /api/v1/projects/{name}/items", LO_ROUTE_USER,
      LO_BODY_NONE, lo__h_items_list },
    { "GET", "/api/v1/projects/{name}/items/{id}", "GET /api/v1/projects/{name}/items/{id}",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_item_get },
    { "GET", "/api/v1/projects/{name}/items/{id}/media",
      "GET /api/v1/projects/{name}/items/{id}/media", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_item_media },
    { "GET", "/api/v1/projects/{name}/guidelines", "GET /api/v1/projects/{name}/guidelines",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_guidelines_get },
    { "PUT", "/api/v1/projects/{name}/guidelines", "PUT /api/v1/projects/{name}/guidelines",
      LO_ROUTE_USER, LO_BODY_TEXT, lo__h_guidelines_put },
    { "GET", "/api/v1/projects/{name}/agreement", "GET /api/v1/projects/{name}/agreement",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_agreement },
    { "GET", "/api/v1/projects/{name}/aggregate", "GET /api/v1/projects/{name}/aggregate",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_aggregate },
    { "GET", "/api/v1/projects/{name}/schema", "GET /api/v1/projects/{name}/schema",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_schema_get },
    { "PUT", "/api/v1/projects/{name}/schema", "PUT /api/v1/projects/{name}/schema",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_schema_put },
    { "POST", "/api/v1/projects/{name}/labels", "POST /api/v1/projects/{name}/labels",
      LO_ROUTE_USER, LO_BODY_UPLOAD, lo__h_labels_import },
    { "POST", "/api/v1/projects/{name}/predictions", "POST /api/v1/projects/{name}/predictions",
      LO_ROUTE_USER, LO_BODY_UPLOAD, lo__h_predictions_import },
    /* workflow routes (api_workflow.c, docs/api-workflow.md) */
    { "GET", "/api/v1/projects/{name}/workflow", "GET /api/v1/projects/{name}/workflow",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_workflow_get },
    { "PUT", "/api/v1/projects/{name}/workflow", "PUT /api/v1/projects/{name}/workflow",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_workflow_put },
    { "POST", "/api/v1/projects/{name}/tasks/next", "POST /api/v1/projects/{name}/tasks/next",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_task_next },
    { "POST", "/api/v1/tasks/{lease}/heartbeat", "POST /api/v1/tasks/{lease}/heartbeat",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_task_heartbeat },
    { "PUT", "/api/v1/tasks/{lease}/draft", "PUT /api/v1/tasks/{lease}/draft", LO_ROUTE_USER,
      LO_BODY_JSON, lo__h_task_draft },
    { "POST", "/api/v1/tasks/{lease}/submit", "POST /api/v1/tasks/{lease}/submit", LO_ROUTE_USER,
      LO_BODY_JSON, lo__h_task_submit },
    { "POST", "/api/v1/tasks/{lease}/skip", "POST /api/v1/tasks/{lease}/skip", LO_ROUTE_USER,
      LO_BODY_JSON, lo__h_task_skip },
    { "POST", "/api/v1/tasks/{lease}/flag", "POST /api/v1/tasks/{lease}/flag", LO_ROUTE_USER,
      LO_BODY_JSON, lo__h_task_flag },
    { "GET", "/api/v1/projects/{name}/queue", "GET /api/v1/projects/{name}/queue", LO_ROUTE_USER,
      LO_BODY_NONE, lo__h_wf_queue },
    { "POST", "/api/v1/projects/{name}/items/{id}/requeue",
      "POST /api/v1/projects/{name}/items/{id}/requeue", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_item_requeue },
    { "GET", "/api/v1/projects/{name}/items/{id}/history",
      "GET /api/v1/projects/{name}/items/{id}/history", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_item_history },
    { "POST", "/api/v1/projects/{name}/annotators/{user}/pause",
      "POST /api/v1/projects/{name}/annotators/{user}/pause", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_annotator_pause },
    { "POST", "/api/v1/projects/{name}/annotators/{user}/resume",
      "POST /api/v1/projects/{name}/annotators/{user}/resume", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_annotator_resume },
    { "POST", "/api/v1/projects/{name}/annotators/{user}/invalidate",
      "POST /api/v1/projects/{name}/annotators/{user}/invalidate", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_annotator_invalidate },
    { "GET", "/api/v1/projects/{name}/me", "GET /api/v1/projects/{name}/me", LO_ROUTE_USER,
      LO_BODY_NONE, lo__h_wf_me },
    { "POST", "/api/v1/projects/{name}/consolidate", "POST /api/v1/projects/{name}/consolidate",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_wf_consolidate },
    { "GET", "/api/v1/projects/{name}/annotators", "GET /api/v1/projects/{name}/annotators",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_wf_annotators },
    { "PUT", "/api/v1/projects/{name}/annotators/{user}",
      "PUT /api/v1/projects/{name}/annotators/{user}", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_annotator_put },
    { "GET", "/api/v1/annotations/{id}", "GET /api/v1/annotations/{id}", LO_ROUTE_USER,
      LO_BODY_NONE, lo__h_annotation_get },
    { "PATCH", "/api/v1/annotations/{id}", "PATCH /api/v1/annotations/{id}", LO_ROUTE_USER,
      LO_BODY_JSON, lo__h_annotation_patch },
    /* administration routes (api_admin.c) */
    { "GET", "/api/v1/users", "GET /api/v1/users", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_users_list },
    { "POST", "/api/v1/users", "POST /api/v1/users", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_users_create },
    { "GET", "/api/v1/users/{name}", "GET /api/v1/users/{name}", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_user_get },
    { "PATCH", "/api/v1/users/{name}", "PATCH /api/v1/users/{name}", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_user_patch },
    { "GET", "/api/v1/vendors", "GET /api/v1/vendors", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_vendors_list },
    { "POST", "/api/v1/vendors", "POST /api/v1/vendors", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_vendors_create },
    { "GET", "/api/v1/projects/{name}/members", "GET /api/v1/projects/{name}/members",
      LO_ROUTE_USER, LO_BODY_NONE, lo__h_members_list },
    { "POST", "/api/v1/projects/{name}/members", "POST /api/v1/projects/{name}/members",
      LO_ROUTE_USER, LO_BODY_JSON, lo__h_members_add },
    { "DELETE", "/api/v1/projects/{name}/members/{user}",
      "DELETE /api/v1/projects/{name}/members/{user}", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_member_remove },
    { "GET", "/api/v1/tokens", "GET /api/v1/tokens", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_tokens_list },
    { "POST", "/api/v1/tokens", "POST /api/v1/tokens", LO_ROUTE_USER, LO_BODY_JSON,
      lo__h_tokens_create },
    { "DELETE", "/api/v1/tokens/{id}", "DELETE /api/v1/tokens/{id}", LO_ROUTE_USER,
      LO_BODY_NONE, lo__h_token_revoke },
    { "GET", "/api/v1/audit", "GET /api/v1/audit", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_audit_list },
    { "GET", "/api/v1/audit/verify", "GET /api/v1/audit/verify", LO_ROUTE_USER, LO_BODY_NONE,
      lo__h_audit_verify },
};

const struct lo_route *lo_http_routes(size_t *n)
{
    *n = sizeof(k_routes) / sizeof(k_routes[0]);
    return k_routes;
}
