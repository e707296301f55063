"""workflow_fixture.py - what the workflow API tests share (test_api_workflow_concurrency.py,
test_api_workflow_sim.py): a database with many annotators, each with its own API token,
projects with one single-choice field, and one keep-alive connection per simulated annotator.

Many users at once (add_many_users): the first is made by `labelops user add` and `labelops
token create`; the others are written straight into the users and api_tokens tables, with the
first one's Argon2id password hash and a token stored as its SHA-256 hex (checked against the
first user's, so a change of format fails loudly). 200 `user add` cost 15-30 s of CPU for their
Argon2id hashes and 400 processes (more than a minute under ASan on the loaded machine), and
these tests are about the workflow, not accounts (test_api_admin.py covers creating users).

Standard library only. Not a test by itself.
"""
import hashlib
import http.client
import json
import os
import secrets
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

FIELD = "label"


class Fixture:
    def __init__(self, lo, tmp, name="wf.db"):
        self.lo = lo
        self.tmp = tmp
        self.db = os.path.join(tmp, name)
        self.tokens = {}  # user name -> API token
        self.cli("init")

    def cli(self, *args, stdin=None):
        p = subprocess.run([self.lo, "--db", self.db, *args], input=stdin, capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError(f"labelops {' '.join(args)}: {p.stderr.strip()}")
        return p

    def add_user(self, name, role="annotator"):
        """A user with a random password (never a fixed one) and an API token."""
        self.cli("user", "add", "--role", role, name, stdin=secrets.token_hex(16) + "\n")
        p = self.cli("--json", "token", "create", "--user", name, "--name", "wftest")
        return name, json.loads(p.stdout)["token"]

    def add_users(self, names, role="annotator", workers=3):
        with ThreadPoolExecutor(workers) as ex:
            for name, tok in ex.map(lambda n: self.add_user(n, role), names):
                self.tokens[name] = tok

    def add_many_users(self, names, role="annotator"):
        """Like add_users, with one Argon2id hash for all (see the module comment)."""
        first, rest = names[0], names[1:]
        self.add_users([first], role, workers=1)
        con = sqlite3.connect(self.db, timeout=60)
        try:
            with con:
                (uid, pw_hash) = con.execute("SELECT id, password_hash FROM users WHERE name = ?",
                                             (first,)).fetchone()
                (stored,) = con.execute("SELECT token_hash FROM api_tokens WHERE user_id = ?",
                                        (uid,)).fetchone()
                if stored != hashlib.sha256(self.tokens[first].encode()).hexdigest():
                    raise RuntimeError("api_tokens.token_hash is not the SHA-256 hex of the token "
                                       "any more: update add_many_users")
                now = int(time.time() * 1000)
                for n in rest:
                    cur = con.execute("INSERT INTO users (name, vendor_id, role, password_hash, "
                                      "disabled, created_ms) VALUES (?, NULL, ?, ?, 0, ?)",
                                      (n, role, pw_hash, now))
                    tok = "lot_" + secrets.token_hex(32)
                    con.execute("INSERT INTO api_tokens (token_hash, user_id, name, created_ms) "
                                "VALUES (?, ?, 'wftest', ?)",
                                (hashlib.sha256(tok.encode()).hexdigest(), cur.lastrowid, now))
                    self.tokens[n] = tok
        finally:
            con.close()

    def project(self, name, classes, items):
        """A project whose schema is one required single-choice field FIELD over classes.
        items: dicts with "id", "text" and optionally "gold" (a class)."""
        schema = os.path.join(self.tmp, f"{name}.schema.json")
        with open(schema, "w") as f:
            json.dump({"fields": [{"name": FIELD, "type": "single_choice", "required": True,
                                   "classes": list(classes)}]}, f)
        self.cli("project", "create", name, "--schema", schema)
        path = os.path.join(self.tmp, f"{name}.items.jsonl")
        with open(path, "w") as f:
            for it in items:
                row = {"id": it["id"], "data": {"text": it["text"]}}
                if it.get("gold") is not None:
                    row["gold"] = {FIELD: it["gold"]}
                f.write(json.dumps(row) + "\n")
        self.cli("import", "items", name, path)

    def headers(self, user):
        return {"Authorization": "Bearer " + self.tokens[user]}


def call(conn, method, path, token, body=None, headers=None):
    """One request on conn (a kept-alive http.client connection); (status, headers, bytes)."""
    h = {"Authorization": "Bearer " + token}
    h.update(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    out = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, out


def jbody(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def add_members(srv, admin_token, project, users, role="annotator"):
    """Makes users members of project through the API (one connection, no process per user)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        for u in users:
            st, _, data = call(conn, "POST", f"/api/v1/projects/{project}/members", admin_token,
                               {"user": u, "role": role})
            if st != 201:
                raise RuntimeError(f"member add {project} {u}: {st} {data[:200]!r}")
    finally:
        conn.close()


def set_workflow(srv, admin_token, project, config):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        st, _, data = call(conn, "PUT", f"/api/v1/projects/{project}/workflow", admin_token,
                           config)
        if st != 200:
            raise RuntimeError(f"PUT workflow of {project}: {st} {data[:300]!r}")
        return jbody(data)
    finally:
        conn.close()


def export_items(srv, token, project):
    """Every item of the project's JSONL export, by external id."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
    try:
        st, _, data = call(conn, "GET", f"/api/v1/projects/{project}/export?format=jsonl", token)
        if st != 200:
            raise RuntimeError(f"export {project}: {st} {data[:200]!r}")
    finally:
        conn.close()
    out = {}
    for line in data.decode().splitlines():
        if line.strip():
            j = json.loads(line)
            out[str(j["id"])] = j
    return out


def item_ids(srv, token, project):
    """{external id: item id} of every item of the project, through the keyset pages."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    out, after = {}, None
    try:
        while True:
            q = f"/api/v1/projects/{project}/items?limit=1000" + (f"&after={after}" if after else "")
            st, _, data = call(conn, "GET", q, token)
            j = jbody(data)
            if st != 200 or not isinstance(j, dict):
                raise RuntimeError(f"items of {project}: {st} {data[:200]!r}")
            out.update({x["external_id"]: x["id"] for x in j["items"]})
            after = j.get("next")
            if not after or not j["items"]:
                return out
    finally:
        conn.close()


def final_labels(srv, token, project, ids):
    """{external id: (state, final value or None, method)} from each item's history."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    out = {}
    try:
        for ext, iid in ids.items():
            st, _, data = call(conn, "GET", f"/api/v1/projects/{project}/items/{iid}/history",
                               token)
            j = jbody(data)
            if st != 200 or not isinstance(j, dict):
                raise RuntimeError(f"history of {ext}: {st} {data[:200]!r}")
            f = j.get("final") or {}
            v = f.get("value") if isinstance(f.get("value"), dict) else {}
            out[ext] = (j.get("state"), v.get(FIELD), f.get("method"))
    finally:
        conn.close()
    return out
