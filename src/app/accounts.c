/*
 * accounts.c - users, vendors, memberships, sign-in, sessions and API tokens.
 *
 * Secrets never reach the store or the event log: passwords are kept as Argon2id strings
 * (crypto_pwhash_str, constant-time verify), session and API tokens are 32 bytes from
 * randombytes_buf handed to the caller once as hex, and stored as their SHA-256. Every way a
 * sign-in can fail (no such user, wrong password, disabled) does the same Argon2id work and gives
 * the same answer. Nothing here creates an account by itself: the first admin comes from
 * `labelops user add --role admin` on the database file.
 */
#include "app/accounts.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "base/json.h"
#include "base/limits.h"

/* An Argon2id hash of a random password nobody knows, with the parameters of real hashes, so that
 * signing in as an unknown user costs what signing in as a known one does. */
static const char dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$KxCMsRRM84J6AYG+Ivg53w$"
    "TzPS9Uzfjd+0vieeYQTkrIFcDbtWnQ5Wm1B+Ly+yISQ";

#define SECRET_BYTES 32
#define HASH_HEX (crypto_hash_sha256_BYTES * 2 + 1)
#define TOKEN_INPUT_MAX 256 /* longer presented tokens are not ours */
#define TOUCH_EVERY_MS (60LL * 1000) /* an API token's last use is recorded at most this often */
#define WRONG_CREDENTIALS "wrong user name or password"

static int sodium_ready(struct lo_error *err)
{
    if (sodium_init() < 0)
        return lo_error_set(err, LO_ENOMEM, "libsodium failed to initialise");
    return 0;
}

/* prefix + 64 hex digits of fresh randomness into out. */
static int new_secret(const char *prefix, char *out, size_t cap, struct lo_error *err)
{
    unsigned char raw[SECRET_BYTES];
    char hex[SECRET_BYTES * 2 + 1];
    if (cap < strlen(prefix) + sizeof(hex))
        return lo_error_set(err, LO_EUSAGE, "token buffer too small");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(out, cap, "%s%s", prefix, hex);
    sodium_memzero(raw, sizeof(raw));
    return 0;
}

static void secret_hash(const char *secret, char out[HASH_HEX])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(out, HASH_HEX, d, sizeof(d));
}

static int check_account_name(const char *what, const char *name, struct lo_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return lo_error_field(err, LO_EINVAL, "name", "a %s needs a name", what);
    if (n > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, "name", "name longer than %d bytes (LO_LIMIT_NAME)",
                              LO_LIMIT_NAME);
    if (!lo_utf8_valid(name, n, NULL))
        return lo_error_field(err, LO_EINVAL, "name", "name is not valid UTF-8");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f)
            return lo_error_field(err, LO_EINVAL, "name",
                                  "name contains a space or control character");
    /* Names are URL path segments (/api/v1/users/{name}), and the server's library decodes
     * %2F before routing: a '/' would make the account unreachable over the API. */
    if (memchr(name, '/', n))
        return lo_error_field(err, LO_EINVAL, "name", "name must not contain '/'");
    return 0;
}

static int check_password(const char *pw, struct lo_error *err)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < LO_PASSWORD_MIN)
        return lo_error_field(err, LO_EINVAL, "password", "a password needs at least %d bytes",
                              LO_PASSWORD_MIN);
    if (n > LO_PASSWORD_MAX)
        return lo_error_field(err, LO_ELIMIT, "password", "password longer than %d bytes",
                              LO_PASSWORD_MAX);
    return 0;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES], struct lo_error *err)
{
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return lo_error_set(err, LO_ENOMEM, "out of memory hashing the password");
    return 0;
}

/* An event written in someone else's name (sign-in happens before there is a principal). */
static int event_as(struct lo_app *app, const char *actor, const char *kind,
                    const char *object_type, int64_t object_id, json_t *payload_take,
                    struct lo_error *err)
{
    struct lo_principal saved = app->who;
    const char *saved_actor = app->actor;
    app->who.kind = LO_PRINCIPAL_ANONYMOUS;
    app->actor = actor;
    int rc = lo__app_event(app, 0, kind, object_type, object_id, payload_take, err);
    app->who = saved;
    app->actor = saved_actor;
    return rc;
}

/* After a committed change to what a credential stands for: principal caches must forget. */
static void auth_changed(struct lo_app *app)
{
    if (app->auth_generation)
        atomic_fetch_add(app->auth_generation, 1);
}

static bool is_local_or_admin(const struct lo_app *app)
{
    return app->who.kind == LO_PRINCIPAL_LOCAL
           || (app->who.kind == LO_PRINCIPAL_USER && app->who.role == LO_ROLE_ADMIN);
}

static void fill_principal(const struct lo_user_row *u, struct lo_principal *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = LO_PRINCIPAL_USER;
    out->user_id = u->id;
    out->name = u->name;
    out->role = lo_role_parse(u->role);
    out->vendor_id = u->vendor_id;
}

static void user_from_row(const struct lo_user_row *r, struct lo_user *u)
{
    u->id = r->id;
    u->name = r->name;
    u->role = lo_role_parse(r->role);
    u->vendor_id = r->vendor_id;
    u->vendor_name = r->vendor_name;
    u->disabled = r->disabled;
    u->created_ms = r->created_ms;
}

/* ---- sign-in throttle ---------------------------------------------------------------------- */

static void throttle_key(char *out, size_t cap, const char *kind, const char *v)
{
    snprintf(out, cap, "%s:%s", kind, v);
}

static bool throttled(const struct lo_throttle_row *t, int64_t now)
{
    return t->failures >= LO_LOGIN_MAX_FAILURES && now - t->window_start_ms < LO_LOGIN_WINDOW_MS;
}

static int throttle_fail(struct lo_store *st, const char *key, int64_t now, struct lo_error *err)
{
    struct lo_throttle_row t;
    int rc = st->ops->throttle_get(st, key, &t, err);
    if (rc)
        return rc;
    if (now - t.window_start_ms >= LO_LOGIN_WINDOW_MS) {
        t.failures = 0;
        t.window_start_ms = now;
    }
    t.failures++;
    return st->ops->throttle_put(st, key, &t, err);
}

/* Records a failed or refused sign-in; returns code with the one answer for all failures. */
static int login_failed(struct lo_app *app, const char *name, const char *client, int code,
                        const char *why, const char *ukey, const char *akey, int64_t now,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_error e2;
    if (st->ops->begin(st, true, &e2) == 0) {
        int rc = 0;
        if (code == LO_EUNAUTH) {
            rc = throttle_fail(st, ukey, now, &e2);
            if (!rc)
                rc = throttle_fail(st, akey, now, &e2);
        }
        if (!rc)
            rc = event_as(app, name, "login_failed", "user", 0,
                          json_pack("{s:s, s:s, s:s}", "name", name, "client", client,
                                    "reason", why),
                          &e2);
        if (!rc)
            rc = st->ops->commit(st, &e2);
        if (rc)
            st->ops->rollback(st);
    }
    if (code == LO_ERATE)
        return lo_error_set(err, LO_ERATE, "too many failed sign-ins; try again later");
    return lo_error_set(err, LO_EUNAUTH, WRONG_CREDENTIALS);
}

int lo_app_login(struct lo_app *app, const char *name, const char *password, const char *client,
                 char *session_token_out, size_t cap, char *csrf_out, size_t csrf_cap,
                 int64_t *expires_ms, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u;
    char ukey[LO_LIMIT_NAME + 16], akey[320];
    int rc = sodium_ready(err);
    if (rc)
        return rc;
    if (cap < LO_SESSION_TOKEN_CAP || csrf_cap < LO_CSRF_TOKEN_CAP)
        return lo_error_set(err, LO_EUSAGE, "token buffers too small");
    if (!name)
        name = "";
    if (!password)
        password = "";
    if (!client)
        client = "";
    if (strlen(name) > LO_LIMIT_NAME || strlen(password) > LO_PASSWORD_MAX || strlen(client) > 256)
        return lo_error_set(err, LO_EUNAUTH, WRONG_CREDENTIALS);
    int64_t now = lo_clock_now_ms(&app->clock);
    throttle_key(ukey, sizeof(ukey), "user", name);
    throttle_key(akey, sizeof(akey), "addr", client);
    lo_arena_init(&arena, 1024);

    /* Read what we need, then verify outside any transaction: Argon2id takes a while and must
     * not hold the write lock. */
    struct lo_throttle_row tu, ta;
    bool found = false;
    rc = st->ops->begin(st, false, err);
    if (rc)
        goto out;
    rc = st->ops->throttle_get(st, ukey, &tu, err);
    if (!rc)
        rc = st->ops->throttle_get(st, akey, &ta, err);
    if (!rc) {
        rc = st->ops->user_get(st, name, 0, &arena, &u, err);
        found = rc == 0;
        if (rc == LO_ENOTFOUND)
            rc = 0;
    }
    st->ops->rollback(st);
    if (rc)
        goto out;
    if (throttled(&tu, now) || throttled(&ta, now)) {
        rc = login_failed(app, name, client, LO_ERATE, "throttled", ukey, akey, now, err);
        goto out;
    }
    char stored[crypto_pwhash_STRBYTES] = { 0 };
    snprintf(stored, sizeof(stored), "%s", found && u.password_hash ? u.password_hash : dummy_hash);
    bool ok = crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
    if (!found || !ok || u.disabled) {
        rc = login_failed(app, name, client, LO_EUNAUTH,
                          !found ? "unknown user" : !ok ? "wrong password" : "disabled", ukey, akey,
                          now, err);
        goto out;
    }

    char csrf[LO_CSRF_TOKEN_CAP], hash[HASH_HEX];
    rc = new_secret("los_", session_token_out, cap, err);
    if (!rc)
        rc = new_secret("", csrf, sizeof(csrf), err);
    if (rc)
        goto out;
    secret_hash(session_token_out, hash);
    struct lo_session_row s = { .token_hash = hash, .user_id = u.id, .csrf_token = csrf,
                                .created_ms = now, .expires_ms = now + LO_SESSION_TTL_MS };
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = st->ops->session_create(st, &s, err);
    if (!rc)
        rc = st->ops->throttle_clear(st, ukey, err);
    if (!rc)
        rc = event_as(app, u.name, "login", "user", u.id,
                      json_pack("{s:s, s:s}", "name", u.name, "client", client), err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc) {
        st->ops->rollback(st);
        goto out;
    }
    snprintf(csrf_out, csrf_cap, "%s", csrf);
    if (expires_ms)
        *expires_ms = s.expires_ms;
out:
    if (rc && cap)
        sodium_memzero(session_token_out, cap);
    lo_arena_free(&arena);
    return rc;
}

/* Reads the session behind token in the open transaction. */
static int find_session(struct lo_app *app, const char *token, struct lo_arena *a,
                        struct lo_session_row *s, struct lo_error *err)
{
    char hash[HASH_HEX];
    if (!token || !token[0] || strlen(token) > TOKEN_INPUT_MAX)
        return lo_error_set(err, LO_EUNAUTH, "not signed in");
    secret_hash(token, hash);
    int rc = app->store->ops->session_get(app->store, hash, a, s, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, LO_EUNAUTH, "not signed in");
    return rc;
}

int lo_app_session_principal(struct lo_app *app, const char *session_token, struct lo_arena *a,
                             struct lo_principal *out, char *csrf_out, size_t csrf_cap,
                             struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_session_row s;
    struct lo_user_row u;
    int rc = sodium_ready(err);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = find_session(app, session_token, a, &s, err);
    if (!rc && (s.revoked_ms || lo_clock_now_ms(&app->clock) >= s.expires_ms))
        rc = lo_error_set(err, LO_EUNAUTH, "the session has ended: sign in again");
    if (!rc)
        rc = st->ops->user_get(st, NULL, s.user_id, a, &u, err);
    if (!rc && u.disabled)
        rc = lo_error_set(err, LO_EUNAUTH, "the session has ended: sign in again");
    st->ops->rollback(st);
    if (rc)
        return rc == LO_ENOTFOUND ? lo_error_set(err, LO_EUNAUTH, "not signed in") : rc;
    fill_principal(&u, out);
    out->expires_ms = s.expires_ms;
    if (csrf_out && csrf_cap)
        snprintf(csrf_out, csrf_cap, "%s", s.csrf_token);
    return 0;
}

int lo_app_token_principal(struct lo_app *app, const char *api_token, struct lo_arena *a,
                           struct lo_principal *out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_token_row t;
    struct lo_user_row u;
    char hash[HASH_HEX];
    int rc = sodium_ready(err);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    if (!api_token || !api_token[0] || strlen(api_token) > TOKEN_INPUT_MAX)
        return lo_error_set(err, LO_EUNAUTH, "unknown or revoked API token");
    secret_hash(api_token, hash);
    rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = st->ops->token_get(st, hash, 0, a, &t, err);
    if (!rc && t.revoked_ms)
        rc = LO_EUNAUTH;
    if (!rc)
        rc = st->ops->user_get(st, NULL, t.user_id, a, &u, err);
    if (!rc && u.disabled)
        rc = LO_EUNAUTH;
    st->ops->rollback(st);
    if (rc == LO_ENOTFOUND || rc == LO_EUNAUTH)
        return lo_error_set(err, LO_EUNAUTH, "unknown or revoked API token");
    if (rc)
        return rc;
    int64_t now = lo_clock_now_ms(&app->clock);
    if (now - t.last_used_ms >= TOUCH_EVERY_MS) {
        struct lo_error e2;
        if (st->ops->begin(st, true, &e2) == 0) {
            if (st->ops->token_touch(st, t.id, now, &e2) || st->ops->commit(st, &e2))
                st->ops->rollback(st);
        }
    }
    fill_principal(&u, out);
    out->token_id = t.id;
    return 0;
}

int lo_app_logout(struct lo_app *app, const char *session_token, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_session_row s;
    struct lo_user_row u;
    int rc = sodium_ready(err);
    if (rc)
        return rc;
    lo_arena_init(&arena, 512);
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = find_session(app, session_token, &arena, &s, err);
    if (!rc && s.revoked_ms)
        rc = lo_error_set(err, LO_EUNAUTH, "not signed in");
    if (!rc)
        rc = st->ops->session_revoke(st, s.token_hash, 0, lo_clock_now_ms(&app->clock), err);
    if (!rc)
        rc = st->ops->user_get(st, NULL, s.user_id, &arena, &u, err);
    if (!rc)
        rc = event_as(app, u.name, "logout", "user", u.id, NULL, err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else
        auth_changed(app);
out:
    lo_arena_free(&arena);
    return rc;
}

/* ---- API tokens ---------------------------------------------------------------------------- */

static int token_create_for_id(struct lo_app *app, const struct lo_user_row *u, const char *name,
                               char *token_out, size_t cap, int64_t *id_out,
                               struct lo_error *err)
{
    struct lo_store *st = app->store;
    char hash[HASH_HEX];
    if (u->disabled)
        return lo_error_set(err, LO_EINVAL, "user '%s' is disabled", u->name);
    int rc = new_secret("lot_", token_out, cap, err);
    if (rc)
        return rc;
    secret_hash(token_out, hash);
    struct lo_token_row t = { .token_hash = hash, .user_id = u->id, .name = name,
                              .created_ms = lo_clock_now_ms(&app->clock) };
    rc = st->ops->token_create(st, &t, err);
    if (!rc)
        rc = lo__app_event(app, 0, "token_created", "token", t.id,
                           json_pack("{s:s, s:s}", "name", name, "user", u->name), err);
    if (!rc && id_out)
        *id_out = t.id;
    return rc;
}

/* May app->who act on user u with action? In the open transaction; on a denial the same answer
 * as for a user that does not exist. */
static int authorize_user(struct lo_app *app, enum lo_action action, const struct lo_user_row *u,
                          struct lo_error *err)
{
    struct lo_policy_object obj = { .kind = LO_OBJ_USER, .id = u->id, .vendor_id = u->vendor_id };
    char what[LO_LIMIT_NAME + 32];
    snprintf(what, sizeof(what), "user named '%s'", u->name);
    return lo__app_authorize(app, action, &obj, "user", what, err);
}

int lo_app_token_create_for(struct lo_app *app, const char *user, const char *name,
                            char *token_out, size_t cap, int64_t *id_out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u;
    int rc = sodium_ready(err);
    if (!rc)
        rc = check_account_name("token", name, err);
    if (rc)
        return rc;
    lo_arena_init(&arena, 512);
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = st->ops->user_get(st, user, 0, &arena, &u, err);
    /* Tokens for others: admins only (a token carries all its owner's rights). */
    if (!rc && !is_local_or_admin(app) && u.id != app->who.user_id) {
        rc = authorize_user(app, LO_ACT_READ, &u, err);
        if (!rc)
            rc = authorize_user(app, LO_ACT_ADMIN, &u, err);
        if (!rc && app->who.role != LO_ROLE_ADMIN)
            rc = lo_error_set(err, LO_EFORBIDDEN, "only an admin creates tokens for others");
    }
    if (!rc)
        rc = token_create_for_id(app, &u, name, token_out, cap, id_out, err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
out:
    if (rc && cap)
        sodium_memzero(token_out, cap);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_token_create(struct lo_app *app, const char *name, char *token_out, size_t cap,
                        int64_t *id_out, struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    if (app->who.kind != LO_PRINCIPAL_USER || !app->who.name)
        return lo_error_set(err, LO_EUSAGE,
                            "the local operator has no account: name the user a token is for");
    return lo_app_token_create_for(app, app->who.name, name, token_out, cap, id_out, err);
}

int lo_app_token_revoke(struct lo_app *app, int64_t token_id, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_token_row t;
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    lo_arena_init(&arena, 512);
    int rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = st->ops->token_get(st, NULL, token_id, &arena, &t, err);
    if (!rc && !is_local_or_admin(app) && t.user_id != app->who.user_id)
        rc = LO_ENOTFOUND; /* someone else's token: as if it did not exist */
    if (!rc && t.revoked_ms)
        rc = lo_error_set(err, LO_ECONFLICT, "token %lld is revoked already", (long long)token_id);
    if (!rc)
        rc = st->ops->token_revoke(st, token_id, 0, lo_clock_now_ms(&app->clock), err);
    if (!rc)
        rc = lo__app_event(app, 0, "token_revoked", "token", token_id,
                           json_pack("{s:s}", "name", t.name), err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else
        auth_changed(app);
    if (rc == LO_ENOTFOUND)
        lo_error_field(err, rc, "token", "no token with id %lld", (long long)token_id);
out:
    lo_arena_free(&arena);
    return rc;
}

struct token_list_ctx {
    lo_api_token_cb cb;
    void *ctx;
};

static int token_list_cb(void *ctx, const struct lo_token_row *r)
{
    struct token_list_ctx *c = ctx;
    struct lo_api_token t = { .id = r->id, .name = r->name, .created_ms = r->created_ms,
                              .last_used_ms = r->last_used_ms, .revoked_ms = r->revoked_ms };
    return c->cb(c->ctx, &t);
}

int lo_app_token_list(struct lo_app *app, struct lo_arena *a, lo_api_token_cb cb, void *ctx,
                      struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct token_list_ctx c = { cb, ctx };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    if (app->who.kind != LO_PRINCIPAL_USER || app->who.user_id <= 0)
        return lo_error_set(err, LO_EUSAGE, "the local operator has no tokens of its own");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = st->ops->token_list(st, app->who.user_id, a, token_list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}

int lo_app_project_role(struct lo_app *app, int64_t project_id, enum lo_role *out,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project_counts c;
    *out = LO_ROLE_NONE;
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = lo__app_member_role(app, project_id, out, err);
    /* A membership row proves the project exists; otherwise look. */
    if (!rc && (*out == LO_ROLE_NONE || *out == LO_ROLE_ADMIN))
        rc = st->ops->project_counts(st, project_id, &c, err);
    st->ops->rollback(st);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no project with id %lld", (long long)project_id);
    return rc;
}

/* ---- users --------------------------------------------------------------------------------- */

/* A vendor manager hands out worker roles only. */
static int check_grantable(struct lo_app *app, enum lo_role role, struct lo_error *err)
{
    if (role == LO_ROLE_NONE)
        return lo_error_field(err, LO_EINVAL, "role",
                              "role must be admin, manager, reviewer, annotator or "
                              "vendor_manager");
    if (is_local_or_admin(app))
        return 0;
    if (role == LO_ROLE_ANNOTATOR || role == LO_ROLE_REVIEWER)
        return 0;
    return lo_error_field(err, LO_EFORBIDDEN, "role", "your role may not grant the role %s",
                          lo_role_name(role));
}

int lo_app_user_add(struct lo_app *app, const char *name, enum lo_role role, const char *vendor,
                    const char *password, int64_t *id_out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    char hash[crypto_pwhash_STRBYTES];
    int rc = sodium_ready(err);
    if (!rc)
        rc = check_account_name("user", name, err);
    if (!rc)
        rc = check_password(password, err);
    if (!rc)
        rc = check_grantable(app, role, err);
    if (rc)
        return rc;
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    rc = hash_password(password, hash, err);
    if (rc)
        return rc;
    lo_arena_init(&arena, 512);
    struct lo_user_row u = { .name = name, .role = lo_role_name(role), .password_hash = hash,
                             .created_ms = lo_clock_now_ms(&app->clock) };
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    if (vendor && vendor[0]) {
        struct lo_vendor_row v;
        rc = st->ops->vendor_get(st, vendor, &arena, &v, err);
        if (rc == LO_ENOTFOUND)
            lo_error_field(err, rc, "vendor", "no vendor named '%s'", vendor);
        u.vendor_id = v.id;
    }
    if (!rc) {
        struct lo_policy_object obj = { .kind = LO_OBJ_USER, .vendor_id = u.vendor_id };
        rc = lo__app_authorize(app, LO_ACT_CREATE, &obj, "user", "users here", err);
    }
    if (!rc) {
        rc = st->ops->user_create(st, &u, err);
        if (rc == LO_ECONFLICT)
            lo_error_field(err, rc, "name", "a user named '%s' exists already", name);
    }
    if (!rc)
        rc = lo__app_event(app, 0, "user_created", "user", u.id,
                           json_pack("{s:s, s:s, s:s?}", "name", name, "role", u.role, "vendor",
                                     vendor && vendor[0] ? vendor : NULL),
                           err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else if (id_out)
        *id_out = u.id;
out:
    sodium_memzero(hash, sizeof(hash));
    lo_arena_free(&arena);
    return rc;
}

struct user_list_ctx {
    struct lo_app *app;
    lo_user_cb cb;
    void *ctx;
};

static int user_list_cb(void *ctx, const struct lo_user_row *r)
{
    struct user_list_ctx *c = ctx;
    struct lo_policy_object obj = { .kind = LO_OBJ_USER, .id = r->id, .vendor_id = r->vendor_id };
    if (lo_policy_check(&c->app->who, LO_ACT_READ, &obj) != 0)
        return 0;
    struct lo_user u;
    user_from_row(r, &u);
    return c->cb(c->ctx, &u);
}

int lo_app_user_list(struct lo_app *app, struct lo_arena *a, lo_user_cb cb, void *ctx,
                     struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct user_list_ctx c = { app, cb, ctx };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    int64_t vendor = app->who.role == LO_ROLE_VENDOR_MANAGER && app->who.kind == LO_PRINCIPAL_USER
                         ? app->who.vendor_id
                         : 0;
    rc = st->ops->user_list(st, vendor, a, user_list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}

/* Finds a user by name in the open transaction and checks action on it. */
static int find_user_for(struct lo_app *app, const char *name, enum lo_action action,
                         struct lo_arena *a, struct lo_user_row *u, struct lo_error *err)
{
    int rc = app->store->ops->user_get(app->store, name, 0, a, u, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_field(err, rc, "user", "no user named '%s'", name);
    if (!rc && action != LO_ACT_READ)
        rc = authorize_user(app, LO_ACT_READ, u, err);
    if (!rc)
        rc = authorize_user(app, action, u, err);
    return rc;
}

int lo_app_user_get(struct lo_app *app, const char *name, struct lo_arena *a, struct lo_user *out,
                    struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_user_row r;
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = find_user_for(app, name, LO_ACT_READ, a, &r, err);
    st->ops->rollback(st);
    if (!rc)
        user_from_row(&r, out);
    return rc;
}

/* The shared body of disable, set_role and set_password. */
static int user_change(struct lo_app *app, const char *name, enum lo_action action,
                       const char *role, bool disable, const char *pw_hash, const char *kind,
                       json_t *payload_take, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u;
    lo_arena_init(&arena, 512);
    int rc = st->ops->begin(st, true, err);
    if (rc) {
        json_decref(payload_take);
        goto out;
    }
    rc = find_user_for(app, name, action, &arena, &u, err);
    if (!rc) {
        int64_t now = lo_clock_now_ms(&app->clock);
        rc = st->ops->user_update(st, u.id, role ? role : u.role, disable || u.disabled, pw_hash,
                                  err);
        if (!rc && disable) {
            rc = st->ops->session_revoke(st, NULL, u.id, now, err);
            if (!rc)
                rc = st->ops->token_revoke(st, 0, u.id, now, err);
        }
    }
    if (!rc) {
        if (role)
            json_object_set_new(payload_take, "from", json_string(u.role));
        rc = lo__app_event(app, 0, kind, "user", u.id, payload_take, err);
    } else {
        json_decref(payload_take);
    }
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else
        auth_changed(app);
out:
    lo_arena_free(&arena);
    return rc;
}

int lo_app_user_disable(struct lo_app *app, const char *name, struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    return user_change(app, name, LO_ACT_DELETE, NULL, true, NULL, "user_disabled",
                       json_pack("{s:s}", "name", name), err);
}

int lo_app_user_set_role(struct lo_app *app, const char *name, enum lo_role role,
                         struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = check_grantable(app, role, err);
    if (rc)
        return rc;
    return user_change(app, name, LO_ACT_ADMIN, lo_role_name(role), false, NULL, "user_role_set",
                       json_pack("{s:s, s:s}", "name", name, "to", lo_role_name(role)), err);
}

int lo_app_user_set_password(struct lo_app *app, const char *name, const char *password,
                             struct lo_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = sodium_ready(err);
    if (!rc)
        rc = check_password(password, err);
    if (!rc)
        rc = hash_password(password, hash, err);
    if (rc)
        return rc;
    rc = user_change(app, name, LO_ACT_UPDATE, NULL, false, hash, "password_set",
                     json_pack("{s:s}", "name", name), err);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

int lo_app_user_update(struct lo_app *app, const char *name, const struct lo_user_change *ch,
                       struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u = { 0 };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = ch->role != LO_ROLE_NONE ? check_grantable(app, ch->role, err) : 0;
    if (rc)
        return rc;
    lo_arena_init(&arena, 512);
    rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    /* Every check first, then every change: a refused part leaves the user as they were. */
    rc = find_user_for(app, name, LO_ACT_READ, &arena, &u, err);
    if (!rc && ch->role != LO_ROLE_NONE)
        rc = authorize_user(app, LO_ACT_ADMIN, &u, err);
    bool disable = ch->disabled == 1 && !u.disabled;
    bool enable = ch->disabled == 0 && u.disabled;
    if (!rc && disable)
        rc = authorize_user(app, LO_ACT_DELETE, &u, err);
    if (!rc && enable && !is_local_or_admin(app))
        rc = lo_error_field(err, LO_EFORBIDDEN, "disabled",
                            "only an admin enables a disabled account");
    int64_t now = lo_clock_now_ms(&app->clock);
    const char *role = ch->role != LO_ROLE_NONE ? lo_role_name(ch->role) : u.role;
    bool disabled = disable || (u.disabled && !enable);
    if (!rc)
        rc = st->ops->user_update(st, u.id, role, disabled, NULL, err);
    if (!rc && ch->role != LO_ROLE_NONE)
        rc = lo__app_event(app, 0, "user_role_set", "user", u.id,
                           json_pack("{s:s, s:s, s:s}", "name", u.name, "to", role, "from",
                                     u.role),
                           err);
    if (!rc && disable) {
        rc = st->ops->session_revoke(st, NULL, u.id, now, err);
        if (!rc)
            rc = st->ops->token_revoke(st, 0, u.id, now, err);
        if (!rc)
            rc = lo__app_event(app, 0, "user_disabled", "user", u.id,
                               json_pack("{s:s}", "name", u.name), err);
    }
    if (!rc && enable)
        rc = lo__app_event(app, 0, "user_enabled", "user", u.id,
                           json_pack("{s:s}", "name", u.name), err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else
        auth_changed(app);
out:
    lo_arena_free(&arena);
    return rc;
}

int lo_app_user_enable(struct lo_app *app, const char *name, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u = { 0 };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    /* Read first, so that "not disabled" is a clear conflict rather than a silent success. */
    lo_arena_init(&arena, 512);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = find_user_for(app, name, LO_ACT_READ, &arena, &u, err);
        st->ops->rollback(st);
    }
    if (!rc && !u.disabled)
        rc = lo_error_field(err, LO_ECONFLICT, "disabled", "user '%s' is not disabled", name);
    lo_arena_free(&arena);
    if (rc)
        return rc;
    struct lo_user_change ch = { .role = LO_ROLE_NONE, .disabled = 0 };
    return lo_app_user_update(app, name, &ch, err);
}

/* ---- vendors -------------------------------------------------------------------------------- */

int lo_app_vendor_add(struct lo_app *app, const char *name, int64_t *id_out,
                      struct lo_error *err)
{
    struct lo_store *st = app->store;
    int rc = check_account_name("vendor", name, err);
    if (rc)
        return rc;
    struct lo_vendor_row v = { .name = name, .created_ms = lo_clock_now_ms(&app->clock) };
    rc = st->ops->begin(st, true, err);
    if (rc)
        return rc;
    struct lo_policy_object obj = { .kind = LO_OBJ_SYSTEM };
    rc = lo__app_authorize(app, LO_ACT_ADMIN, &obj, "vendor", "vendors", err);
    if (!rc) {
        rc = st->ops->vendor_create(st, &v, err);
        if (rc == LO_ECONFLICT)
            lo_error_field(err, rc, "name", "a vendor named '%s' exists already", name);
    }
    if (!rc)
        rc = lo__app_event(app, 0, "vendor_created", "vendor", v.id,
                           json_pack("{s:s}", "name", name), err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else if (id_out)
        *id_out = v.id;
    return rc;
}

struct vendor_list_ctx {
    struct lo_app *app;
    lo_vendor_cb cb;
    void *ctx;
};

static int vendor_list_cb(void *ctx, const struct lo_vendor_row *r)
{
    struct vendor_list_ctx *c = ctx;
    struct lo_policy_object obj = { .kind = LO_OBJ_VENDOR, .id = r->id, .vendor_id = r->id };
    if (lo_policy_check(&c->app->who, LO_ACT_READ, &obj) != 0)
        return 0;
    struct lo_vendor v = { .id = r->id, .name = r->name, .created_ms = r->created_ms };
    return c->cb(c->ctx, &v);
}

int lo_app_vendor_list(struct lo_app *app, struct lo_arena *a, lo_vendor_cb cb, void *ctx,
                       struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct vendor_list_ctx c = { app, cb, ctx };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = st->ops->vendor_list(st, a, vendor_list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}

/* ---- memberships ---------------------------------------------------------------------------- */

static int member_change(struct lo_app *app, const char *project, const char *user,
                         enum lo_role role, bool add, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    struct lo_user_row u;
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    if (add && role != LO_ROLE_MANAGER && role != LO_ROLE_REVIEWER && role != LO_ROLE_ANNOTATOR
        && role != LO_ROLE_VENDOR_MANAGER)
        return lo_error_field(err, LO_EINVAL, "role",
                              "a project role is manager, reviewer, annotator or vendor_manager");
    lo_arena_init(&arena, 1024);
    int rc = st->ops->begin(st, true, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
    if (!rc)
        rc = lo__app_authorize_project(app, LO_ACT_ADMIN, &p, err);
    if (!rc)
        rc = find_user_for(app, user, LO_ACT_READ, &arena, &u, err);
    if (!rc && add) {
        struct lo_member_row m = { .project_id = p.id, .user_id = u.id,
                                   .role = lo_role_name(role),
                                   .created_ms = lo_clock_now_ms(&app->clock) };
        rc = st->ops->member_set(st, &m, err);
    } else if (!rc) {
        rc = st->ops->member_remove(st, p.id, u.id, err);
        if (rc == LO_ENOTFOUND)
            lo_error_field(err, rc, "user", "'%s' is not a member of '%s'", user, project);
    }
    if (!rc)
        rc = lo__app_event(app, p.id, add ? "member_set" : "member_removed", "user", u.id,
                           add ? json_pack("{s:s, s:s, s:s}", "project", project, "user", user,
                                           "role", lo_role_name(role))
                               : json_pack("{s:s, s:s}", "project", project, "user", user),
                           err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    else
        auth_changed(app);
out:
    lo_arena_free(&arena);
    return rc;
}

int lo_app_member_add(struct lo_app *app, const char *project, const char *user,
                      enum lo_role role, struct lo_error *err)
{
    return member_change(app, project, user, role, true, err);
}

int lo_app_member_remove(struct lo_app *app, const char *project, const char *user,
                         struct lo_error *err)
{
    return member_change(app, project, user, LO_ROLE_NONE, false, err);
}

struct member_list_ctx {
    lo_membership_cb cb;
    void *ctx;
};

static int member_list_cb(void *ctx, const struct lo_member_row *r)
{
    struct member_list_ctx *c = ctx;
    struct lo_membership m = { .project_id = r->project_id, .user_id = r->user_id,
                               .user_name = r->user_name, .role = lo_role_parse(r->role),
                               .created_ms = r->created_ms };
    return c->cb(c->ctx, &m);
}

int lo_app_member_list(struct lo_app *app, const char *project, struct lo_arena *a,
                       lo_membership_cb cb, void *ctx, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project p;
    struct member_list_ctx c = { cb, ctx };
    if (app->who.kind == LO_PRINCIPAL_ANONYMOUS)
        return lo_error_set(err, LO_EUNAUTH, "sign in first");
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, a, &p, err);
    if (!rc)
        rc = st->ops->member_list(st, p.id, a, member_list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}
