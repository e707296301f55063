/*
 * api_admin.c - the administration routes: users, vendors, project members, API tokens and the
 * audit log. Like api.c, each handler reads the request, calls one app/accounts.h use case with
 * app->who set to the caller (lo_http_app) and renders JSON; the policy is decided in app/.
 *
 * Bodies are strict: an unknown member is 422 naming it. A body member that names another object
 * (a vendor, a user) is checked by the use case like a name in the URL, so an object out of the
 * caller's scope answers 404 exactly as one that does not exist. A password reaches this file
 * only in the body of POST /users; it is handed to lo_app_user_add (which hashes it) and the
 * request's copy of the body is wiped before the answer.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/accounts.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/limits.h"
#include "http/api_admin.h"
#include "http/server_int.h"

#define TIMED(r, call)                                                                         \
    do {                                                                                       \
        double t0_ = lo_monotonic_s();                                                         \
        rc = (call);                                                                           \
        (r)->store_s += lo_monotonic_s() - t0_;                                                \
    } while (0)

/* ---- small helpers ------------------------------------------------------------------------- */

static int no_content(struct lo_http_req *r)
{
    lo_buf_reset(&r->resp.body);
    r->resp.status = 204;
    r->resp.content_type = NULL;
    return 0;
}

static int invalid(struct lo_http_req *r, const char *msg, const char *field)
{
    lo_http_error(&r->resp, 422, "invalid", msg, field);
    return LO_EINVAL;
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
        if (!ok)
            return invalid(r, "unknown member in the request body", key);
    }
    return 0;
}

/* A string member: *out NULL when absent (and not required). 422 naming the field otherwise. */
static int body_string(struct lo_http_req *r, json_t *o, const char *key, bool required,
                       const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    if (!v || !json_is_string(v)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "'%s' must be a string", key);
        return invalid(r, msg, key);
    }
    *out = json_string_value(v);
    return 0;
}

static int body_role(struct lo_http_req *r, json_t *o, bool required, enum lo_role *out)
{
    const char *s;
    int rc = body_string(r, o, "role", required, &s);
    *out = LO_ROLE_NONE;
    if (rc || !s)
        return rc;
    *out = lo_role_parse(s);
    if (*out == LO_ROLE_NONE)
        return invalid(r, "role must be admin, manager, reviewer, annotator or vendor_manager",
                       "role");
    return 0;
}

static json_t *time_json(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char t[40];
    lo_time_format(ms, t, sizeof(t));
    return json_string(t);
}

/* Stops a listing one row after a full page; a list callback returns it so the handler knows
 * that more rows exist. */
#define PAGE_FULL 1

/* ---- users --------------------------------------------------------------------------------- */

static json_t *user_json(const struct lo_user *u)
{
    return json_pack("{s:s, s:s, s:o, s:b, s:o}", "name", u->name, "role", lo_role_name(u->role),
                     "vendor", u->vendor_name ? json_string(u->vendor_name) : json_null(),
                     "disabled", u->disabled, "created", time_json(u->created_ms));
}

struct page_ctx {
    struct lo_http_page page;
    json_t *rows;
    int n;
    const char *next;
    char next_buf[32];
};

static int user_row(void *ctx, const struct lo_user *u)
{
    struct page_ctx *c = ctx;
    if (c->page.after && strcmp(u->name, c->page.after) <= 0)
        return 0;
    if (c->n == c->page.limit)
        return PAGE_FULL;
    json_array_append_new(c->rows, user_json(u));
    c->n++;
    c->next = u->name;
    return 0;
}

/* Renders {key: rows, next: ...} after a listing that returned rc. */
static int page_answer(struct lo_http_req *r, struct page_ctx *c, const char *key, int rc,
                       const struct lo_error *err)
{
    bool more = rc == PAGE_FULL;
    if (rc && !more) {
        json_decref(c->rows);
        return lo_http_fail(r, rc, err);
    }
    json_t *next = more && c->next ? json_string(c->next) : json_null();
    return lo_http_json(&r->resp, 200, json_pack("{s:o, s:o}", key, c->rows, "next", next));
}

int lo__h_users_list(struct lo_http_req *r)
{
    struct page_ctx c = { .rows = json_array() };
    int rc = lo_http_page_parse(r, &c.page);
    if (rc) {
        json_decref(c.rows);
        return rc;
    }
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_user_list(lo_http_app(r), &r->arena, user_row, &c, &err));
    return page_answer(r, &c, "users", rc, &err);
}

static int answer_user(struct lo_http_req *r, int status, const char *name)
{
    struct lo_user u;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_user_get(lo_http_app(r), name, &r->arena, &u, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, status, user_json(&u));
}

static void wipe_body(struct lo_http_req *r)
{
    if (r->body.data && r->body.len)
        sodium_memzero(r->body.data, r->body.len);
}

int lo__h_users_create(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    wipe_body(r); /* the password's only other copy is in body, freed below */
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "name", "password", "role", "vendor", NULL };
    const char *name = NULL, *password = NULL, *vendor = NULL;
    enum lo_role role = LO_ROLE_NONE;
    int rc = reject_unknown(r, body, known);
    if (!rc)
        rc = body_string(r, body, "name", true, &name);
    if (!rc)
        rc = body_string(r, body, "password", true, &password);
    if (!rc)
        rc = body_role(r, body, true, &role);
    if (!rc && json_object_get(body, "vendor") && !json_is_null(json_object_get(body, "vendor")))
        rc = body_string(r, body, "vendor", true, &vendor);
    if (rc)
        goto out;
    struct lo_error err;
    lo_error_clear(&err);
    if (!json_object_get(body, "vendor") && r->who.role == LO_ROLE_VENDOR_MANAGER &&
        r->who.name) {
        /* a vendor manager's people belong to their vendor unless the body says otherwise */
        struct lo_user self;
        TIMED(r, lo_app_user_get(lo_http_app(r), r->who.name, &r->arena, &self, &err));
        if (rc) {
            lo_http_fail(r, rc, &err);
            goto out;
        }
        vendor = self.vendor_name;
    }
    TIMED(r, lo_app_user_add(lo_http_app(r), name, role, vendor, password, NULL, &err));
    if (rc == LO_ENOTFOUND && vendor) {
        /* the vendor does not exist or is not the caller's: one answer for both */
        lo_error_field(&err, rc, "vendor", "no vendor named '%s'", vendor);
    }
    if (rc)
        lo_http_fail(r, rc, &err);
    else
        rc = answer_user(r, 201, name);
out:
    if (password)
        sodium_memzero((char *)password, strlen(password));
    json_decref(body);
    return rc;
}

int lo__h_user_get(struct lo_http_req *r)
{
    return answer_user(r, 200, lo_http_param(r, "name"));
}

/* PATCH: {"role": ..., "disabled": true|false}, one transaction (lo_app_user_update): a denied
 * or invalid part refuses the whole request before anything is written. "disabled": false
 * enables an account again (admins only). */
int lo__h_user_patch(struct lo_http_req *r)
{
    const char *name = lo_http_param(r, "name");
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "role", "disabled", NULL };
    enum lo_role role = LO_ROLE_NONE;
    int disabled = -1;
    int rc = reject_unknown(r, body, known);
    if (!rc)
        rc = body_role(r, body, false, &role);
    json_t *d = json_object_get(body, "disabled");
    if (!rc && d) {
        if (!json_is_boolean(d))
            rc = invalid(r, "'disabled' must be true or false", "disabled");
        else
            disabled = json_is_true(d) ? 1 : 0;
    }
    if (!rc && role == LO_ROLE_NONE && !d)
        rc = invalid(r, "nothing to change: send role or disabled", NULL);
    json_decref(body);
    if (rc)
        return rc;
    /* Role and disabled change together in one transaction, or not at all. */
    struct lo_user_change ch = { .role = role, .disabled = disabled };
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_user_update(lo_http_app(r), name, &ch, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return answer_user(r, 200, name);
}

/* ---- vendors ------------------------------------------------------------------------------- */

static int vendor_row(void *ctx, const struct lo_vendor *v)
{
    struct page_ctx *c = ctx;
    if (c->page.after && strcmp(v->name, c->page.after) <= 0)
        return 0;
    if (c->n == c->page.limit)
        return PAGE_FULL;
    json_array_append_new(c->rows, json_pack("{s:s, s:o}", "name", v->name, "created",
                                             time_json(v->created_ms)));
    c->n++;
    c->next = v->name;
    return 0;
}

int lo__h_vendors_list(struct lo_http_req *r)
{
    struct page_ctx c = { .rows = json_array() };
    int rc = lo_http_page_parse(r, &c.page);
    if (rc) {
        json_decref(c.rows);
        return rc;
    }
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_vendor_list(lo_http_app(r), &r->arena, vendor_row, &c, &err));
    return page_answer(r, &c, "vendors", rc, &err);
}

int lo__h_vendors_create(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "name", NULL };
    const char *name = NULL;
    int rc = reject_unknown(r, body, known);
    if (!rc)
        rc = body_string(r, body, "name", true, &name);
    if (!rc) {
        struct lo_error err;
        lo_error_clear(&err);
        TIMED(r, lo_app_vendor_add(lo_http_app(r), name, NULL, &err));
        if (rc)
            lo_http_fail(r, rc, &err);
        else
            rc = lo_http_json(&r->resp, 201,
                              json_pack("{s:s, s:o}", "name", name, "created",
                                        time_json(lo_clock_now_ms(&r->app->clock))));
    }
    json_decref(body);
    return rc;
}

/* ---- project members ----------------------------------------------------------------------- */

static int member_row(void *ctx, const struct lo_membership *m)
{
    struct page_ctx *c = ctx;
    if (c->page.after && strcmp(m->user_name, c->page.after) <= 0)
        return 0;
    if (c->n == c->page.limit)
        return PAGE_FULL;
    json_array_append_new(c->rows, json_pack("{s:s, s:s, s:o}", "user", m->user_name, "role",
                                             lo_role_name(m->role), "created",
                                             time_json(m->created_ms)));
    c->n++;
    c->next = m->user_name;
    return 0;
}

int lo__h_members_list(struct lo_http_req *r)
{
    struct page_ctx c = { .rows = json_array() };
    int rc = lo_http_page_parse(r, &c.page);
    if (rc) {
        json_decref(c.rows);
        return rc;
    }
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_member_list(lo_http_app(r), lo_http_param(r, "name"), &r->arena, member_row,
                                &c, &err));
    return page_answer(r, &c, "members", rc, &err);
}

int lo__h_members_add(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "user", "role", NULL };
    const char *user = NULL;
    enum lo_role role = LO_ROLE_NONE;
    int rc = reject_unknown(r, body, known);
    if (!rc)
        rc = body_string(r, body, "user", true, &user);
    if (!rc)
        rc = body_role(r, body, true, &role);
    if (!rc) {
        struct lo_error err;
        lo_error_clear(&err);
        TIMED(r, lo_app_member_add(lo_http_app(r), lo_http_param(r, "name"), user, role, &err));
        if (rc == LO_ENOTFOUND && !err.field[0])
            lo_error_field(&err, rc, "user", "no user named '%s'", user);
        if (rc)
            lo_http_fail(r, rc, &err);
        else
            rc = lo_http_json(&r->resp, 201, json_pack("{s:s, s:s}", "user", user, "role",
                                                       lo_role_name(role)));
    }
    json_decref(body);
    return rc;
}

int lo__h_member_remove(struct lo_http_req *r)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    const char *user = lo_http_param(r, "user");
    TIMED(r, lo_app_member_remove(lo_http_app(r), lo_http_param(r, "name"), user, &err));
    if (rc == LO_ENOTFOUND && !err.field[0])
        lo_error_field(&err, rc, "user", "no user named '%s'", user);
    if (rc)
        return lo_http_fail(r, rc, &err);
    return no_content(r);
}

/* ---- API tokens ---------------------------------------------------------------------------- */

static int token_row(void *ctx, const struct lo_api_token *t)
{
    struct page_ctx *c = ctx;
    long long after = 0;
    if (c->page.after && lo_str_to_i64(lo_str_from(c->page.after), &after) && t->id <= after)
        return 0;
    if (c->n == c->page.limit)
        return PAGE_FULL;
    json_array_append_new(c->rows,
                          json_pack("{s:I, s:s, s:o, s:o, s:o}", "id", (json_int_t)t->id, "name",
                                    t->name, "created", time_json(t->created_ms), "last_used",
                                    time_json(t->last_used_ms), "revoked",
                                    time_json(t->revoked_ms)));
    c->n++;
    snprintf(c->next_buf, sizeof(c->next_buf), "%lld", (long long)t->id);
    c->next = c->next_buf;
    return 0;
}

int lo__h_tokens_list(struct lo_http_req *r)
{
    struct page_ctx c = { .rows = json_array() };
    int rc = lo_http_page_parse(r, &c.page);
    long long after;
    if (!rc && c.page.after && !lo_str_to_i64(lo_str_from(c.page.after), &after))
        rc = invalid(r, "after must be a token id", "after");
    if (rc) {
        json_decref(c.rows);
        return rc;
    }
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_token_list(lo_http_app(r), &r->arena, token_row, &c, &err));
    return page_answer(r, &c, "tokens", rc, &err);
}

int lo__h_tokens_create(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    static const char *const known[] = { "name", NULL };
    const char *name = NULL;
    int rc = reject_unknown(r, body, known);
    if (!rc)
        rc = body_string(r, body, "name", true, &name);
    if (!rc) {
        char token[LO_API_TOKEN_CAP];
        int64_t id = 0;
        struct lo_error err;
        lo_error_clear(&err);
        TIMED(r, lo_app_token_create(lo_http_app(r), name, token, sizeof(token), &id, &err));
        if (rc)
            lo_http_fail(r, rc, &err);
        else
            rc = lo_http_json(&r->resp, 201,
                              json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "name",
                                        name, "token", token, "created",
                                        time_json(lo_clock_now_ms(&r->app->clock))));
        sodium_memzero(token, sizeof(token));
    }
    json_decref(body);
    return rc;
}

int lo__h_token_revoke(struct lo_http_req *r)
{
    const char *s = lo_http_param(r, "id");
    long long id = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    if (!lo_str_to_i64(lo_str_from(s), &id) || id <= 0) {
        /* not an id: no token has it */
        lo_error_field(&err, LO_ENOTFOUND, "token", "no token with id '%s'", s);
        return lo_http_fail(r, LO_ENOTFOUND, &err);
    }
    TIMED(r, lo_app_token_revoke(lo_http_app(r), id, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return no_content(r);
}

/* ---- audit --------------------------------------------------------------------------------- */

/* RFC 3339 in UTC ("2026-11-27T21:00:00Z", optional ".mmm") or milliseconds since the epoch. */
static bool parse_since(const char *s, int64_t *ms)
{
    long long v;
    if (lo_str_to_i64(lo_str_from(s), &v)) {
        *ms = v;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int frac = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *p = s + n;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (strcmp(p, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *ms = (int64_t)t * 1000 + frac;
    return true;
}

struct audit_ctx {
    int limit;
    int64_t after;       /* seq */
    const char *kind;
    const char *actor;
    int64_t since_ms;
    json_t *rows;
    int n;
    int64_t next;
};

static int audit_row(void *ctx, const struct lo_audit_entry *e)
{
    struct audit_ctx *c = ctx;
    if (e->seq <= c->after || (c->kind && strcmp(e->kind, c->kind) != 0) ||
        (c->actor && (!e->actor || strcmp(e->actor, c->actor) != 0)) ||
        e->created_ms < c->since_ms)
        return 0;
    if (c->n == c->limit)
        return PAGE_FULL;
    json_t *payload = e->payload_json ? json_loads(e->payload_json, 0, NULL) : NULL;
    json_t *o = json_pack("{s:I, s:s, s:s?, s:s?, s:I, s:o, s:o, s:s?}", "seq",
                          (json_int_t)e->seq, "kind", e->kind, "actor", e->actor, "object_type",
                          e->object_type, "object_id", (json_int_t)e->object_id, "payload",
                          payload ? payload : json_null(), "created", time_json(e->created_ms),
                          "hash", e->hash_hex);
    json_array_append_new(c->rows, o);
    c->n++;
    c->next = e->seq;
    return 0;
}

int lo__h_audit_list(struct lo_http_req *r)
{
    struct lo_http_page pg;
    int rc = lo_http_page_parse(r, &pg);
    if (rc)
        return rc;
    struct audit_ctx c = { .limit = pg.limit, .kind = lo_http_query(r, "kind"),
                           .actor = lo_http_query(r, "actor") };
    long long after = 0;
    if (pg.after && (!lo_str_to_i64(lo_str_from(pg.after), &after) || after < 0))
        return invalid(r, "after must be an audit sequence number", "after");
    c.after = after;
    if (c.kind && !lo_audit_kind(c.kind))
        return invalid(r, "kind is not an audited event kind", "kind");
    const char *since = lo_http_query(r, "since");
    if (since && !parse_since(since, &c.since_ms))
        return invalid(r, "since must be an RFC 3339 UTC time or milliseconds", "since");
    c.rows = json_array();
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_audit_list(lo_http_app(r), &r->arena, audit_row, &c, &err));
    bool more = rc == PAGE_FULL;
    if (rc && !more) {
        json_decref(c.rows);
        return lo_http_fail(r, rc, &err);
    }
    char next[32];
    snprintf(next, sizeof(next), "%lld", (long long)c.next);
    return lo_http_json(&r->resp, 200,
                        json_pack("{s:o, s:o}", "entries", c.rows, "next",
                                  more ? json_string(next) : json_null()));
}

/* 200 either way for an admin: {"intact": true, "checked": N} or, when an entry was changed,
 * removed or reordered, {"intact": false, "checked": N, "bad_seq": S, "message": ...}. */
int lo__h_audit_verify(struct lo_http_req *r)
{
    int64_t checked = 0, bad = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_audit_verify(lo_http_app(r), &checked, &bad, &err));
    if (rc == LO_EINVAL && bad > 0)
        return lo_http_json(&r->resp, 200,
                            json_pack("{s:b, s:I, s:I, s:s}", "intact", 0, "checked",
                                      (json_int_t)checked, "bad_seq", (json_int_t)bad, "message",
                                      err.msg));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, 200,
                        json_pack("{s:b, s:I}", "intact", 1, "checked", (json_int_t)checked));
}
