/*
 * test_accounts.c - sign-in, sessions, API tokens, scopes through the use cases, and the audit
 * chain, against a real SQLite file. Time is the injectable clock (app.clock), never a sleep.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "app/accounts.h"
#include "app/app.h"
#include "harness.h"

#define T0 1800000000000LL
#define PW "correct horse battery"

static int64_t now_ms;

static const char *fresh_path(void)
{
    static char path[512];
    static int n;
    snprintf(path, sizeof(path), "%s/acct-%d.db", lo_test_tmpdir(), ++n);
    return path;
}

/* Opens a fresh database as the local operator on the test clock. */
static int open_app(struct lo_app *app, const char *path)
{
    struct lo_error err;
    if (lo_app_open(app, path, &err)) {
        lo__test_fail(__FILE__, __LINE__, "open: %s", err.msg);
        return -1;
    }
    now_ms = T0;
    app->clock = lo_clock_fixed(&now_ms);
    return 0;
}

/* The principal of a user, looked up as the local operator (names live in arena). */
static struct lo_principal as_user(struct lo_app *app, const char *name, struct lo_arena *a)
{
    struct lo_principal p = { 0 };
    struct lo_user u;
    struct lo_error err;
    struct lo_principal saved = app->who;
    app->who.kind = LO_PRINCIPAL_LOCAL;
    if (lo_app_user_get(app, name, a, &u, &err) == 0) {
        p.kind = LO_PRINCIPAL_USER;
        p.user_id = u.id;
        p.name = u.name;
        p.role = u.role;
        p.vendor_id = u.vendor_id;
    }
    app->who = saved;
    return p;
}

static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == 0
        && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_passwords_are_stored_only_as_argon2id_hashes(void)
{
    struct lo_app app;
    struct lo_error err;
    const char *path = fresh_path();
    if (open_app(&app, path))
        return;
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err),
              LO_ECONFLICT);
    CHECK_INT(lo_app_user_add(&app, "bob", LO_ROLE_ANNOTATOR, NULL, "short", NULL, &err),
              LO_EINVAL);
    CHECK_INT(lo_app_user_add(&app, "bob", LO_ROLE_NONE, NULL, PW, NULL, &err), LO_EINVAL);
    CHECK_INT(lo_app_user_add(&app, "bob", LO_ROLE_ANNOTATOR, "nope", PW, NULL, &err),
              LO_ENOTFOUND);
    lo_app_close(&app);
    CHECK_INT(sql_int(path, "SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'"),
              1);
    CHECK_INT(sql_int(path, "SELECT count(*) FROM users WHERE instr(password_hash, 'horse')"), 0);
    CHECK_INT(sql_int(path, "SELECT count(*) FROM events WHERE instr(payload_json, 'horse')"), 0);
}

static void test_sign_in_answers_alike_for_unknown_user_and_wrong_password(void)
{
    struct lo_app app;
    struct lo_error e1, e2, e3, err;
    char tok[LO_SESSION_TOKEN_CAP], csrf[LO_CSRF_TOKEN_CAP];
    int64_t exp = 0;
    if (open_app(&app, fresh_path()))
        return;
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_login(&app, "ann", "wrong password", "a", tok, sizeof(tok), csrf,
                           sizeof(csrf), &exp, &e1),
              LO_EUNAUTH);
    CHECK_INT(lo_app_login(&app, "nobody", PW, "b", tok, sizeof(tok), csrf, sizeof(csrf), &exp,
                           &e2),
              LO_EUNAUTH);
    CHECK_INT(lo_app_user_disable(&app, "ann", &err), 0);
    CHECK_INT(lo_app_login(&app, "ann", PW, "c", tok, sizeof(tok), csrf, sizeof(csrf), &exp, &e3),
              LO_EUNAUTH);
    CHECK_STR(e1.msg, e2.msg);
    CHECK_STR(e1.msg, e3.msg);
    lo_app_close(&app);
}

static void test_sign_in_is_throttled_per_account_and_per_address(void)
{
    struct lo_app app;
    struct lo_error err;
    char tok[LO_SESSION_TOKEN_CAP], csrf[LO_CSRF_TOKEN_CAP];
    int64_t exp = 0;
    if (open_app(&app, fresh_path()))
        return;
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "bob", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    /* The account: failures from different addresses add up. */
    for (int i = 0; i < LO_LOGIN_MAX_FAILURES; i++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "10.0.0.%d", i);
        CHECK_INT(lo_app_login(&app, "ann", "guess", addr, tok, sizeof(tok), csrf, sizeof(csrf),
                               &exp, &err),
                  LO_EUNAUTH);
    }
    CHECK_INT(lo_app_login(&app, "ann", PW, "10.0.1.1", tok, sizeof(tok), csrf, sizeof(csrf),
                           &exp, &err),
              LO_ERATE);
    /* The address: failures against several (even unknown) names add up. */
    for (int i = 0; i < LO_LOGIN_MAX_FAILURES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ghost%d", i);
        CHECK_INT(lo_app_login(&app, name, "guess", "10.9.9.9", tok, sizeof(tok), csrf,
                               sizeof(csrf), &exp, &err),
                  LO_EUNAUTH);
    }
    CHECK_INT(lo_app_login(&app, "bob", PW, "10.9.9.9", tok, sizeof(tok), csrf, sizeof(csrf),
                           &exp, &err),
              LO_ERATE);
    CHECK_INT(lo_app_login(&app, "bob", PW, "10.9.9.8", tok, sizeof(tok), csrf, sizeof(csrf),
                           &exp, &err),
              0);
    /* The window ends. */
    now_ms += LO_LOGIN_WINDOW_MS;
    CHECK_INT(lo_app_login(&app, "ann", PW, "10.0.1.1", tok, sizeof(tok), csrf, sizeof(csrf),
                           &exp, &err),
              0);
    lo_app_close(&app);
}

static void test_session_expires_and_logout_ends_it(void)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena a;
    struct lo_principal p;
    char tok[LO_SESSION_TOKEN_CAP], csrf[LO_CSRF_TOKEN_CAP], csrf2[LO_CSRF_TOKEN_CAP];
    int64_t exp = 0;
    const char *path = fresh_path();
    if (open_app(&app, path))
        return;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_app_vendor_add(&app, "acme", NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_REVIEWER, "acme", PW, NULL, &err), 0);
    CHECK_INT(lo_app_login(&app, "ann", PW, "a", tok, sizeof(tok), csrf, sizeof(csrf), &exp,
                           &err),
              0);
    CHECK_INT(exp, T0 + LO_SESSION_TTL_MS);
    CHECK_INT((long long)strlen(tok), 4 + 64);
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, csrf2, sizeof(csrf2), &err), 0);
    CHECK_INT(p.kind, LO_PRINCIPAL_USER);
    CHECK_STR(p.name, "ann");
    CHECK_INT(p.role, LO_ROLE_REVIEWER);
    CHECK(p.vendor_id > 0);
    CHECK_STR(csrf2, csrf);
    CHECK_INT(lo_app_session_principal(&app, "los_00", &a, &p, NULL, 0, &err), LO_EUNAUTH);
    /* Stored as a hash only. */
    char q[256];
    snprintf(q, sizeof(q), "SELECT count(*) FROM sessions WHERE token_hash = '%s'", tok);
    CHECK_INT(sql_int(path, q), 0);
    CHECK_INT(sql_int(path, "SELECT count(*) FROM sessions"), 1);

    now_ms = T0 + LO_SESSION_TTL_MS - 1;
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, NULL, 0, &err), 0);
    now_ms = T0 + LO_SESSION_TTL_MS;
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, NULL, 0, &err), LO_EUNAUTH);

    CHECK_INT(lo_app_login(&app, "ann", PW, "a", tok, sizeof(tok), csrf, sizeof(csrf), &exp,
                           &err),
              0);
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, NULL, 0, &err), 0);
    CHECK_INT(lo_app_logout(&app, tok, &err), 0);
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, NULL, 0, &err), LO_EUNAUTH);
    CHECK_INT(lo_app_logout(&app, tok, &err), LO_EUNAUTH);

    /* Disabling a user ends their sessions. */
    CHECK_INT(lo_app_login(&app, "ann", PW, "a", tok, sizeof(tok), csrf, sizeof(csrf), &exp,
                           &err),
              0);
    CHECK_INT(lo_app_user_disable(&app, "ann", &err), 0);
    CHECK_INT(lo_app_session_principal(&app, tok, &a, &p, NULL, 0, &err), LO_EUNAUTH);
    lo_arena_free(&a);
    lo_app_close(&app);
}

static void test_api_tokens_are_stored_as_hashes_and_revocable(void)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena a;
    struct lo_principal p;
    char tok[LO_API_TOKEN_CAP], tok2[LO_API_TOKEN_CAP];
    int64_t id = 0, id2 = 0;
    const char *path = fresh_path();
    if (open_app(&app, path) || sodium_init() < 0)
        return;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "pm", LO_ROLE_MANAGER, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_token_create(&app, "ci", tok, sizeof(tok), &id, &err), LO_EUSAGE);
    CHECK_INT(lo_app_token_create_for(&app, "ann", "ci", tok, sizeof(tok), &id, &err), 0);
    CHECK(strncmp(tok, "lot_", 4) == 0);

    unsigned char d[crypto_hash_sha256_BYTES];
    char hex[sizeof(d) * 2 + 1], q[256];
    crypto_hash_sha256(d, (const unsigned char *)tok, strlen(tok));
    sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    snprintf(q, sizeof(q), "SELECT count(*) FROM api_tokens WHERE token_hash = '%s'", hex);
    CHECK_INT(sql_int(path, q), 1);
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM api_tokens WHERE instr(token_hash || name, '%s')", tok + 4);
    CHECK_INT(sql_int(path, q), 0);

    CHECK_INT(lo_app_token_principal(&app, tok, &a, &p, &err), 0);
    CHECK_STR(p.name, "ann");
    CHECK_INT(p.role, LO_ROLE_ANNOTATOR); /* exactly the owner's rights */
    CHECK_INT(p.token_id, id);
    CHECK_INT(lo_app_token_principal(&app, "lot_nothing", &a, &p, &err), LO_EUNAUTH);

    /* The owner creates their own; nobody but an admin creates one for someone else. */
    app.who = as_user(&app, "ann", &a);
    CHECK_INT(lo_app_token_create(&app, "mine", tok2, sizeof(tok2), &id2, &err), 0);
    CHECK_INT(lo_app_token_create_for(&app, "pm", "x", tok2, sizeof(tok2), NULL, &err),
              LO_ENOTFOUND);
    app.who = as_user(&app, "pm", &a);
    CHECK_INT(lo_app_token_create_for(&app, "ann", "x", tok2, sizeof(tok2), NULL, &err),
              LO_EFORBIDDEN);
    CHECK_INT(lo_app_token_revoke(&app, id, &err), LO_ENOTFOUND); /* not pm's */
    app.who = as_user(&app, "ann", &a);
    CHECK_INT(lo_app_token_revoke(&app, id, &err), 0);
    CHECK_INT(lo_app_token_revoke(&app, id, &err), LO_ECONFLICT);
    CHECK_INT(lo_app_token_principal(&app, tok, &a, &p, &err), LO_EUNAUTH);
    lo_arena_free(&a);
    lo_app_close(&app);
}

static int count_user(void *ctx, const struct lo_user *u)
{
    (void)u;
    ++*(int *)ctx;
    return 0;
}

static void test_vendor_manager_manages_only_their_vendors_people(void)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena a;
    struct lo_user u;
    if (open_app(&app, fresh_path()))
        return;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_app_vendor_add(&app, "acme", NULL, &err), 0);
    CHECK_INT(lo_app_vendor_add(&app, "globex", NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "vm", LO_ROLE_VENDOR_MANAGER, "acme", PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "gus", LO_ROLE_ANNOTATOR, "globex", PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "pm", LO_ROLE_MANAGER, NULL, PW, NULL, &err), 0);

    app.who = as_user(&app, "vm", &a);
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, "acme", PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "boss", LO_ROLE_MANAGER, "acme", PW, NULL, &err),
              LO_EFORBIDDEN);
    CHECK_INT(lo_app_user_add(&app, "spy", LO_ROLE_ANNOTATOR, "globex", PW, NULL, &err),
              LO_ENOTFOUND);
    CHECK_INT(lo_app_user_add(&app, "inhouse", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err),
              LO_ENOTFOUND);
    int n = 0;
    CHECK_INT(lo_app_user_list(&app, &a, count_user, &n, &err), 0);
    CHECK_INT(n, 2); /* vm and ann */
    CHECK_INT(lo_app_user_get(&app, "gus", &a, &u, &err), LO_ENOTFOUND);
    CHECK_INT(lo_app_user_get(&app, "pm", &a, &u, &err), LO_ENOTFOUND);
    CHECK_INT(lo_app_user_disable(&app, "gus", &err), LO_ENOTFOUND);
    CHECK_INT(lo_app_user_set_role(&app, "ann", LO_ROLE_REVIEWER, &err), 0);
    CHECK_INT(lo_app_user_set_role(&app, "ann", LO_ROLE_ADMIN, &err), LO_EFORBIDDEN);
    CHECK_INT(lo_app_user_disable(&app, "ann", &err), 0);
    CHECK_INT(lo_app_vendor_add(&app, "initech", NULL, &err), LO_EFORBIDDEN);

    /* An annotator sees only themself. */
    app.who = as_user(&app, "gus", &a);
    n = 0;
    CHECK_INT(lo_app_user_list(&app, &a, count_user, &n, &err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(lo_app_user_add(&app, "x", LO_ROLE_ANNOTATOR, "globex", PW, NULL, &err),
              LO_ENOTFOUND);
    lo_arena_free(&a);
    lo_app_close(&app);
}

static int count_project(void *ctx, const struct lo_project *p)
{
    (void)p;
    ++*(int *)ctx;
    return 0;
}

static int64_t audit_count_kind(const char *path, const char *kind)
{
    char q[256];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM events WHERE audit_seq IS NOT NULL AND kind = '%s'", kind);
    return sql_int(path, q);
}

static void test_use_cases_ask_the_policy_for_the_caller(void)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena a;
    struct lo_project p;
    struct lo_project_spec spec;
    const char *path = fresh_path();
    if (open_app(&app, path))
        return;
    lo_arena_init(&a, 0);
    lo_project_spec_init(&spec);
    spec.name = "cats";
    CHECK_INT(lo_app_project_create(&app, &spec, NULL, &err), 0);
    spec.name = "dogs";
    CHECK_INT(lo_app_project_create(&app, &spec, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "pm", LO_ROLE_MANAGER, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_member_add(&app, "cats", "ann", LO_ROLE_ANNOTATOR, &err), 0);

    app.who = as_user(&app, "ann", &a);
    int n = 0;
    CHECK_INT(lo_app_project_list(&app, &a, count_project, &n, &err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(lo_app_project_get(&app, "cats", &a, &p, NULL, &err), 0);
    int64_t cats = p.id;
    struct lo_error e_scope, e_none;
    CHECK_INT(lo_app_project_get(&app, "dogs", &a, &p, NULL, &e_scope), LO_ENOTFOUND);
    CHECK_INT(lo_app_project_get(&app, "emus", &a, &p, NULL, &e_none), LO_ENOTFOUND);
    CHECK(strstr(e_scope.msg, "no project named 'dogs'") != NULL);
    CHECK(strstr(e_none.msg, "no project named 'emus'") != NULL);
    CHECK_INT(lo_app_project_delete(&app, "cats", &err), LO_EFORBIDDEN);
    CHECK_INT(lo_app_guideline_set(&app, "cats", "# rules", NULL, &err), LO_EFORBIDDEN);
    spec.name = "emus";
    CHECK_INT(lo_app_project_create(&app, &spec, NULL, &err), LO_EFORBIDDEN);
    CHECK_INT(lo_app_member_add(&app, "cats", "ann", LO_ROLE_MANAGER, &err), LO_EFORBIDDEN);
    enum lo_role role;
    CHECK_INT(lo_app_project_role(&app, cats, &role, &err), 0);
    CHECK_INT(role, LO_ROLE_ANNOTATOR);

    /* A manager creates a project and runs it; others' projects stay out of sight. */
    app.who = as_user(&app, "pm", &a);
    CHECK_INT(lo_app_project_create(&app, &spec, NULL, &err), 0);
    n = 0;
    CHECK_INT(lo_app_project_list(&app, &a, count_project, &n, &err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(lo_app_guideline_set(&app, "emus", "# rules", NULL, &err), 0);
    CHECK_INT(lo_app_member_add(&app, "emus", "ann", LO_ROLE_REVIEWER, &err), 0);
    CHECK_INT(lo_app_project_delete(&app, "cats", &err), LO_ENOTFOUND);
    CHECK_INT(lo_app_project_delete(&app, "emus", &err), 0);

    app.who.kind = LO_PRINCIPAL_ANONYMOUS;
    CHECK_INT(lo_app_project_get(&app, "cats", &a, &p, NULL, &err), LO_EUNAUTH);
    CHECK_INT(lo_app_project_list(&app, &a, count_project, &n, &err), LO_EUNAUTH);
    lo_app_close(&app);
    lo_arena_free(&a);

    /* Denials, membership changes and deletions are in the audit chain. */
    CHECK(audit_count_kind(path, "access_denied") >= 5);
    CHECK_INT(audit_count_kind(path, "member_set"), 2);
    CHECK_INT(audit_count_kind(path, "project_deleted"), 1);
}

/* A database with a few audited events; returns 0 when the chain verifies. */
static int make_chain(const char *path)
{
    struct lo_app app;
    struct lo_error err;
    char tok[LO_SESSION_TOKEN_CAP], csrf[LO_CSRF_TOKEN_CAP];
    int64_t checked = 0, bad = 0, exp;
    if (open_app(&app, path))
        return -1;
    int rc = lo_app_vendor_add(&app, "acme", NULL, &err);
    if (!rc)
        rc = lo_app_user_add(&app, "ann", LO_ROLE_ANNOTATOR, "acme", PW, NULL, &err);
    if (!rc)
        lo_app_login(&app, "ann", "wrong", "a", tok, sizeof(tok), csrf, sizeof(csrf), &exp, &err);
    if (!rc)
        rc = lo_app_login(&app, "ann", PW, "a", tok, sizeof(tok), csrf, sizeof(csrf), &exp, &err);
    if (!rc)
        rc = lo_app_user_set_role(&app, "ann", LO_ROLE_REVIEWER, &err);
    if (!rc)
        rc = lo_app_audit_verify(&app, &checked, &bad, &err);
    lo_app_close(&app);
    return rc || checked != 5 ? -1 : 0;
}

static int verify_file(const char *path, int64_t *bad, struct lo_error *err)
{
    struct lo_app app;
    int64_t checked;
    if (open_app(&app, path))
        return -100;
    int rc = lo_app_audit_verify(&app, &checked, bad, err);
    lo_app_close(&app);
    return rc;
}

static void test_audit_chain_detects_a_changed_entry(void)
{
    const char *path = fresh_path();
    struct lo_error err;
    int64_t bad = 0;
    CHECK_INT(make_chain(path), 0);
    /* Through labelops (the triggers) audited events cannot be changed ... */
    CHECK(sql_exec(path, "UPDATE events SET payload_json = '{}' WHERE audit_seq = 3") != 0);
    /* ... but whoever holds the file can: verify notices. */
    CHECK_INT(sql_exec(path, "DROP TRIGGER events_audit_no_update;"
                             "UPDATE events SET actor = 'mallory' WHERE audit_seq = 3"),
              0);
    CHECK_INT(verify_file(path, &bad, &err), LO_EINVAL);
    CHECK_INT(bad, 3);
    CHECK(strstr(err.msg, "entry 3") != NULL);
}

static void test_audit_chain_detects_a_removed_entry(void)
{
    const char *path = fresh_path();
    struct lo_error err;
    int64_t bad = 0;
    CHECK_INT(make_chain(path), 0);
    CHECK(sql_exec(path, "DELETE FROM events WHERE audit_seq = 2") != 0);
    CHECK_INT(sql_exec(path, "DROP TRIGGER events_audit_no_delete;"
                             "DELETE FROM events WHERE audit_seq = 2"),
              0);
    CHECK_INT(verify_file(path, &bad, &err), LO_EINVAL);
    CHECK_INT(bad, 2);
}

static void test_audit_chain_detects_reordered_entries(void)
{
    const char *path = fresh_path();
    struct lo_error err;
    int64_t bad = 0;
    CHECK_INT(make_chain(path), 0);
    /* Swap the places (row ids) of entries 2 and 3. */
    long long id2 = sql_int(path, "SELECT id FROM events WHERE audit_seq = 2");
    long long id3 = sql_int(path, "SELECT id FROM events WHERE audit_seq = 3");
    char q[256];
    snprintf(q, sizeof(q),
             "UPDATE events SET id = -1 WHERE id = %lld; UPDATE events SET id = %lld WHERE id = "
             "%lld; UPDATE events SET id = %lld WHERE id = -1",
             id2, id2, id3, id3);
    CHECK_INT(sql_exec(path, q), 0);
    CHECK_INT(verify_file(path, &bad, &err), LO_EINVAL);
    CHECK_INT(bad, 2);
}

static void test_audit_log_is_for_admins(void)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena a;
    int64_t checked, bad;
    if (open_app(&app, fresh_path()))
        return;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_app_user_add(&app, "pm", LO_ROLE_MANAGER, NULL, PW, NULL, &err), 0);
    CHECK_INT(lo_app_user_add(&app, "root", LO_ROLE_ADMIN, NULL, PW, NULL, &err), 0);
    app.who = as_user(&app, "pm", &a);
    CHECK_INT(lo_app_audit_verify(&app, &checked, &bad, &err), LO_EFORBIDDEN);
    app.who = as_user(&app, "root", &a);
    CHECK_INT(lo_app_audit_verify(&app, &checked, &bad, &err), 0);
    CHECK_INT(checked, 3); /* two users created, pm's denial */
    lo_arena_free(&a);
    lo_app_close(&app);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_passwords_are_stored_only_as_argon2id_hashes),
        LO_T(test_sign_in_answers_alike_for_unknown_user_and_wrong_password),
        LO_T(test_sign_in_is_throttled_per_account_and_per_address),
        LO_T(test_session_expires_and_logout_ends_it),
        LO_T(test_api_tokens_are_stored_as_hashes_and_revocable),
        LO_T(test_use_cases_ask_the_policy_for_the_caller),
        LO_T(test_vendor_manager_manages_only_their_vendors_people),
        LO_T(test_audit_chain_detects_a_changed_entry),
        LO_T(test_audit_chain_detects_a_removed_entry),
        LO_T(test_audit_chain_detects_reordered_entries),
        LO_T(test_audit_log_is_for_admins),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
