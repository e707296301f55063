#!/usr/bin/env python3
"""test_api_matrix.py - the authorization matrix of issue 4, against the real server.

A fresh database with one project ("main": items, labels of three annotators, a guideline, the
schema those labels imply - one single_choice field "label" over neg/pos - and a workflow with
review mode "all") and
one caller per kind: admin; manager, reviewer and annotator as members of the project in their
own role; vendor_manager of vendor A (a member too: read-only on projects); an annotator of
vendor B who is no member ("other_vendor"); and an anonymous caller. Users and tokens are made
with the command line, as an operator would.

The routes come from `labelops serve --routes`. For EVERY route x EVERY caller the test sends a
plausible request (the route's method; {name} is the project, {id}/{user}/... real objects,
fresh throwaway ones where the request would destroy them; {lease} the caller's own fresh lease
when their role may take that task, another user's lease when it may not) and compares the status
with expected(), which encodes docs/access.md and the workflow routes' rules (docs/api-workflow.md,
app/workflow.c):

  200/201/204  allowed
  401          anonymous
  403          the caller sees the object but their role may not do this
  404          the object is out of the caller's scope

For every request that was denied and is not a GET, the database's logical content (every
table but events, sessions and login_throttle; api_tokens without last_used_ms) must be the
same before and after. A route the test has no rule for is a failure, loudly.

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import http.client
import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402  (Server, routes, ok/ko; its main() does not run on import)

LO = sys.argv[1]
t.LO = LO

CALLERS = ["admin", "manager", "reviewer", "annotator", "vendor_manager", "other_vendor",
           "anonymous"]
USERS = {  # caller -> (user name, global role, vendor)
    "admin": ("ada", "admin", None),
    "manager": ("max", "manager", None),
    "reviewer": ("rita", "reviewer", "acme"),
    "annotator": ("anna", "annotator", "acme"),
    "vendor_manager": ("vera", "vendor_manager", "acme"),
    "other_vendor": ("otto", "annotator", "bravo"),
}
MEMBERS = ["manager", "reviewer", "annotator", "vendor_manager"]  # of every fixture project
PROJECT = "main"

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}", flush=True)


def ko(name, why):
    global failed
    failed += 1
    print(f"FAIL {name}: {why}", flush=True)


def pw(user):
    return f"pw-{user}-0123456789"


class Fixture:
    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "matrix.db")
        self.tokens = {}
        self.seq = itertools.count(1)

    def cli(self, *args, stdin=None, check=True):
        p = subprocess.run([LO, "--db", self.db, *args], input=stdin, capture_output=True,
                           text=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"labelops {' '.join(args)}: {p.stderr.strip()}")
        return p

    def setup(self):
        self.cli("init")
        for v in ("acme", "bravo"):
            self.cli("vendor", "add", v)
        for caller, (name, role, vendor) in USERS.items():
            self.add_user(name, role, vendor)
            p = self.cli("--json", "token", "create", "--user", name, "--name", "matrix")
            self.tokens[caller] = json.loads(p.stdout)["token"]
        self.project(PROJECT, labels=True)
        self.cli("guideline", "set", PROJECT, "-", stdin="# Labels\n\nBe careful.\n")
        # the workflow (docs/api-workflow.md): every label is reviewed
        wf = os.path.join(self.tmp, "workflow.json")
        with open(wf, "w") as f:
            json.dump({"review": {"mode": "all"}}, f)
        self.cli("workflow", "set", PROJECT, wf)
        self.annotation_cache = None
        self.complete_items = False

    def add_user(self, name, role, vendor):
        args = ["user", "add", "--role", role, name]
        if vendor:
            args += ["--vendor", vendor]
        self.cli(*args, stdin=pw(name) + "\n")

    def project(self, name, labels=False):
        """A project with the members of the fixture, items and (optionally) labels."""
        self.cli("project", "create", name)
        for caller in MEMBERS:
            self.cli("member", "add", name, USERS[caller][0], "--role", USERS[caller][1])
        items = os.path.join(self.tmp, f"{name}-items.jsonl")
        with open(items, "w") as f:
            for i in range(6):
                f.write(json.dumps({"id": f"it{i}", "text": f"text {i}", "image": "img.png"}) + "\n")
        self.cli("import", "items", name, items)
        if labels:
            lab = os.path.join(self.tmp, f"{name}-labels.csv")
            with open(lab, "w") as f:
                f.write("item,annotator,label\n")
                for i in range(6):
                    for a, who in enumerate(("w1", "w2", "w3")):
                        f.write(f"it{i},{who},{'pos' if (i + a) % 3 else 'neg'}\n")
            self.cli("import", "labels", name, lab)

    def task_items(self, n=20):
        """n more items in PROJECT: each joins the workflow's queue, for tasks to hand out."""
        path = os.path.join(self.tmp, f"tasks{next(self.seq)}.jsonl")
        with open(path, "w") as f:
            for _ in range(n):
                f.write(json.dumps({"id": f"task{next(self.seq)}", "text": "to label"}) + "\n")
        self.cli("import", "items", PROJECT, path)

    def lease(self, user, kind="label"):
        """(lease, item id) of a live task of user in PROJECT: their live one, else a new one."""
        for _ in range(2):
            p = self.cli("--json", "workflow", "next", PROJECT, "--as", user, "--kind", kind)
            task = json.loads(p.stdout).get("task")
            if task:
                return task["lease"], str(task["item"]["id"])
            if kind != "label":
                break
            self.task_items()
        raise RuntimeError(f"no {kind} task for {user}: {p.stdout.strip()}")

    def fresh_lease(self, user):
        """A new lease of user that nothing has touched yet."""
        self.release(user)
        return self.lease(user)[0]

    def release(self, user):
        """No live label lease for user, so that their next tasks/next makes a new one."""
        lease, _ = self.lease(user)
        self.cli("workflow", "skip", lease, "--as", user, "--reason", "matrix")

    def annotation(self, user=None):
        """The id of a new annotation by user (default: the annotator), made through a task."""
        user = user or USERS["annotator"][0]
        lease, _ = self.lease(user)
        p = self.cli("--json", "workflow", "submit", lease, "--as", user, "--value",
                     json.dumps({"label": "pos"}))
        return str(json.loads(p.stdout)["annotation"])

    def flagged_item(self):
        """The id of an item the annotator flagged: it waits in the manager's queue."""
        user = USERS["annotator"][0]
        lease, item = self.lease(user)
        self.cli("workflow", "flag", lease, "--as", user, "--reason", "unclear_guideline")
        return item

    def complete_item(self):
        """An item of PROJECT made complete through the workflow: the annotator labels it and
        the reviewer accepts (overlap 1), so that consolidate has a final label to redo."""
        self.annotation()
        lease, _ = self.lease(USERS["reviewer"][0], kind="review")
        self.cli("workflow", "submit", lease, "--as", USERS["reviewer"][0], "--verdict",
                 "accept")

    def consolidate_method(self):
        """An inference method no complete item's final label was made with: an allowed
        consolidate then changes every complete item's method, which snapshot() sees."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60)
        try:
            used = {r[0] for r in con.execute(
                "SELECT DISTINCT method FROM tasks WHERE state = 'complete'")}
        finally:
            con.close()
        return next(m for m in ("mv", "ds", "onecoin") if m not in used)

    def fresh_member(self, labels=0):
        """A fresh annotator of acme, a member of PROJECT, with `labels` submitted labels."""
        name = self.fresh_user()
        self.cli("member", "add", PROJECT, name, "--role", "annotator")
        for _ in range(labels):
            self.annotation(name)
        return name

    def fresh_project(self):
        name = f"victim{next(self.seq)}"
        self.project(name)
        return name

    def fresh_user(self, vendor="acme"):
        name = f"victim{next(self.seq)}"
        self.add_user(name, "annotator", vendor)
        return name

    def fresh_token(self, owner_caller="manager"):
        p = self.cli("--json", "token", "create", "--user", USERS[owner_caller][0], "--name",
                     f"victim{next(self.seq)}")
        j = json.loads(p.stdout)
        return str(j.get("id", j.get("token_id", "")))

    def snapshot(self):
        """The logical content: every table but the event log, sessions and throttle."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60)
        try:
            out = {}
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name")]
            for tb in tables:
                if tb in ("events", "sessions", "login_throttle"):
                    continue
                cols = [r[1] for r in con.execute(f"PRAGMA table_info({tb})")]
                if tb == "api_tokens":
                    cols = [c for c in cols if c != "last_used_ms"]
                rows = con.execute(f"SELECT {', '.join(cols)} FROM {tb}").fetchall()
                out[tb] = sorted(rows, key=repr)
            return out
        finally:
            con.close()

    def item_id(self):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60)
        try:
            return str(con.execute(
                "SELECT i.id FROM items i JOIN projects p ON p.id = i.project_id"
                " WHERE p.name = ? ORDER BY i.id LIMIT 1", (PROJECT,)).fetchone()[0])
        finally:
            con.close()


# ---- what each caller may do ------------------------------------------------------------------

# Project actions by role in the project (docs/access.md): R read, U update, D delete,
# I import, E export.
PROJECT_RIGHTS = {
    "admin": set("RCUDIEAVM"),
    "manager": set("RCUDIEAVM"),
    "reviewer": set("RAV"),
    "annotator": set("RA"),
    "vendor_manager": set("R"),
}

# (method, pattern regex, project action, success status) for routes on one project.
PROJECT_ROUTES = [
    ("GET", r"/api/v1/projects/\{name\}", "R", 200),
    ("DELETE", r"/api/v1/projects/\{name\}", "D", 204),
    ("GET", r"/api/v1/projects/\{name\}/export", "E", 200),
    ("POST", r"/api/v1/projects/\{name\}/items", "I", 200),
    ("GET", r"/api/v1/projects/\{name\}/items", "R", 200),
    # one item: an annotator sees only the items the workflow gave them (docs/access.md); the
    # fixture's item was never given to the annotator, so it does not exist for them
    ("GET", r"/api/v1/projects/\{name\}/items/\{id\}", "T", 200),
    # an item's image (media root: the fixture's media/, every item names img.png); like the
    # item itself, not given to the annotator, so it does not exist for them
    ("GET", r"/api/v1/projects/\{name\}/items/\{id\}/media", "T", 200),
    ("GET", r"/api/v1/projects/\{name\}/guidelines", "R", 200),
    ("PUT", r"/api/v1/projects/\{name\}/guidelines", "U", 201),
    ("GET", r"/api/v1/projects/\{name\}/agreement", "R", 200),
    # per-item consensus labels: not for annotators (they never see others' labels)
    ("GET", r"/api/v1/projects/\{name\}/aggregate", "S", 200),
    ("GET", r"/api/v1/projects/\{name\}/schema", "R", 200),
    ("PUT", r"/api/v1/projects/\{name\}/schema", "U", 201),
    ("POST", r"/api/v1/projects/\{name\}/labels", "I", 200),
    ("POST", r"/api/v1/projects/\{name\}/predictions", "I", 200),
    # memberships (admin routes): reading them is reading the project; changing them is
    # administering it (a manager runs their own projects)
    ("GET", r"/api/v1/projects/\{name\}/members", "R", 200),
    ("(POST|PUT)", r"/api/v1/projects/\{name\}/members(/\{[a-z_]+\})?", "M", (200, 201, 204)),
    ("DELETE", r"/api/v1/projects/\{name\}/members/\{[a-z_]+\}", "M", 204),
    # the workflow (docs/api-workflow.md, app/workflow.c): members read the configuration,
    # their own figures (me) and an item's history; admin and manager change the configuration
    # and run the manager's queue (requeue a flagged item, pause/resume/invalidate an annotator)
    ("GET", r"/api/v1/projects/\{name\}/workflow", "R", 200),
    ("PUT", r"/api/v1/projects/\{name\}/workflow", "U", 200),
    ("GET", r"/api/v1/projects/\{name\}/me", "R", 200),
    ("GET", r"/api/v1/projects/\{name\}/items/\{id\}/history", "R", 200),
    ("GET", r"/api/v1/projects/\{name\}/queue", "U", 200),
    ("POST", r"/api/v1/projects/\{name\}/items/\{id\}/requeue", "U", 200),
    ("POST", r"/api/v1/projects/\{name\}/annotators/\{[a-z_]+\}/(pause|resume|invalidate)", "U",
     200),
    ("POST", r"/api/v1/projects/\{name\}/consolidate", "U", 200),
    # the annotators' figures: managers (and a vendor manager, their vendor's people only);
    # their skills, languages and caps: managers
    ("GET", r"/api/v1/projects/\{name\}/annotators", "G", 200),
    ("PUT", r"/api/v1/projects/\{name\}/annotators/\{[a-z_]+\}", "U", 200),
    # a label task (the request sends kind "label"): annotating; review and adjudicate tasks
    # need the review right (REVIEW_KINDS below)
    ("POST", r"/api/v1/projects/\{name\}/tasks/next", "A", 200),
]

# Callers who may take a label task in the fixture project (project right A).
TASK_TAKERS = [c for c, r in PROJECT_RIGHTS.items() if "A" in r]


def project_rule(caller, action, success):
    if caller == "anonymous":
        return {401}
    if caller == "other_vendor":  # not a member: out of scope
        return {404}
    if action == "G":  # figures of people: managers, and a vendor manager for their vendor
        return {success} if caller in ("admin", "manager", "vendor_manager") else {403}
    if action == "S":  # read, but not an annotator: others' labels in another form
        return {403} if caller == "annotator" else project_rule(caller, "R", success)
    if action == "T":  # read, but an annotator only what was assigned to them
        return {404} if caller == "annotator" else project_rule(caller, "R", success)
    if action in PROJECT_RIGHTS[caller]:
        return set(success) if isinstance(success, tuple) else {success}
    return {403}


def everyone_signed_in(success):
    return lambda c: {401} if c == "anonymous" else {success}


def only_admin(success, others=403):
    """Admin-only: only the admin succeeds; every other signed-in caller is refused."""
    def rule(c):
        if c == "anonymous":
            return {401}
        return {success} if c == "admin" else ({others} if isinstance(others, int) else others)
    return rule


def by_caller(table, default):
    return lambda c: {401} if c == "anonymous" else set(table.get(c, default))


DENIED = {403, 404}  # docs/access.md leaves the exact denial open for these cases

# Rules for the routes that are not about one project (method regex, pattern regex, rule).
OTHER_ROUTES = [
    ("GET", r"/healthz", lambda c: {200}),
    ("GET", r"/metrics", lambda c: {200}),
    ("POST", r"/api/v1/session", lambda c: {401} if c == "anonymous" else {201}),
    ("GET", r"/api/v1/session", everyone_signed_in(200)),
    ("DELETE", r"/api/v1/session", everyone_signed_in(204)),
    ("GET", r"/api/v1/projects", everyone_signed_in(200)),
    ("POST", r"/api/v1/projects", by_caller({"admin": [201], "manager": [201]}, [403])),
    # the audit log: the admin's alone (LO_OBJ_AUDIT: F for everyone else)
    ("GET", r"/api/v1/audit(/.*)?", only_admin(200)),
    # users: lists are open to every signed-in user, filtered to their scope
    ("GET", r"/api/v1/users", everyone_signed_in(200)),
    ("POST", r"/api/v1/users", by_caller({"admin": [201], "vendor_manager": [201]}, DENIED)),
    # one user ({user} is anna, an annotator of vendor acme): herself, managers (to staff
    # projects), her vendor's manager and the admin see her; nobody else does
    ("GET", r"/api/v1/users/\{[a-z_]+\}",
     by_caller({"admin": [200], "manager": [200], "annotator": [200],
                "vendor_manager": [200]}, [404])),
    # changing a user ({user} is a fresh annotator of acme): admin and acme's vendor manager;
    # a manager sees but may not change; the rest do not see them
    ("(PUT|PATCH|POST|DELETE)", r"/api/v1/users/\{[a-z_]+\}(/[a-z_]+)?",
     by_caller({"admin": [200, 201, 204], "vendor_manager": [200, 201, 204],
                "manager": [403]}, [404])),
    # vendors: listing is open; creating is the admin's; one vendor ({vendor} is acme) is seen
    # by the admin, managers and acme's own people
    ("GET", r"/api/v1/vendors", everyone_signed_in(200)),
    ("POST", r"/api/v1/vendors", only_admin(201)),
    ("GET", r"/api/v1/vendors/\{[a-z_]+\}",
     by_caller({"admin": [200], "manager": [200], "reviewer": [200], "annotator": [200],
                "vendor_manager": [200]}, [404])),
    ("(PUT|PATCH|DELETE)", r"/api/v1/vendors/\{[a-z_]+\}", only_admin((200, 204), DENIED)),
    # tokens: one's own (list, create); {id} is a fresh token of the manager: the owner and
    # the admin revoke it, for anyone else it does not exist
    ("GET", r"/api/v1/tokens", everyone_signed_in(200)),
    ("POST", r"/api/v1/tokens", everyone_signed_in(201)),
    ("DELETE", r"/api/v1/tokens/\{[a-z_]+\}",
     by_caller({"admin": [204], "manager": [204]}, [404])),
    # a lease is its holder's alone: {lease} is the caller's own fresh lease when they may take
    # tasks; for the others it is the annotator's, which does not exist for them
    ("POST", r"/api/v1/tasks/\{[a-z_]+\}/submit", by_caller({c: [201] for c in TASK_TAKERS}, [404])),
    ("(POST|PUT)", r"/api/v1/tasks/\{[a-z_]+\}/(heartbeat|draft|skip|flag)",
     by_caller({c: [200] for c in TASK_TAKERS}, [404])),
    # an annotation ({id} is the annotator's, made through a task, its item in review): read
    # by its author and by every member who reads the project's labels (all but other
    # annotators: the vendor manager too, as through GET .../items/{id}); edited by its author
    # (the item is not complete) and by whoever may update the project; a reviewer sees it but
    # may not edit it; for non-members it does not exist (app/wf_manage.c, annotation_access)
    ("GET", r"/api/v1/annotations/\{[a-z_]+\}",
     by_caller({"admin": [200], "manager": [200], "reviewer": [200], "annotator": [200],
                "vendor_manager": [200]}, [404])),
    ("PATCH", r"/api/v1/annotations/\{[a-z_]+\}",
     by_caller({"admin": [200], "manager": [200], "annotator": [200], "reviewer": [403]},
               [404])),
]

# tasks/next for the other kinds: review and adjudicate need the review right (checked in a
# loop of their own after the routes, see main()).
REVIEW_KINDS = ("review", "adjudicate")


def review_rule(caller):
    return project_rule(caller, "V", 200)


def expected(method, pattern, caller):
    """The set of statuses docs/access.md allows, or None when the test has no rule."""
    for m, p, action, success in PROJECT_ROUTES:
        if re.fullmatch(m, method) and re.fullmatch(p, pattern):
            return project_rule(caller, action, success)
    for m, p, rule in OTHER_ROUTES:
        if re.fullmatch(m, method) and re.fullmatch(p, pattern):
            r = rule(caller)
            return {x for v in r for x in (v if isinstance(v, tuple) else (v,))}
    return None


# ---- plausible requests -------------------------------------------------------------------------

def auth_headers(fx, caller):
    if caller == "anonymous":
        return {}
    return {"Authorization": "Bearer " + fx.tokens[caller]}


def build(fx, srv, method, pattern, caller):
    """(path, body, headers) of a plausible request by caller; creates throwaway objects."""
    n = next(fx.seq)
    headers = auth_headers(fx, caller)
    body = None
    destructive = method in ("DELETE", "PUT", "PATCH") or (method == "POST" and "{" in pattern)
    params = {}
    # What a parameter names depends on the collection it follows: /users/{name} is a user.
    kinds = {m.group(2): m.group(1) for m in re.finditer(r"/([a-z_]+)/\{([a-z_]+)\}", pattern)}
    for p in re.findall(r"\{([a-z_]+)\}", pattern):
        kind = kinds.get(p, "")
        if kind == "tasks":  # a lease: the caller's own when they may take tasks
            if caller in TASK_TAKERS:
                params[p] = fx.fresh_lease(USERS[caller][0])
            else:
                params[p] = fx.lease(USERS["annotator"][0])[0]
        elif kind == "annotations":  # the annotator's; a fresh one to edit
            if method == "GET":
                if not fx.annotation_cache:
                    fx.annotation_cache = fx.annotation()
                params[p] = fx.annotation_cache
            else:
                params[p] = fx.annotation()
        elif kind == "annotators":  # a fresh member; with a label when it is to be invalidated
            params[p] = fx.fresh_member(labels=1 if pattern.endswith("/invalidate") else 0)
        elif kind == "items" and pattern.endswith("/requeue"):
            params[p] = fx.flagged_item()
        elif kind == "members":  # a fresh member of the project, to be removed or changed
            params[p] = fx.fresh_user()
            fx.cli("member", "add", PROJECT, params[p], "--role", "annotator")
        elif kind == "users":
            params[p] = fx.fresh_user() if destructive else USERS["annotator"][0]
        elif kind == "vendors":
            params[p] = "acme"
        elif kind == "tokens":
            params[p] = fx.fresh_token()
        elif kind == "items":
            params[p] = fx.item_id()
        elif p == "name":
            params[p] = fx.fresh_project() if method == "DELETE" and pattern.endswith("{name}") \
                else PROJECT
        elif p in ("user", "user_name", "username"):
            params[p] = fx.fresh_user() if destructive else USERS["annotator"][0]
        elif p in ("vendor", "vendor_name"):
            params[p] = "acme"
        elif p == "id" and "/tokens/" in pattern:
            params[p] = fx.fresh_token()
        elif p == "id":
            params[p] = fx.item_id()
        else:
            params[p] = "unknown-parameter-" + p  # fails the check, visibly
    path = re.sub(r"\{([a-z_]+)\}", lambda m: params[m.group(1)], pattern)

    if pattern == "/api/v1/session" and method == "POST":
        name = USERS[caller][0] if caller != "anonymous" else "nobody"
        body = {"name": name, "password": pw(name) if caller != "anonymous" else "wrong-pw-123"}
        headers = {}
    elif pattern == "/api/v1/session" and method == "DELETE" and caller != "anonymous":
        name = USERS[caller][0]
        st, hdrs, data = srv.req("POST", "/api/v1/session", {"name": name, "password": pw(name)})
        cookie = hdrs.get("set-cookie", "").split(";")[0]
        csrf = json.loads(data).get("csrf_token", "") if st == 201 else ""
        headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
    elif pattern == "/api/v1/projects" and method == "POST":
        body = {"name": f"new{n}", "description": "made by the matrix"}
    elif pattern.endswith("/items") and method == "POST":
        body = json.dumps({"id": f"up{n}", "text": "uploaded"}) + "\n"
        headers["Content-Type"] = "application/x-ndjson"
    elif pattern.endswith("/guidelines") and method == "PUT":
        body = f"# Guidelines {n}\n\nNew text.\n"
        headers["Content-Type"] = "text/markdown"
    elif pattern.endswith("/schema") and method == "PUT":
        body = {"fields": [{"name": "label", "type": "single_choice",
                            "classes": ["neg", "pos", f"maybe{n}"]}]}
    elif pattern.endswith("/labels") and method == "POST":
        body = f"item,annotator,label\nit0,matrix{n},pos\n"
        headers["Content-Type"] = "text/csv"
    elif pattern.endswith("/predictions") and method == "POST":
        body = json.dumps({"item": "it1", "model": f"m{n}", "value": {"label": "neg"},
                           "score": 0.5}) + "\n"
        headers["Content-Type"] = "application/x-ndjson"
    elif pattern.endswith("/workflow") and method == "PUT":
        body = {"review": {"mode": "all"}, "lease_seconds": 600 + n % 1000}
    elif re.fullmatch(r"/api/v1/projects/\{name\}/annotators/\{[a-z_]+\}", pattern):
        body = {"skills": [f"skill{n}"], "languages": ["de"], "cap_per_day": n % 7 + 1}
    elif pattern.endswith("/consolidate"):
        if not fx.complete_items:
            fx.complete_item()
            fx.complete_items = True
        body = {"method": fx.consolidate_method()}
    elif pattern.endswith("/tasks/next"):
        if caller in TASK_TAKERS:
            fx.release(USERS[caller][0])  # else tasks/next would answer their live lease
        body = {"kind": "label"}
    elif pattern.endswith("/heartbeat"):
        body = {}
    elif pattern.endswith("/draft"):
        body = {"value": {"label": "pos"}}
    elif pattern.endswith("/submit"):
        body = {"value": {"label": "pos"}}
        headers["Idempotency-Key"] = f"matrix-{n}"
    elif pattern.endswith("/skip"):
        body = {"reason": "matrix"}
    elif pattern.endswith("/flag"):
        body = {"reason": "unclear_guideline", "comment": "matrix"}
    elif pattern.endswith("/requeue"):
        body = {"comment": "matrix"}
    elif pattern.endswith("/pause"):
        body = {"reason": "matrix"}
    elif pattern.endswith("/resume"):
        body = {}
    elif pattern.endswith("/invalidate"):
        body = {"since_ms": 0}
    elif pattern.startswith("/api/v1/annotations/") and method == "PATCH":
        body = {"value": {"label": "neg"}}
        headers["If-Match"] = '"v1"'
    elif pattern.endswith("/agreement"):
        path += "?metric=alpha&level=nominal"
    elif pattern.endswith("/aggregate"):
        path += "?method=mv&limit=2"
    elif re.fullmatch(r"/api/v1/projects/\{name\}/members(/\{[a-z_]+\})?", pattern) and \
            method in ("POST", "PUT"):
        who = fx.fresh_user()
        if "{" in pattern[len("/api/v1/projects/{name}"):]:
            path = f"/api/v1/projects/{PROJECT}/members/{who}"
            body = {"role": "annotator"}
        else:
            body = {"user": who, "role": "annotator"}
    elif pattern == "/api/v1/users" and method == "POST":
        body = {"name": f"new{n}", "role": "annotator", "vendor": "acme",
                "password": pw(f"new{n}")}
    elif re.fullmatch(r"/api/v1/users/\{[a-z_]+\}(/[a-z_]+)?", pattern) and \
            method in ("PUT", "PATCH", "POST"):
        body = {"role": "reviewer"}
    elif pattern == "/api/v1/vendors" and method == "POST":
        body = {"name": f"vendor{n}"}
    elif pattern == "/api/v1/tokens" and method == "POST":
        body = {"name": f"t{n}"}
    return path, body, headers


def main():
    tmp = tempfile.mkdtemp()
    srv = None
    try:
        fx = Fixture(tmp)
        fx.setup()
        media = os.path.join(tmp, "media")
        os.makedirs(media, exist_ok=True)
        with open(os.path.join(media, "img.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")  # only the route is checked here, not the image
        srv = t.Server(fx.db, "--rate", "0", "--quiet", "--media-root", media)
        table = t.routes()
        cells = 0
        no_rule = []
        for method, pattern, _auth in table:
            if expected(method, pattern, "admin") is None:
                no_rule.append(f"{method} {pattern}")
                ko(f"rule_for {method} {pattern}",
                   "the matrix has no rule for this route: add one to expected()")
                continue
            for caller in CALLERS:
                exp = expected(method, pattern, caller)
                path, body, headers = build(fx, srv, method, pattern, caller)
                write = method != "GET"
                before = fx.snapshot() if write else None
                st, _, data = srv.req(method, path, body, headers)
                cells += 1
                name = f"{method} {pattern} as {caller}"
                if st not in exp:
                    ko(name, f"status {st}, expected {sorted(exp)}: {data[:200]!r}")
                elif st >= 400 and t.error_of(data) is None:
                    ko(name, f"{st} without the error body: {data[:200]!r}")
                else:
                    ok(f"{name} -> {st}")
                if st == 404 and pattern.startswith("/api/v1/projects/{name}") and \
                        f"/api/v1/projects/{PROJECT}" in path and \
                        (t.error_of(data) or {}).get("field") == "project":
                    # out of scope must read exactly like "does not exist"
                    ghost = path.replace(f"/api/v1/projects/{PROJECT}",
                                         "/api/v1/projects/no-such-project", 1)
                    gst, _, gdata = srv.req(method, ghost, body, headers)
                    a = (t.error_of(data) or {}).get("message", "").replace(f"'{PROJECT}'", "'X'")
                    b = (t.error_of(gdata) or {}).get("message", "").replace(
                        "'no-such-project'", "'X'")
                    if gst == 404 and a == b and a:
                        ok(f"{name}: reads like an unknown project")
                    else:
                        ko(f"{name}: reads like an unknown project",
                           f"{st} {data[:120]!r} vs {gst} {gdata[:120]!r}")
                if write and st in (200, 201, 204) and pattern != "/api/v1/session":
                    # the other side of the check below: an allowed write is seen by snapshot()
                    if fx.snapshot() == before:
                        ko(f"{name}: the change is visible", "snapshot() saw no change")
                    else:
                        ok(f"{name}: the change is visible")
                if write and st in (401, 403, 404):
                    after = fx.snapshot()
                    if after != before:
                        changed = [k for k in set(before) | set(after)
                                   if before.get(k) != after.get(k)]
                        ko(f"{name}: nothing changed", f"tables changed: {changed}")
                    else:
                        ok(f"{name}: nothing changed")
        # tasks/next for review and adjudication: the review right (admin, manager, reviewer)
        for kind in REVIEW_KINDS:
            for caller in CALLERS:
                exp = review_rule(caller)
                before = fx.snapshot()
                st, _, data = srv.req("POST", f"/api/v1/projects/{PROJECT}/tasks/next",
                                      {"kind": kind}, auth_headers(fx, caller))
                cells += 1
                name = f"POST /api/v1/projects/{{name}}/tasks/next kind {kind} as {caller}"
                if st not in exp:
                    ko(name, f"status {st}, expected {sorted(exp)}: {data[:200]!r}")
                elif st >= 400 and t.error_of(data) is None:
                    ko(name, f"{st} without the error body: {data[:200]!r}")
                else:
                    ok(f"{name} -> {st}")
                if st in (401, 403, 404):
                    if fx.snapshot() != before:
                        ko(f"{name}: nothing changed", "tables changed")
                    else:
                        ok(f"{name}: nothing changed")
        if cells:
            ok(f"matrix_ran_{cells}_cells_over_{len(table)}_routes")
        else:
            ko("matrix_ran", "no route was exercised")
        if no_rule:
            print(f"routes without a rule: {no_rule}")
        rc = srv.stop()
        srv = None
        if rc == 0:
            ok("server_stops_cleanly")
        else:
            ko("server_stops_cleanly", f"exit {rc}")
    except Exception as ex:  # a crash of the test itself is a failure, not silence
        ko("test_program", repr(ex))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
