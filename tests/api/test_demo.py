#!/usr/bin/env python3
"""test_demo.py - the README's demo (scripts/demo.sh) as a newcomer meets it: it runs to the
end on a fresh directory, prints one password per role, and with those passwords the annotator
signs in and finds something to label in each browser project (a text to classify, a text with
spans, an image with the model's boxes, whose picture the media route serves), the reviewer
signs in and finds the seeded labels to review (demo/seed.jsonl), and the RTE project (crowd
labels without texts) is the manager's only.

Runs scripts/demo.sh with DEMO_SKIP_SETUP=1 (no install, no build: the binary under test).
Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
from checks import check  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

LO = os.path.abspath(sys.argv[1])
t.LO = LO
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
UI_PROJECTS = ["reviews", "news-entities", "street-objects"]


def sign_in(srv, name, password):
    """A browser's session: the cookie and the CSRF token, or None."""
    st, h, data = srv.req("POST", "/api/v1/session", {"name": name, "password": password})
    if st not in (200, 201) or "set-cookie" not in h:
        return None
    return {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": json.loads(data)["csrf_token"]}


def main():
    tmp = tempfile.mkdtemp(prefix="lo-demo-")
    try:
        env = dict(os.environ, DEMO_SKIP_SETUP="1", LABELOPS_BIN=LO, DEMO_DIR=tmp)
        env.pop("LABELOPS_DB", None)
        r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo.sh"), "--no-serve"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        check("demo_runs_to_the_end", r.returncode == 0 and "this demo's database is" in r.stdout,
              f"exit {r.returncode}: {r.stderr[-600:]}")
        pw = dict(re.findall(r"^\s+(\S+)\s+(?:admin|manager|reviewer|annotator|vendor_manager)\s+(\S+)$",
                             r.stdout, re.M))
        check("demo_prints_one_password_per_role",
              set(pw) == {"admin", "pm", "reviewer", "annotator", "vendor-lead", "vendor-annotator"}
              and all(len(p) >= 12 for p in pw.values()), r.stdout[-800:])
        db = os.path.join(tmp, "demo.db")
        media = os.path.join(tmp, "demo-media")
        check("demo_draws_its_images", os.path.isfile(os.path.join(media, "street-01.png")),
              str(os.listdir(tmp)))
        srv = t.Server(db, "--quiet", "--media-root", media)
        try:
            ann = sign_in(srv, "annotator", pw.get("annotator", ""))
            check("annotator_signs_in_with_the_printed_password", ann is not None)
            rev = sign_in(srv, "reviewer", pw.get("reviewer", ""))
            check("reviewer_signs_in_with_the_printed_password", rev is not None)
            if ann is None:
                return 1
            st, _, data = srv.req("GET", "/api/v1/projects", headers=ann)
            names = sorted(p["name"] for p in json.loads(data).get("projects", [])) if st == 200 else []
            check("annotator_home_lists_the_browser_projects_only", names == sorted(UI_PROJECTS),
                  f"{st} {names}")
            tasks = {}
            for p in UI_PROJECTS:
                st, _, data = srv.req("POST", f"/api/v1/projects/{p}/tasks/next", {"kind": "label"},
                                      headers=ann)
                tasks[p] = json.loads(data).get("task") if st == 200 else None
                check(f"annotator_has_a_task_in_{p}", st == 200 and bool((tasks[p] or {}).get("lease")),
                      f"{st} {data[:300]!r}")
            seeded = {}
            with open(os.path.join(ROOT, "demo", "seed.jsonl"), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        x = json.loads(line)
                        seeded.setdefault(x["project"], set()).add(x["item"])
            fresh = all(tasks[p] and tasks[p]["item"]["external_id"] not in seeded.get(p, ())
                        for p in UI_PROJECTS)
            check("annotator_gets_items_nobody_labeled_yet", fresh,
                  str({p: (tasks[p] or {}).get("item", {}).get("external_id") for p in UI_PROJECTS}))
            for p in UI_PROJECTS:
                st, _, data = srv.req("POST", f"/api/v1/projects/{p}/tasks/next",
                                      {"kind": "review"}, headers=rev or {})
                task = json.loads(data).get("task") if st == 200 else None
                labels = (task or {}).get("labels") or []
                check(f"reviewer_has_a_seeded_label_to_review_in_{p}",
                      task is not None and task["kind"] == "review"
                      and task["item"]["external_id"] in seeded.get(p, ())
                      and [l.get("annotator") for l in labels] == ["vendor-annotator"],
                      f"{st} {data[:300]!r}")
            spans = tasks.get("news-entities") or {}
            check("entities_task_has_a_text",
                  isinstance(spans.get("item", {}).get("data", {}).get("text"), str)
                  and len(spans["item"]["data"]["text"]) > 20, json.dumps(spans)[:300])
            boxes = tasks.get("street-objects") or {}
            pre = (boxes.get("prelabel") or {}).get("value", {}).get("objects", [])
            check("boxes_task_starts_from_the_model_boxes", len(pre) >= 1, json.dumps(boxes)[:300])
            item = boxes.get("item", {}).get("id")
            st, h, data = srv.req("GET", f"/api/v1/projects/street-objects/items/{item}/media",
                                  headers=ann)
            check("boxes_task_image_served_to_the_annotator",
                  st == 200 and h.get("content-type") == "image/png" and data[:4] == b"\x89PNG",
                  f"{st} {h.get('content-type')}")
        finally:
            srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
