/*
 * policy.c - the one decision about who may do what (app/auth.h), and the app/ helpers that ask
 * it inside a use case.
 *
 * lo_policy_check is pure: it sees a principal, an action and an object description that the
 * caller filled (membership role, vendor ids) and never touches the store, so the whole role x
 * action x object matrix is unit-tested without a database (tests/unit/test_policy.c). The
 * table it implements is docs/access.md.
 */
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "app/auth.h"

static const char *const role_names[] = {
    [LO_ROLE_NONE] = "none",
    [LO_ROLE_ADMIN] = "admin",
    [LO_ROLE_MANAGER] = "manager",
    [LO_ROLE_REVIEWER] = "reviewer",
    [LO_ROLE_ANNOTATOR] = "annotator",
    [LO_ROLE_VENDOR_MANAGER] = "vendor_manager",
};

const char *lo_role_name(enum lo_role r)
{
    if ((int)r < 0 || (size_t)r >= sizeof(role_names) / sizeof(role_names[0]))
        return "none";
    return role_names[r];
}

enum lo_role lo_role_parse(const char *name)
{
    if (!name)
        return LO_ROLE_NONE;
    for (size_t i = 1; i < sizeof(role_names) / sizeof(role_names[0]); i++)
        if (strcmp(name, role_names[i]) == 0)
            return (enum lo_role)i;
    return LO_ROLE_NONE;
}

/* Power in a project: a membership never grants more than the global role allows. */
static int project_rank(enum lo_role r)
{
    switch (r) {
    case LO_ROLE_ADMIN: return 4;
    case LO_ROLE_MANAGER: return 3;
    case LO_ROLE_REVIEWER: return 2;
    case LO_ROLE_ANNOTATOR: return 1;
    case LO_ROLE_VENDOR_MANAGER: return 1; /* read only, see below */
    case LO_ROLE_NONE: break;
    }
    return 0;
}

static int check_project(const struct lo_principal *who, enum lo_action action,
                         const struct lo_policy_object *obj)
{
    if (obj->member_role == LO_ROLE_NONE)
        return LO_ENOTFOUND;
    enum lo_role eff = obj->member_role;
    if (project_rank(who->role) < project_rank(eff))
        eff = who->role;
    if (who->role == LO_ROLE_VENDOR_MANAGER || eff == LO_ROLE_VENDOR_MANAGER)
        return action == LO_ACT_READ ? 0 : LO_EFORBIDDEN;
    switch (eff) {
    case LO_ROLE_ADMIN:
    case LO_ROLE_MANAGER:
        return 0;
    case LO_ROLE_REVIEWER:
        return action == LO_ACT_READ || action == LO_ACT_ANNOTATE || action == LO_ACT_REVIEW
                   ? 0
                   : LO_EFORBIDDEN;
    case LO_ROLE_ANNOTATOR:
        return action == LO_ACT_READ || action == LO_ACT_ANNOTATE ? 0 : LO_EFORBIDDEN;
    default:
        return LO_ENOTFOUND;
    }
}

static int check_user(const struct lo_principal *who, enum lo_action action,
                      const struct lo_policy_object *obj)
{
    if (who->role == LO_ROLE_VENDOR_MANAGER) {
        if (who->vendor_id == 0 || obj->vendor_id != who->vendor_id)
            return LO_ENOTFOUND;
        return 0; /* their vendor's people: see, create, change, disable */
    }
    if (obj->id != 0 && obj->id == who->user_id)
        return action == LO_ACT_READ || action == LO_ACT_UPDATE ? 0 : LO_EFORBIDDEN;
    if (who->role == LO_ROLE_MANAGER) /* to staff projects */
        return action == LO_ACT_READ ? 0 : LO_EFORBIDDEN;
    return LO_ENOTFOUND;
}

static int check_vendor(const struct lo_principal *who, enum lo_action action,
                        const struct lo_policy_object *obj)
{
    if (who->role == LO_ROLE_MANAGER)
        return action == LO_ACT_READ ? 0 : LO_EFORBIDDEN;
    if (who->vendor_id == 0 || obj->id != who->vendor_id)
        return LO_ENOTFOUND;
    return action == LO_ACT_READ ? 0 : LO_EFORBIDDEN;
}

int lo_policy_check(const struct lo_principal *who, enum lo_action action,
                    const struct lo_policy_object *obj)
{
    if (!who || who->kind == LO_PRINCIPAL_ANONYMOUS)
        return LO_EUNAUTH;
    if (who->kind == LO_PRINCIPAL_LOCAL || who->role == LO_ROLE_ADMIN)
        return 0;
    if (who->kind != LO_PRINCIPAL_USER || who->role == LO_ROLE_NONE)
        return LO_EUNAUTH;
    switch (obj->kind) {
    case LO_OBJ_SYSTEM:
        /* Listing is open to every signed-in user (the lists are filtered to their scope);
         * creating projects is for managers; the rest of the system is the admin's. */
        if (action == LO_ACT_READ)
            return 0;
        if (action == LO_ACT_CREATE && who->role == LO_ROLE_MANAGER)
            return 0;
        return LO_EFORBIDDEN;
    case LO_OBJ_PROJECT:
        return check_project(who, action, obj);
    case LO_OBJ_USER:
        return check_user(who, action, obj);
    case LO_OBJ_VENDOR:
        return check_vendor(who, action, obj);
    case LO_OBJ_AUDIT:
        return LO_EFORBIDDEN;
    }
    return LO_EFORBIDDEN;
}

/* ---- inside use cases ----------------------------------------------------------------------- */

static const char *const action_names[] = {
    [LO_ACT_READ] = "read",       [LO_ACT_CREATE] = "create",     [LO_ACT_UPDATE] = "update",
    [LO_ACT_DELETE] = "delete",   [LO_ACT_IMPORT] = "import",     [LO_ACT_EXPORT] = "export",
    [LO_ACT_ANNOTATE] = "annotate", [LO_ACT_REVIEW] = "review",   [LO_ACT_ADMIN] = "administer",
};

const char *lo__action_name(enum lo_action a)
{
    if ((int)a < 0 || (size_t)a >= sizeof(action_names) / sizeof(action_names[0]))
        return "act";
    return action_names[a];
}

int lo__app_member_role(struct lo_app *app, int64_t project_id, enum lo_role *out,
                        struct lo_error *err)
{
    *out = LO_ROLE_NONE;
    if (app->who.kind == LO_PRINCIPAL_LOCAL || app->who.role == LO_ROLE_ADMIN) {
        *out = LO_ROLE_ADMIN;
        return 0;
    }
    if (app->who.kind != LO_PRINCIPAL_USER)
        return 0;
    struct lo_arena arena;
    struct lo_member_row m;
    lo_arena_init(&arena, 256);
    int rc = app->store->ops->member_get(app->store, project_id, app->who.user_id, &arena, &m,
                                         err);
    if (rc == LO_ENOTFOUND) {
        lo_error_clear(err);
        rc = 0;
    } else if (!rc) {
        *out = lo_role_parse(m.role);
    }
    lo_arena_free(&arena);
    return rc;
}

int lo__app_denial_event(struct lo_app *app, enum lo_action action, const char *object_type,
                         int64_t object_id, int code, struct lo_error *err)
{
    return lo__app_event(app, 0, "access_denied", object_type, object_id,
                         json_pack("{s:s, s:s}", "action", lo__action_name(action), "answer",
                                   lo_err_name(code)),
                         err);
}

void lo__app_record_denial(struct lo_app *app, enum lo_action action, const char *object_type,
                           int64_t object_id, int code)
{
    struct lo_store *st = app->store;
    struct lo_error e2;
    if (app->who.kind != LO_PRINCIPAL_USER)
        return;
    st->ops->rollback(st);
    if (st->ops->begin(st, true, &e2) == 0) {
        int rc = lo__app_denial_event(app, action, object_type, object_id, code, &e2);
        if (!rc)
            rc = st->ops->commit(st, &e2);
        if (rc)
            st->ops->rollback(st);
    }
    st->ops->begin(st, false, &e2);
}

int lo__app_authorize(struct lo_app *app, enum lo_action action,
                      const struct lo_policy_object *obj, const char *object_type,
                      const char *what, struct lo_error *err)
{
    int rc = lo_policy_check(&app->who, action, obj);
    if (!rc)
        return 0;
    if (rc == LO_EUNAUTH)
        return lo_error_set(err, rc, "sign in first");
    lo__app_record_denial(app, action, object_type, obj->id, rc);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no %s", what);
    return lo_error_set(err, rc, "your role may not %s %s", lo__action_name(action), what);
}

int lo__app_authorize_project(struct lo_app *app, enum lo_action action,
                              const struct lo_project *p, struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_LOCAL)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = p->id };
    int rc = lo__app_member_role(app, p->id, &obj.member_role, err);
    if (rc)
        return rc;
    rc = lo_policy_check(&app->who, action, &obj);
    if (!rc)
        return 0;
    if (rc == LO_EUNAUTH)
        return lo_error_set(err, rc, "sign in first");
    lo__app_record_denial(app, action, "project", p->id, rc);
    if (rc == LO_ENOTFOUND) /* the same answer as for a project that does not exist */
        return lo_error_field(err, LO_ENOTFOUND, "project", "no project named '%s'", p->name);
    return lo_error_set(err, rc, "your role in project '%s' may not %s it", p->name,
                        lo__action_name(action));
}

int lo__app_find_project_for(struct lo_app *app, const char *name, enum lo_action action,
                             struct lo_arena *arena, struct lo_project *out,
                             struct lo_error *err)
{
    int rc = lo__app_find_project(app, name, arena, out, err);
    if (!rc)
        rc = lo__app_authorize_project(app, action, out, err);
    return rc;
}
