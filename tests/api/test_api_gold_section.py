#!/usr/bin/env python3
"""test_api_gold_section.py - a gold item names the guideline section it comes from, against the
real binary: the items JSONL's "gold_section" (beside "gold") is stored; with gold feedback on,
an annotator who submits a gold item through the API gets the feedback's "section" when the item
names one and no "section" otherwise; a bad gold_section (not a string, too long, without gold)
fails the import with the line and the field named and imports nothing (the CLI names the file
too); the JSONL export writes gold_section back and importing that export into a new project
keeps it.

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
import workflow_fixture as wf  # noqa: E402
from checks import check  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

LO = sys.argv[1]
t.LO = LO

LIMIT = 512  # LO_LIMIT_GOLD_SECTION (src/base/limits.h)
NDJSON = "application/x-ndjson"

# Two gold items naming their section (one of them exactly at the length limit), one gold item
# naming none, one plain item.
ITEMS = [
    {"id": "g-sec", "data": {"text": "A is right here"}, "gold": {wf.FIELD: "a"},
     "gold_section": "Class A"},
    {"id": "g-long", "data": {"text": "so is b"}, "gold": {wf.FIELD: "b"},
     "gold_section": "\u00e9" * (LIMIT // 2)},  # LIMIT bytes of UTF-8: allowed
    {"id": "g-none", "data": {"text": "c, no section"}, "gold": {wf.FIELD: "c"}},
    {"id": "plain", "data": {"text": "no gold"}},
]


def jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def upload(srv, token, project, body):
    return srv.req("POST", f"/api/v1/projects/{project}/items", body,
                   headers={"Authorization": "Bearer " + token, "Content-Type": NDJSON})


def item_count(srv, token, project):
    return len(wf.item_ids(srv, token, project))


def make_project(fx, name):
    schema = os.path.join(fx.tmp, "schema.json")
    with open(schema, "w") as f:
        json.dump({"fields": [{"name": wf.FIELD, "type": "single_choice", "required": True,
                               "classes": ["a", "b", "c"]}]}, f)
    fx.cli("project", "create", name, "--schema", schema)
    fx.cli("member", "add", name, "ann", "--role", "annotator")


def label_everything(srv, token, project):
    """Labels every task the annotator is given with class "a"; {external id: submit answer}."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    out = {}
    try:
        for _ in range(20):
            st, _, data = wf.call(conn, "POST", f"/api/v1/projects/{project}/tasks/next", token,
                                  {"kind": "label"})
            task = (wf.jbody(data) or {}).get("task") if st == 200 else None
            if not task:
                break
            st, _, data = wf.call(conn, "POST", f"/api/v1/tasks/{task['lease']}/submit", token,
                                  {"value": {wf.FIELD: "a"}})
            out[task["item"]["external_id"]] = wf.jbody(data) if st == 201 else {"status": st}
    finally:
        conn.close()
    return out


def test_feedback(fx, srv):
    admin = fx.tokens["adm"]
    ann = fx.tokens["ann"]
    make_project(fx, "gs")
    st, _, data = upload(srv, admin, "gs", jsonl(ITEMS))
    rep = wf.jbody(data) or {}
    check("import_with_gold_section", st == 200 and rep.get("items_inserted") == 4 and
          rep.get("gold") == 3, f"{st} {data[:300]!r}")
    wf.set_workflow(srv, admin, "gs", {"gold": {"share": 0.9, "feedback": True}})
    answers = label_everything(srv, ann, "gs")
    check("every_item_was_labeled", sorted(answers) == sorted(i["id"] for i in ITEMS),
          str(sorted(answers)))
    fb = {k: (v or {}).get("feedback") for k, v in answers.items()}
    sec = fb.get("g-sec") or {}
    check("feedback_names_the_items_section",
          sec.get("section") == "Class A" and sec.get("correct") is True and
          sec.get("expected") == {wf.FIELD: "a"} and "guideline_version" in sec, str(sec))
    long = fb.get("g-long") or {}
    check("feedback_section_at_the_limit_comes_back_whole",
          long.get("section") == "\u00e9" * (LIMIT // 2) and long.get("correct") is False,
          str(long)[:200])
    none = fb.get("g-none")
    check("feedback_without_a_section_has_no_section_member",
          isinstance(none, dict) and "section" not in none and none.get("correct") is False,
          str(none))
    check("a_plain_item_has_no_feedback", fb.get("plain") is None, str(answers.get("plain")))
    # The item route: the manager sees the section beside the gold answer; the annotator, who
    # was given the item, sees neither.
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        st, _, data = wf.call(conn, "GET", "/api/v1/projects/gs/items?limit=10", admin)
        ids = {i["external_id"]: i["id"] for i in (wf.jbody(data) or {}).get("items", [])}
        views = {}
        for who, tok in (("manager", admin), ("annotator", ann)):
            st, _, data = wf.call(conn, "GET", f"/api/v1/projects/gs/items/{ids.get('g-sec')}", tok)
            views[who] = (st, wf.jbody(data) or {})
    finally:
        conn.close()
    m = views["manager"][1]
    check("item_route_shows_gold_section_to_the_manager",
          views["manager"][0] == 200 and m.get("gold_section") == "Class A" and
          m.get("gold") == {wf.FIELD: "a"}, str(views["manager"])[:300])
    a = views["annotator"][1]
    check("item_route_hides_gold_and_section_from_the_annotator",
          views["annotator"][0] == 200 and a.get("gold") is None and "gold_section" not in a,
          str(views["annotator"])[:300])
    return admin


def test_bad_imports(fx, srv, admin):
    """Line 1 is good and line 2 bad: nothing of the file is imported."""
    good = {"id": "ok-1", "data": {"text": "fine"}, "gold": {wf.FIELD: "a"},
            "gold_section": "Class A"}
    bad = {
        "number": 7,
        "too_long": "x" * (LIMIT + 1),
        "object": {"heading": "Class A"},
        "without_gold": "Class A",
    }
    before = item_count(srv, admin, "gs")
    for what, value in bad.items():
        row = {"id": "bad-1", "data": {"text": "bad"}, "gold_section": value}
        if what != "without_gold":
            row["gold"] = {wf.FIELD: "b"}
        body = jsonl([good, row])
        got = upload(srv, admin, "gs", body)
        e = t.error_of(got[2]) or {}
        status = 413 if what == "too_long" else 422  # a limit is 413, like every limit
        check(f"upload_gold_section_{what}_fails_naming_line_and_field",
              got[0] == status and e.get("field") == "gold_section" and
              "line 2" in e.get("message", ""), f"{got[0]} {got[2][:300]!r}")
        path = os.path.join(fx.tmp, f"bad-{what}.jsonl")
        with open(path, "wb") as f:
            f.write(body)
        p = subprocess.run([LO, "--db", fx.db, "import", "items", "gs", path],
                           capture_output=True, text=True)
        check(f"cli_gold_section_{what}_fails_naming_file_line_and_field",
              p.returncode != 0 and f"bad-{what}.jsonl:2" in p.stderr and
              "gold_section" in p.stderr, f"rc {p.returncode}: {p.stderr.strip()}")
    after = item_count(srv, admin, "gs")
    check("bad_gold_section_imports_nothing", after == before, f"{before} -> {after}")


def test_round_trip(fx, srv, admin):
    exported = wf.export_items(srv, admin, "gs")
    check("export_writes_gold_section_beside_gold",
          exported.get("g-sec", {}).get("gold_section") == "Class A" and
          "gold_section" not in exported.get("g-none", {"gold_section": 1}) and
          "gold_section" not in exported.get("plain", {"gold_section": 1}),
          json.dumps({k: v.get("gold_section") for k, v in exported.items()}))
    st, _, data = srv.req("GET", "/api/v1/projects/gs/export?format=jsonl",
                          headers={"Authorization": "Bearer " + admin})
    make_project(fx, "gs2")
    st, _, rep = upload(srv, admin, "gs2", data)
    check("export_imports_into_a_new_project", st == 200, f"{st} {rep[:300]!r}")
    again = wf.export_items(srv, admin, "gs2")
    check("re_import_keeps_gold_section",
          {k: v.get("gold_section") for k, v in again.items()} ==
          {k: v.get("gold_section") for k, v in exported.items()} and
          again.get("g-long", {}).get("gold_section") == "\u00e9" * (LIMIT // 2),
          json.dumps({k: v.get("gold_section") for k, v in again.items()})[:300])
    # And the re-imported section is the one gold feedback gives.
    wf.set_workflow(srv, admin, "gs2", {"gold": {"share": 0.9, "feedback": True}})
    answers = label_everything(srv, fx.tokens["ann"], "gs2")
    sec = (answers.get("g-sec") or {}).get("feedback") or {}
    check("re_imported_section_reaches_the_feedback", sec.get("section") == "Class A", str(sec))


def main():
    tmp = tempfile.mkdtemp(prefix="lo-goldsec-")
    try:
        fx = wf.Fixture(LO, tmp, "gs.db")
        fx.add_users(["adm"], role="admin", workers=1)
        fx.add_users(["ann"], role="annotator", workers=1)
        srv = t.Server(fx.db, "--quiet")
        try:
            admin = test_feedback(fx, srv)
            test_bad_imports(fx, srv, admin)
            test_round_trip(fx, srv, admin)
        finally:
            srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
