/*
 * test_policy.c - the whole role x action x object matrix of lo_policy_check (app/auth.h).
 *
 * Each row names a caller and an object and spells the expected answer for the nine actions in
 * the order read, create, update, delete, import, export, annotate, review, admin:
 * '.' allowed, 'F' LO_EFORBIDDEN, 'N' LO_ENOTFOUND (out of scope), 'U' LO_EUNAUTH.
 */
#include <stdio.h>
#include <string.h>

#include "app/auth.h"
#include "harness.h"

#define ACME 7
#define OTHER 8

static struct lo_principal user(enum lo_role role, int64_t id, int64_t vendor)
{
    struct lo_principal p = { .kind = LO_PRINCIPAL_USER, .user_id = id, .name = "u",
                              .role = role, .vendor_id = vendor };
    return p;
}

static const struct lo_principal anonymous = { .kind = LO_PRINCIPAL_ANONYMOUS };
static const struct lo_principal local = { .kind = LO_PRINCIPAL_LOCAL, .role = LO_ROLE_ADMIN };

static const struct lo_policy_object obj_system = { .kind = LO_OBJ_SYSTEM };
static const struct lo_policy_object obj_audit = { .kind = LO_OBJ_AUDIT };

static struct lo_policy_object project(enum lo_role member_role)
{
    struct lo_policy_object o = { .kind = LO_OBJ_PROJECT, .id = 3, .member_role = member_role };
    return o;
}

static struct lo_policy_object user_obj(int64_t id, int64_t vendor)
{
    struct lo_policy_object o = { .kind = LO_OBJ_USER, .id = id, .vendor_id = vendor };
    return o;
}

static struct lo_policy_object vendor_obj(int64_t id)
{
    struct lo_policy_object o = { .kind = LO_OBJ_VENDOR, .id = id, .vendor_id = id };
    return o;
}

static char code_char(int rc)
{
    switch (rc) {
    case 0: return '.';
    case LO_EFORBIDDEN: return 'F';
    case LO_ENOTFOUND: return 'N';
    case LO_EUNAUTH: return 'U';
    default: return '?';
    }
}

/* The nine answers of who on obj as a string. */
static const char *answers(const struct lo_principal *who, const struct lo_policy_object *obj)
{
    static char out[10];
    for (int a = LO_ACT_READ; a <= LO_ACT_ADMIN; a++)
        out[a - LO_ACT_READ] = code_char(lo_policy_check(who, (enum lo_action)a, obj));
    out[9] = 0;
    return out;
}

#define ROW(who, obj, want)                                                                    \
    do {                                                                                       \
        struct lo_principal w__ = (who);                                                       \
        struct lo_policy_object o__ = (obj);                                                   \
        CHECK_MSG(strcmp(answers(&w__, &o__), want) == 0, "%s on %s: got %s, want %s", #who,  \
                  #obj, answers(&w__, &o__), want);                                            \
    } while (0)

static void test_role_names_round_trip(void)
{
    for (int r = LO_ROLE_ADMIN; r <= LO_ROLE_VENDOR_MANAGER; r++)
        CHECK_INT(lo_role_parse(lo_role_name((enum lo_role)r)), r);
    CHECK_STR(lo_role_name(LO_ROLE_VENDOR_MANAGER), "vendor_manager");
    CHECK_INT(lo_role_parse("root"), LO_ROLE_NONE);
    CHECK_INT(lo_role_parse(NULL), LO_ROLE_NONE);
    CHECK_INT(lo_role_parse(""), LO_ROLE_NONE);
}

static void test_anonymous_is_unauthenticated_everywhere(void)
{
    ROW(anonymous, obj_system, "UUUUUUUUU");
    ROW(anonymous, project(LO_ROLE_NONE), "UUUUUUUUU");
    ROW(anonymous, project(LO_ROLE_MANAGER), "UUUUUUUUU");
    ROW(anonymous, user_obj(1, 0), "UUUUUUUUU");
    ROW(anonymous, vendor_obj(ACME), "UUUUUUUUU");
    ROW(anonymous, obj_audit, "UUUUUUUUU");
}

static void test_local_operator_and_admin_may_do_everything(void)
{
    ROW(local, obj_system, ".........");
    ROW(local, project(LO_ROLE_NONE), ".........");
    ROW(local, obj_audit, ".........");
    ROW(user(LO_ROLE_ADMIN, 1, 0), obj_system, ".........");
    ROW(user(LO_ROLE_ADMIN, 1, 0), project(LO_ROLE_NONE), ".........");
    ROW(user(LO_ROLE_ADMIN, 1, 0), user_obj(2, ACME), ".........");
    ROW(user(LO_ROLE_ADMIN, 1, 0), vendor_obj(OTHER), ".........");
    ROW(user(LO_ROLE_ADMIN, 1, 0), obj_audit, ".........");
}

static void test_manager_runs_member_projects_and_creates_new_ones(void)
{
    struct lo_principal m = user(LO_ROLE_MANAGER, 10, 0);
    ROW(m, obj_system, "..FFFFFFF");              /* lists, creates projects */
    ROW(m, project(LO_ROLE_MANAGER), ".........");/* runs their projects */
    ROW(m, project(LO_ROLE_REVIEWER), ".FFFFF..F");
    ROW(m, project(LO_ROLE_NONE), "NNNNNNNNN");   /* others are out of scope */
    ROW(m, user_obj(11, 0), ".FFFFFFFF");         /* sees people to staff projects */
    ROW(m, user_obj(10, 0), ".F.FFFFFF");         /* themself */
    ROW(m, vendor_obj(ACME), ".FFFFFFFF");
    ROW(m, obj_audit, "FFFFFFFFF");
}

static void test_reviewer_reads_annotates_and_reviews_member_projects_only(void)
{
    struct lo_principal r = user(LO_ROLE_REVIEWER, 20, 0);
    ROW(r, obj_system, ".FFFFFFFF");
    ROW(r, project(LO_ROLE_REVIEWER), ".FFFFF..F");
    ROW(r, project(LO_ROLE_ANNOTATOR), ".FFFFF.FF");
    ROW(r, project(LO_ROLE_MANAGER), ".FFFFF..F"); /* a membership never exceeds the role */
    ROW(r, project(LO_ROLE_NONE), "NNNNNNNNN");
    ROW(r, user_obj(20, 0), ".F.FFFFFF");
    ROW(r, user_obj(21, 0), "NNNNNNNNN");
    ROW(r, vendor_obj(ACME), "NNNNNNNNN");
    ROW(r, obj_audit, "FFFFFFFFF");
}

static void test_annotator_reads_and_annotates_member_projects_only(void)
{
    struct lo_principal a = user(LO_ROLE_ANNOTATOR, 30, ACME);
    ROW(a, obj_system, ".FFFFFFFF");
    ROW(a, project(LO_ROLE_ANNOTATOR), ".FFFFF.FF");
    ROW(a, project(LO_ROLE_MANAGER), ".FFFFF.FF");
    ROW(a, project(LO_ROLE_NONE), "NNNNNNNNN");
    ROW(a, user_obj(30, ACME), ".F.FFFFFF");
    ROW(a, user_obj(31, ACME), "NNNNNNNNN"); /* colleagues are not theirs to see */
    ROW(a, user_obj(32, OTHER), "NNNNNNNNN");
    ROW(a, vendor_obj(ACME), ".FFFFFFFF");   /* their own organisation */
    ROW(a, vendor_obj(OTHER), "NNNNNNNNN");
    ROW(a, obj_audit, "FFFFFFFFF");
}

static void test_vendor_manager_sees_only_their_vendor(void)
{
    struct lo_principal v = user(LO_ROLE_VENDOR_MANAGER, 40, ACME);
    ROW(v, obj_system, ".FFFFFFFF");
    ROW(v, user_obj(41, ACME), ".........");  /* their vendor's people */
    ROW(v, user_obj(40, ACME), ".........");
    ROW(v, user_obj(42, OTHER), "NNNNNNNNN"); /* another vendor's user */
    ROW(v, user_obj(43, 0), "NNNNNNNNN");     /* in-house staff */
    ROW(v, vendor_obj(ACME), ".FFFFFFFF");    /* their figures */
    ROW(v, vendor_obj(OTHER), "NNNNNNNNN");
    ROW(v, project(LO_ROLE_VENDOR_MANAGER), ".FFFFFFFF");
    ROW(v, project(LO_ROLE_MANAGER), ".FFFFFFFF");
    ROW(v, project(LO_ROLE_NONE), "NNNNNNNNN");
    ROW(v, obj_audit, "FFFFFFFFF");
}

static void test_another_vendors_user_sees_nothing_of_acme(void)
{
    struct lo_principal o = user(LO_ROLE_ANNOTATOR, 50, OTHER);
    ROW(o, project(LO_ROLE_NONE), "NNNNNNNNN");
    ROW(o, user_obj(41, ACME), "NNNNNNNNN");
    ROW(o, vendor_obj(ACME), "NNNNNNNNN");
    struct lo_principal om = user(LO_ROLE_VENDOR_MANAGER, 51, OTHER);
    ROW(om, user_obj(41, ACME), "NNNNNNNNN");
    ROW(om, vendor_obj(ACME), "NNNNNNNNN");
}

static void test_a_user_without_a_role_is_refused(void)
{
    ROW(user(LO_ROLE_NONE, 60, 0), obj_system, "UUUUUUUUU");
    ROW(user(LO_ROLE_NONE, 60, 0), project(LO_ROLE_MANAGER), "UUUUUUUUU");
    /* A vendor manager without a vendor manages nobody. */
    ROW(user(LO_ROLE_VENDOR_MANAGER, 61, 0), user_obj(62, 0), "NNNNNNNNN");
    ROW(user(LO_ROLE_VENDOR_MANAGER, 61, 0), vendor_obj(ACME), "NNNNNNNNN");
    CHECK_INT(lo_policy_check(NULL, LO_ACT_READ, &obj_system), LO_EUNAUTH);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_role_names_round_trip),
        LO_T(test_anonymous_is_unauthenticated_everywhere),
        LO_T(test_local_operator_and_admin_may_do_everything),
        LO_T(test_manager_runs_member_projects_and_creates_new_ones),
        LO_T(test_reviewer_reads_annotates_and_reviews_member_projects_only),
        LO_T(test_annotator_reads_and_annotates_member_projects_only),
        LO_T(test_vendor_manager_sees_only_their_vendor),
        LO_T(test_another_vendors_user_sees_nothing_of_acme),
        LO_T(test_a_user_without_a_role_is_refused),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
