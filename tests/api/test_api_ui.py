#!/usr/bin/env python3
"""test_api_ui.py - what the server does for the browser UI, against the real binary: the UI's
files (index.html for the UI's paths, versioned assets cached for good, revalidation with ETags,
the page's Content-Security-Policy, nothing outside web/ reachable, --web-dir), the session's
CSRF token given back to a reloaded page, and the media route (an item's image from beneath
--media-root, for callers who may read the item; no traversal, no absolute path, no symbolic
link out of the root, no non-image).

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
from checks import check, ko, ok  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

LO = sys.argv[1]
t.LO = LO
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

# A 1x1 PNG (the smallest valid image): the bytes the route must send back unchanged.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5a4d8d4"
    "0000000049454e44ae426082")





def raw_get(port, target):
    """A GET with the target sent byte for byte (no client-side normalisation of '..')."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def cli(db, *args, stdin=None):
    p = subprocess.run([LO, "--db", db, *args], input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"labelops {' '.join(args)}: {p.stderr.strip()}")
    return p


def test_static(srv):
    st, h, body = srv.req("GET", "/")
    html = body.decode()
    csp = h.get("content-security-policy", "")
    check("ui_index_is_html", st == 200 and h.get("content-type", "").startswith("text/html") and
          "<script type=\"module\"" in html, f"{st} {h.get('content-type')}")
    check("ui_csp_has_no_unsafe_inline",
          "unsafe-inline" not in csp and "unsafe-eval" not in csp and "script-src 'self'" in csp and
          "style-src 'self'" in csp and "frame-ancestors 'none'" in csp and
          "require-trusted-types-for 'script'" in csp and "object-src 'none'" in csp, csp)
    check("ui_nosniff_and_no_framing", h.get("x-content-type-options") == "nosniff" and
          h.get("x-frame-options") == "DENY", str(h))
    check("ui_index_revalidates", h.get("cache-control") == "no-cache" and h.get("etag"), str(h))
    check("ui_index_has_no_inline_script_or_style",
          not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "<style" not in html and
          "style=" not in html and " on" not in re.sub(r"\s+", " ", html).replace(" only", ""),
          html[:300])
    etag = h.get("etag")
    st2, _, body2 = srv.req("GET", "/", headers={"If-None-Match": etag})
    check("ui_index_304_when_unchanged", st2 == 304 and body2 == b"", f"{st2} {body2[:80]!r}")
    for path in ("/signin", "/p/demo/label", "/p/some%20project/review"):
        st3, h3, body3 = srv.req("GET", path)
        check(f"ui_path_{path.strip('/').replace('/', '_').replace('%', '')}_is_index",
              st3 == 200 and body3 == body, f"{st3}")
    m = re.search(r'src="(/assets/([0-9a-f]+)/js/main\.js)"', html)
    check("ui_assets_are_versioned", m is not None, html[:400])
    if not m:
        return
    st, h, js = srv.req("GET", m.group(1))
    check("ui_asset_cached_for_good", st == 200 and "immutable" in h.get("cache-control", "") and
          h.get("content-type", "").startswith("text/javascript"), f"{st} {h}")
    st, h, _ = srv.req("GET", "/assets/0000/js/main.js")
    check("ui_asset_of_another_version_revalidates",
          st == 200 and h.get("cache-control") == "no-cache", f"{st} {h.get('cache-control')}")
    st, h, _ = srv.req("GET", m.group(1), headers={"If-None-Match": h.get("etag", "x")})
    check("ui_asset_304", st == 304, f"{st}")
    st, _, data = srv.req("GET", "/assets/%s/js/nothing.js" % m.group(2))
    check("ui_unknown_asset_is_404", st == 404 and t.error_of(data), f"{st}")
    for path in ("/robots.txt", "/no/such/route", "/p/"):
        st, _, data = srv.req("GET", path)
        check(f"ui_not_a_view_{path.strip('/').replace('/', '_')}_is_404",
              st == 404 and t.error_of(data), f"{st}")
    for target in ("/assets/v/../../etc/passwd.txt", "/assets/v/%2e%2e/%2e%2e/etc/passwd.txt",
                   "/assets/v//etc/passwd.txt", "/assets/v/../index.html"):
        st, body = raw_get(srv.port, target)
        check(f"ui_no_traversal_{target}", st == 404 and b"root:" not in body, f"{st} {body[:80]!r}")
    st, _, data = srv.req("POST", "/")
    check("ui_post_is_not_served", st in (404, 405) and t.error_of(data), f"{st}")
    st, _, data = srv.req("GET", "/api/v1/nothing")
    check("ui_api_paths_stay_json", st == 404 and t.error_of(data), f"{st} {data[:80]!r}")
    st, h, body = srv.req("HEAD", "/")
    check("ui_head", st == 200 and body == b"", f"{st}")
    # What the server embedded is web/ as it is in the source tree.
    with open(os.path.join(ROOT, "web", "js", "main.js"), "rb") as f:
        check("ui_embedded_file_is_the_source", js == f.read(), "web/js/main.js differs")


def test_web_dir(tmp, db):
    web = os.path.join(tmp, "web")
    os.makedirs(os.path.join(web, "js"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write('<!doctype html><script type="module" src="{{ASSET_BASE}}/js/a.js"></script>')
    with open(os.path.join(web, "js", "a.js"), "w") as f:
        f.write("export const a = 1;\n")
    secret = os.path.join(tmp, "secret.js")
    with open(secret, "w") as f:
        f.write("const secret = 'outside';\n")
    os.symlink(secret, os.path.join(web, "js", "link.js"))
    srv = t.Server(db, "--web-dir", web, "--quiet")
    try:
        st, h, body = srv.req("GET", "/p/x/label")
        check("web_dir_index", st == 200 and b"/assets/dev/js/a.js" in body and
              h.get("cache-control") == "no-cache", f"{st} {body[:120]!r}")
        st, h, body = srv.req("GET", "/assets/dev/js/a.js")
        check("web_dir_asset", st == 200 and body == b"export const a = 1;\n", f"{st} {body!r}")
        with open(os.path.join(web, "js", "a.js"), "w") as f:
            f.write("export const a = 2;\n")
        st, _, body = srv.req("GET", "/assets/dev/js/a.js")
        check("web_dir_edit_shows_at_once", body == b"export const a = 2;\n", f"{body!r}")
        st, _, body = srv.req("GET", "/assets/dev/js/link.js")
        check("web_dir_symlink_out_is_404", st == 404 and b"outside" not in body, f"{st} {body!r}")
        st, body = raw_get(srv.port, "/assets/dev/../secret.js")
        check("web_dir_dotdot_is_404", st == 404 and b"outside" not in body, f"{st}")
    finally:
        srv.stop()
    p = subprocess.run([LO, "--db", db, "serve", "--port", "0", "--web-dir",
                        os.path.join(tmp, "nope")], capture_output=True, text=True, timeout=60)
    check("web_dir_missing_is_a_usage_error", p.returncode == 2 and "--web-dir" in p.stderr,
          f"{p.returncode} {p.stderr}")


def setup_media(tmp):
    db = os.path.join(tmp, "media.db")
    media = os.path.join(tmp, "media")
    os.makedirs(os.path.join(media, "img"))
    outside = os.path.join(tmp, "outside")
    os.makedirs(outside)
    with open(os.path.join(media, "img", "a.png"), "wb") as f:
        f.write(PNG)
    with open(os.path.join(media, "notes.txt"), "w") as f:
        f.write("not an image\n")
    with open(os.path.join(outside, "secret.png"), "wb") as f:
        f.write(b"SECRET" + PNG)
    os.symlink(os.path.join(outside, "secret.png"), os.path.join(media, "img", "link.png"))
    os.symlink(outside, os.path.join(media, "linkdir"))
    cli(db, "init")
    cli(db, "vendor", "add", "acme")
    for name, role in (("ann", "annotator"), ("rev", "reviewer"), ("stranger", "annotator")):
        cli(db, "user", "add", "--role", role, name, stdin=f"pw-{name}-0123456789\n")
    cli(db, "project", "create", "pics")
    cli(db, "member", "add", "pics", "ann", "--role", "annotator")
    cli(db, "member", "add", "pics", "rev", "--role", "reviewer")
    items = os.path.join(tmp, "items.jsonl")
    rows = [
        ("ok", "img/a.png"), ("dotdot", "../outside/secret.png"), ("abs", outside + "/secret.png"),
        ("link", "img/link.png"), ("linkdir", "linkdir/secret.png"), ("missing", "img/none.png"),
        ("txt", "notes.txt"), ("dotdir", "img/./a.png"), ("dir", "img.png"), ("none", None),
        ("backslash", "img\\..\\..\\outside\\secret.png"), ("url", "http://example.com/a.png"),
    ]
    os.makedirs(os.path.join(media, "img.png"))  # a directory with an image's name
    with open(items, "w") as f:
        for ext, path in rows:
            d = {"id": ext, "text": ext}
            if path is not None:
                d["image"] = path
            f.write(json.dumps(d) + "\n")
    cli(db, "import", "items", "pics", items)
    # A project with one image for the annotator's view: an item is theirs once given.
    cli(db, "project", "create", "pics2")
    cli(db, "member", "add", "pics2", "ann", "--role", "annotator")
    cli(db, "member", "add", "pics2", "rev", "--role", "reviewer")
    one = os.path.join(tmp, "one.jsonl")
    with open(one, "w") as f:
        f.write(json.dumps({"id": "only", "text": "x", "image": "img/a.png"}) + "\n")
    cli(db, "import", "items", "pics2", one)
    wf = os.path.join(tmp, "wf.json")
    with open(wf, "w") as f:
        f.write("{}\n")
    cli(db, "workflow", "set", "pics2", wf)
    tokens = {}
    for name in ("ann", "rev", "stranger"):
        p = cli(db, "--json", "token", "create", "--user", name, "--name", "t")
        tokens[name] = {"Authorization": "Bearer " + json.loads(p.stdout)["token"]}
    return db, media, tokens


def item_ids(srv, h, project="pics"):
    st, _, data = srv.req("GET", f"/api/v1/projects/{project}/items?limit=100", headers=h)
    j = json.loads(data)
    return {it["external_id"]: it["id"] for it in j["items"]}


def test_media(tmp):
    db, media, tokens = setup_media(tmp)
    srv = t.Server(db, "--media-root", media, "--quiet")
    try:
        ids = item_ids(srv, tokens["rev"])  # a reviewer sees every item; an annotator, below
        url = lambda ext: f"/api/v1/projects/pics/items/{ids[ext]}/media"  # noqa: E731
        st, h, body = srv.req("GET", url("ok"), headers=tokens["rev"])
        check("media_member_gets_the_image", st == 200 and body == PNG and
              h.get("content-type") == "image/png", f"{st} {h.get('content-type')} {body[:20]!r}")
        check("media_private_cache_and_nosniff", h.get("cache-control", "").startswith("private") and
              h.get("x-content-type-options") == "nosniff" and h.get("etag"), str(h))
        st2, _, b2 = srv.req("GET", url("ok"), headers={**tokens["rev"], "If-None-Match": h["etag"]})
        check("media_304", st2 == 304 and b2 == b"", f"{st2}")
        # An annotator gets the image of an item once the workflow gave it to them.
        only = item_ids(srv, tokens["ann"], "pics2").get("only")
        check("annotator_has_no_item_before_a_task", only is None, f"{only}")
        only = item_ids(srv, tokens["rev"], "pics2")["only"]
        murl = f"/api/v1/projects/pics2/items/{only}/media"
        st_before, _, body_before = srv.req("GET", murl, headers=tokens["ann"])
        st_task, _, task = srv.req("POST", "/api/v1/projects/pics2/tasks/next", {"kind": "label"},
                                   headers=tokens["ann"])
        st_after, _, body_after = srv.req("GET", murl, headers=tokens["ann"])
        check("media_annotator_only_for_items_given",
              st_before == 404 and st_task == 200 and st_after == 200 and body_after == PNG,
              f"{st_before} {st_task} {task[:100]!r} {st_after}")
        expectations = [
            ("dotdot", 422), ("abs", 422), ("link", 404), ("linkdir", 404), ("missing", 404),
            ("txt", 422), ("dotdir", 422), ("dir", 404), ("none", 404), ("backslash", 422),
        ]
        for ext, status in expectations:
            st, _, body = srv.req("GET", url(ext), headers=tokens["rev"])
            e = t.error_of(body)
            check(f"media_{ext}_refused_{status}", st == status and e is not None and
                  b"SECRET" not in body and media.encode() not in body and b"outside" not in body,
                  f"{st} {body[:160]!r}")
        st, _, body = srv.req("GET", url("url"), headers=tokens["rev"])
        check("media_url_is_not_fetched", st in (404, 422) and t.error_of(body), f"{st}")
        # Out of scope reads exactly like a project that does not exist.
        st, _, body = srv.req("GET", url("ok"), headers=tokens["stranger"])
        st_u, _, body_u = srv.req("GET", f"/api/v1/projects/nope/items/{ids['ok']}/media",
                                  headers=tokens["stranger"])
        check("media_non_member_404_like_unknown",
              st == 404 and st_u == 404 and body.replace(b"pics", b"X") == body_u.replace(b"nope", b"X"),
              f"{st} {body!r} vs {st_u} {body_u!r}")
        st, _, _ = srv.req("GET", url("ok"))
        check("media_anonymous_401", st == 401, f"{st}")
        st, _, body = srv.req("GET", "/api/v1/projects/pics/items/999999/media", headers=tokens["rev"])
        check("media_unknown_item_404", st == 404, f"{st}")
        st, _, body = srv.req("GET", "/api/v1/projects/pics/items/abc/media", headers=tokens["rev"])
        check("media_bad_id_404", st == 404, f"{st}")
        st, _, body = srv.req("GET", url("ok") + "?field=../x", headers=tokens["rev"])
        check("media_bad_field_422", st == 422, f"{st}")
        st, _, body = srv.req("GET", url("ok") + "?field=text", headers=tokens["rev"])
        check("media_other_field_checked_too", st == 422, f"{st} {body[:100]!r}")
    finally:
        srv.stop()
    srv = t.Server(db, "--quiet")
    try:
        ids = item_ids(srv, tokens["rev"])
        st, _, body = srv.req("GET", f"/api/v1/projects/pics/items/{ids['ok']}/media",
                              headers=tokens["rev"])
        check("media_off_without_media_root", st == 404 and b"--media-root" in body, f"{st} {body!r}")
    finally:
        srv.stop()


def test_session_csrf(tmp):
    db = os.path.join(tmp, "s.db")
    cli(db, "init")
    cli(db, "user", "add", "--role", "annotator", "ann", stdin="pw-ann-0123456789\n")
    srv = t.Server(db, "--quiet")
    try:
        st, h, data = srv.req("POST", "/api/v1/session", {"name": "ann", "password": "pw-ann-0123456789"})
        csrf = json.loads(data)["csrf_token"]
        cookie = {"Cookie": h["set-cookie"].split(";")[0]}
        st, _, data = srv.req("GET", "/api/v1/session", headers=cookie)
        check("session_get_gives_the_csrf_token_back",
              st == 200 and json.loads(data).get("csrf_token") == csrf, f"{st} {data!r}")
        p = cli(db, "--json", "token", "create", "--user", "ann", "--name", "t")
        bearer = {"Authorization": "Bearer " + json.loads(p.stdout)["token"]}
        st, _, data = srv.req("GET", "/api/v1/session", headers=bearer)
        check("session_get_by_token_has_no_csrf_token",
              st == 200 and "csrf_token" not in json.loads(data), f"{data!r}")
    finally:
        srv.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="lo-ui-")
    try:
        db = os.path.join(tmp, "ui.db")
        cli(db, "init")
        srv = t.Server(db, "--quiet")
        try:
            test_static(srv)
        finally:
            srv.stop()
        test_web_dir(tmp, db)
        test_media(tmp)
        test_session_csrf(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
