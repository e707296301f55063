/*
 * accounts.h - users, vendors, project memberships, sign-in, sessions, API tokens, the audit
 * chain: the use cases of access control (issue 4).
 *
 * Like every app/ use case, each function opens its own transaction, asks lo_policy_check with
 * app->who, does the work, appends the event and commits. Secrets never reach the store: a
 * password is kept as an Argon2id hash (libsodium crypto_pwhash_str), a session or API token as
 * the SHA-256 of 32 random bytes; the token itself is handed to the caller once. Nothing here
 * prints or exits, and nothing creates a default account.
 *
 * Error codes: LO_EUNAUTH (unknown user, wrong password, disabled account, expired or revoked
 * session or token -- one answer for all, so that it does not tell which), LO_ERATE (too many
 * failed sign-ins for the account or the client address), LO_EFORBIDDEN / LO_ENOTFOUND from the
 * policy, LO_EINVAL / LO_ECONFLICT for bad or duplicate names, LO_ESTORE.
 */
#ifndef LO_APP_ACCOUNTS_H
#define LO_APP_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/auth.h"
#include "base/arena.h"
#include "base/err.h"

/* Sizes of the secrets handed out: 32 random bytes as 64 hex digits plus a prefix. */
#define LO_SESSION_TOKEN_CAP 80   /* "los_" + 64 hex + NUL */
#define LO_API_TOKEN_CAP 80       /* "lot_" + 64 hex + NUL */
#define LO_CSRF_TOKEN_CAP 80      /* 64 hex + NUL */
#define LO_PASSWORD_MIN 8
#define LO_PASSWORD_MAX 1024

/* Lifetimes and throttle (milliseconds / counts). */
#define LO_SESSION_TTL_MS (12LL * 3600 * 1000)
#define LO_LOGIN_MAX_FAILURES 5             /* per account and per client address ... */
#define LO_LOGIN_WINDOW_MS (15LL * 60 * 1000)/* ... within this window; then LO_ERATE until it ends */

/* ---- sign-in, sessions, tokens (what http/ calls) ----------------------------------------- */

/* Checks name and password (client: the remote address, for the throttle; NULL counts as "").
 * On success writes a new session token (hex, NUL-terminated) to session_token_out, its CSRF
 * token to csrf_out and its expiry to *expires_ms. An unknown name, a wrong password and a
 * disabled account all answer LO_EUNAUTH with the same message after the same Argon2id work.
 * LO_ERATE when the account or the client address has too many recent failures (the attempt is
 * not even checked). Every success and failure is an audited event. Does not look at app->who. */
int lo_app_login(struct lo_app *app, const char *name, const char *password, const char *client,
                 char *session_token_out, size_t cap, char *csrf_out, size_t csrf_cap,
                 int64_t *expires_ms, struct lo_error *err);

/* The principal a session token stands for (name copied into a), and the session's CSRF token
 * (csrf_out may be NULL). LO_EUNAUTH for an unknown, expired or revoked session or a disabled
 * user. Does not change app->who; the caller assigns *out to it. */
int lo_app_session_principal(struct lo_app *app, const char *session_token, struct lo_arena *a,
                             struct lo_principal *out, char *csrf_out, size_t csrf_cap,
                             struct lo_error *err);

/* The principal an API token stands for (token_id set); records its last use. LO_EUNAUTH for an
 * unknown or revoked token or a disabled owner. The token carries exactly its owner's rights. */
int lo_app_token_principal(struct lo_app *app, const char *api_token, struct lo_arena *a,
                           struct lo_principal *out, struct lo_error *err);

/* Ends the session (revoked at once; later lookups answer LO_EUNAUTH). Unknown tokens answer
 * LO_EUNAUTH. */
int lo_app_logout(struct lo_app *app, const char *session_token, struct lo_error *err);

/* Creates an API token named name for app->who (a signed-in user); writes the token once to
 * token_out and its id to *id_out. */
int lo_app_token_create(struct lo_app *app, const char *name, char *token_out, size_t cap,
                        int64_t *id_out, struct lo_error *err);

/* Revokes a token: its owner may revoke their own, an admin any. Others: LO_ENOTFOUND. */
int lo_app_token_revoke(struct lo_app *app, int64_t token_id, struct lo_error *err);

/* An API token as its owner sees it: never the secret nor its hash. */
struct lo_api_token {
    int64_t id;
    const char *name;
    int64_t created_ms;
    int64_t last_used_ms;     /* 0: never */
    int64_t revoked_ms;       /* 0 while valid */
};
typedef int (*lo_api_token_cb)(void *ctx, const struct lo_api_token *t);

/* app->who's own tokens (a signed-in user), revoked ones included, in id order. A non-zero
 * return of cb stops the listing and is returned. */
int lo_app_token_list(struct lo_app *app, struct lo_arena *a, lo_api_token_cb cb, void *ctx,
                      struct lo_error *err);

/* app->who's role in the project: the membership role, LO_ROLE_ADMIN for admins and the local
 * operator, LO_ROLE_NONE when not a member. LO_ENOTFOUND for an unknown project. */
int lo_app_project_role(struct lo_app *app, int64_t project_id, enum lo_role *out,
                        struct lo_error *err);

/* ---- administration (admin; vendor_manager for their own vendor's users) ------------------ */

struct lo_user {
    int64_t id;
    const char *name;
    enum lo_role role;
    int64_t vendor_id;        /* 0: in-house */
    const char *vendor_name;  /* NULL when in-house */
    bool disabled;
    int64_t created_ms;
};

struct lo_vendor {
    int64_t id;
    const char *name;
    int64_t created_ms;
};

struct lo_membership {
    int64_t project_id;
    int64_t user_id;
    const char *user_name;
    enum lo_role role;
    int64_t created_ms;
};

typedef int (*lo_user_cb)(void *ctx, const struct lo_user *u);
typedef int (*lo_vendor_cb)(void *ctx, const struct lo_vendor *v);
typedef int (*lo_membership_cb)(void *ctx, const struct lo_membership *m);

/* Creates a user; vendor NULL or "" for in-house. The password is hashed here and never stored
 * or logged. A vendor_manager may create annotators and reviewers of their own vendor only. */
int lo_app_user_add(struct lo_app *app, const char *name, enum lo_role role, const char *vendor,
                    const char *password, int64_t *id_out, struct lo_error *err);
/* Users who may see: all for admins, their vendor's for a vendor_manager. */
int lo_app_user_list(struct lo_app *app, struct lo_arena *a, lo_user_cb cb, void *ctx,
                     struct lo_error *err);
int lo_app_user_get(struct lo_app *app, const char *name, struct lo_arena *a, struct lo_user *out,
                    struct lo_error *err);
/* Disabling also revokes the user's sessions and tokens. */
int lo_app_user_disable(struct lo_app *app, const char *name, struct lo_error *err);
int lo_app_user_set_role(struct lo_app *app, const char *name, enum lo_role role,
                         struct lo_error *err);
int lo_app_user_set_password(struct lo_app *app, const char *name, const char *password,
                             struct lo_error *err);
/* Enables a disabled account again: admins (and the local operator) only; anyone else who sees
 * the user gets LO_EFORBIDDEN. The sessions and tokens revoked when it was disabled stay
 * revoked: the user signs in again. Audited as user_enabled. LO_ECONFLICT (field "disabled")
 * when the account is not disabled. */
int lo_app_user_enable(struct lo_app *app, const char *name, struct lo_error *err);

/* Several changes to one user in one transaction: all are made or none. */
struct lo_user_change {
    enum lo_role role;            /* LO_ROLE_NONE: keep */
    int disabled;                 /* -1 keep, 1 disable (revokes sessions and tokens), 0 enable */
};
/* Each change checks what its own use case checks (role: LO_ACT_ADMIN on the user and a role
 * the caller may grant; disable: LO_ACT_DELETE; enable: admins only) and appends its own audited
 * event; disabling a disabled user or enabling an enabled one changes nothing. */
int lo_app_user_update(struct lo_app *app, const char *name, const struct lo_user_change *ch,
                       struct lo_error *err);

int lo_app_vendor_add(struct lo_app *app, const char *name, int64_t *id_out,
                      struct lo_error *err);
int lo_app_vendor_list(struct lo_app *app, struct lo_arena *a, lo_vendor_cb cb, void *ctx,
                       struct lo_error *err);

/* Adds or changes a membership (role: manager, reviewer or annotator). */
int lo_app_member_add(struct lo_app *app, const char *project, const char *user,
                      enum lo_role role, struct lo_error *err);
int lo_app_member_remove(struct lo_app *app, const char *project, const char *user,
                         struct lo_error *err);
int lo_app_member_list(struct lo_app *app, const char *project, struct lo_arena *a,
                       lo_membership_cb cb, void *ctx, struct lo_error *err);

/* Creates a token for the named user (admin, or the user themself); for the CLI. */
int lo_app_token_create_for(struct lo_app *app, const char *user, const char *name,
                            char *token_out, size_t cap, int64_t *id_out, struct lo_error *err);

/* ---- audit -------------------------------------------------------------------------------- */

/* Event kinds that are hash-chained (lo__app_event chains exactly these). */
bool lo_audit_kind(const char *kind);

struct lo_audit_entry {
    int64_t seq;              /* 1, 2, 3 ... */
    int64_t event_id;
    const char *kind;
    const char *actor;
    const char *object_type;
    int64_t object_id;
    const char *payload_json;
    int64_t created_ms;
    const char *hash_hex;     /* sha256 over the previous hash and this entry's content */
};
typedef int (*lo_audit_cb)(void *ctx, const struct lo_audit_entry *e);

/* Audited entries in chain order (admin only). */
int lo_app_audit_list(struct lo_app *app, struct lo_arena *a, lo_audit_cb cb, void *ctx,
                      struct lo_error *err);

/* Recomputes the chain. 0 when intact (*checked_out: entries); LO_EINVAL naming the first bad
 * entry (*bad_seq_out its sequence number) when an entry was changed, removed or reordered. */
int lo_app_audit_verify(struct lo_app *app, int64_t *checked_out, int64_t *bad_seq_out,
                        struct lo_error *err);

#endif
