#!/usr/bin/env python3
"""test_api_admin.py - the administration routes (users, vendors, project members, API tokens,
the audit log) against the real server, with the standard library only.

The first admin comes from `labelops user add --role admin` with the password on stdin, as an
operator would do it; everything else is made through the API. Each route is checked for its
success and for its answers to an anonymous caller, an annotator, and the vendor manager of
another vendor -- and, where a write is refused, that nothing changed.

Reuses the server harness of test_api.py. Prints "ok NAME" / "FAIL NAME: why" and ends with
"N passed, N failed".
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as t  # noqa: E402  (Server, ok/ko/check/expect_error, the counters)

LO = t.LO
ADMIN_PW = "root-pw-0123456789"
SECRET_PW = "s3cret-never-logged-4711"


def cli(db, *args, stdin=None):
    return subprocess.run([LO, "--db", db, *args], input=stdin, capture_output=True, text=True)


def body(got):
    try:
        return json.loads(got[2])
    except ValueError:
        return {}


class Caller:
    def __init__(self, srv, token):
        self.srv = srv
        self.h = {"Authorization": "Bearer " + token} if token else {}

    def __call__(self, method, path, b=None):
        return self.srv.req(method, path, b, headers=self.h)


def token_for(db, user):
    p = cli(db, "--json", "token", "create", "--user", user, "--name", "t-" + user)
    return json.loads(p.stdout)["token"]


def names(got, key, field="name"):
    return [x[field] for x in body(got).get(key, [])]


def run(srv, tmp):
    db = srv.db
    p = cli(db, "user", "add", "--role", "admin", "root", stdin=ADMIN_PW + "\n")
    if p.returncode != 0:
        t.ko("admin_is_created_from_the_cli", p.stderr)
        return
    root = Caller(srv, token_for(db, "root"))
    anon = Caller(srv, None)

    # ---- vendors ---------------------------------------------------------------------------
    got = anon("POST", "/api/v1/vendors", {"name": "acme"})
    t.expect_error("vendor_create_anonymous_is_401", got, 401, "unauthenticated")
    for v in ("acme", "globex"):
        got = root("POST", "/api/v1/vendors", {"name": v})
        t.check(f"admin_creates_vendor_{v}", got[0] == 201 and body(got).get("name") == v,
                f"{got[0]} {got[2]!r}")
    t.expect_error("vendor_duplicate_is_409", root("POST", "/api/v1/vendors", {"name": "acme"}),
                   409, "conflict", "name")
    t.expect_error("vendor_unknown_member_is_422",
                   root("POST", "/api/v1/vendors", {"name": "x", "nick": "y"}), 422, "invalid",
                   "nick")
    t.expect_error("vendor_name_not_a_string_is_422",
                   root("POST", "/api/v1/vendors", {"name": 7}), 422, "invalid", "name")

    # ---- users -----------------------------------------------------------------------------
    people = [("mgr", "manager", None), ("ann", "annotator", None),
              ("vm_acme", "vendor_manager", "acme"), ("vm_globex", "vendor_manager", "globex"),
              ("acme_ann", "annotator", "acme")]
    for name, role, vendor in people:
        b = {"name": name, "password": f"pw-{name}-0123456789", "role": role}
        if vendor:
            b["vendor"] = vendor
        got = root("POST", "/api/v1/users", b)
        u = body(got)
        t.check(f"admin_creates_user_{name}",
                got[0] == 201 and u.get("name") == name and u.get("role") == role and
                u.get("vendor") == vendor and u.get("disabled") is False and
                "password" not in u, f"{got[0]} {got[2]!r}")
    mgr, ann = Caller(srv, token_for(db, "mgr")), Caller(srv, token_for(db, "ann"))
    vm_acme, vm_globex = Caller(srv, token_for(db, "vm_acme")), Caller(srv, token_for(db, "vm_globex"))

    got = root("POST", "/api/v1/users", {"name": "secretive", "password": SECRET_PW,
                                        "role": "reviewer"})
    t.check("user_with_a_password_is_created", got[0] == 201, f"{got[0]} {got[2]!r}")
    t.check("the_password_is_not_in_the_answer", SECRET_PW.encode() not in got[2], "")
    p = cli(db, "audit", "list", "--json")
    t.check("the_password_is_not_in_the_audit_log", p.returncode == 0 and SECRET_PW not in p.stdout,
            p.stderr)
    st, _, data = srv.req("POST", "/api/v1/session", {"name": "secretive", "password": SECRET_PW})
    t.check("the_new_user_signs_in_with_it", st == 201, f"{st} {data!r}")

    t.expect_error("user_create_anonymous_is_401",
                   anon("POST", "/api/v1/users", {"name": "z1", "password": "pw-0123456789",
                                                  "role": "annotator"}), 401, "unauthenticated")
    t.expect_error("user_duplicate_is_409",
                   root("POST", "/api/v1/users", {"name": "ann", "password": "pw-0123456789",
                                                  "role": "annotator"}), 409, "conflict", "name")
    t.expect_error("user_unknown_member_is_422",
                   root("POST", "/api/v1/users", {"name": "z2", "password": "pw-0123456789",
                                                  "role": "annotator", "email": "x"}),
                   422, "invalid", "email")
    t.expect_error("user_without_password_is_422",
                   root("POST", "/api/v1/users", {"name": "z3", "role": "annotator"}),
                   422, "invalid", "password")
    t.expect_error("user_with_a_bad_role_is_422",
                   root("POST", "/api/v1/users", {"name": "z4", "password": "pw-0123456789",
                                                  "role": "king"}), 422, "invalid", "role")
    got = root("POST", "/api/v1/users", {"name": "z5", "password": "short", "role": "annotator"})
    t.check("user_with_a_short_password_is_422", got[0] == 422, f"{got[0]} {got[2]!r}")
    t.expect_error("user_with_an_unknown_vendor_is_404",
                   root("POST", "/api/v1/users", {"name": "z6", "password": "pw-0123456789",
                                                  "role": "annotator", "vendor": "nope"}),
                   404, "not_found", "vendor")
    # A vendor manager naming another vendor in the body: the same 404 as an unknown vendor.
    got = vm_globex("POST", "/api/v1/users", {"name": "spy", "password": "pw-0123456789",
                                             "role": "annotator", "vendor": "acme"})
    t.expect_error("vendor_manager_creating_in_another_vendor_is_404", got, 404, "not_found",
                   "vendor")
    nope = root("POST", "/api/v1/users", {"name": "z7", "password": "pw-0123456789",
                                         "role": "annotator", "vendor": "nope"})
    t.check("out_of_scope_vendor_answers_like_an_unknown_one",
            (t.error_of(got[2]) or {}).get("message", "").replace("acme", "V") ==
            (t.error_of(nope[2]) or {}).get("message", "").replace("nope", "V"),
            f"{got[2]!r} vs {nope[2]!r}")
    t.expect_error("denied_user_create_changed_nothing", root("GET", "/api/v1/users/spy"), 404,
                   "not_found")
    got = vm_acme("POST", "/api/v1/users", {"name": "boss", "password": "pw-0123456789",
                                           "role": "admin", "vendor": "acme"})
    t.expect_error("vendor_manager_granting_admin_is_403", got, 403, "forbidden", "role")
    t.expect_error("denied_admin_grant_changed_nothing", root("GET", "/api/v1/users/boss"), 404)
    got = ann("POST", "/api/v1/users", {"name": "friend", "password": "pw-0123456789",
                                       "role": "annotator"})
    t.check("annotator_cannot_create_users", got[0] in (403, 404), f"{got[0]} {got[2]!r}")
    t.expect_error("denied_annotator_create_changed_nothing", root("GET", "/api/v1/users/friend"),
                   404)
    got = vm_acme("POST", "/api/v1/users", {"name": "acme_rev", "password": "pw-0123456789",
                                           "role": "reviewer", "vendor": "acme"})
    t.check("vendor_manager_creates_a_reviewer_of_their_vendor",
            got[0] == 201 and body(got).get("vendor") == "acme", f"{got[0]} {got[2]!r}")
    got = vm_acme("POST", "/api/v1/users", {"name": "acme_ann2", "password": "pw-0123456789",
                                           "role": "annotator"})
    t.check("vendor_managers_users_default_to_their_vendor",
            got[0] == 201 and body(got).get("vendor") == "acme", f"{got[0]} {got[2]!r}")

    # lists
    t.expect_error("user_list_anonymous_is_401", anon("GET", "/api/v1/users"), 401)
    got = root("GET", "/api/v1/users")
    everyone = names(got, "users")
    t.check("admin_lists_every_user_by_name",
            everyone == sorted(everyone) and {"root", "ann", "acme_ann", "vm_globex"} <= set(everyone),
            f"{got[0]} {everyone}")
    seen, after = [], None
    for _ in range(20):
        got = root("GET", "/api/v1/users?limit=3" + (f"&after={after}" if after else ""))
        seen += names(got, "users")
        after = body(got).get("next")
        if not after:
            break
    t.check("user_pages_follow_the_cursor", seen == everyone, f"{seen} vs {everyone}")
    got = vm_acme("GET", "/api/v1/users")
    t.check("vendor_manager_lists_only_their_vendor",
            got[0] == 200 and set(names(got, "users")) == {"vm_acme", "acme_ann", "acme_ann2", "acme_rev"},
            f"{got[0]} {got[2]!r}")
    got = ann("GET", "/api/v1/users")
    t.check("annotator_lists_only_themself", got[0] == 200 and names(got, "users") == ["ann"],
            f"{got[0]} {got[2]!r}")
    t.expect_error("user_list_bad_limit_is_422", root("GET", "/api/v1/users?limit=x"), 422,
                   "invalid", "limit")

    # one user
    got = root("GET", "/api/v1/users/acme_ann")
    t.check("admin_reads_a_user", got[0] == 200 and body(got).get("vendor") == "acme",
            f"{got[0]} {got[2]!r}")
    t.check("vendor_manager_reads_their_vendors_user",
            vm_acme("GET", "/api/v1/users/acme_ann")[0] == 200, "")
    t.expect_error("vendor_manager_of_another_vendor_gets_404",
                   vm_globex("GET", "/api/v1/users/acme_ann"), 404, "not_found")
    t.expect_error("annotator_reading_another_user_gets_404", ann("GET", "/api/v1/users/mgr"),
                   404, "not_found")
    t.check("annotator_reads_themself", ann("GET", "/api/v1/users/ann")[0] == 200, "")
    t.expect_error("unknown_user_is_404", root("GET", "/api/v1/users/nobody"), 404, "not_found")
    t.expect_error("user_get_anonymous_is_401", anon("GET", "/api/v1/users/ann"), 401)
    t.check("out_of_scope_user_answers_like_an_unknown_one",
            (t.error_of(vm_globex("GET", "/api/v1/users/acme_ann")[2]) or {}).get("message", "")
            .replace("acme_ann", "U") ==
            (t.error_of(vm_globex("GET", "/api/v1/users/ghost")[2]) or {}).get("message", "")
            .replace("ghost", "U"), "")

    # patch
    def role_of(name):
        return body(root("GET", f"/api/v1/users/{name}")).get("role")

    t.expect_error("patch_anonymous_is_401",
                   anon("PATCH", "/api/v1/users/acme_ann", {"role": "reviewer"}), 401)
    t.expect_error("patch_by_another_vendors_manager_is_404",
                   vm_globex("PATCH", "/api/v1/users/acme_ann", {"role": "reviewer"}), 404,
                   "not_found")
    t.expect_error("patch_granting_manager_by_vendor_manager_is_403",
                   vm_acme("PATCH", "/api/v1/users/acme_ann", {"role": "manager"}), 403,
                   "forbidden")
    t.expect_error("annotator_promoting_themself_is_403",
                   ann("PATCH", "/api/v1/users/ann", {"role": "admin"}), 403, "forbidden")
    t.expect_error("annotator_patching_another_user_is_404",
                   ann("PATCH", "/api/v1/users/mgr", {"role": "annotator"}), 404)
    t.check("denied_role_changes_changed_nothing",
            role_of("acme_ann") == "annotator" and role_of("ann") == "annotator" and
            role_of("mgr") == "manager", "")
    t.expect_error("annotator_disabling_themself_is_403",
                   ann("PATCH", "/api/v1/users/ann", {"disabled": True}), 403)
    t.expect_error("patch_unknown_member_is_422",
                   root("PATCH", "/api/v1/users/acme_ann", {"roles": "reviewer"}), 422,
                   "invalid", "roles")
    t.expect_error("patch_disabled_not_boolean_is_422",
                   root("PATCH", "/api/v1/users/acme_ann", {"disabled": "yes"}), 422, "invalid",
                   "disabled")
    t.expect_error("patch_with_nothing_is_422", root("PATCH", "/api/v1/users/acme_ann", {}), 422)
    t.expect_error("patch_unknown_user_is_404",
                   root("PATCH", "/api/v1/users/ghost", {"role": "reviewer"}), 404)
    got = vm_acme("PATCH", "/api/v1/users/acme_ann", {"role": "reviewer"})
    t.check("vendor_manager_changes_their_users_role",
            got[0] == 200 and body(got).get("role") == "reviewer", f"{got[0]} {got[2]!r}")
    got = root("PATCH", "/api/v1/users/mgr", {"role": "manager"})
    t.check("admin_changes_a_role", got[0] == 200 and body(got).get("role") == "manager",
            f"{got[0]} {got[2]!r}")
    acme_ann = Caller(srv, token_for(db, "acme_ann"))
    t.check("token_works_before_disabling", acme_ann("GET", "/api/v1/session")[0] == 200, "")
    t.expect_error("disable_by_another_vendors_manager_is_404",
                   vm_globex("PATCH", "/api/v1/users/acme_ann", {"disabled": True}), 404)
    t.check("denied_disable_changed_nothing",
            body(root("GET", "/api/v1/users/acme_ann")).get("disabled") is False and
            acme_ann("GET", "/api/v1/session")[0] == 200, "")
    got = vm_acme("PATCH", "/api/v1/users/acme_ann", {"disabled": True})
    t.check("vendor_manager_disables_their_user",
            got[0] == 200 and body(got).get("disabled") is True, f"{got[0]} {got[2]!r}")
    t.expect_error("disabled_users_token_is_401", acme_ann("GET", "/api/v1/session"), 401)
    # enabling again: the admin's alone, and in one transaction with a role change
    def user_state(name):
        u = body(root("GET", f"/api/v1/users/{name}"))
        return u.get("role"), u.get("disabled")

    t.expect_error("enabling_by_a_vendor_manager_is_403",
                   vm_acme("PATCH", "/api/v1/users/acme_ann", {"disabled": False}), 403,
                   "forbidden", "disabled")
    t.expect_error("role_with_a_refused_enable_is_403",
                   vm_acme("PATCH", "/api/v1/users/acme_ann",
                           {"role": "annotator", "disabled": False}), 403, "forbidden")
    t.check("a_refused_part_leaves_role_and_disabled_as_they_were",
            user_state("acme_ann") == ("reviewer", True), f"{user_state('acme_ann')}")
    t.expect_error("enabling_by_another_vendors_manager_is_404",
                   vm_globex("PATCH", "/api/v1/users/acme_ann", {"disabled": False}), 404)
    got = root("PATCH", "/api/v1/users/acme_ann", {"role": "annotator", "disabled": False})
    t.check("admin_enables_and_changes_the_role_at_once",
            got[0] == 200 and body(got).get("disabled") is False and
            body(got).get("role") == "annotator", f"{got[0]} {got[2]!r}")
    t.expect_error("tokens_revoked_by_disabling_stay_revoked",
                   acme_ann("GET", "/api/v1/session"), 401)
    acme_ann = Caller(srv, token_for(db, "acme_ann"))
    got = acme_ann("GET", "/api/v1/session")
    t.check("an_enabled_user_works_with_a_new_token_in_their_new_role",
            got[0] == 200 and body(got).get("role") == "annotator", f"{got[0]} {got[2]!r}")
    got = root("PATCH", "/api/v1/users/acme_ann", {"role": "reviewer"})
    got2 = acme_ann("GET", "/api/v1/session")
    t.check("a_role_change_is_seen_by_the_users_next_request",
            got[0] == 200 and got2[0] == 200 and body(got2).get("role") == "reviewer",
            f"{got[0]} {got2[0]} {got2[2]!r}")
    got = root("PATCH", "/api/v1/users/acme_ann", {"disabled": True})
    t.expect_error("a_disabling_is_seen_by_the_users_next_request",
                   acme_ann("GET", "/api/v1/session"), 401)

    # vendor lists
    t.expect_error("vendor_list_anonymous_is_401", anon("GET", "/api/v1/vendors"), 401)
    got = root("GET", "/api/v1/vendors")
    t.check("admin_lists_vendors", names(got, "vendors") == ["acme", "globex"],
            f"{got[0]} {got[2]!r}")
    got = root("GET", "/api/v1/vendors?limit=1")
    t.check("vendor_page_has_a_cursor", names(got, "vendors") == ["acme"] and
            body(got).get("next") == "acme", f"{got[2]!r}")
    got = root("GET", "/api/v1/vendors?limit=1&after=acme")
    t.check("vendor_next_page", names(got, "vendors") == ["globex"] and
            body(got).get("next") is None, f"{got[2]!r}")
    t.check("vendor_manager_sees_only_their_vendor",
            names(vm_acme("GET", "/api/v1/vendors"), "vendors") == ["acme"], "")
    t.check("in_house_annotator_sees_no_vendor",
            names(ann("GET", "/api/v1/vendors"), "vendors") == [], "")
    t.expect_error("vendor_manager_creating_a_vendor_is_403",
                   vm_acme("POST", "/api/v1/vendors", {"name": "initech"}), 403, "forbidden")
    t.expect_error("annotator_creating_a_vendor_is_403",
                   ann("POST", "/api/v1/vendors", {"name": "initech"}), 403, "forbidden")
    t.check("denied_vendor_create_changed_nothing",
            names(root("GET", "/api/v1/vendors"), "vendors") == ["acme", "globex"], "")

    # ---- members ---------------------------------------------------------------------------
    got = root("POST", "/api/v1/projects", {"name": "p1"})
    t.check("project_for_members_is_created", got[0] == 201, f"{got[0]} {got[2]!r}")
    for user, role in (("ann", "annotator"), ("mgr", "manager")):
        got = root("POST", "/api/v1/projects/p1/members", {"user": user, "role": role})
        t.check(f"admin_adds_member_{user}",
                got[0] == 201 and body(got) == {"user": user, "role": role}, f"{got[0]} {got[2]!r}")

    def members():
        return {m["user"]: m["role"] for m in body(root("GET", "/api/v1/projects/p1/members"))
                .get("members", [])}

    t.check("admin_lists_members", members() == {"ann": "annotator", "mgr": "manager"},
            str(members()))
    got = ann("GET", "/api/v1/projects/p1/members")
    t.check("member_annotator_lists_members",
            got[0] == 200 and names(got, "members", "user") == ["ann", "mgr"], f"{got[2]!r}")
    got = root("GET", "/api/v1/projects/p1/members?limit=1")
    t.check("member_pages", names(got, "members", "user") == ["ann"] and
            body(got).get("next") == "ann", f"{got[2]!r}")
    t.expect_error("non_member_lists_members_404", vm_globex("GET", "/api/v1/projects/p1/members"),
                   404, "not_found")
    t.expect_error("members_anonymous_is_401", anon("GET", "/api/v1/projects/p1/members"), 401)
    t.expect_error("members_of_an_unknown_project_is_404",
                   root("GET", "/api/v1/projects/nope/members"), 404, "not_found")
    t.expect_error("annotator_adding_a_member_is_403",
                   ann("POST", "/api/v1/projects/p1/members", {"user": "vm_acme",
                                                              "role": "annotator"}), 403,
                   "forbidden")
    t.expect_error("non_member_adding_a_member_is_404",
                   vm_globex("POST", "/api/v1/projects/p1/members", {"user": "vm_globex",
                                                                    "role": "annotator"}),
                   404, "not_found")
    t.expect_error("adding_members_anonymous_is_401",
                   anon("POST", "/api/v1/projects/p1/members", {"user": "ann", "role": "annotator"}),
                   401)
    t.check("denied_member_adds_changed_nothing",
            members() == {"ann": "annotator", "mgr": "manager"}, str(members()))
    t.expect_error("adding_an_unknown_user_is_404",
                   root("POST", "/api/v1/projects/p1/members", {"user": "ghost",
                                                               "role": "annotator"}),
                   404, "not_found", "user")
    t.expect_error("member_bad_role_is_422",
                   root("POST", "/api/v1/projects/p1/members", {"user": "ann", "role": "admin"}),
                   422, "invalid", "role")
    t.expect_error("member_unknown_body_member_is_422",
                   root("POST", "/api/v1/projects/p1/members", {"user": "ann",
                                                               "role": "annotator", "x": 1}),
                   422, "invalid", "x")
    got = mgr("POST", "/api/v1/projects/p1/members", {"user": "vm_acme", "role": "reviewer"})
    t.check("manager_member_adds_a_member", got[0] == 201, f"{got[0]} {got[2]!r}")
    t.expect_error("annotator_removing_a_member_is_403",
                   ann("DELETE", "/api/v1/projects/p1/members/mgr"), 403)
    t.expect_error("other_vendor_manager_removing_is_404",
                   vm_globex("DELETE", "/api/v1/projects/p1/members/mgr"), 404)
    t.expect_error("removing_anonymous_is_401", anon("DELETE", "/api/v1/projects/p1/members/mgr"),
                   401)
    t.check("denied_removals_changed_nothing",
            members() == {"ann": "annotator", "mgr": "manager", "vm_acme": "reviewer"},
            str(members()))
    got = root("DELETE", "/api/v1/projects/p1/members/vm_acme")
    t.check("admin_removes_a_member", got[0] == 204 and got[2] == b"", f"{got[0]} {got[2]!r}")
    t.expect_error("removing_a_non_member_is_404",
                   root("DELETE", "/api/v1/projects/p1/members/vm_acme"), 404)
    t.check("removal_took_effect", members() == {"ann": "annotator", "mgr": "manager"},
            str(members()))

    # ---- tokens ----------------------------------------------------------------------------
    t.expect_error("token_create_anonymous_is_401",
                   anon("POST", "/api/v1/tokens", {"name": "x"}), 401)
    t.expect_error("token_list_anonymous_is_401", anon("GET", "/api/v1/tokens"), 401)
    got = ann("POST", "/api/v1/tokens", {"name": "script"})
    tok = body(got)
    t.check("token_is_created_and_shown_once",
            got[0] == 201 and tok.get("token", "").startswith("lot_") and
            tok.get("name") == "script" and isinstance(tok.get("id"), int), f"{got[0]} {got[2]!r}")
    script = Caller(srv, tok.get("token", ""))
    got = script("GET", "/api/v1/session")
    t.check("the_new_token_signs_its_owner_in",
            got[0] == 200 and body(got).get("user") == "ann", f"{got[0]} {got[2]!r}")
    got = ann("GET", "/api/v1/tokens")
    toks = body(got).get("tokens", [])
    t.check("token_list_shows_own_tokens_without_secrets",
            got[0] == 200 and "script" in [x["name"] for x in toks] and
            all("token" not in x and "hash" not in x for x in toks) and
            tok.get("token", "?") not in got[2].decode(), f"{got[2]!r}")
    t.check("token_list_shows_nobody_elses",
            "script" not in [x["name"] for x in body(root("GET", "/api/v1/tokens"))
                             .get("tokens", [])], "")
    got = ann("GET", "/api/v1/tokens?limit=1")
    first = body(got)
    got2 = ann("GET", f"/api/v1/tokens?limit=1&after={first.get('next')}")
    t.check("token_pages_follow_the_cursor",
            len(first.get("tokens", [])) == 1 and first.get("next") and
            [x["name"] for x in body(got2).get("tokens", [])] == ["script"], f"{first} {got2[2]!r}")
    t.expect_error("token_unknown_member_is_422",
                   ann("POST", "/api/v1/tokens", {"name": "x", "user": "root"}), 422, "invalid",
                   "user")
    t.expect_error("token_without_name_is_422", ann("POST", "/api/v1/tokens", {}), 422, "invalid",
                   "name")
    tid = tok.get("id")
    t.expect_error("revoking_someone_elses_token_is_404",
                   vm_globex("DELETE", f"/api/v1/tokens/{tid}"), 404, "not_found")
    t.expect_error("revoking_anonymous_is_401", anon("DELETE", f"/api/v1/tokens/{tid}"), 401)
    t.check("denied_revocation_changed_nothing", script("GET", "/api/v1/session")[0] == 200, "")
    t.expect_error("revoking_a_non_id_is_404", ann("DELETE", "/api/v1/tokens/abc"), 404)
    t.expect_error("revoking_an_unknown_token_is_404", ann("DELETE", "/api/v1/tokens/999999"), 404)
    got = ann("DELETE", f"/api/v1/tokens/{tid}")
    t.check("owner_revokes_their_token", got[0] == 204, f"{got[0]} {got[2]!r}")
    t.expect_error("revoked_token_is_401", script("GET", "/api/v1/session"), 401)
    t.expect_error("revoking_twice_is_409", ann("DELETE", f"/api/v1/tokens/{tid}"), 409)
    got = ann("GET", "/api/v1/tokens")
    t.check("revoked_token_is_listed_as_revoked",
            any(x["id"] == tid and x["revoked"] for x in body(got).get("tokens", [])), f"{got[2]!r}")
    other = body(vm_acme("POST", "/api/v1/tokens", {"name": "vmt"}))
    got = root("DELETE", f"/api/v1/tokens/{other.get('id')}")
    t.check("admin_revokes_anyones_token", got[0] == 204, f"{got[0]} {got[2]!r}")

    # ---- audit -----------------------------------------------------------------------------
    t.expect_error("audit_anonymous_is_401", anon("GET", "/api/v1/audit"), 401)
    t.expect_error("audit_annotator_is_403", ann("GET", "/api/v1/audit"), 403, "forbidden")
    t.expect_error("audit_vendor_manager_is_403", vm_globex("GET", "/api/v1/audit"), 403)
    t.expect_error("audit_verify_annotator_is_403", ann("GET", "/api/v1/audit/verify"), 403)
    t.expect_error("audit_verify_anonymous_is_401", anon("GET", "/api/v1/audit/verify"), 401)
    got = root("GET", "/api/v1/audit?limit=500")
    entries = body(got).get("entries", [])
    kinds = {e["kind"] for e in entries}
    t.check("admin_reads_the_audit_log",
            got[0] == 200 and {"user_created", "vendor_created", "member_set", "member_removed",
                               "token_created", "token_revoked", "user_role_set",
                               "user_disabled", "user_enabled", "access_denied"} <= kinds,
            f"{kinds}")
    t.check("audit_entries_are_in_chain_order",
            [e["seq"] for e in entries] == list(range(1, len(entries) + 1)), "")
    got = root("GET", "/api/v1/audit?kind=user_created")
    es = body(got).get("entries", [])
    t.check("audit_filter_by_kind", got[0] == 200 and es and
            all(e["kind"] == "user_created" for e in es) and
            {"ann", "acme_rev"} <= {e["payload"]["name"] for e in es}, f"{got[2][:300]!r}")
    got = root("GET", "/api/v1/audit?actor=vm_acme")
    es = body(got).get("entries", [])
    t.check("audit_filter_by_actor", es and all(e["actor"] == "vm_acme" for e in es),
            f"{got[2][:300]!r}")
    got = root("GET", "/api/v1/audit?since=2999-01-01T00:00:00Z")
    t.check("audit_filter_since_the_future_is_empty",
            got[0] == 200 and body(got).get("entries") == [] and body(got).get("next") is None,
            f"{got[2]!r}")
    got = root("GET", "/api/v1/audit?since=2000-01-01T00:00:00.000Z&kind=vendor_created")
    t.check("audit_filter_since_the_past_and_kind",
            [e["payload"]["name"] for e in body(got).get("entries", [])] == ["acme", "globex"],
            f"{got[2][:300]!r}")
    seen, after = [], None
    for _ in range(200):
        got = root("GET", "/api/v1/audit?limit=7" + (f"&after={after}" if after else ""))
        seen += [e["seq"] for e in body(got).get("entries", [])]
        after = body(got).get("next")
        if not after:
            break
    t.check("audit_pages_follow_the_cursor", seen == [e["seq"] for e in entries], f"{seen}")
    t.expect_error("audit_bad_kind_is_422", root("GET", "/api/v1/audit?kind=nonsense"), 422,
                   "invalid", "kind")
    t.expect_error("audit_bad_since_is_422", root("GET", "/api/v1/audit?since=yesterday"), 422,
                   "invalid", "since")
    t.expect_error("audit_bad_after_is_422", root("GET", "/api/v1/audit?after=x"), 422, "invalid",
                   "after")
    got = root("GET", "/api/v1/audit/verify")
    v = body(got)
    t.check("audit_verify_intact", got[0] == 200 and v.get("intact") is True and
            v.get("checked", 0) >= len(entries), f"{got[2]!r}")

    # Tampering with the file is found through the API too.
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER events_audit_no_update")
    c.execute("UPDATE events SET actor = 'mallory' WHERE audit_seq = 3")
    c.commit()
    c.close()
    got = root("GET", "/api/v1/audit/verify")
    v = body(got)
    t.check("audit_verify_finds_a_changed_entry",
            got[0] == 200 and v.get("intact") is False and v.get("bad_seq") == 3, f"{got[2]!r}")

    # The password given in a body never reached the server's log.
    log = "\n".join(srv.lines)
    t.check("no_password_in_the_server_log",
            SECRET_PW not in log and "pw-ann-0123456789" not in log, "")


def main():
    tmp = tempfile.mkdtemp()
    try:
        srv = t.Server(os.path.join(tmp, "admin.db"), "--rate", "0")
        try:
            run(srv, tmp)
        finally:
            rc = srv.stop()
            t.check("server_stops_with_status_0", rc == 0, f"exit {rc}")
    except Exception as ex:  # a crash of the test itself is one failure, not silence
        t.ko("test_program", repr(ex))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{t.passed} passed, {t.failed} failed")
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
