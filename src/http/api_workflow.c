/*
 * api_workflow.c - the workflow routes (api_workflow.h). Each handler reads the request, calls
 * one app/workflow.h use case with the caller set, and sends its JSON answer; the rules live in
 * app/ and workflow/.
 */
#include "http/api_workflow.h"

#include <stdio.h>
#include <string.h>

#include "app/workflow.h"
#include "base/clock.h"
#include "base/str.h"
#include "http/server_int.h"

/* Runs call (which sets out and err), then answers status with out or the error. */
#define ANSWER(r, status, call)                                                                \
    do {                                                                                       \
        json_t *out = NULL;                                                                    \
        struct lo_error err;                                                                   \
        lo_error_clear(&err);                                                                  \
        double t0_ = lo_monotonic_s();                                                         \
        int rc = (call);                                                                       \
        return answer((r), (status), rc, out, &err, t0_, NULL);                                \
    } while (0)

/* lo_http_fail, with the two conflicts a client must tell apart by code (docs/api-workflow.md):
 * an edit based on a stale version, and a submit whose lapsed lease someone else took. */
static int wf_fail(struct lo_http_req *r, int rc, const struct lo_error *err)
{
    const char *code = NULL;
    if (rc == LO_ECONFLICT && !strcmp(err->field, "If-Match"))
        code = "stale_version";
    else if (rc == LO_ECONFLICT && !strcmp(err->field, "lease") && strstr(err->msg, "expired"))
        code = "lease_expired";
    if (!code)
        return lo_http_fail(r, rc, err);
    lo_http_error(&r->resp, 409, code, err->msg, err->field);
    return rc;
}

/* The answer of a use case that left its JSON in out: the error, or status with out. Frees
 * body (the request's parsed JSON, may be NULL) and adds the time since t0 to the request's
 * store time. */
static int answer(struct lo_http_req *r, int status, int rc, json_t *out,
                  const struct lo_error *err, double t0, json_t *body)
{
    r->store_s += lo_monotonic_s() - t0;
    json_decref(body);
    if (rc)
        return wf_fail(r, rc, err);
    return lo_http_json(&r->resp, status, out);
}

/* A write answered later: next-task and submit wait for their group commit without holding a
 * server thread (app/writer.h, http/server_int.h), so one commit can carry every annotator
 * waiting, whatever the thread count. */
struct later {
    struct lo_http_req *r;
    int status;
    double t0;
    json_t *body;
};

static struct later *later_new(struct lo_http_req *r, int status, json_t *body)
{
    struct later *l = lo_arena_alloc(&r->arena, sizeof(*l));
    if (l)
        *l = (struct later){ .r = r, .status = status, .t0 = lo_monotonic_s(), .body = body };
    return l;
}

/* On the writer's thread, once the work is durable (or failed). */
static void later_done(void *arg, int rc, const struct lo_error *err, json_t *out)
{
    struct later *l = arg;
    lo__http_async_lock(l->r);
    answer(l->r, l->status, rc, out, err, l->t0, l->body);
    lo__http_async_answer(l->r);
}

/* After queuing: park the connection until later_done, or answer the error now. */
static int later_queued(struct later *l, int rc, const struct lo_error *err)
{
    if (rc) {
        lo__http_async_cancel(l->r);
        return answer(l->r, l->status, rc, NULL, err, l->t0, l->body);
    }
    lo__http_async_park(l->r);
    return 0;
}

/* The JSON body, or an empty object when the request had none. NULL (answered) when bad. */
static json_t *body_or_empty(struct lo_http_req *r)
{
    if (r->body.len == 0)
        return json_object();
    return lo_http_body_object(r);
}

/* A path parameter that must be a positive integer; 0 (with the 404 answered) otherwise. */
static int64_t id_param(struct lo_http_req *r, const char *name, const char *what)
{
    long long id;
    const char *v = lo_http_param(r, name);
    if (!v || !lo_str_to_i64(lo_str_from(v), &id) || id <= 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "no %s '%s'", what, v ? v : "");
        lo_http_error(&r->resp, 404, "not_found", msg, name);
        return 0;
    }
    return (int64_t)id;
}

int lo__h_workflow_get(struct lo_http_req *r)
{
    ANSWER(r, 200, lo_app_workflow_get(lo_http_app(r), lo_http_param(r, "name"), &out, &err));
}

int lo__h_workflow_put(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = lo_app_workflow_set(lo_http_app(r), lo_http_param(r, "name"), body, &out, &err);
    return answer(r, 200, rc, out, &err, t0, body);
}

int lo__h_task_next(struct lo_http_req *r)
{
    json_t *body = body_or_empty(r);
    if (!body)
        return LO_EINVAL;
    json_t *k = json_object_get(body, "kind");
    if (k && !json_is_string(k)) {
        json_decref(body);
        lo_http_error(&r->resp, 422, "invalid", "kind must be label, review or adjudicate",
                      "kind");
        return LO_EINVAL;
    }
    const char *kind = k ? json_string_value(k) : lo_http_query(r, "kind");
    struct later *l = later_new(r, 200, body);
    if (!l)
        return lo_http_fail(r, LO_ENOMEM, NULL);
    struct lo_error err;
    lo_error_clear(&err);
    lo__http_async_begin(r);
    int rc = lo_app_task_next_async(lo_http_app(r), lo_http_param(r, "name"), kind, later_done,
                                    l, &err);
    return later_queued(l, rc, &err);
}

/* The lease routes share one shape: body, call, answer. */
typedef int (*lease_fn)(struct lo_app *app, const char *lease, const json_t *body,
                        json_t **out, struct lo_error *err);

static int lease_route(struct lo_http_req *r, lease_fn fn, int status)
{
    json_t *body = body_or_empty(r);
    if (!body)
        return LO_EINVAL;
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = fn(lo_http_app(r), lo_http_param(r, "lease"), body, &out, &err);
    return answer(r, status, rc, out, &err, t0, body);
}

static int heartbeat(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                     struct lo_error *err)
{
    (void)body;
    return lo_app_task_heartbeat(app, lease, out, err);
}

int lo__h_task_heartbeat(struct lo_http_req *r)
{
    return lease_route(r, heartbeat, 200);
}

int lo__h_task_draft(struct lo_http_req *r)
{
    return lease_route(r, lo_app_task_draft, 200);
}

int lo__h_task_skip(struct lo_http_req *r)
{
    return lease_route(r, lo_app_task_skip, 200);
}

int lo__h_task_flag(struct lo_http_req *r)
{
    return lease_route(r, lo_app_task_flag, 200);
}

int lo__h_task_submit(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    struct later *l = later_new(r, 201, body);
    if (!l) {
        json_decref(body);
        return lo_http_fail(r, LO_ENOMEM, NULL);
    }
    struct lo_error err;
    lo_error_clear(&err);
    lo__http_async_begin(r);
    int rc = lo_app_task_submit_async(lo_http_app(r), lo_http_param(r, "lease"), body,
                                      lo_http_header(r, "Idempotency-Key"), later_done, l, &err);
    return later_queued(l, rc, &err);
}

int lo__h_wf_queue(struct lo_http_req *r)
{
    ANSWER(r, 200, lo_app_wf_queue(lo_http_app(r), lo_http_param(r, "name"), &out, &err));
}

int lo__h_item_requeue(struct lo_http_req *r)
{
    int64_t id = id_param(r, "id", "item");
    if (!id)
        return LO_ENOTFOUND;
    json_t *body = body_or_empty(r);
    if (!body)
        return LO_EINVAL;
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = lo_app_item_requeue(lo_http_app(r), lo_http_param(r, "name"), id, body, &out, &err);
    return answer(r, 200, rc, out, &err, t0, body);
}

static int annotator_route(struct lo_http_req *r, const char *action)
{
    json_t *body = body_or_empty(r);
    if (!body)
        return LO_EINVAL;
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = lo_app_annotator_action(lo_http_app(r), lo_http_param(r, "name"),
                                     lo_http_param(r, "user"), action, body, &out, &err);
    return answer(r, 200, rc, out, &err, t0, body);
}

int lo__h_annotator_pause(struct lo_http_req *r)
{
    return annotator_route(r, "pause");
}

int lo__h_annotator_resume(struct lo_http_req *r)
{
    return annotator_route(r, "resume");
}

int lo__h_annotator_invalidate(struct lo_http_req *r)
{
    return annotator_route(r, "invalidate");
}

int lo__h_annotator_put(struct lo_http_req *r)
{
    return annotator_route(r, "set");
}

int lo__h_wf_annotators(struct lo_http_req *r)
{
    ANSWER(r, 200, lo_app_wf_annotators(lo_http_app(r), lo_http_param(r, "name"), &out, &err));
}

int lo__h_item_history(struct lo_http_req *r)
{
    int64_t id = id_param(r, "id", "item");
    if (!id)
        return LO_ENOTFOUND;
    ANSWER(r, 200, lo_app_item_history(lo_http_app(r), lo_http_param(r, "name"), id, &out, &err));
}

int lo__h_wf_me(struct lo_http_req *r)
{
    ANSWER(r, 200, lo_app_wf_me(lo_http_app(r), lo_http_param(r, "name"), &out, &err));
}

int lo__h_annotation_get(struct lo_http_req *r)
{
    int64_t id = id_param(r, "id", "annotation");
    if (!id)
        return LO_ENOTFOUND;
    json_t *out = NULL;
    int version = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_app_annotation_get(lo_http_app(r), id, &out, &version, &err);
    if (rc)
        return lo_http_fail(r, rc, &err);
    snprintf(r->resp.etag, sizeof(r->resp.etag), "\"v%d\"", version);
    return lo_http_json(&r->resp, 200, out);
}

int lo__h_annotation_patch(struct lo_http_req *r)
{
    int64_t id = id_param(r, "id", "annotation");
    if (!id)
        return LO_ENOTFOUND;
    const char *im = lo_http_header(r, "If-Match");
    if (!im) {
        lo_http_error(&r->resp, 428, "precondition_required",
                      "an edit needs If-Match with the ETag of the version it is based on",
                      "If-Match");
        return LO_EINVAL;
    }
    /* "v3" or W/"v3" */
    const char *p = strstr(im, "\"v");
    long long v = 0;
    const char *end = p ? strchr(p + 2, '"') : NULL;
    if (!p || !end || !lo_str_to_i64((struct lo_str){ p + 2, (size_t)(end - p - 2) }, &v) || v < 1) {
        lo_http_error(&r->resp, 400, "malformed", "If-Match must be an ETag like \"v3\"",
                      "If-Match");
        return LO_EINVAL;
    }
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_app_annotation_edit(lo_http_app(r), id, (int)v, body, &out, &err);
    json_decref(body);
    if (rc)
        return wf_fail(r, rc, &err);
    snprintf(r->resp.etag, sizeof(r->resp.etag), "\"v%d\"",
             (int)json_integer_value(json_object_get(out, "version")));
    return lo_http_json(&r->resp, 200, out);
}

int lo__h_wf_consolidate(struct lo_http_req *r)
{
    json_t *body = body_or_empty(r);
    if (!body)
        return LO_EINVAL;
    json_t *m = json_object_get(body, "method");
    const char *method = m ? json_string_value(m) : "ds";
    json_t *out = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = lo_app_wf_consolidate(lo_http_app(r), lo_http_param(r, "name"), method, &out, &err);
    return answer(r, 200, rc, out, &err, t0, body);
}
