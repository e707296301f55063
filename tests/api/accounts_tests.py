"""accounts_tests.py - sign-in, cookie, CSRF, bearer tokens and the project routes, against the
real server (imported by test_api.py, which passes itself as t for ok/ko/check/expect_error).

Users and tokens are made with the command line (`labelops user add`, `labelops token create`)
on the server's database, as an operator would. Skipped, with a line saying so, when this build
has no `user` command yet.
"""
import json
import subprocess
import threading


def cli(t, db, *args, stdin=None):
    return subprocess.run([t.LO, "--db", db, *args], input=stdin, capture_output=True, text=True)


def run(srv, t, tmp):
    db = srv.db
    probe = cli(t, db, "user", "--help")
    if probe.returncode != 0:
        print("skip accounts tests: this build has no `labelops user` command")
        return
    for name, role in (("alice", "admin"), ("bob", "annotator")):
        p = cli(t, db, "user", "add", "--role", role, name, stdin=f"pw-{name}-0123456789\n")
        if p.returncode != 0:
            t.ko("users_are_created", p.stderr)
            return
    tokens = {}
    for name in ("alice", "bob"):
        p = cli(t, db, "--json", "token", "create", "--user", name, "--name", "tests")
        try:
            tokens[name] = json.loads(p.stdout)["token"]
        except (ValueError, KeyError):
            t.ko("tokens_are_created", p.stdout + p.stderr)
            return
    bearer = {"Authorization": "Bearer " + tokens["alice"]}
    bob = {"Authorization": "Bearer " + tokens["bob"]}

    got = srv.req("POST", "/api/v1/session", {"name": "alice", "password": "wrong-password-1"})
    t.expect_error("login_with_a_wrong_password_is_401", got, 401, "unauthenticated")
    got2 = srv.req("POST", "/api/v1/session", {"name": "nobody", "password": "wrong-password-1"})
    t.check("unknown_user_gets_the_same_answer",
            got2[0] == 401 and t.error_of(got2[2]) == t.error_of(got[2]), f"{got2}")

    st, hdrs, data = srv.req("POST", "/api/v1/session",
                             {"name": "alice", "password": "pw-alice-0123456789"})
    cookie_hdr = hdrs.get("set-cookie", "")
    t.check("login_sets_an_httponly_strict_cookie",
            st == 201 and cookie_hdr.startswith("lo_session=") and "HttpOnly" in cookie_hdr and
            "SameSite=Strict" in cookie_hdr and "Secure" not in cookie_hdr, f"{st} {cookie_hdr}")
    body = json.loads(data) if st == 201 else {}
    csrf = body.get("csrf_token", "")
    t.check("login_returns_the_csrf_token", len(csrf) >= 32, str(body))
    t.check("the_session_token_is_not_in_the_body",
            cookie_hdr.split(";")[0].split("=", 1)[-1] not in data.decode(), "")
    cookie = {"Cookie": cookie_hdr.split(";")[0]}

    st, _, data = srv.req("GET", "/api/v1/session", headers=cookie)
    who = json.loads(data) if st == 200 else {}
    t.check("the_cookie_signs_the_user_in", who.get("user") == "alice" and
            who.get("role") == "admin" and who.get("via") == "session", f"{st} {data!r}")
    st, _, data = srv.req("GET", "/api/v1/session", headers=bearer)
    t.check("the_bearer_token_signs_the_user_in",
            st == 200 and json.loads(data).get("via") == "token", f"{st} {data!r}")

    got = srv.req("POST", "/api/v1/projects", {"name": "demo"}, headers=cookie)
    t.expect_error("cookie_write_without_csrf_is_403", got, 403, "csrf")
    got = srv.req("POST", "/api/v1/projects", {"name": "demo"},
                  headers={**cookie, "X-CSRF-Token": "0" * len(csrf)})
    t.expect_error("cookie_write_with_a_wrong_csrf_is_403", got, 403, "csrf")
    st, _, data = srv.req("POST", "/api/v1/projects",
                          {"name": "demo", "description": "d", "goals": {"accuracy": 0.9}},
                          headers={**cookie, "X-CSRF-Token": csrf})
    p = json.loads(data) if st == 201 else {}
    t.check("cookie_write_with_csrf_creates_the_project",
            st == 201 and p.get("name") == "demo" and p.get("goals", {}).get("accuracy") == 0.9,
            f"{st} {data!r}")
    got = srv.req("POST", "/api/v1/projects", {"name": "demo"}, headers=bearer)
    t.expect_error("a_taken_name_is_409", got, 409, "conflict", "name")
    got = srv.req("POST", "/api/v1/projects", {"name": "x", "goals": {"accuracy": 7}},
                  headers=bearer)
    t.expect_error("a_bad_goal_is_422", got, 422, "invalid", "accuracy")
    st, _, _ = srv.req("POST", "/api/v1/projects", {"name": "second"}, headers=bearer)
    t.check("bearer_writes_need_no_csrf", st == 201, str(st))

    st, _, data = srv.req("GET", "/api/v1/projects?limit=1", headers=bearer)
    page = json.loads(data) if st == 200 else {}
    names = [x["name"] for x in page.get("projects", [])]
    t.check("first_page_has_limit_rows_and_a_cursor",
            names == ["demo"] and page.get("next") == "demo", f"{st} {data!r}")
    st, _, data = srv.req("GET", "/api/v1/projects?limit=1&after=demo", headers=bearer)
    page = json.loads(data) if st == 200 else {}
    t.check("next_page_starts_after_the_cursor",
            [x["name"] for x in page.get("projects", [])] == ["second"] and page.get("next") is None,
            f"{st} {data!r}")
    st, _, data = srv.req("GET", "/api/v1/projects?limit=100000", headers=bearer)
    t.check("page_size_is_capped_not_refused", st == 200, str(st))
    got = srv.req("GET", "/api/v1/projects?limit=0", headers=bearer)
    t.expect_error("a_zero_page_size_is_422", got, 422, "invalid", "limit")

    items = b'{"id": "a", "text": "hello"}\n{"id": "b", "text": "world"}\n'
    st, _, data = srv.req("POST", "/api/v1/projects/demo/items", items,
                          headers={**bearer, "Content-Type": "application/x-ndjson"})
    rep = json.loads(data) if st == 200 else {}
    t.check("upload_imports_items", rep.get("items_inserted") == 2, f"{st} {data!r}")
    got = srv.req("POST", "/api/v1/projects/demo/items", items,
                  headers={**bearer, "Content-Type": "application/json"})
    t.expect_error("upload_of_the_wrong_type_is_415", got, 415, "unsupported_media_type")
    got = srv.req("POST", "/api/v1/projects/demo/items", b'{"id": "c"}\n{oops\n',
                  headers={**bearer, "Content-Type": "application/x-ndjson"})
    e = t.error_of(got[2]) or {}
    t.check("a_bad_upload_line_is_422_naming_the_line_not_the_file",
            got[0] == 422 and "line 2" in e.get("message", "") and "/tmp" not in got[2].decode(),
            f"{got[0]} {got[2]!r}")
    got = srv.req("POST", "/api/v1/projects/nope/items", items,
                  headers={**bearer, "Content-Type": "application/x-ndjson"})
    t.expect_error("upload_to_an_unknown_project_is_404", got, 404, "not_found")

    st, hdrs, data = srv.req("GET", "/api/v1/projects/demo/export", headers=bearer)
    lines = [json.loads(l) for l in data.decode().splitlines() if l.strip()]
    t.check("export_streams_jsonl", st == 200 and
            hdrs.get("content-type") == "application/x-ndjson" and
            [l.get("id") for l in lines] == ["a", "b"], f"{st} {data[:200]!r}")
    t.check("export_is_a_download", "attachment" in hdrs.get("content-disposition", ""), str(hdrs))
    st, hdrs, data = srv.req("GET", "/api/v1/projects/demo/export?format=csv", headers=bearer)
    t.check("export_streams_csv", st == 200 and hdrs.get("content-type", "").startswith("text/csv")
            and len(data.decode().splitlines()) == 3, f"{st} {data[:200]!r}")
    got = srv.req("GET", "/api/v1/projects/nope/export", headers=bearer)
    t.expect_error("export_of_an_unknown_project_is_404_not_a_cut_200", got, 404, "not_found")
    st, _, data = srv.req("GET", "/api/v1/projects/demo?counts=true", headers=bearer)
    t.check("project_shows_its_counts_when_asked",
            st == 200 and json.loads(data).get("counts", {}).get("items") == 2, f"{st} {data!r}")
    st, _, data = srv.req("GET", "/api/v1/projects/demo", headers=bearer)
    t.check("project_leaves_out_counts_by_default",
            st == 200 and "counts" not in json.loads(data) and
            json.loads(data).get("name") == "demo", f"{st} {data!r}")

    # Several clients at once over every worker: each request sees its own caller and answer.
    results = []
    lock = threading.Lock()

    def client(who_hdr, want):
        c = srv.conn()
        try:
            for path in ("/api/v1/projects/demo", "/api/v1/projects/demo/export") * 10:
                st, _, _ = srv.req("GET", path, headers=who_hdr, conn=c)
                with lock:
                    results.append(st == want or (want == 404 and st == 404))
        finally:
            c.close()
    threads = [threading.Thread(target=client, args=((bearer, 200) if i % 2 else (bob, 404)))
               for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.check("concurrent_clients_each_get_their_own_answer",
            len(results) == 160 and all(results), f"{results.count(False)} wrong of {len(results)}")

    got = srv.req("GET", "/api/v1/projects/demo", headers=bob)
    t.expect_error("a_project_out_of_scope_is_404", got, 404, "not_found")
    got = srv.req("DELETE", "/api/v1/projects/demo", headers=bob)
    t.check("an_out_of_scope_delete_is_404_and_changes_nothing",
            got[0] == 404 and srv.req("GET", "/api/v1/projects/demo", headers=bearer)[0] == 200,
            f"{got[0]}")
    st, _, data = srv.req("GET", "/api/v1/projects", headers=bob)
    t.check("lists_show_only_what_the_caller_may_see",
            st == 200 and json.loads(data).get("projects") == [], f"{st} {data!r}")

    st, _, _ = srv.req("DELETE", "/api/v1/projects/second", headers=bearer)
    t.check("delete_answers_204", st == 204, str(st))
    got = srv.req("GET", "/api/v1/projects/second", headers=bearer)
    t.expect_error("a_deleted_project_is_404", got, 404, "not_found")

    got = srv.req("DELETE", "/api/v1/session", headers=cookie)
    t.expect_error("logout_without_csrf_is_403", got, 403, "csrf")
    st, hdrs, _ = srv.req("DELETE", "/api/v1/session", headers={**cookie, "X-CSRF-Token": csrf})
    t.check("logout_clears_the_cookie",
            st == 204 and "Max-Age=0" in hdrs.get("set-cookie", ""), f"{st} {hdrs}")
    got = srv.req("GET", "/api/v1/session", headers=cookie)
    t.expect_error("the_session_ends_on_the_server", got, 401, "unauthenticated")
    line = srv.wait_line(lambda l: '"user":"alice"' in l and '"route":"GET /api/v1/projects/{name}"'
                         in l)
    t.check("access_log_names_the_user", line is not None, "")
