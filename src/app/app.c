/*
 * app.c - opening the application, projects and guidelines.
 */
#include "app/app.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/accounts.h"
#include "app/app_int.h"
#include "base/json.h"
#include "base/limits.h"
#include "schema/schema.h"

int lo_app_open(struct lo_app *app, const char *db_path, struct lo_error *err)
{
    memset(app, 0, sizeof(*app));
    app->clock = lo_clock_system();
    lo_rng_seed(&app->rng, (uint64_t)lo_clock_now_ms(&app->clock));
    const char *user = getenv("USER");
    app->actor = user && user[0] ? user : "local";
    app->who.kind = LO_PRINCIPAL_LOCAL;
    app->who.name = app->actor;
    app->who.role = LO_ROLE_ADMIN;
    return lo_store_open_sqlite(db_path, &app->store, err);
}

void lo_app_close(struct lo_app *app)
{
    lo__wf_cache_free(app);
    lo_store_close(app->store);
    app->store = NULL;
}

int lo__app_event(struct lo_app *app, int64_t project_id, const char *kind,
                  const char *object_type, int64_t object_id, json_t *payload_take,
                  struct lo_error *err)
{
    char *payload = payload_take ? lo_json_dump(payload_take) : NULL;
    json_decref(payload_take);
    struct lo_event e = {
        .project_id = project_id,
        .kind = kind,
        .actor = app->who.kind == LO_PRINCIPAL_USER && app->who.name ? app->who.name
                                                                     : app->actor,
        .object_type = object_type,
        .object_id = object_id,
        .payload_json = payload ? payload : "{}",
        .created_ms = lo_clock_now_ms(&app->clock),
    };
    int64_t id;
    struct lo_arena arena;
    lo_arena_init(&arena, 512);
    int rc = 0;
    /* Security events are linked into the audit chain (audit.c), in this same transaction. */
    if (lo_audit_kind(kind))
        rc = lo__audit_chain(app, &e, &arena, err);
    if (!rc)
        rc = app->store->ops->event_append(app->store, &e, &id, err);
    lo_arena_free(&arena);
    free(payload);
    return rc;
}

int lo__app_find_project(struct lo_app *app, const char *name, struct lo_arena *arena,
                         struct lo_project *out, struct lo_error *err)
{
    int rc = app->store->ops->project_get(app->store, name, arena, out, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_field(err, LO_ENOTFOUND, "project", "no project named '%s'", name);
    return rc;
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

json_t *lo_project_json(const struct lo_project *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "description", json_string(p->description ? p->description : ""));
    char t[40];
    lo_time_format(p->created_ms, t, sizeof(t));
    json_object_set_new(o, "created", json_string(t));
    json_object_set_new(o, "schema_version", json_integer(p->schema_version));
    json_object_set_new(o, "guideline_version", json_integer(p->guideline_version));
    json_t *goals = json_object();
    json_object_set_new(goals, "accuracy", num_or_null(p->goal_accuracy));
    json_object_set_new(goals, "turnaround_hours", num_or_null(p->goal_turnaround_hours));
    json_object_set_new(goals, "cost_per_label", num_or_null(p->goal_cost_per_label));
    json_object_set_new(goals, "budget", num_or_null(p->goal_budget));
    json_object_set_new(goals, "deadline",
                        p->goal_deadline ? json_string(p->goal_deadline) : json_null());
    json_object_set_new(o, "goals", goals);
    json_t *schema = p->schema_json ? json_loads(p->schema_json, 0, NULL) : NULL;
    json_object_set_new(o, "schema", schema ? schema : json_null());
    return o;
}

/* A goal as jansson renders a real (so that both renderings parse to equal values): the
 * shortest round-trip digits, with ".0" when they read as an integer; null when unset. */
static int put_goal(struct lo_buf *b, double v)
{
    if (isnan(v) || !isfinite(v))
        return lo_buf_puts(b, "null");
    size_t start = b->len;
    int rc = lo_json_put_double(b, v);
    if (rc)
        return rc;
    if (!memchr(b->data + start, '.', b->len - start) &&
        !memchr(b->data + start, 'e', b->len - start))
        rc = lo_buf_puts(b, ".0");
    return rc;
}

/* An integer without printf (this is the server's hot path). */
static int put_int(struct lo_buf *b, int v)
{
    char tmp[16];
    int n = (int)sizeof(tmp);
    long long x = v < 0 ? -(long long)v : v;
    do {
        tmp[--n] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    if (v < 0)
        tmp[--n] = '-';
    return lo_buf_append(b, tmp + n, sizeof(tmp) - (size_t)n);
}

static int put_key(struct lo_buf *b, const char *key, bool first)
{
    int rc = first ? 0 : lo_buf_putc(b, ',');
    if (!rc)
        rc = lo_json_put_string(b, key, strlen(key));
    if (!rc)
        rc = lo_buf_putc(b, ':');
    return rc;
}

int lo_project_json_write(const struct lo_project *p, struct lo_buf *b)
{
    const char *desc = p->description ? p->description : "";
    if (!lo_utf8_valid(p->name, strlen(p->name), NULL) || !lo_utf8_valid(desc, strlen(desc), NULL)
        || (p->goal_deadline && !lo_utf8_valid(p->goal_deadline, strlen(p->goal_deadline), NULL)))
        return LO_EINVAL; /* jansson would drop such a member: let the caller use lo_project_json */
    char t[40];
    lo_time_format(p->created_ms, t, sizeof(t));
    int rc = lo_buf_putc(b, '{');
    if (!rc)
        rc = put_key(b, "name", true);
    if (!rc)
        rc = lo_json_put_string(b, p->name, strlen(p->name));
    if (!rc)
        rc = put_key(b, "description", false);
    if (!rc)
        rc = lo_json_put_string(b, desc, strlen(desc));
    if (!rc)
        rc = put_key(b, "created", false);
    if (!rc)
        rc = lo_json_put_string(b, t, strlen(t));
    if (!rc)
        rc = put_key(b, "schema_version", false);
    if (!rc)
        rc = put_int(b, p->schema_version);
    if (!rc)
        rc = put_key(b, "guideline_version", false);
    if (!rc)
        rc = put_int(b, p->guideline_version);
    if (!rc)
        rc = put_key(b, "goals", false);
    if (!rc)
        rc = lo_buf_putc(b, '{');
    if (!rc)
        rc = put_key(b, "accuracy", true);
    if (!rc)
        rc = put_goal(b, p->goal_accuracy);
    if (!rc)
        rc = put_key(b, "turnaround_hours", false);
    if (!rc)
        rc = put_goal(b, p->goal_turnaround_hours);
    if (!rc)
        rc = put_key(b, "cost_per_label", false);
    if (!rc)
        rc = put_goal(b, p->goal_cost_per_label);
    if (!rc)
        rc = put_key(b, "budget", false);
    if (!rc)
        rc = put_goal(b, p->goal_budget);
    if (!rc)
        rc = put_key(b, "deadline", false);
    if (!rc)
        rc = p->goal_deadline ? lo_json_put_string(b, p->goal_deadline, strlen(p->goal_deadline))
                              : lo_buf_puts(b, "null");
    if (!rc)
        rc = lo_buf_putc(b, '}');
    if (!rc)
        rc = put_key(b, "schema", false);
    /* The stored schema is the canonical JSON lo_schema_to_json wrote: it goes out as it is. */
    if (!rc)
        rc = p->schema_json && p->schema_json[0] == '{' ? lo_buf_puts(b, p->schema_json)
                                                         : lo_buf_puts(b, "null");
    if (!rc)
        rc = lo_buf_putc(b, '}');
    return rc;
}

void lo_project_spec_init(struct lo_project_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->goal_accuracy = NAN;
    s->goal_turnaround_hours = NAN;
    s->goal_cost_per_label = NAN;
    s->goal_budget = NAN;
}

static int check_name(const char *name, struct lo_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return lo_error_field(err, LO_EINVAL, "name", "a project needs a name");
    if (n > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, "name", "name longer than %d bytes (LO_LIMIT_NAME)",
                              LO_LIMIT_NAME);
    if (!lo_utf8_valid(name, n, NULL))
        return lo_error_field(err, LO_EINVAL, "name", "name is not valid UTF-8");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20)
            return lo_error_field(err, LO_EINVAL, "name", "name contains a control character");
    /* A project is addressed as /api/v1/projects/{name}, and libmicrohttpd decodes %2F before
     * routing: a name with '/' could never be reached over the API. */
    if (memchr(name, '/', n))
        return lo_error_field(err, LO_EINVAL, "name",
                              "a project name must not contain '/' (it is a URL path segment)");
    return 0;
}

static int check_goals(const struct lo_project_spec *s, struct lo_error *err)
{
    if (!isnan(s->goal_accuracy) && !(s->goal_accuracy > 0 && s->goal_accuracy <= 1))
        return lo_error_field(err, LO_EINVAL, "accuracy", "accuracy target must be in (0, 1]");
    if (!isnan(s->goal_turnaround_hours) && !(s->goal_turnaround_hours > 0))
        return lo_error_field(err, LO_EINVAL, "turnaround", "turnaround target must be > 0 hours");
    if (!isnan(s->goal_cost_per_label) && !(s->goal_cost_per_label >= 0))
        return lo_error_field(err, LO_EINVAL, "cost-per-label", "cost per label must be >= 0");
    if (!isnan(s->goal_budget) && !(s->goal_budget >= 0))
        return lo_error_field(err, LO_EINVAL, "budget", "budget must be >= 0");
    if (s->goal_deadline) {
        int y, m, d;
        char extra;
        if (sscanf(s->goal_deadline, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 ||
            strlen(s->goal_deadline) != 10 || m < 1 || m > 12 || d < 1 || d > 31)
            return lo_error_field(err, LO_EINVAL, "deadline",
                                  "deadline must be a date YYYY-MM-DD, got '%s'",
                                  s->goal_deadline);
    }
    return 0;
}

int lo_app_project_create(struct lo_app *app, const struct lo_project_spec *spec, int64_t *id_out,
                          struct lo_error *err)
{
    struct lo_schema *schema = NULL;
    char *canonical = NULL;
    int rc = check_name(spec->name, err);
    if (!rc)
        rc = check_goals(spec, err);
    if (rc)
        return rc;
    if (spec->schema_json) {
        rc = lo_schema_parse(spec->schema_json, strlen(spec->schema_json), &schema, err);
        if (rc) {
            lo_error_prefix(err, "schema");
            return rc;
        }
        canonical = lo_schema_to_json(schema);
        lo_schema_free(schema);
        if (!canonical)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    struct lo_store *st = app->store;
    struct lo_project p = {
        .name = spec->name,
        .description = spec->description ? spec->description : "",
        .goal_accuracy = spec->goal_accuracy,
        .goal_turnaround_hours = spec->goal_turnaround_hours,
        .goal_cost_per_label = spec->goal_cost_per_label,
        .goal_budget = spec->goal_budget,
        .goal_deadline = spec->goal_deadline,
        .created_ms = lo_clock_now_ms(&app->clock),
    };
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    struct lo_policy_object sys = { .kind = LO_OBJ_SYSTEM };
    rc = lo__app_authorize(app, LO_ACT_CREATE, &sys, "project", "projects here", err);
    if (rc)
        goto rollback;
    rc = st->ops->project_create(st, &p, err);
    if (rc == LO_ECONFLICT)
        lo_error_field(err, LO_ECONFLICT, "name", "a project named '%s' exists already",
                       spec->name);
    if (rc)
        goto rollback;
    if (app->who.kind == LO_PRINCIPAL_USER && app->who.role != LO_ROLE_ADMIN) {
        /* A manager runs the projects they create. */
        struct lo_member_row m = { .project_id = p.id, .user_id = app->who.user_id,
                                   .role = lo_role_name(LO_ROLE_MANAGER),
                                   .created_ms = p.created_ms };
        rc = st->ops->member_set(st, &m, err);
        if (rc)
            goto rollback;
    }
    if (canonical) {
        int version;
        rc = st->ops->project_set_schema(st, p.id, canonical, p.created_ms, &version, err);
        if (rc)
            goto rollback;
    }
    rc = lo__app_event(app, p.id, "project_created", "project", p.id,
                       json_pack("{s:s, s:b}", "name", spec->name, "schema", canonical != NULL),
                       err);
    if (rc)
        goto rollback;
    rc = st->ops->commit(st, err);
    if (rc)
        goto rollback;
    if (id_out)
        *id_out = p.id;
    free(canonical);
    return 0;
rollback:
    st->ops->rollback(st);
out:
    free(canonical);
    return rc;
}

int lo_app_project_get(struct lo_app *app, const char *name, struct lo_arena *arena,
                       struct lo_project *out, struct lo_project_counts *counts,
                       struct lo_error *err)
{
    struct lo_store *st = app->store;
    /* Without counts this is one or two single-row reads (the project, and the caller's
     * membership unless they are an admin), each its own implicit transaction: that spares a
     * BEGIN and a ROLLBACK on the server's most frequent read. A membership read in a later
     * snapshot than the project's answers as if the request had come a moment later. With
     * counts, one snapshot for everything. */
    int rc = counts ? st->ops->begin(st, false, err) : 0;
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, name, LO_ACT_READ, arena, out, err);
    if (!rc && counts)
        rc = st->ops->project_counts(st, out->id, counts, err);
    st->ops->rollback(st); /* also ends the read transaction a denial leaves open */
    return rc;
}

struct project_list_ctx {
    struct lo_app *app;
    lo_project_cb cb;
    void *ctx;
    struct lo_error *err;
};

/* Passes on only the projects the caller may see. */
static int project_list_cb(void *ctx, const struct lo_project *p)
{
    struct project_list_ctx *c = ctx;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = p->id };
    int rc = lo__app_member_role(c->app, p->id, &obj.member_role, c->err);
    if (rc)
        return rc;
    if (lo_policy_check(&c->app->who, LO_ACT_READ, &obj) != 0)
        return 0;
    return c->cb(c->ctx, p);
}

int lo_app_project_list(struct lo_app *app, struct lo_arena *arena, lo_project_cb cb, void *ctx,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct project_list_ctx c = { app, cb, ctx, err };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = st->ops->project_list(st, arena, project_list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}

int lo_app_project_delete(struct lo_app *app, const char *name, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, name, LO_ACT_DELETE, &arena, &p, err);
    if (!rc)
        rc = st->ops->project_delete(st, p.id, err);
    if (!rc)
        rc = lo__app_event(app, 0, "project_deleted", "project", p.id,
                           json_pack("{s:s}", "name", name), err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
out:
    lo_arena_free(&arena);
    return rc;
}

int lo_app_guideline_set(struct lo_app *app, const char *project, const char *body,
                         int *version_out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    size_t n = strlen(body);
    if (n > LO_LIMIT_GUIDELINE_BYTES)
        return lo_error_field(err, LO_ELIMIT, "guideline",
                              "guideline longer than %d bytes (LO_LIMIT_GUIDELINE_BYTES)",
                              LO_LIMIT_GUIDELINE_BYTES);
    size_t bad;
    if (!lo_utf8_valid(body, n, &bad))
        return lo_error_field(err, LO_EINVAL, "guideline",
                              "guideline is not valid UTF-8 (byte %zu)", bad + 1);
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, project, LO_ACT_UPDATE, &arena, &p, err);
    int version = 0;
    if (!rc)
        rc = st->ops->guideline_add(st, p.id, body, app->actor, lo_clock_now_ms(&app->clock),
                                    &version, err);
    if (!rc)
        rc = lo__app_event(app, p.id, "guideline_set", "guideline", version,
                           json_pack("{s:i, s:I}", "version", version, "bytes", (json_int_t)n),
                           err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else if (version_out)
        *version_out = version;
out:
    lo_arena_free(&arena);
    return rc;
}

int lo_app_guideline_get(struct lo_app *app, const char *project, int version,
                         struct lo_arena *arena, struct lo_guideline *out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project p;
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, arena, &p, err);
    if (!rc) {
        rc = st->ops->guideline_get(st, p.id, version, arena, out, err);
        if (rc == LO_ENOTFOUND && version)
            lo_error_field(err, rc, "version", "project '%s' has no guideline version %d",
                           project, version);
        else if (rc == LO_ENOTFOUND)
            lo_error_set(err, rc, "project '%s' has no guidelines yet", project);
    }
    st->ops->rollback(st);
    return rc;
}

int lo_app_guideline_log(struct lo_app *app, const char *project, struct lo_arena *arena,
                         lo_guideline_cb cb, void *ctx, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project p;
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, arena, &p, err);
    if (!rc)
        rc = st->ops->guideline_list(st, p.id, arena, cb, ctx, err);
    st->ops->rollback(st);
    return rc;
}

/* ---- schemas ------------------------------------------------------------------------------- */

int lo_app_schema_get(struct lo_app *app, const char *project, struct lo_arena *arena,
                      const char **schema_json_out, int *version_out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project p;
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, arena, &p, err);
    if (!rc && !p.schema_json)
        rc = lo_error_field(err, LO_ENOTFOUND, "schema",
                            "project '%s' has no schema yet (the first label import infers one)",
                            project);
    st->ops->rollback(st);
    if (!rc) {
        *schema_json_out = p.schema_json;
        *version_out = p.schema_version;
    }
    return rc;
}

int lo_app_schema_set(struct lo_app *app, const char *project, const char *schema_json,
                      int *version_out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_schema *schema = NULL;
    struct lo_arena arena;
    struct lo_project p;
    size_t n = strlen(schema_json);
    if (n > LO_LIMIT_SCHEMA_BYTES)
        return lo_error_field(err, LO_ELIMIT, "schema",
                              "schema longer than %d bytes (LO_LIMIT_SCHEMA_BYTES)",
                              LO_LIMIT_SCHEMA_BYTES);
    /* Validated before any transaction: a bad schema names the field at fault and costs no
     * lock. The stored text is the canonical form, as at project creation. */
    int rc = lo_schema_parse(schema_json, n, &schema, err);
    if (rc) {
        lo_error_prefix(err, "schema");
        if (!err->field[0])
            snprintf(err->field, sizeof(err->field), "schema");
        return rc;
    }
    char *canonical = lo_schema_to_json(schema);
    lo_schema_free(schema);
    if (!canonical)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    lo_arena_init(&arena, 4096);
    int version = 0;
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, project, LO_ACT_UPDATE, &arena, &p, err);
    if (!rc)
        rc = st->ops->project_set_schema(st, p.id, canonical, lo_clock_now_ms(&app->clock),
                                         &version, err);
    if (!rc)
        rc = lo__app_event(app, p.id, "schema_set", "project", p.id,
                           json_pack("{s:s, s:i, s:i}", "name", project, "version", version,
                                     "from", p.schema_version),
                           err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else if (version_out)
        *version_out = version;
out:
    lo_arena_free(&arena);
    free(canonical);
    return rc;
}
