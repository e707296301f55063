/*
 * auth.h - who is acting, and the one policy function that decides what they may do.
 *
 * Every use case in app/ asks lo_policy_check before it acts, with app->who as the caller. The
 * command line acts as the local operator (LO_PRINCIPAL_LOCAL: whoever can open the database
 * file may do anything, as with sqlite3 itself); the server sets app->who for each request from
 * the session cookie or API token. An object out of the caller's scope answers LO_ENOTFOUND
 * (never LO_EFORBIDDEN, which would confirm it exists); a visible object the caller's role may
 * not change answers LO_EFORBIDDEN.
 *
 * Status: interface agreed for issue 4 (server and access control); implemented in
 * app/accounts.c and app/policy.c.
 */
#ifndef LO_APP_AUTH_H
#define LO_APP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

/* Roles, from most to least powerful. A user has a global role; project membership grants a
 * role in one project (never more than the user's global role allows). */
enum lo_role {
    LO_ROLE_NONE = 0,
    LO_ROLE_ADMIN,
    LO_ROLE_MANAGER,         /* program manager */
    LO_ROLE_REVIEWER,        /* reviews and adjudicates */
    LO_ROLE_ANNOTATOR,
    LO_ROLE_VENDOR_MANAGER,  /* sees and manages only their vendor's people, queues, figures */
};

const char *lo_role_name(enum lo_role r);
/* LO_ROLE_NONE for an unknown name. */
enum lo_role lo_role_parse(const char *name);

enum lo_principal_kind {
    LO_PRINCIPAL_ANONYMOUS = 0,
    LO_PRINCIPAL_LOCAL,      /* the command line on the database file */
    LO_PRINCIPAL_USER,       /* a signed-in user (session or API token) */
};

struct lo_principal {
    enum lo_principal_kind kind;
    int64_t user_id;         /* 0 unless kind is USER */
    const char *name;        /* for events and logs */
    enum lo_role role;       /* global role */
    int64_t vendor_id;       /* 0: the in-house team */
    int64_t token_id;        /* the API token used, 0 for a session or the CLI */
    int64_t expires_ms;      /* a session's end (lo_app_session_principal), 0 otherwise */
};

/* What a caller wants to do. */
enum lo_action {
    LO_ACT_READ,             /* see the object */
    LO_ACT_CREATE,
    LO_ACT_UPDATE,
    LO_ACT_DELETE,
    LO_ACT_IMPORT,
    LO_ACT_EXPORT,
    LO_ACT_ANNOTATE,
    LO_ACT_REVIEW,
    LO_ACT_ADMIN,            /* accounts, vendors, tokens of others, audit log */
};

enum lo_object_kind {
    LO_OBJ_SYSTEM,           /* no object: creating projects, listing users ... */
    LO_OBJ_PROJECT,
    LO_OBJ_USER,
    LO_OBJ_VENDOR,
    LO_OBJ_AUDIT,
};

struct lo_policy_object {
    enum lo_object_kind kind;
    int64_t id;              /* project, user or vendor id */
    int64_t vendor_id;       /* the object's vendor (users), 0 for in-house */
    enum lo_role member_role;/* the caller's role in the project, LO_ROLE_NONE if no member */
};

/* The one decision: 0 when who may do action on obj; LO_EUNAUTH for an anonymous caller;
 * LO_ENOTFOUND when obj is outside who's scope; LO_EFORBIDDEN when who sees obj but may not do
 * action. Pure: no store access (the caller fills member_role and vendor ids). */
int lo_policy_check(const struct lo_principal *who, enum lo_action action,
                    const struct lo_policy_object *obj);

#endif
