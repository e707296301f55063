#!/usr/bin/env python3
"""test_api_workflow.py - the workflow routes (docs/api-workflow.md, issue 5) against the real
server: what a labeling program relies on, one small project per story.

- configuration: defaults on GET, 422 naming the field for a bad value or an unknown key;
- a label reviewed, rejected with reasons, reworked with the previous value and the reviewer's
  reasons beside it, accepted; a second annotator (overlap 2) who never sees the first label;
  the item complete with its final label and method, and its history naming every actor;
- routing: an annotator never gets an item twice, a reviewer never reviews their own label, a
  skipped item is not offered again;
- flags (a reason from the project's list) -> the manager's queue -> requeue;
- heartbeat, drafts kept on the server, a late submit (accepted when nobody took the item, 409
  when somebody did: one wait of ~11 s for a 10 s lease);
- adjudication of a 1-1 tie, and after the rework limit; gold with feedback (and kept hidden),
  the pause rule, resume and invalidate; me; the manager's queue (flags, paused, overdue);
- annotation edits with ETag / If-Match (428, 409 stale), idempotent submits, pre-labels;
- routing order (least confident prediction first, item priority), overlap coverage, daily
  caps, configuration changes, consolidate; cookie writes need the CSRF header;
- the item read and the JSONL and CSV exports carry the item's workflow outcome and each label's
  status (an annotator: the state and their own labels, never the final label).

A failure here is a place where the server does not do what docs/api-workflow.md or issue 5
says; the message names the request and what came back.

Who may call each route is the matrix's business (test_api_matrix.py); this checks what they
answer. Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with
"N passed, N failed".
"""
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
from checks import check, ko, ok  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

LO = sys.argv[1]
t.LO = LO

USERS = {"max": "manager", "rita": "reviewer", "rob": "reviewer", "ann1": "annotator",
         "ann2": "annotator", "ann3": "annotator"}
SCHEMA = {"fields": [{"name": "label", "type": "single_choice", "required": True,
                      "classes": ["neg", "pos"]}]}
POS = {"label": "pos"}
NEG = {"label": "neg"}





class Env:
    """A database with the users of USERS (each with an API token) and a running server."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "wf.db")
        self.tokens = {}
        self.passwords = {}
        self.cli("init")
        for name, role in USERS.items():
            self.passwords[name] = secrets.token_hex(12)
            self.cli("user", "add", "--role", role, name, stdin=self.passwords[name] + "\n")
            p = self.cli("--json", "token", "create", "--user", name, "--name", "wftest")
            self.tokens[name] = json.loads(p.stdout)["token"]
        self.srv = None

    def cli(self, *args, stdin=None):
        p = subprocess.run([LO, "--db", self.db, *args], input=stdin, capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError(f"labelops {' '.join(args)}: {p.stderr.strip()}")
        return p

    def project(self, name, items, config=None, schema=True, create_args=(), fields=None):
        """A project with SCHEMA, the members of USERS in their roles and items (ids); its
        workflow config set through the API by the manager when given. Returns item ids by
        external id."""
        if schema:
            path = os.path.join(self.tmp, f"{name}.schema.json")
            with open(path, "w") as f:
                json.dump({"fields": fields} if fields else SCHEMA, f)
            self.cli("project", "create", name, "--schema", path, *create_args)
        else:
            self.cli("project", "create", name)
        for user, role in USERS.items():
            self.cli("member", "add", name, user, "--role", role)
        if items:
            path = os.path.join(self.tmp, f"{name}.items.jsonl")
            with open(path, "w") as f:
                for it in items:
                    f.write(json.dumps({"id": it, "text": f"text of {it}"}) + "\n")
            self.cli("import", "items", name, path)
        if config is not None:
            st, j = self.call("max", "PUT", f"/api/v1/projects/{name}/workflow", config)
            if st != 200:
                raise RuntimeError(f"PUT workflow of {name}: {st} {j}")
        return self.item_ids(name)

    def item_ids(self, project):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60)
        try:
            return {ext: i for i, ext in con.execute(
                "SELECT i.id, i.external_id FROM items i JOIN projects p ON p.id = i.project_id"
                " WHERE p.name = ?", (project,))}
        finally:
            con.close()

    def sql(self, query, *args):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def raw(self, user, method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + self.tokens[user]} if user else {}
        h.update(headers or {})
        return self.srv.req(method, path, body, h)

    def call(self, user, method, path, body=None, headers=None):
        st, _, data = self.raw(user, method, path, body, headers)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, data

    # the task routes
    def next(self, user, project, kind="label"):
        return self.call(user, "POST", f"/api/v1/projects/{project}/tasks/next", {"kind": kind})

    def task(self, user, project, kind="label"):
        """The task handed to user, or None (the answer is checked to be 200)."""
        st, j = self.next(user, project, kind)
        if st != 200 or not isinstance(j, dict) or "task" not in j:
            raise RuntimeError(f"tasks/next {kind} for {user} in {project}: {st} {j}")
        return j["task"]

    def submit(self, user, lease, body, key=None):
        h = {"Idempotency-Key": key} if key else None
        return self.call(user, "POST", f"/api/v1/tasks/{lease}/submit", body, h)

    def label(self, user, project, value, expect_item=None):
        """user takes a label task and submits value: (task, status, answer)."""
        task = self.task(user, project)
        if task is None:
            raise RuntimeError(f"no task for {user} in {project}")
        if expect_item is not None and task["item"]["id"] != expect_item:
            raise RuntimeError(f"{user} got item {task['item']['id']}, not {expect_item}")
        st, j = self.submit(user, task["lease"], {"value": value})
        return task, st, j

    def history(self, project, item, user="max"):
        return self.call(user, "GET", f"/api/v1/projects/{project}/items/{item}/history")

    def state(self, project, item, user="max"):
        """The item's workflow state as the manager (by default) reads it: an annotator's
        submit answer has none (docs/decisions/0008-item-workflow-view.md)."""
        st, j = self.call(user, "GET", f"/api/v1/projects/{project}/items/{item}")
        if st != 200 or not isinstance(j, dict):
            return f"GET item {item} as {user}: {st} {j}"
        return (j.get("workflow") or {}).get("state")


def err_field(j):
    return (j.get("error") or {}).get("field") if isinstance(j, dict) else None


def err_code(j):
    return (j.get("error") or {}).get("code") if isinstance(j, dict) else None


def expect_error(name, got, status, field=None, code=None):
    st, j = got
    e = j.get("error") if isinstance(j, dict) else None
    if st != status or e is None or (field and e.get("field") != field) or \
            (code and e.get("code") != code):
        ko(name, f"{st} {str(j)[:240]}, expected {status}"
                 + (f" field {field}" if field else "") + (f" code {code}" if code else ""))
    else:
        ok(name)


# ---- configuration ----------------------------------------------------------------------------

def test_config(env):
    env.project("cfg", ["c1", "c2"])
    base = "/api/v1/projects/cfg/workflow"
    st, j = env.call("ann1", "GET", base)
    check("config_get_before_set_is_200", st == 200, f"{st} {j}")
    if st == 200:
        want = {"lease_seconds": 600, "prelabels": False, "least_confident_first": False,
                "cap_per_day": 0, "consolidation": "majority", "field": None}
        bad = {k: j.get(k) for k, v in want.items() if j.get(k) != v}
        check("config_defaults_top_level", not bad, f"differs: {bad}")
        check("config_defaults_overlap",
              j.get("overlap") == {"k": 1, "coverage": 1.0, "dynamic": False, "k_min": 2,
                                   "k_max": 5, "target": 0.95}, f"{j.get('overlap')}")
        check("config_defaults_review",
              j.get("review") == {"mode": "none", "share": 0.1, "target": 0.9, "floor": 0.05,
                                  "lot_size": 50, "aql": 2.5},
              f"{j.get('review')}")
        check("config_defaults_rework",
              j.get("rework") == {"max_rounds": 2, "reasons": ["wrong_label", "incomplete",
                                                               "guideline", "other"]},
              f"{j.get('rework')}")
        check("config_defaults_flag_reasons",
              j.get("flag_reasons") == ["unclear_guideline", "broken_data", "sensitive_content",
                                        "other"], f"{j.get('flag_reasons')}")
        check("config_defaults_gold",
              j.get("gold") == {"share": 0.0, "feedback": False, "target": 0.8,
                                "certainty": 0.95, "min_gold": 10}, f"{j.get('gold')}")
    for body, field in (({"review": {"share": 2}}, "review.share"),
                        ({"review": {"mode": "sometimes"}}, "review.mode"),
                        ({"bogus": 1}, "bogus"),
                        ({"overlap": {"k": 0}}, "overlap.k"),
                        ({"lease_seconds": 5}, "lease_seconds"),
                        ({"gold": {"share": -0.5}}, "gold.share"),
                        ({"field": "nope"}, "field")):
        key = "_".join(field.split("."))
        expect_error(f"config_put_invalid_{key}_is_422_naming_it", env.call(
            "max", "PUT", base, body), 422, field)
    st2, j2 = env.call("ann1", "GET", base)
    check("config_invalid_puts_changed_nothing", st2 == 200 and j2 == j, f"{st2} {j2}")
    st, j = env.call("max", "PUT", base, {"review": {"mode": "random", "share": 0.25},
                                          "overlap": {"k": 2}})
    check("config_put_valid_is_200", st == 200, f"{st} {j}")
    st, j = env.call("rita", "GET", base)
    check("config_get_shows_the_put_with_defaults_filled_in",
          st == 200 and j.get("review") == {"mode": "random", "share": 0.25, "target": 0.9,
                                            "floor": 0.05, "lot_size": 50, "aql": 2.5}
          and j.get("overlap", {}).get("k") == 2 and j.get("lease_seconds") == 600,
          f"{st} {j}")
    st, jd = env.call("max", "PUT", base, {"overlap": {"dynamic": True, "k_min": 2, "k_max": 4},
                                           "prelabels": True, "gold": {"feedback": True}})
    check("config_booleans_are_kept",
          st == 200 and jd.get("overlap", {}).get("dynamic") is True
          and jd.get("prelabels") is True and jd.get("gold", {}).get("feedback") is True,
          f"{st} {jd}")
    expect_error("config_put_invalid_overlap_dynamic_is_422_naming_it",
                 env.call("max", "PUT", base, {"overlap": {"dynamic": "yes"}}), 422,
                 "overlap.dynamic")
    st, j2 = env.call("max", "PUT", base, {"review": {"mode": "none"}})
    check("config_put_again_is_a_new_version",
          st == 200 and isinstance(j2.get("version"), int) and j2["version"] > j.get("version", 0),
          f"{st} {j2} after {j.get('version')}")


# ---- review, rework, overlap, completion ------------------------------------------------------

def test_review_rework_overlap(env):
    ids = env.project("rv", ["x1"], {"review": {"mode": "all"}, "overlap": {"k": 2}})
    x = ids["x1"]
    task = env.task("ann1", "rv")
    check("label_task_has_the_documented_fields",
          task is not None and task.get("kind") == "label" and task.get("project") == "rv"
          and task.get("item", {}).get("id") == x and task["item"].get("external_id") == "x1"
          and isinstance(task["item"].get("data"), dict) and task.get("lease")
          and task.get("expires_ms", 0) > time.time() * 1000 and task.get("lease_seconds") == 600
          and "schema_version" in task and "guideline_version" in task
          and task.get("draft") is None and task.get("prelabel") is None
          and task.get("previous") is None and task.get("labels") == [],
          f"{task}")
    if not task:
        return
    st, j = env.call("ann1", "POST", "/api/v1/projects/rv/tasks/next", {"kind": "label"})
    check("asking_again_returns_the_same_lease",
          st == 200 and (j.get("task") or {}).get("lease") == task["lease"], f"{st} {j}")
    expect_error("submit_value_failing_the_schema_is_422_naming_the_field",
                 env.submit("ann1", task["lease"], {"value": {"label": "maybe"}}), 422,
                 "value.label")
    st, first = env.submit("ann1", task["lease"], {"value": POS})
    check("submit_is_201_and_goes_to_review",
          st == 201 and env.state("rv", x) == "in_review" and first.get("late") is False
          and isinstance(first.get("annotation"), int)
          and isinstance(first.get("working_seconds"), (int, float))
          and first.get("feedback") is None, f"{st} {first}")
    expect_error("submit_twice_is_409", env.submit("ann1", task["lease"], {"value": POS}), 409)
    st, j = env.next("ann1", "rv", "review")
    check("an_annotator_may_not_ask_for_review", st == 403, f"{st} {j}")

    rv = env.task("rita", "rv", "review")
    check("review_task_shows_the_label",
          rv is not None and rv.get("kind") == "review" and rv["item"]["id"] == x
          and len(rv.get("labels", [])) == 1
          and rv["labels"][0].get("annotator") == "ann1" and rv["labels"][0].get("value") == POS
          and rv["labels"][0].get("annotation") == first.get("annotation")
          and rv["labels"][0].get("version") == 1, f"{rv}")
    if not rv:
        return
    expect_error("reject_with_an_unknown_reason_is_422",
                 env.submit("rita", rv["lease"], {"verdict": "reject", "reasons": ["bogus"]}),
                 422, "reasons")
    expect_error("reject_without_reasons_is_422",
                 env.submit("rita", rv["lease"], {"verdict": "reject"}), 422, "reasons")
    st, j = env.submit("rita", rv["lease"], {"verdict": "reject",
                                             "reasons": ["wrong_label", "guideline"],
                                             "comment": "read section 2 again"})
    check("reject_sends_the_item_to_rework", st == 201 and j.get("item_state") == "rework",
          f"{st} {j}")
    st, j = env.next("ann2", "rv")
    check("rework_is_not_offered_to_another_annotator",
          st == 200 and j.get("task") is None, f"{st} {j}")
    rw = env.task("ann1", "rv")
    prev = (rw or {}).get("previous") or {}
    check("the_annotators_next_task_is_the_rework",
          rw is not None and rw.get("kind") == "rework" and rw["item"]["id"] == x, f"{rw}")
    check("rework_shows_previous_value_reasons_and_comment",
          prev.get("value") == POS and prev.get("reasons") == ["wrong_label", "guideline"]
          and prev.get("comment") == "read section 2 again", f"{prev}")
    if not rw:
        return
    st, j = env.submit("ann1", rw["lease"], {"value": NEG})
    check("resubmitted_rework_goes_back_to_review",
          st == 201 and env.state("rv", x) == "in_review", f"{st} {j}")
    rv2 = env.task("rita", "rv", "review")
    check("the_review_shows_the_reworked_label",
          rv2 is not None and [l.get("value") for l in rv2.get("labels", [])] == [NEG],
          f"{rv2}")
    st, j = env.submit("rita", rv2["lease"], {"verdict": "accept"})
    check("accept_with_overlap_2_needs_a_second_label",
          st == 201 and j.get("item_state") == "queued", f"{st} {j}")
    st, j = env.next("ann1", "rv")
    check("the_first_annotator_does_not_get_the_item_again",
          st == 200 and j.get("task") is None and j.get("reason") == "empty", f"{st} {j}")

    t2 = env.task("ann2", "rv")
    check("the_second_annotator_gets_the_item", t2 is not None and t2["item"]["id"] == x, f"{t2}")
    if not t2:
        return
    text = json.dumps(t2)
    check("the_second_annotator_never_sees_the_first_label",
          t2.get("labels") == [] and t2.get("previous") is None and "ann1" not in text
          and '"neg"' not in text, text[:300])
    # nor through the item read a member may do before submitting
    st, j = env.call("ann2", "GET", f"/api/v1/projects/rv/items/{x}")
    check("the_item_read_does_not_show_other_annotators_labels_before_submitting",
          st in (200, 404) and "ann1" not in json.dumps(j), f"{st} {str(j)[:300]}")
    st, j = env.submit("ann2", t2["lease"], {"value": NEG})
    check("second_label_goes_to_review", st == 201 and env.state("rv", x) == "in_review",
          f"{st} {j}")
    rv3 = env.task("rita", "rv", "review")
    st, j = env.submit("rita", rv3["lease"], {"verdict": "accept", "comment": "fine"})
    check("two_accepted_agreeing_labels_complete_the_item",
          st == 201 and j.get("item_state") == "complete", f"{st} {j}")

    st, h = env.history("rv", x)
    final = h.get("final") or {} if isinstance(h, dict) else {}
    check("history_shows_the_final_label_and_method",
          st == 200 and h.get("state") == "complete" and final.get("value") == NEG
          and final.get("method") == "majority", f"{st} {h}")
    evs = h.get("events", []) if isinstance(h, dict) else []
    kinds = [(e.get("kind"), e.get("actor")) for e in evs]
    want = [("item_to_review", "ann1"), ("item_rejected", "rita"),
            ("item_rework_submitted", "ann1"), ("item_accepted", "rita"),
            ("item_to_review", "ann2"), ("item_complete", "rita")]
    check("history_shows_every_transition_with_its_actor_in_order", _in_order(kinds, want),
          f"{kinds}")
    check("history_events_carry_time_and_states",
          evs and all(e.get("at_ms") and isinstance(e.get("payload"), dict) for e in evs)
          and any((e.get("payload") or {}).get("from") == "in_review"
                  and (e.get("payload") or {}).get("to") == "rework" for e in evs),
          f"{evs[:3]}")
    rej = [e for e in evs if e.get("kind") == "item_rejected"]
    check("history_records_the_reject_reasons",
          rej and rej[0].get("payload", {}).get("reasons") == ["wrong_label", "guideline"],
          f"{rej}")

    # me: the annotator's week, and the reviewer's feedback on their labels
    st, me = env.call("ann1", "GET", "/api/v1/projects/rv/me")
    fb = me.get("feedback", []) if isinstance(me, dict) else []
    check("me_shows_the_role_and_week_labels",
          st == 200 and me.get("role") == "annotator"
          and me.get("week", {}).get("labels") == 2 and me.get("paused") is False
          and isinstance(me.get("queue"), dict), f"{st} {me}")
    check("me_shows_review_feedback",
          any(f.get("verdict") == "reject" and f.get("reasons") == ["wrong_label", "guideline"]
              and f.get("comment") == "read section 2 again" and f.get("item") == x and f.get("at")
              for f in fb) and any(f.get("verdict") == "accept" for f in fb), f"{fb}")
    st, me = env.call("ann3", "GET", "/api/v1/projects/rv/me")
    check("me_of_someone_without_labels",
          st == 200 and me.get("week", {}).get("labels") == 0 and me.get("feedback") == []
          and me.get("gold", {}).get("total") == 0, f"{st} {me}")


def _in_order(seq, want):
    i = 0
    for s in seq:
        if i < len(want) and s == want[i]:
            i += 1
    return i == len(want)


def test_reviewer_does_not_review_own_label(env):
    ids = env.project("own", ["o1"], {"review": {"mode": "all"}})
    task, st, j = env.label("rita", "own", POS)
    check("a_reviewer_may_label", st == 201 and j.get("item_state") == "in_review", f"{st} {j}")
    st, j = env.next("rita", "own", "review")
    check("a_reviewer_is_not_given_their_own_label_to_review",
          st == 200 and j.get("task") is None, f"{st} {j}")
    rv = env.task("rob", "own", "review")
    check("another_reviewer_gets_it", rv is not None and rv["item"]["id"] == ids["o1"], f"{rv}")
    if rv:
        st, j = env.submit("rob", rv["lease"], {"verdict": "fix", "value": NEG,
                                                "comment": "it is negative"})
        check("fix_completes_the_item_with_the_fixed_value",
              st == 201 and j.get("item_state") == "complete", f"{st} {j}")
        st, h = env.history("own", ids["o1"])
        check("fixed_item_final_is_the_fix",
              st == 200 and (h.get("final") or {}).get("value") == NEG, f"{st} {h}")


# ---- routing: never twice, skip ---------------------------------------------------------------

def test_never_twice_and_skip(env):
    ids = env.project("ov", ["v1", "v2", "v3"], {"overlap": {"k": 2}})
    got = []
    for _ in range(4):
        task = env.task("ann1", "ov")
        if task is None:
            break
        got.append(task["item"]["id"])
        env.submit("ann1", task["lease"], {"value": POS})
    check("an_annotator_gets_every_item_once_then_nothing",
          sorted(got) == sorted(ids.values()), f"got {got}, items {ids}")
    st, j = env.next("ann1", "ov")
    check("nothing_left_reads_empty", st == 200 and j.get("task") is None
          and j.get("reason") == "empty", f"{st} {j}")
    t2 = env.task("ann2", "ov")
    check("the_next_annotator_sees_no_label",
          t2 is not None and t2.get("labels") == [] and "ann1" not in json.dumps(t2), f"{t2}")

    ids = env.project("sk", ["s1", "s2"], {})
    a = env.task("ann1", "sk")
    st, j = env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/skip", {"reason": "too hard"})
    check("skip_is_200", st == 200, f"{st} {j}")
    b = env.task("ann1", "sk")
    check("a_skipped_item_is_not_offered_again",
          b is not None and b["item"]["id"] != a["item"]["id"], f"{a} then {b}")
    if b:
        env.call("ann1", "POST", f"/api/v1/tasks/{b['lease']}/skip", {})
    st, j = env.next("ann1", "sk")
    check("after_skipping_everything_nothing_is_left",
          st == 200 and j.get("task") is None, f"{st} {j}")
    st, j = env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/heartbeat", {})
    check("a_skipped_lease_is_closed", st == 409, f"{st} {j}")
    c = env.task("ann2", "sk")
    check("a_skipped_item_goes_to_others", c is not None, f"{c}")


# ---- flags and the manager's queue ------------------------------------------------------------

def test_flag_queue_requeue(env):
    ids = env.project("fl", ["f1"], {})
    f1 = ids["f1"]
    a = env.task("ann1", "fl")
    expect_error("flag_with_an_unknown_reason_is_422",
                 env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/flag", {"reason": "meh"}),
                 422, "reason")
    expect_error("flag_without_a_reason_is_422",
                 env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/flag", {}), 422, "reason")
    st, j = env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/flag",
                     {"reason": "broken_data", "comment": "the text is cut"})
    check("flag_is_200_and_escalates",
          st == 200 and "item_state" not in j and env.state("fl", a["item"]["id"]) == "escalated",
          f"{st} {j}")
    st, j = env.next("ann2", "fl")
    check("a_flagged_item_leaves_the_queue", st == 200 and j.get("task") is None, f"{st} {j}")
    st, q = env.call("max", "GET", "/api/v1/projects/fl/queue")
    fl = q.get("flagged", []) if isinstance(q, dict) else []
    check("the_manager_queue_lists_the_flag",
          st == 200 and any(f.get("item") == f1 and f.get("reason") == "broken_data"
                            and f.get("comment") == "the text is cut" and f.get("by") == "ann1"
                            and f.get("at") for f in fl), f"{st} {q}")
    check("the_manager_queue_has_the_documented_members",
          isinstance(q, dict) and all(k in q for k in ("flagged", "overdue", "paused")),
          f"{q}")
    expect_error("requeue_of_an_unknown_item_is_404",
                 env.call("max", "POST", "/api/v1/projects/fl/items/999999/requeue", {}), 404)
    st, j = env.call("max", "POST", f"/api/v1/projects/fl/items/{f1}/requeue",
                     {"comment": "fixed the text"})
    check("requeue_is_200_and_queued", st == 200 and j.get("item_state") == "queued",
          f"{st} {j}")
    st, q = env.call("max", "GET", "/api/v1/projects/fl/queue")
    check("a_requeued_item_leaves_the_manager_queue",
          st == 200 and not any(f.get("item") == f1 for f in q.get("flagged", [])), f"{q}")
    expect_error("requeue_of_an_item_not_flagged_is_409",
                 env.call("max", "POST", f"/api/v1/projects/fl/items/{f1}/requeue", {}), 409)
    b = env.task("ann2", "fl")
    check("a_requeued_item_is_served_again", b is not None and b["item"]["id"] == f1, f"{b}")
    st, h = env.history("fl", f1)
    kinds = [(e.get("kind"), e.get("actor")) for e in h.get("events", [])] \
        if isinstance(h, dict) else []
    check("history_shows_flag_and_requeue",
          ("item_flagged", "ann1") in kinds and ("item_requeued", "max") in kinds, f"{kinds}")


# ---- leases: heartbeat, drafts, late submits --------------------------------------------------

def test_heartbeat_and_draft(env):
    env.project("dr", ["d1", "d2"], {})
    a = env.task("ann1", "dr")
    time.sleep(0.05)
    st, j = env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/heartbeat", {})
    check("heartbeat_extends_the_lease",
          st == 200 and isinstance(j.get("expires_ms"), int) and j["expires_ms"] > a["expires_ms"],
          f"{st} {j} vs {a['expires_ms']}")
    draft = {"label": "pos", "notes": ["half done"]}
    st, j = env.call("ann1", "PUT", f"/api/v1/tasks/{a['lease']}/draft", {"value": draft})
    check("draft_is_saved", st == 200 and isinstance(j.get("saved_ms"), int), f"{st} {j}")
    expect_error("draft_without_a_value_object_is_422",
                 env.call("ann1", "PUT", f"/api/v1/tasks/{a['lease']}/draft", {"value": 3}), 422,
                 "value")
    b = env.task("ann1", "dr")
    check("the_draft_comes_back_on_the_next_tasks_next",
          b is not None and b.get("lease") == a["lease"] and b.get("draft") == draft, f"{b}")
    st, j = env.call("ann2", "POST", f"/api/v1/tasks/{a['lease']}/heartbeat", {})
    check("someone_elses_lease_is_404", st == 404, f"{st} {j}")
    st, j = env.call("ann1", "POST", "/api/v1/tasks/00000000000000000000000000000000/heartbeat",
                     {})
    check("an_unknown_lease_is_404", st == 404, f"{st} {j}")


def test_late_submit(env):
    ids = env.project("late", ["l1", "l2"], {"lease_seconds": 10})
    a = env.task("ann1", "late")
    b = env.task("ann2", "late")
    check("a_10_second_lease", a and a.get("lease_seconds") == 10
          and 9000 <= a["expires_ms"] - time.time() * 1000 <= 10500, f"{a}")
    env.project("late2", ["m1"], {"lease_seconds": 10})
    od = env.project("od", ["o1", "o2"], {}, create_args=("--turnaround", "0.001"))
    env.project("late3", ["d1"], {"lease_seconds": 10})
    long_task = env.task("ann1", "late3")
    work = {"label": "neg", "boxes_so_far": 117}
    env.call("ann1", "PUT", f"/api/v1/tasks/{long_task['lease']}/draft", {"value": work})
    quiet = env.task("ann1", "late2")  # after expiry nobody asks for a task in late2
    if not a or not b or a["item"]["id"] == b["item"]["id"] or not quiet:
        ko("late_setup", f"{a} {b} {quiet}")
        return
    time.sleep(11.0)  # the only wait of the suite
    back = env.task("ann1", "late3")
    check("after_expiry_the_author_gets_the_item_nobody_took_back_with_the_draft",
          back is not None and back["item"]["id"] == long_task["item"]["id"]
          and back.get("draft") == work, f"{back}")
    st, q = env.call("max", "GET", "/api/v1/projects/od/queue")
    over = {o.get("item"): o.get("age_hours") for o in q.get("overdue", [])} \
        if isinstance(q, dict) else {}
    check("items_older_than_the_turnaround_are_reported_overdue",
          st == 200 and set(over) == set(od.values())
          and all(isinstance(a_, float) and a_ >= 0.001 for a_ in over.values()), f"{st} {q}")
    st, j = env.submit("ann1", quiet["lease"], {"value": NEG})
    check("a_late_submit_on_a_lease_nobody_expired_yet_is_accepted_with_late_true",
          st == 201 and j.get("late") is True
          and env.state("late2", quiet["item"]["id"]) == "complete",
          f"{st} {j}")
    st, j = env.call("ann1", "POST", f"/api/v1/tasks/{a['lease']}/heartbeat", {})
    check("a_heartbeat_cannot_revive_an_expired_lease", st == 409, f"{st} {j}")
    c = env.task("ann3", "late")  # expires both leases; takes one of the two items
    check("an_expired_lease_returns_the_item_to_the_pool",
          c is not None and c["item"]["id"] in (a["item"]["id"], b["item"]["id"]), f"{c}")
    if not c:
        return
    taken, free = (a, b) if c["item"]["id"] == a["item"]["id"] else (b, a)
    user_of = {a["lease"]: "ann1", b["lease"]: "ann2"}
    st, j = env.submit(user_of[free["lease"]], free["lease"], {"value": POS})
    check("a_late_submit_nobody_took_is_accepted_with_late_true",
          st == 201 and j.get("late") is True, f"{st} {j}")
    st, j = env.submit(user_of[taken["lease"]], taken["lease"], {"value": POS})
    expect_error("a_late_submit_of_an_item_someone_else_took_is_409_lease_expired",
                 (st, j), 409, code="lease_expired")
    st, j = env.submit("ann3", c["lease"], {"value": NEG})
    check("the_new_holder_submits", st == 201 and j.get("late") is False, f"{st} {j}")
    n = env.sql("SELECT COUNT(*) FROM annotations WHERE item_id = ?", taken["item"]["id"])[0][0]
    check("the_refused_late_submit_stored_nothing", n == 1, f"{n} annotations")


# ---- adjudication -----------------------------------------------------------------------------

def test_adjudication(env):
    ids = env.project("adj", ["a1"], {"overlap": {"k": 2}})
    a1 = ids["a1"]
    env.label("ann1", "adj", POS, a1)
    _, st, j = env.label("ann2", "adj", NEG, a1)
    check("a_1_1_tie_goes_to_adjudication",
          st == 201 and env.state("adj", a1) == "adjudication", f"{st} {j}")
    st, j = env.next("ann1", "adj", "adjudicate")
    check("an_annotator_may_not_adjudicate", st == 403, f"{st} {j}")
    st, j = env.next("rita", "adj", "review")
    check("an_adjudication_item_is_not_a_review_task", st == 200 and j.get("task") is None,
          f"{st} {j}")
    task = env.task("rita", "adj", "adjudicate")
    labels = (task or {}).get("labels", [])
    check("the_adjudicator_sees_the_labels_side_by_side",
          task is not None and task.get("kind") == "adjudicate"
          and sorted((l.get("annotator"), l.get("value", {}).get("label")) for l in labels)
          == [("ann1", "pos"), ("ann2", "neg")], f"{task}")
    if not task:
        return
    st, j = env.submit("rita", task["lease"], {"value": POS})
    check("the_decision_completes_the_item",
          st == 201 and j.get("item_state") == "complete", f"{st} {j}")
    st, h = env.history("adj", a1)
    final = (h.get("final") or {}) if isinstance(h, dict) else {}
    check("the_final_label_is_the_decision",
          st == 200 and final.get("value") == POS and final.get("method") == "adjudicated",
          f"{st} {h}")
    check("history_shows_the_adjudication",
          any(e.get("kind") == "item_to_adjudication" for e in h.get("events", []))
          and any(e.get("kind") == "item_adjudicated" and e.get("actor") == "rita"
                  for e in h.get("events", [])), f"{h}")


# ---- gold, pause, resume, invalidate ----------------------------------------------------------

def test_gold_pause_invalidate(env):
    env.cli("project", "create", "gold")
    for user, role in USERS.items():
        env.cli("member", "add", "gold", user, "--role", role)
    path = os.path.join(env.tmp, "gold-labels.csv")
    gold_ext = [f"g{i}" for i in range(8)]
    plain_ext = [f"n{i}" for i in range(24)]
    with open(path, "w") as f:
        f.write("item,annotator,label,gold\n")
        for i, g in enumerate(gold_ext):
            truth = "pos" if i % 2 else "neg"
            f.write(f"{g},expert,{truth},{truth}\n")
        for n in plain_ext:
            f.write(f"{n},seed,pos,\n")
    env.cli("import", "labels", "gold", path)
    st, j = env.call("max", "PUT", "/api/v1/projects/gold/workflow",
                     {"gold": {"share": 0.5, "feedback": True, "target": 0.8, "certainty": 0.9,
                               "min_gold": 3}})
    check("gold_config_is_200", st == 200, f"{st} {j}")
    ids = env.item_ids("gold")
    gold_ids = {ids[g]: ("pos" if i % 2 else "neg") for i, g in enumerate(gold_ext)}
    answered = {"gold": 0, "plain": 0}
    plain_items = []
    feedback_seen = []
    odd = []
    paused_reply = None
    for _ in range(40):
        st, j = env.next("ann1", "gold")
        if st != 200:
            ko("gold_next", f"{st} {j}")
            return
        task = j.get("task")
        if task is None:
            paused_reply = j
            break
        item = task["item"]["id"]
        if item in gold_ids:
            wrong = {"label": "pos" if gold_ids[item] == "neg" else "neg"}
            st, r = env.submit("ann1", task["lease"], {"value": wrong})
            answered["gold"] += 1
            feedback_seen.append((gold_ids[item], r.get("feedback")))
            if st != 201 or env.state("gold", item) != "queued":
                odd.append(("gold", st, r, env.state("gold", item)))
        else:
            st, r = env.submit("ann1", task["lease"], {"value": POS})
            answered["plain"] += 1
            plain_items.append(item)
            if st != 201 or r.get("feedback") is not None:
                odd.append(("plain", st, r))
    check("gold_answers_are_201_queued_and_plain_answers_carry_no_feedback", not odd, f"{odd}")
    check("gold_tasks_look_like_any_other", answered["gold"] > 0, f"{answered}")
    check("gold_feedback_shows_the_expected_answer",
          feedback_seen and all(fb and fb.get("correct") is False
                                and fb.get("expected") == {"label": truth}
                                and "guideline_version" in fb for truth, fb in feedback_seen),
          f"{feedback_seen}")
    check("three_wrong_gold_answers_pause_the_annotator",
          paused_reply is not None and paused_reply.get("reason") == "paused"
          and answered["gold"] == 3, f"{paused_reply} after {answered}")
    st, me = env.call("ann1", "GET", "/api/v1/projects/gold/me")
    check("me_shows_gold_and_paused",
          st == 200 and me.get("paused") is True and me.get("gold", {}).get("total") == 3
          and me.get("gold", {}).get("correct") == 0 and me["gold"].get("accuracy") == 0
          and me.get("week", {}).get("labels") == answered["gold"] + answered["plain"],
          f"{st} {me}")
    st, q = env.call("max", "GET", "/api/v1/projects/gold/queue")
    check("the_manager_queue_lists_the_paused_annotator",
          st == 200 and any(p.get("user") == "ann1" and isinstance(p.get("p_below"), float)
                            and p["p_below"] >= 0.9 and p.get("since")
                            for p in q.get("paused", [])), f"{st} {q}")
    st, j = env.call("max", "POST", "/api/v1/projects/gold/annotators/ann1/resume", {})
    check("resume_is_200", st == 200 and j.get("paused") is False, f"{st} {j}")
    st, j = env.next("ann1", "gold")
    check("a_resumed_annotator_gets_tasks_again", st == 200 and j.get("task") is not None,
          f"{st} {j}")
    if st == 200 and j.get("task"):
        env.call("ann1", "POST", f"/api/v1/tasks/{j['task']['lease']}/skip", {})
    st, q = env.call("max", "GET", "/api/v1/projects/gold/queue")
    check("a_resumed_annotator_leaves_the_queue",
          st == 200 and not any(p.get("user") == "ann1" for p in q.get("paused", [])), f"{q}")
    st, j = env.call("max", "POST", "/api/v1/projects/gold/annotators/ann2/pause",
                     {"reason": "training"})
    check("a_manager_pauses_an_annotator", st == 200 and j.get("paused") is True, f"{st} {j}")
    st, j = env.next("ann2", "gold")
    check("a_paused_annotator_gets_no_task",
          st == 200 and j.get("task") is None and j.get("reason") == "paused", f"{st} {j}")
    env.call("max", "POST", "/api/v1/projects/gold/annotators/ann2/resume", {})
    expect_error("invalidate_without_since_is_422",
                 env.call("max", "POST", "/api/v1/projects/gold/annotators/ann1/invalidate", {}),
                 422, "since_ms")
    expect_error("pause_of_an_unknown_user_is_404",
                 env.call("max", "POST", "/api/v1/projects/gold/annotators/nobody/pause", {}),
                 404)
    before = {i: env.history("gold", i)[1].get("state") for i in plain_items}
    st, j = env.call("max", "POST", "/api/v1/projects/gold/annotators/ann1/invalidate",
                     {"since_ms": 0})
    check("invalidate_since_0_requeues_their_items",
          st == 200 and j.get("items_requeued") == len(plain_items), f"{st} {j} {plain_items}")
    after = {i: env.history("gold", i)[1] for i in plain_items}
    check("invalidated_items_were_complete_and_are_queued_again",
          all(v == "complete" for v in before.values())
          and all(h.get("state") == "queued" and "final" not in h for h in after.values()),
          f"before {before}, after {[h.get('state') for h in after.values()]}")
    check("history_records_the_invalidation",
          all(any(e.get("kind") == "item_invalidated" and e.get("actor") == "max"
                  for e in h.get("events", [])) for h in after.values()), "")
    got = env.task("ann2", "gold")
    check("an_invalidated_item_is_served_for_labeling_again", got is not None, f"{got}")


# ---- annotations: ETag / If-Match; idempotency ------------------------------------------------

def test_annotation_edit(env):
    env.project("ed", ["e1"], {"review": {"mode": "all"}})
    _, st, j = env.label("ann1", "ed", POS)
    aid = j.get("annotation")
    path = f"/api/v1/annotations/{aid}"
    st, hdrs, data = env.raw("ann1", "GET", path)
    a = json.loads(data) if st == 200 else {}
    check("annotation_get_has_etag_v1",
          st == 200 and hdrs.get("etag") == '"v1"' and a.get("version") == 1
          and a.get("value") == POS and a.get("annotator") == "ann1", f"{st} {hdrs} {data[:200]}")
    expect_error("patch_without_if_match_is_428",
                 env.call("ann1", "PATCH", path, {"value": NEG}), 428)
    st, hdrs, data = env.raw("ann1", "PATCH", path, {"value": NEG}, {"If-Match": '"v1"'})
    b = json.loads(data) if st == 200 else {}
    check("patch_with_the_current_version_is_200_and_v2",
          st == 200 and hdrs.get("etag") == '"v2"' and b.get("version") == 2
          and b.get("value") == NEG, f"{st} {hdrs} {data[:200]}")
    expect_error("patch_with_a_stale_version_is_409_stale_version",
                 env.call("ann1", "PATCH", path, {"value": POS}, {"If-Match": '"v1"'}), 409,
                 code="stale_version")
    st, hdrs, data = env.raw("ann1", "GET", path)
    c = json.loads(data) if st == 200 else {}
    check("a_stale_patch_changed_nothing",
          st == 200 and hdrs.get("etag") == '"v2"' and c.get("value") == NEG
          and c.get("version") == 2, f"{st} {hdrs} {data[:200]}")
    expect_error("patch_with_an_invalid_value_is_422",
                 env.call("ann1", "PATCH", path, {"value": {"label": "maybe"}},
                          {"If-Match": '"v2"'}), 422, "value.label")
    st, hdrs, data = env.raw("max", "PATCH", path, {"value": POS}, {"If-Match": '"v2"'})
    check("a_manager_edits_too", st == 200 and hdrs.get("etag") == '"v3"', f"{st} {data[:200]}")
    expect_error("an_unknown_annotation_is_404",
                 env.call("ann1", "GET", "/api/v1/annotations/999999"), 404)
    st, j = env.call("ann2", "GET", path)
    check("another_annotator_does_not_see_the_annotation", st == 404, f"{st} {j}")


def test_idempotency(env):
    ids = env.project("idem", ["i1", "i2"], {})
    task = env.task("ann1", "idem")
    item = task["item"]["id"]
    st1, _, d1 = env.raw("ann1", "POST", f"/api/v1/tasks/{task['lease']}/submit",
                         {"value": POS}, {"Idempotency-Key": "key-1"})
    st2, _, d2 = env.raw("ann1", "POST", f"/api/v1/tasks/{task['lease']}/submit",
                         {"value": POS}, {"Idempotency-Key": "key-1"})
    check("a_repeated_submit_returns_the_same_status_and_body",
          st1 == 201 and st2 == st1 and json.loads(d2) == json.loads(d1), f"{st1} {d1} / {st2} {d2}")
    n = env.sql("SELECT COUNT(*) FROM annotations WHERE item_id = ?", item)[0][0]
    check("a_repeated_submit_creates_one_annotation", n == 1, f"{n} annotations")
    expect_error("an_idempotency_key_over_128_bytes_is_refused",
                 env.submit("ann1", task["lease"], {"value": POS}, "k" * 129), 422,
                 "Idempotency-Key")
    st, j = env.submit("ann1", task["lease"], {"value": POS}, "key-2")
    check("a_new_key_on_a_submitted_lease_is_409", st == 409, f"{st} {j}")
    n = env.sql("SELECT COUNT(*) FROM annotations WHERE item_id = ?", item)[0][0]
    check("still_one_annotation", n == 1, f"{n} annotations")
    other = env.task("ann1", "idem")
    st, j = env.submit("ann1", other["lease"], {"value": POS}, "k" * 128)
    check("an_idempotency_key_of_128_bytes_is_accepted", st == 201, f"{st} {j}")
    del ids


# ---- pre-labels -------------------------------------------------------------------------------

def test_prelabels(env):
    ids = env.project("pre", ["p1", "p2"], {"prelabels": True})
    preds = "".join(json.dumps({"item": it, "model": "m1", "model_version": "7",
                                "value": POS, "score": 0.7}) + "\n" for it in ("p1", "p2"))
    st, _, data = env.raw("max", "POST", "/api/v1/projects/pre/predictions", preds,
                          {"Content-Type": "application/x-ndjson"})
    check("predictions_upload_is_200", st == 200, f"{st} {data[:200]}")
    results = {}
    for choice, value in (("accepted", POS), ("edited", NEG)):
        task = env.task("ann1", "pre")
        pl = (task or {}).get("prelabel") or {}
        check(f"the_task_carries_the_prelabel_{choice}",
              pl.get("value") == POS and pl.get("model") == "m1" and pl.get("score") == 0.7,
              f"{task}")
        if not task:
            return
        if choice == "accepted":
            expect_error("an_unknown_prelabel_answer_is_422",
                         env.submit("ann1", task["lease"], {"value": value, "prelabel": "maybe"}),
                         422, "prelabel")
        st, j = env.submit("ann1", task["lease"], {"value": value, "prelabel": choice})
        results[choice] = j.get("annotation") if st == 201 else None
    for choice, aid in results.items():
        st, a = env.call("ann1", "GET", f"/api/v1/annotations/{aid}")
        check(f"the_annotation_records_prelabel_{choice}",
              st == 200 and a.get("prelabel") == choice, f"{st} {a}")
    ids2 = env.project("nopre", ["q1"], {})
    env.cli("import", "predictions", "nopre", _write(env, "nopre.jsonl", json.dumps(
        {"item": "q1", "model": "m1", "value": POS, "score": 0.9}) + "\n"))
    task = env.task("ann1", "nopre")
    check("without_prelabels_the_task_has_none", task is not None and task.get("prelabel") is None,
          f"{task}")
    del ids, ids2


# ---- shapes of me and the manager's queue; rework rounds; caps; cookie writes -----------------

def test_me_and_queue_shapes(env):
    env.project("shp", ["h1", "h2"], {"review": {"mode": "all"}})
    env.label("ann1", "shp", POS)
    st, me = env.call("ann1", "GET", "/api/v1/projects/shp/me")
    q = me.get("queue") if isinstance(me, dict) else None
    check("me_queue_has_the_documented_counts",
          st == 200 and isinstance(q, dict)
          and all(isinstance(q.get(k), int) for k in ("label", "rework", "review", "adjudicate")),
          f"{st} queue {q}")
    check("me_has_the_documented_members",
          st == 200 and all(k in me for k in ("role", "queue", "week", "gold", "paused",
                                               "feedback"))
          and all(k in me["week"] for k in ("labels", "working_seconds"))
          and all(k in me["gold"] for k in ("correct", "total", "accuracy")), f"{me}")
    st, mq = env.call("max", "GET", "/api/v1/projects/shp/queue")
    check("manager_queue_has_the_documented_review_and_adjudication_counts",
          st == 200 and isinstance(mq.get("review"), int) and isinstance(mq.get("adjudication"),
                                                                          int)
          and mq.get("review") == 1 and mq.get("adjudication") == 0, f"{st} {mq}")


def test_rework_rounds_and_cap(env):
    ids = env.project("rnd", ["r1"], {"review": {"mode": "all"}, "rework": {"max_rounds": 1}})
    env.label("ann1", "rnd", POS)
    rv = env.task("rita", "rnd", "review")
    env.submit("rita", rv["lease"], {"verdict": "reject", "reasons": ["incomplete"]})
    rw = env.task("ann1", "rnd")
    st, j = env.submit("ann1", rw["lease"], {"value": NEG})
    rv = env.task("rita", "rnd", "review")
    st, j = env.submit("rita", rv["lease"], {"verdict": "reject", "reasons": ["other"],
                                             "comment": "still wrong"})
    check("a_reject_past_max_rounds_goes_to_adjudication",
          st == 201 and j.get("item_state") == "adjudication", f"{st} {j}")
    st, j = env.next("ann1", "rnd")
    check("no_rework_past_max_rounds", st == 200 and j.get("task") is None, f"{st} {j}")
    task = env.task("rob", "rnd", "adjudicate")
    check("the_item_waits_for_an_adjudicator",
          task is not None and task["item"]["id"] == ids["r1"], f"{task}")
    check("the_adjudicator_sees_the_labels_that_went_round",
          task is not None and {l.get("annotator") for l in task.get("labels", [])} == {"ann1"}
          and NEG in [l.get("value") for l in task.get("labels", [])], f"{task}")

    env.project("cap", ["k1", "k2", "k3"], {"cap_per_day": 1})
    _, st, j = env.label("ann1", "cap", POS)
    st, j = env.next("ann1", "cap")
    check("the_daily_cap_stops_tasks", st == 200 and j.get("task") is None
          and j.get("reason") == "cap", f"{st} {j}")


def test_author_edit_after_complete_and_working_time(env):
    env.project("done", ["z1"], {})
    task = env.task("ann1", "done")
    time.sleep(0.3)
    st, j = env.submit("ann1", task["lease"], {"value": POS})
    check("an_unreviewed_single_label_completes_the_item",
          st == 201 and env.state("done", task["item"]["id"]) == "complete", f"{st} {j}")
    aid = j.get("annotation")
    st, a = env.call("ann1", "GET", f"/api/v1/annotations/{aid}")
    check("the_working_time_is_measured_on_the_server",
          st == 200 and isinstance(a.get("working_seconds"), (int, float))
          and 0.3 <= a["working_seconds"] < 60, f"{st} {a}")
    st, j = env.call("ann1", "PATCH", f"/api/v1/annotations/{aid}", {"value": NEG},
                     {"If-Match": '"v1"'})
    check("the_author_may_not_edit_once_the_item_is_complete", st in (403, 409), f"{st} {j}")
    st, a = env.call("ann1", "GET", f"/api/v1/annotations/{aid}")
    check("the_refused_author_edit_changed_nothing",
          st == 200 and a.get("value") == POS and a.get("version") == 1, f"{st} {a}")


def test_cookie_writes_need_csrf(env):
    env.project("ck", ["c1"], {})
    st, hdrs, data = env.raw(None, "POST", "/api/v1/session",
                             {"name": "ann3", "password": env.passwords["ann3"]})
    if st != 201:
        ko("cookie_sign_in", f"{st} {data[:200]}")
        return
    cookie = {"Cookie": hdrs.get("set-cookie", "").split(";")[0]}
    csrf = json.loads(data).get("csrf_token", "")
    expect_error("a_cookie_tasks_next_without_csrf_is_403",
                 env.call(None, "POST", "/api/v1/projects/ck/tasks/next", {"kind": "label"},
                          cookie), 403, code="csrf")
    st, j = env.call(None, "POST", "/api/v1/projects/ck/tasks/next", {"kind": "label"},
                     {**cookie, "X-CSRF-Token": csrf})
    check("a_cookie_tasks_next_with_csrf_is_200", st == 200 and j.get("task"), f"{st} {j}")


def test_review_leases_and_skips(env):
    ids = env.project("rl", ["w1", "w2"], {"review": {"mode": "all"}})
    env.label("ann1", "rl", POS)
    a = env.task("rita", "rl", "review")
    st, j = env.next("rob", "rl", "review")
    check("a_review_held_by_one_reviewer_is_not_given_to_another",
          a is not None and st == 200 and j.get("task") is None, f"{a} / {st} {j}")
    st, j = env.call("rita", "POST", f"/api/v1/tasks/{a['lease']}/flag",
                     {"reason": "unclear_guideline"})
    check("flagging_an_item_in_review_is_an_illegal_transition_409", st == 409, f"{st} {j}")
    st, j = env.call("rita", "POST", f"/api/v1/tasks/{a['lease']}/skip", {"reason": "later"})
    check("a_reviewer_skips_a_review", st == 200, f"{st} {j}")
    st, j = env.next("rita", "rl", "review")
    again = j.get("task") if isinstance(j, dict) else None
    check("a_skipped_review_is_not_offered_to_that_reviewer_again",
          st == 200 and (again is None or again["item"]["id"] != a["item"]["id"]),
          f"skipped item {a['item']['id']}, then {st} {j}")
    if again:
        env.call("rita", "POST", f"/api/v1/tasks/{again['lease']}/skip", {})
    b = env.task("rob", "rl", "review")
    check("a_skipped_review_goes_to_another_reviewer",
          b is not None and b["item"]["id"] == a["item"]["id"], f"{b}")


def test_requests_that_name_the_wrong_thing(env):
    ids = env.project("nw", ["y1"], {})
    other = env.project("nw2", ["y2"], {})
    expect_error("tasks_next_with_an_unknown_kind_is_422",
                 env.next("ann1", "nw", "everything"), 422, "kind")
    expect_error("history_of_an_item_of_another_project_is_404",
                 env.history("nw", other["y2"]), 404)
    expect_error("requeue_of_an_item_of_another_project_is_404",
                 env.call("max", "POST", f"/api/v1/projects/nw/items/{other['y2']}/requeue", {}),
                 404)
    env.cli("project", "create", "nowf")
    env.cli("member", "add", "nowf", "ann1", "--role", "annotator")
    st, j = env.next("ann1", "nowf")
    check("tasks_next_without_a_workflow_is_a_clear_409",
          st == 409 and "workflow" in (j.get("error") or {}).get("message", ""), f"{st} {j}")
    expect_error("submit_with_a_review_verdict_on_a_label_task_is_422",
                 env.submit("ann1", env.task("ann1", "nw")["lease"], {"verdict": "accept"}), 422,
                 "value")
    del ids


def test_gold_stays_hidden(env):
    env.cli("project", "create", "hid")
    for user, role in USERS.items():
        env.cli("member", "add", "hid", user, "--role", role)
    env.cli("import", "labels", "hid", _write(env, "hid.csv", "item,annotator,label,gold\n"
                                              "h1,expert,pos,pos\nh2,seed,neg,\n"))
    st, j = env.call("max", "PUT", "/api/v1/projects/hid/workflow", {"gold": {"share": 0.5}})
    ids = env.item_ids("hid")
    tasks = {}
    for _ in range(40):  # gold is drawn with probability 0.5: ask until both came
        task = env.task("ann2", "hid")
        if task:
            tasks[task["item"]["id"]] = task
            env.submit("ann2", task["lease"], {"value": POS})
        if len(tasks) == 2:
            break
    gold, plain = tasks.get(ids["h1"]), tasks.get(ids["h2"])
    check("gold_and_plain_tasks_have_the_same_shape",
          gold and plain and set(gold) == set(plain) and set(gold["item"]) == set(plain["item"])
          and "gold" not in json.dumps(gold), f"{gold} / {plain}")
    st, j = env.call("ann3", "GET", f"/api/v1/projects/hid/items/{ids['h1']}")
    check("an_annotator_cannot_read_the_gold_answer_of_an_item",
          st == 404 or (st == 200 and not j.get("gold")), f"{st} {str(j)[:300]}")


def _as_annotator_sees(env, user, project, item, answer):
    """What user, an annotator, can learn of an item after submitting a label of it: the
    submit answer without its own numbers, the item read's workflow object and labels'
    statuses, the history's state and event kinds."""
    seen = {k: v for k, v in answer.items() if k not in ("annotation", "working_seconds")}
    st, j = env.call(user, "GET", f"/api/v1/projects/{project}/items/{item}")
    seen["read"] = (st, j.get("workflow") if isinstance(j, dict) else j,
                    [a.get("status") for a in j.get("annotations", [])]
                    if isinstance(j, dict) else None)
    st, h = env.history(project, item, user)
    seen["history"] = (st, h.get("state") if isinstance(h, dict) else h,
                       [e.get("kind") for e in h.get("events", [])] if isinstance(h, dict)
                       else None)
    return seen


def _gold_without_feedback_project(env, name):
    """A project with overlap 1, three regular items (n0..n2, unlabeled) and three gold items
    (g0..g2, answer pos), gold share 0.5 and feedback off; answers the PUT of its workflow."""
    env.cli("project", "create", name)
    for user, role in USERS.items():
        env.cli("member", "add", name, user, "--role", role)
    env.cli("import", "items", name, _write(
        env, f"{name}.jsonl", "".join(json.dumps({"id": f"n{i}", "text": f"n{i}"}) + "\n"
                                      for i in range(3))))
    env.cli("import", "labels", name, _write(
        env, f"{name}.csv", "item,annotator,label,gold\n"
        + "".join(f"g{i},expert,pos,pos\n" for i in range(3))))
    return env.call("max", "PUT", f"/api/v1/projects/{name}/workflow",
                    {"gold": {"share": 0.5, "feedback": False}})


def test_an_annotator_cannot_tell_gold_apart(env):
    # Overlap 1, gold share > 0, feedback off: a gold item never leaves the queue while a
    # regular one completes on its one label. What the annotator is shown must not say which
    # was which (docs/decisions/0008-item-workflow-view.md, docs/workflow.md).
    st, j = _gold_without_feedback_project(env, "gind")
    check("gold_without_feedback_config_is_200",
          st == 200 and (j.get("gold") or {}).get("feedback") is False
          and (j.get("overlap") or {}).get("k") == 1, f"{st} {j}")
    ids = env.item_ids("gind")
    gold_ids = {ids[f"g{i}"] for i in range(3)}
    seen = {}
    for _ in range(6):  # ann1 is served every item once: both kinds come
        task = env.task("ann1", "gind")
        if task is None:
            break
        item = task["item"]["id"]
        st, answer = env.submit("ann1", task["lease"], {"value": POS})
        if st != 201:
            ko("gind_submit", f"{st} {answer}")
            return
        seen.setdefault("gold" if item in gold_ids else "plain",
                        (item, _as_annotator_sees(env, "ann1", "gind", item, answer)))
    if set(seen) != {"gold", "plain"}:
        ko("an_annotator_labels_a_gold_and_a_regular_item", f"{seen}")
        return
    (gold_item, gold), (plain_item, plain) = seen["gold"], seen["plain"]
    # the manager sees the difference the annotator must not
    check("the_manager_sees_the_gold_item_queued_and_the_regular_one_complete",
          env.state("gind", gold_item) == "queued" and env.state("gind", plain_item) == "complete"
          and "item_complete" in [e.get("kind") for e in env.history("gind", plain_item)[1]
                                  .get("events", [])],
          f"{env.state('gind', gold_item)} / {env.state('gind', plain_item)}")
    check("an_annotators_submit_answer_has_no_item_state",
          "item_state" not in gold and "item_state" not in plain
          and gold.get("feedback") is None and gold.get("late") is False, f"{gold} / {plain}")
    check("an_annotators_item_read_has_a_workflow_object_with_every_member_null",
          plain["read"] == (200, {"state": None, "final": None, "confidence": None,
                                  "method": None}, ["active"]), f"{plain['read']}")
    check("an_annotators_history_has_no_state_and_no_transition_their_submit_caused",
          plain["history"] == (200, None, []), f"{plain['history']}")
    check("after_labeling_a_gold_and_a_regular_item_the_annotator_sees_the_same",
          gold == plain, f"gold {gold} / regular {plain}")

    # the annotator's own actions stay in their history, without the item's states
    env.project("gflag", ["f1"], {})
    task = env.task("ann2", "gflag")
    st, j = env.call("ann2", "POST", f"/api/v1/tasks/{task['lease']}/flag",
                     {"reason": "broken_data"})
    st2, h = env.history("gflag", task["item"]["id"], "ann2")
    events = h.get("events", []) if isinstance(h, dict) else []
    check("an_annotators_history_shows_their_flag_without_the_items_states",
          st == 200 and st2 == 200 and h.get("state") is None
          and [(e.get("kind"), e.get("actor"), e.get("payload")) for e in events]
          == [("item_flagged", "ann2", {"reason": "broken_data", "comment": ""})], f"{st2} {h}")
    st, h = env.history("gflag", task["item"]["id"])
    check("the_manager_sees_the_flag_with_the_states",
          st == 200 and h.get("state") == "escalated"
          and [(e.get("payload") or {}).get("to") for e in h.get("events", [])]
          == ["escalated"], f"{st} {h}")


def _me(env, user, project):
    st, me = env.call(user, "GET", f"/api/v1/projects/{project}/me")
    if st != 200 or not isinstance(me, dict):
        raise RuntimeError(f"GET me of {user} in {project}: {st} {me}")
    return me


def _me_but_week(me):
    """The /me answer without the caller's week (labels and time move on every submit)."""
    return {k: v for k, v in me.items() if k != "week"}


def _live_gold(env, project, user):
    """user's gold record as the manager reads it (GET .../annotators)."""
    st, j = env.call("max", "GET", f"/api/v1/projects/{project}/annotators")
    rows = [a for a in (j.get("annotators") or []) if a.get("user") == user] \
        if isinstance(j, dict) else []
    if st != 200 or len(rows) != 1:
        raise RuntimeError(f"GET annotators of {project}: {st} {j}")
    return rows[0]["gold"]


def _day_start_iso():
    day = int(time.time()) // 86400
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(day * 86400))


def test_an_annotators_me_does_not_tell_gold_apart(env):
    # Overlap 1, gold share > 0, feedback off: a gold label moves the annotator's gold record
    # and nothing in the project's counts, a regular label moves the counts (queued -1,
    # complete +1) and no gold record. GET .../me must change the same way after either
    # (docs/decisions/0008-item-workflow-view.md, "The annotator's figures").
    st, j = _gold_without_feedback_project(env, "gme")
    check("gme_config_is_200", st == 200 and (j.get("overlap") or {}).get("k") == 1,
          f"{st} {j}")
    ids = env.item_ids("gme")
    gold_ids = {ids[f"g{i}"] for i in range(3)}
    first = _me(env, "ann3", "gme")
    check("an_annotators_me_counts_what_they_could_still_be_given_and_no_project_counts",
          first["queue"] == {"label": 6, "rework": 0, "review": 0, "adjudicate": 0}
          and first["counts"] is None and first["role"] == "annotator"
          and first["gold"] == {"correct": 0, "total": 0, "accuracy": None, "p_below": None,
                                "as_of": _day_start_iso()}, f"{first}")
    changes = {}
    for _ in range(6):  # ann3 is served every item once: both kinds come
        before = _me(env, "ann3", "gme")
        task = env.task("ann3", "gme")
        if task is None:
            break
        item = task["item"]["id"]
        st, answer = env.submit("ann3", task["lease"], {"value": POS})
        if st != 201:
            ko("gme_submit", f"{st} {answer}")
            return
        after = _me(env, "ann3", "gme")
        kind = "gold" if item in gold_ids else "plain"
        if kind not in changes:
            expect = _me_but_week(before)
            expect["queue"] = dict(expect["queue"], label=expect["queue"]["label"] - 1)
            changes[kind] = (item, _me_but_week(after) == expect, _me_but_week(before),
                             _me_but_week(after))
        if len(changes) == 2:
            break
    if set(changes) != {"gold", "plain"}:
        ko("an_annotator_labels_a_gold_and_a_regular_item_gme", f"{changes}")
        return
    (gold_item, gold_same, gb, ga), (plain_item, plain_same, pb, pa) = \
        changes["gold"], changes["plain"]
    check("the_manager_sees_the_gold_item_queued_and_the_regular_one_complete_gme",
          env.state("gme", gold_item) == "queued" and env.state("gme", plain_item) == "complete",
          f"{env.state('gme', gold_item)} / {env.state('gme', plain_item)}")
    check("after_a_gold_label_me_changes_only_by_one_fewer_item_to_label", gold_same,
          f"before {gb} after {ga}")
    check("after_a_regular_label_me_changes_only_by_one_fewer_item_to_label", plain_same,
          f"before {pb} after {pa}")
    live = _live_gold(env, "gme", "ann3")
    me = _me(env, "ann3", "gme")
    check("the_manager_reads_the_live_gold_record_the_annotator_sees_as_of_the_days_start",
          live["total"] >= 1 and live["correct"] == live["total"]
          and me["gold"]["total"] == 0 and me["gold"].get("as_of") == _day_start_iso(),
          f"manager {live}, annotator {me['gold']}")
    st, mine = env.call("max", "GET", "/api/v1/projects/gme/me")
    check("the_managers_own_me_keeps_the_project_counts",
          st == 200 and isinstance(mine.get("counts"), dict)
          and mine["counts"].get("complete", 0) >= 1
          and mine["queue"]["label"] == mine["counts"]["queued"]
          and "as_of" not in mine["gold"], f"{st} {mine}")

    # feedback on: the submit answer says openly what was gold, so the record is live
    st, j = env.call("max", "PUT", "/api/v1/projects/gme/workflow",
                     {"gold": {"share": 0.5, "feedback": True}})
    me = _me(env, "ann3", "gme")
    check("with_feedback_on_the_annotators_me_shows_the_live_gold_record",
          st == 200 and me["gold"] == live, f"{st} {me['gold']}, live {live}")
    st, j = env.call("max", "PUT", "/api/v1/projects/gme/workflow",
                     {"gold": {"share": 0.5, "feedback": False}})
    lagged = _me(env, "ann3", "gme")["gold"]
    check("with_feedback_off_again_the_record_is_as_of_the_days_start",
          st == 200 and lagged["total"] == 0 and lagged.get("as_of") == _day_start_iso(),
          f"{st} {lagged}")

    # a restart changes nothing of what is shown (the record is stored, not remembered)
    env.srv.stop()
    env.srv = t.Server(env.db, "--rate", "0", "--quiet")
    check("after_a_restart_the_annotator_is_shown_the_same_gold_record",
          _me(env, "ann3", "gme")["gold"] == lagged, f"{_me(env, 'ann3', 'gme')['gold']}")

    # the next day: every gold answer so far is from before it, so the record is the live one
    con = sqlite3.connect(env.db, timeout=60)
    try:
        with con:
            n = con.execute("UPDATE workers SET gold_day = gold_day - 1 WHERE user_id ="
                            " (SELECT id FROM users WHERE name = 'ann3') AND project_id ="
                            " (SELECT id FROM projects WHERE name = 'gme')").rowcount
    finally:
        con.close()
    me = _me(env, "ann3", "gme")
    check("on_the_next_day_the_annotator_sees_the_record_up_to_yesterday",
          n == 1 and {k: v for k, v in me["gold"].items() if k != "as_of"} == live
          and me["gold"].get("as_of") == _day_start_iso(), f"{n} {me['gold']}, live {live}")


def test_flag_from_adjudication(env):
    ids = env.project("fa", ["b1"], {"overlap": {"k": 2}})
    b1 = ids["b1"]
    env.label("ann1", "fa", POS, b1)
    env.label("ann2", "fa", NEG, b1)
    task = env.task("rita", "fa", "adjudicate")
    st, j = env.call("rita", "POST", f"/api/v1/tasks/{task['lease']}/flag",
                     {"reason": "unclear_guideline", "comment": "both are defensible"})
    check("an_adjudicator_may_flag", st == 200 and j.get("item_state") == "escalated",
          f"{st} {j}")
    st, j = env.call("max", "POST", f"/api/v1/projects/fa/items/{b1}/requeue",
                     {"comment": "guideline clarified"})
    check("requeue_after_a_flag_from_adjudication", st == 200, f"{st} {j}")
    adj = env.task("rob", "fa", "adjudicate")
    lab = env.task("ann3", "fa") if adj is None else None
    check("a_requeued_item_can_still_be_finished",
          (adj and adj["item"]["id"] == b1) or (lab and lab["item"]["id"] == b1),
          f"adjudicate: {adj}, label: {lab}, history state "
          f"{env.history('fa', b1)[1].get('state')}")


def test_routing_order_and_coverage(env):
    for proj, before in (("lc", True), ("lc2", False)):
        # predictions imported before the workflow is set, and after (a model run on items
        # already in the queue)
        env.project(proj, ["s9", "s2", "s5"], None if before else {"least_confident_first": True})
        preds = "".join(json.dumps({"item": it, "model": "m", "value": POS, "score": sc}) + "\n"
                        for it, sc in (("s9", 0.9), ("s2", 0.2), ("s5", 0.5)))
        env.cli("import", "predictions", proj, _write(env, f"{proj}.jsonl", preds))
        if before:
            env.call("max", "PUT", f"/api/v1/projects/{proj}/workflow",
                     {"least_confident_first": True})
        order = []
        for _ in range(3):
            task, st, j = env.label("ann1", proj, POS)
            order.append(task["item"]["external_id"])
        when = "before" if before else "after"
        check(f"least_confident_first_with_predictions_imported_{when}_the_workflow",
              order == ["s2", "s5", "s9"], f"{order}")

    path = os.path.join(env.tmp, "prio.jsonl")
    with open(path, "w") as f:
        for it, pr in (("q0", 0), ("q1", 7), ("q2", 3)):
            f.write(json.dumps({"id": it, "text": it, "priority": pr}) + "\n")
    env.project("prio", [], {})
    env.cli("import", "items", "prio", path)
    order = []
    for _ in range(3):
        task, st, j = env.label("ann1", "prio", POS)
        order.append(task["item"]["external_id"])
    check("a_higher_item_priority_is_served_first", order == ["q1", "q2", "q0"], f"{order}")

    ids = env.project("cov0", ["u1", "u2"], {"overlap": {"k": 3, "coverage": 0.0}})
    task, st, j = env.label("ann1", "cov0", POS)
    check("overlap_k_on_coverage_0_means_one_label_per_item",
          st == 201 and env.state("cov0", task["item"]["id"]) == "complete", f"{st} {j}")
    ids = env.project("cov1", ["u1"], {"overlap": {"k": 3, "coverage": 1.0}})
    states = []
    for u in ("ann1", "ann2", "ann3"):
        env.label(u, "cov1", POS, ids["u1"])
        states.append(env.state("cov1", ids["u1"]))
    check("overlap_k_3_on_every_item_wants_three_labels",
          states == ["queued", "queued", "complete"], f"{states}")
    st, h = env.history("cov1", ids["u1"])
    check("three_agreeing_labels_consolidate_by_majority",
          st == 200 and (h.get("final") or {}).get("value") == POS
          and (h.get("final") or {}).get("method") == "majority"
          and (h.get("final") or {}).get("confidence") == 1.0, f"{st} {h}")


def test_config_changes_apply_to_waiting_items(env):
    ids = env.project("chg", ["k1", "k2"], {})
    st, j = env.call("max", "PUT", "/api/v1/projects/chg/workflow",
                     {"overlap": {"k": 2}, "field": "label"})
    check("a_config_naming_a_schema_field_is_accepted", st == 200 and j.get("field") == "label",
          f"{st} {j}")
    task, st, j = env.label("ann1", "chg", POS)
    check("a_raised_overlap_applies_to_items_not_labeled_yet",
          st == 201 and env.state("chg", task["item"]["id"]) == "queued", f"{st} {j}")
    rv = env.project("chg2", ["k3"], {"review": {"mode": "all"}})
    env.label("ann1", "chg2", POS)
    a = env.task("rita", "chg2", "review")
    b = env.task("rita", "chg2", "review")
    check("asking_for_a_review_again_returns_the_same_lease",
          a is not None and b is not None and a["lease"] == b["lease"], f"{a} / {b}")
    del ids, rv


def test_submit_answers_have_the_documented_members(env):
    env.project("ans", ["j1"], {"review": {"mode": "all"}, "overlap": {"k": 2}})
    members = ("annotation", "item_state", "late", "working_seconds", "feedback")
    answers = {}
    # an annotator's label answer has every member but item_state (decisions/0008)
    members_of = {"label": tuple(m for m in members if m != "item_state")}
    _, _, answers["label"] = env.label("ann1", "ans", POS)
    rv = env.task("rita", "ans", "review")
    answers["review"] = env.submit("rita", rv["lease"], {"verdict": "accept"})[1]
    env.label("ann2", "ans", NEG)
    rv = env.task("rita", "ans", "review")
    env.submit("rita", rv["lease"], {"verdict": "accept"})
    adj = env.task("rob", "ans", "adjudicate")
    answers["adjudicate"] = env.submit("rob", adj["lease"], {"value": NEG})[1] if adj else {}
    for kind, j in answers.items():
        want = members_of.get(kind, members)
        check(f"the_{kind}_submit_answer_has_the_documented_members",
              isinstance(j, dict) and sorted(j) == sorted(want)
              and isinstance(j.get("working_seconds"), (int, float)), f"{j}")


def test_consolidate(env):
    ids = env.project("cons", ["v1", "v2"], {"overlap": {"k": 3}})
    for user, value in (("ann1", POS), ("ann2", POS), ("ann3", NEG)):
        env.label(user, "cons", value, ids["v1"])
    expect_error("consolidate_with_an_unknown_method_is_422",
                 env.call("max", "POST", "/api/v1/projects/cons/consolidate", {"method": "vote"}),
                 422, "method")
    st, j = env.call("max", "POST", "/api/v1/projects/cons/consolidate", {"method": "mv"})
    check("consolidate_redecides_the_complete_items",
          st == 200 and j.get("method") == "mv" and j.get("items_updated") == 1
          and j.get("items_changed") == 0 and j.get("labels") == 3, f"{st} {j}")
    st, h = env.history("cons", ids["v1"])
    final = (h.get("final") or {}) if isinstance(h, dict) else {}
    check("the_consolidated_final_label_keeps_the_majority_and_names_the_method",
          st == 200 and final.get("value") == POS and final.get("method") == "mv", f"{st} {h}")


def test_labels_around_a_flag_and_an_edit(env):
    # overlap 2 and review: two annotators hold the item, one flags it; the other's submit
    # must not lose their work to an internal state error
    ids = env.project("fl2", ["x"], {"review": {"mode": "all"}, "overlap": {"k": 2}})
    a = env.task("ann1", "fl2")
    b = env.task("ann2", "fl2")
    env.call("ann2", "POST", f"/api/v1/tasks/{b['lease']}/flag", {"reason": "broken_data"})
    st, j = env.submit("ann1", a["lease"], {"value": POS})
    check("a_co_annotators_submit_on_an_item_flagged_meanwhile_is_kept",
          st == 201, f"{st} {j}")
    # a manager corrects the only label of a complete item: the final label follows
    ids = env.project("fix", ["y"], {})
    _, st, j = env.label("ann1", "fix", POS)
    st, j = env.call("max", "PATCH", f"/api/v1/annotations/{j.get('annotation')}",
                     {"value": NEG}, {"If-Match": '"v1"'})
    st2, h = env.history("fix", ids["y"])
    check("a_managers_edit_of_a_complete_items_label_updates_its_final_label",
          st == 200 and st2 == 200 and (h.get("final") or {}).get("value") == NEG,
          f"PATCH {st}; final {h.get('final') if isinstance(h, dict) else h}")


def test_dynamic_overlap(env):
    # k_min 2, k_max 3, target 0.95. Nobody has answered gold, so every annotator's accuracy
    # estimate is the Beta(1,1) mean 0.5: with two classes the one-coin posterior stays at 0.5
    # (docs/workflow.md), below the target, and the item goes to adjudication at k_max.
    ids = env.project("dyn", ["x"], {"overlap": {"dynamic": True, "k_min": 2, "k_max": 3,
                                                 "target": 0.95}})
    states = []
    for user in ("ann1", "ann2", "ann3"):
        task = env.task(user, "dyn")
        if task is None:
            states.append(None)
            break
        env.submit(user, task["lease"], {"value": POS})
        states.append(env.state("dyn", ids["x"]))
    check("dynamic_overlap_asks_k_min_labels_then_more_up_to_k_max_then_adjudication",
          states == ["queued", "queued", "adjudication"], f"item states after each label: {states}")


def test_review_share_consolidation_and_field(env):
    ids = env.project("rs1", ["a"], {"review": {"mode": "random", "share": 1.0}})
    _, st, j = env.label("ann1", "rs1", POS)
    check("random_review_with_share_1_reviews_every_label",
          st == 201 and env.state("rs1", ids["a"]) == "in_review", f"{st} {j}")
    ids = env.project("rs0", ["a"], {"review": {"mode": "random", "share": 0.0}})
    _, st, j = env.label("ann1", "rs0", POS)
    check("random_review_with_share_0_reviews_none",
          st == 201 and env.state("rs0", ids["a"]) == "complete", f"{st} {j}")

    ids = env.project("oc", ["a"], {"overlap": {"k": 2}, "consolidation": "onecoin"})
    env.label("ann1", "oc", POS)
    _, st, j = env.label("ann2", "oc", POS)
    st2, h = env.history("oc", ids["a"])
    final = (h.get("final") or {}) if isinstance(h, dict) else {}
    check("onecoin_consolidation_names_its_method",
          st == 201 and h.get("state") == "complete" and final.get("method") == "onecoin"
          and final.get("value") == POS and isinstance(final.get("confidence"), float),
          f"{st} {j} {h}")

    # two fields: free text first, then the single choice the workflow compares (field null)
    fields = [{"name": "note", "type": "free_text"},
              {"name": "label", "type": "single_choice", "classes": ["neg", "pos"],
               "required": True},
              {"name": "topic", "type": "single_choice", "classes": ["a", "b"]}]
    ids = env.project("two", ["a"], {"overlap": {"k": 2}}, fields=fields)
    env.label("ann1", "two", {"note": "first", "label": "pos", "topic": "a"})
    _, st, j = env.label("ann2", "two", {"note": "second", "label": "pos", "topic": "b"})
    check("the_compared_field_defaults_to_the_first_single_choice_field",
          st == 201 and env.state("two", ids["a"]) == "complete", f"{st} {j}")
    ids = env.project("two2", ["a"], {"overlap": {"k": 2}, "field": "topic"}, fields=fields)
    env.label("ann1", "two2", {"label": "pos", "topic": "a"})
    _, st, j = env.label("ann2", "two2", {"label": "pos", "topic": "b"})
    check("a_named_field_is_the_one_compared",
          st == 201 and env.state("two2", ids["a"]) == "adjudication", f"{st} {j}")


def test_invalidate_since(env):
    ids = env.project("inv", ["a", "b"], {})
    first, _, _ = env.label("ann2", "inv", POS)
    time.sleep(0.05)
    since = int(time.time() * 1000)
    time.sleep(0.05)
    second, _, _ = env.label("ann2", "inv", POS)
    st, j = env.call("max", "POST", "/api/v1/projects/inv/annotators/ann2/invalidate",
                     {"since_ms": since})
    s1 = env.history("inv", first["item"]["id"])[1].get("state")
    s2 = env.history("inv", second["item"]["id"])[1].get("state")
    check("invalidate_since_a_time_requeues_only_the_labels_made_since",
          st == 200 and j.get("items_requeued") == 1 and s1 == "complete" and s2 == "queued",
          f"{st} {j}; states {s1} {s2}")
    del ids


def test_history_is_no_back_door(env):
    # docs/access.md: an annotator sees only the items the workflow gave them, with their own
    # labels only; any other item is 404. The history (with the final label) is such a read.
    ids = env.project("hb", ["x", "y"], {"overlap": {"k": 2}})
    env.label("ann1", "hb", POS, ids["x"])
    env.label("ann2", "hb", POS, ids["x"])
    st, j = env.call("ann3", "GET", f"/api/v1/projects/hb/items/{ids['x']}")
    check("an_item_not_given_to_an_annotator_reads_as_missing", st == 404, f"{st} {j}")
    st, h = env.history("hb", ids["x"], "ann3")
    check("nor_does_its_history_show_an_annotator_the_final_label",
          st == 404 or (st == 200 and "final" not in h), f"{st} {h}")


def _export_rows(env, project, fmt):
    """The project's export read by the manager: JSONL items by id, or CSV rows (dicts)."""
    st, _, data = env.raw("max", "GET", f"/api/v1/projects/{project}/export?format={fmt}")
    if st != 200:
        raise RuntimeError(f"export {project} {fmt}: {st} {data[:200]!r}")
    text = data.decode()
    if fmt == "csv":
        import csv
        import io
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return {j["id"]: j for j in map(json.loads, text.splitlines())}


def _statuses(j):
    return [(a.get("annotator"), a.get("value"), a.get("status"))
            for a in (j.get("annotations") or [] if isinstance(j, dict) else [])]


def test_item_read_shows_the_workflow(env):
    # GET .../items/{id}: the item's state and, once complete, its final label with confidence
    # and method (the export's "workflow" object), and each label's status; an annotator sees
    # of an item given to them their own labels with their status, and a workflow object with
    # every member null: no final label, no state (docs/decisions/0008-item-workflow-view.md).
    ids = env.project("iw", ["w1", "w2"], {"review": {"mode": "all"}, "overlap": {"k": 2}})
    w1, w2 = ids["w1"], ids["w2"]
    item = f"/api/v1/projects/iw/items/{w1}"
    env.label("ann1", "iw", POS, w1)
    st, j = env.call("max", "GET", item)
    check("item_read_in_review_shows_the_state_and_no_final_label",
          st == 200 and j.get("workflow") == {"state": "in_review", "final": None,
                                              "confidence": None, "method": None}
          and _statuses(j) == [("ann1", POS, "active")], f"{st} {j}")
    rv = env.task("rita", "iw", "review")
    env.submit("rita", rv["lease"], {"verdict": "reject", "reasons": ["wrong_label"]})
    st, j = env.call("ann1", "GET", item)
    check("item_read_shows_the_annotator_their_rejected_label_but_not_the_rework_state",
          st == 200 and j.get("workflow") == {"state": None, "final": None,
                                              "confidence": None, "method": None}
          and _statuses(j) == [("ann1", POS, "rejected")], f"{st} {j}")
    check("the_manager_reads_the_rework_state", env.state("iw", w1) == "rework",
          env.state("iw", w1))
    rw = env.task("ann1", "iw")
    env.submit("ann1", rw["lease"], {"value": NEG})
    rv = env.task("rita", "iw", "review")
    env.submit("rita", rv["lease"], {"verdict": "accept"})
    env.label("ann2", "iw", NEG, w1)
    rv = env.task("rita", "iw", "review")
    st, j = env.submit("rita", rv["lease"], {"verdict": "accept"})
    if not (st == 201 and j.get("item_state") == "complete"):
        raise RuntimeError(f"the item did not complete: {st} {j}")

    st, j = env.call("max", "GET", item)
    check("item_read_of_a_complete_item_shows_the_final_label_confidence_and_method",
          st == 200 and j.get("workflow") == {"state": "complete", "final": NEG,
                                              "confidence": 1.0, "method": "majority"},
          f"{st} {j.get('workflow') if isinstance(j, dict) else j}")
    check("item_read_shows_each_labels_status",
          st == 200 and _statuses(j) == [("ann1", POS, "rejected"), ("ann1", NEG, "active"),
                                         ("ann2", NEG, "active")], f"{_statuses(j)}")
    jl = _export_rows(env, "iw", "jsonl")
    check("item_read_and_jsonl_export_give_the_same_workflow_object",
          st == 200 and j.get("workflow") == jl["w1"].get("workflow")
          and [a.get("status") for a in j.get("annotations", [])]
          == [a.get("status", "active") for a in jl["w1"]["annotations"]],
          f"{j.get('workflow')} / {jl['w1'].get('workflow')}")
    st, j = env.call("rita", "GET", item)
    check("a_reviewer_sees_the_final_label_too",
          st == 200 and (j.get("workflow") or {}).get("final") == NEG, f"{st} {j}")

    st, j = env.call("ann1", "GET", item)
    check("an_annotator_sees_neither_the_state_nor_the_final_label_confidence_or_method",
          st == 200 and j.get("workflow") == {"state": None, "final": None,
                                              "confidence": None, "method": None}, f"{st} {j}")
    check("an_annotator_sees_their_own_labels_with_their_status_only",
          st == 200 and _statuses(j) == [("ann1", POS, "rejected"), ("ann1", NEG, "active")],
          f"{_statuses(j)}")
    st, j = env.call("ann3", "GET", item)
    check("an_item_not_given_to_the_annotator_is_still_404", st == 404, f"{st} {j}")
    st, j = env.call("max", "GET", f"/api/v1/projects/iw/items/{w2}")
    check("an_item_nobody_labeled_is_queued_without_a_final_label",
          st == 200 and j.get("workflow") == {"state": "queued", "final": None,
                                              "confidence": None, "method": None}
          and j.get("annotations") == [], f"{st} {j}")

    # A fix: the annotator's label superseded, the final label the reviewer's value, which the
    # annotator's read does not reveal.
    ids = env.project("iwf", ["f1"], {"review": {"mode": "all"}})
    env.label("ann2", "iwf", POS, ids["f1"])
    rv = env.task("rob", "iwf", "review")
    env.submit("rob", rv["lease"], {"verdict": "fix", "value": NEG})
    fitem = f"/api/v1/projects/iwf/items/{ids['f1']}"
    st, j = env.call("max", "GET", fitem)
    check("item_read_after_a_fix_shows_the_superseded_label_and_the_fixed_final",
          st == 200 and _statuses(j) == [("ann2", POS, "superseded"), ("rob", NEG, "active")]
          and (j.get("workflow") or {}).get("final") == NEG
          and (j.get("workflow") or {}).get("state") == "complete", f"{st} {j}")
    st, j = env.call("ann2", "GET", fitem)
    check("the_annotator_of_a_fixed_label_sees_it_superseded_but_not_the_fix",
          st == 200 and _statuses(j) == [("ann2", POS, "superseded")]
          and (j.get("workflow") or {}).get("final") is None and '"neg"' not in json.dumps(j),
          f"{st} {j}")

    # The CSV export: the same values in the columns after the old ones.
    rows = [r for r in _export_rows(env, "iw", "csv") if r.get("item") == "w1"]
    check("csv_export_gives_each_labels_status",
          [(r.get("annotator"), r.get("status")) for r in rows]
          == [("ann1", "rejected"), ("ann1", "active"), ("ann2", "active")], f"{rows}")
    check("csv_export_gives_the_items_state_final_confidence_and_method",
          rows and all(r.get("item_state") == "complete" and r.get("final")
                       and json.loads(r["final"]) == NEG and r.get("final_confidence")
                       and float(r["final_confidence"]) == 1.0
                       and r.get("final_method") == "majority" for r in rows), f"{rows}")
    rows = [r for r in _export_rows(env, "iw", "csv") if r.get("item") == "w2"]
    check("csv_export_of_a_queued_item_has_its_state_and_empty_final_cells",
          [(r.get("kind"), r.get("item_state"), r.get("final"), r.get("final_confidence"),
            r.get("final_method")) for r in rows] == [("item", "queued", "", "", "")], f"{rows}")

    # Without a workflow: no "workflow" object, every label active, empty CSV cells.
    env.project("iwplain", [])
    env.cli("import", "labels", "iwplain",
            _write(env, "iwplain.csv", "item,annotator,label\nn1,expert,pos\n"))
    n1 = env.item_ids("iwplain")["n1"]
    st, j = env.call("max", "GET", f"/api/v1/projects/iwplain/items/{n1}")
    check("item_read_without_a_workflow_has_no_workflow_object",
          st == 200 and "workflow" not in j
          and [a.get("status") for a in j.get("annotations", [])] == ["active"], f"{st} {j}")
    rows = _export_rows(env, "iwplain", "csv")
    check("csv_export_without_a_workflow_leaves_the_five_columns_empty",
          len(rows) == 1 and all(rows[0].get(k) == "" for k in
                                 ("status", "item_state", "final", "final_confidence",
                                  "final_method")), f"{rows}")


def test_skills_languages_and_caps(env):
    env.project("sl", [], {})
    path = os.path.join(env.tmp, "sl.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps({"id": "med", "text": "a scan", "skills": ["medical"]}) + "\n")
        f.write(json.dumps({"id": "ger", "text": "ein Satz", "language": "de"}) + "\n")
    env.cli("import", "items", "sl", path)
    st, j = env.next("ann1", "sl")
    check("an_item_asking_for_a_skill_or_language_is_not_given_to_someone_without_it",
          st == 200 and j.get("task") is None, f"{st} {j}")
    st, j = env.call("max", "PUT", "/api/v1/projects/sl/annotators/ann2",
                     {"skills": ["medical"], "languages": ["en"], "cap_per_day": 5})
    check("a_manager_sets_an_annotators_skills_languages_and_cap", st == 200, f"{st} {j}")
    got = env.task("ann2", "sl")
    check("an_annotator_with_the_skill_gets_the_item",
          got is not None and got["item"]["external_id"] == "med", f"{got}")
    if got:
        env.submit("ann2", got["lease"], {"value": POS})
    st, j = env.next("ann2", "sl")
    check("the_language_item_is_not_for_an_annotator_without_the_language",
          st == 200 and j.get("task") is None, f"{st} {j}")
    env.call("max", "PUT", "/api/v1/projects/sl/annotators/ann3",
             {"languages": ["de"], "cap_per_day": 1})
    got = env.task("ann3", "sl")
    check("an_annotator_with_the_language_gets_the_item",
          got is not None and got["item"]["external_id"] == "ger", f"{got}")
    st, people = env.call("max", "GET", "/api/v1/projects/sl/annotators")
    rows = people.get("annotators", people) if isinstance(people, dict) else people
    row = next((r for r in rows or [] if isinstance(r, dict) and r.get("user") == "ann2"), None) \
        if isinstance(rows, list) else None
    check("the_annotators_list_shows_skills_languages_cap_and_figures",
          st == 200 and row is not None and row.get("skills") == ["medical"]
          and row.get("languages") == ["en"] and row.get("cap_per_day") == 5
          and row.get("labels") == 1 and "gold" in row and row.get("paused") is False,
          f"{st} {people}")
    expect_error("an_annotator_setting_with_a_bad_cap_is_422",
                 env.call("max", "PUT", "/api/v1/projects/sl/annotators/ann2",
                          {"cap_per_day": -1}), 422, "cap_per_day")
    # a per-annotator cap of 1
    env.project("cap1", ["a", "b"], {})
    env.call("max", "PUT", "/api/v1/projects/cap1/annotators/ann1", {"cap_per_day": 1})
    env.label("ann1", "cap1", POS)
    st, j = env.next("ann1", "cap1")
    check("a_per_annotator_cap_stops_their_tasks",
          st == 200 and j.get("task") is None and j.get("reason") == "cap", f"{st} {j}")
    st, j = env.next("ann2", "cap1")
    check("and_not_anyone_elses", st == 200 and j.get("task") is not None, f"{st} {j}")


def _write(env, name, text):
    path = os.path.join(env.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- refusals inside workflow jobs are audited (docs/decisions/0009) --------------------------

def _denials(env):
    """The access_denied entries of the audit log, read by the local operator (the CLI)."""
    p = env.cli("--json", "audit", "list")
    return [e for e in json.loads(p.stdout) if e.get("kind") == "access_denied"]


def _one_new_denial(env, before, name, actor, object_type, object_id, action, answer):
    """Checks that exactly one access_denied entry came after the first `before` ones, and that
    it names the actor, the object and the action; returns the entries."""
    now = _denials(env)
    new = now[len(before):]
    want = {"actor": actor, "object_type": object_type, "object_id": object_id,
            "payload": {"action": action, "answer": answer}}
    got = [{k: e.get(k) for k in want} for e in new]
    check(name, now[:len(before)] == before and got == [want],
          f"new entries {got}, expected [{want}]")
    return now


def test_refusals_inside_workflow_jobs_are_audited(env):
    # A lease route or an annotation edit refused inside its write job (the group-commit
    # writer) leaves one audited access_denied entry, as every other refusal does, and changes
    # nothing else.
    ids = env.project("aud", ["a1", "a2", "a3"], {"review": {"mode": "all"}})
    task = env.task("ann1", "aud")
    lease, item = task["lease"], task["item"]["id"]
    calls = [("submit", "POST", {"value": POS}), ("heartbeat", "POST", {}),
             ("draft", "PUT", {"value": POS}), ("skip", "POST", {}),
             ("flag", "POST", {"reason": "broken_data"})]
    seen = _denials(env)
    for op, method, body in calls:
        st, j = env.call("ann2", method, f"/api/v1/tasks/{lease}/{op}", body)
        check(f"another_users_{op}_on_a_lease_is_still_404", st == 404, f"{st} {j}")
        seen = _one_new_denial(env, seen, f"another_users_{op}_on_a_lease_is_audited_once",
                               "ann2", "item", item, "annotate", "not_found")
    st, j = env.call("ann2", "POST", "/api/v1/tasks/00000000000000000000000000000000/submit",
                     {"value": POS})
    check("a_submit_on_an_unknown_lease_is_404", st == 404, f"{st} {j}")
    check("an_unknown_lease_is_no_denial", _denials(env) == seen, "an entry was added")

    # The command line runs the same job outside the writer, and audits it the same way.
    p = subprocess.run([LO, "--db", env.db, "workflow", "submit", lease, "--as", "ann3",
                        "--value", json.dumps(POS)], capture_output=True, text=True)
    check("another_users_submit_on_the_command_line_fails", p.returncode != 0,
          f"exit {p.returncode}: {p.stdout} {p.stderr}")
    seen = _one_new_denial(env, seen, "another_users_submit_on_the_command_line_is_audited_once",
                           "ann3", "item", item, "annotate", "not_found")

    # None of it touched the lease: its holder submits.
    st, j = env.submit("ann1", lease, {"value": POS})
    check("the_lease_holder_still_submits_after_the_refusals", st == 201, f"{st} {j}")
    check("the_lease_holders_submit_is_no_denial", _denials(env) == seen, "an entry was added")
    aid = j.get("annotation") if isinstance(j, dict) else None

    # A holder whose role in the project no longer allows the work: 403, on the project.
    other = env.task("ann3", "aud")
    env.cli("member", "add", "aud", "ann3", "--role", "vendor_manager")
    project_id = env.sql("SELECT id FROM projects WHERE name = 'aud'")[0][0]
    st, j = env.call("ann3", "POST", f"/api/v1/tasks/{other['lease']}/heartbeat", {})
    check("a_lease_whose_holder_may_no_longer_annotate_is_403", st == 403, f"{st} {j}")
    seen = _one_new_denial(env, seen, "a_lease_holder_refused_by_the_policy_is_audited_once",
                           "ann3", "project", project_id, "annotate", "forbidden")
    env.cli("member", "add", "aud", "ann3", "--role", "annotator")

    # An annotation edit by a reviewer who is not its author: 403; by another annotator: 404.
    path = f"/api/v1/annotations/{aid}"
    st, j = env.call("rita", "PATCH", path, {"value": NEG}, {"If-Match": '"v1"'})
    check("a_reviewers_edit_of_someone_elses_label_is_403", st == 403, f"{st} {j}")
    seen = _one_new_denial(env, seen, "a_forbidden_annotation_edit_is_audited_once",
                           "rita", "annotation", aid, "update", "forbidden")
    st, j = env.call("ann2", "PATCH", path, {"value": NEG}, {"If-Match": '"v1"'})
    check("another_annotators_edit_is_404", st == 404, f"{st} {j}")
    seen = _one_new_denial(env, seen, "another_annotators_annotation_edit_is_audited_once",
                           "ann2", "annotation", aid, "update", "not_found")
    st, j = env.call("max", "GET", path)
    check("the_refused_edits_changed_nothing",
          st == 200 and j.get("version") == 1 and j.get("value") == POS, f"{st} {j}")
    st, j = env.call("ann1", "PATCH", path, {"value": NEG}, {"If-Match": '"v1"'})
    check("the_authors_edit_still_works_and_is_no_denial",
          st == 200 and j.get("version") == 2 and _denials(env) == seen, f"{st} {j}")
    # Not a job, but refused after the project check: the annotators' figures.
    st, j = env.call("rita", "GET", "/api/v1/projects/aud/annotators")
    check("a_reviewer_reading_the_annotators_figures_is_403", st == 403, f"{st} {j}")
    seen = _one_new_denial(env, seen, "a_refused_read_of_the_annotators_figures_is_audited_once",
                           "rita", "project", project_id, "update", "forbidden")
    p = subprocess.run([LO, "--db", env.db, "audit", "verify"], capture_output=True, text=True)
    check("the_audit_chain_with_the_denials_verifies", p.returncode == 0, p.stdout + p.stderr)
    del ids


def main():
    tmp = tempfile.mkdtemp()
    env = None
    try:
        env = Env(tmp)
        env.srv = t.Server(env.db, "--rate", "0", "--quiet")
        for test in (test_config, test_review_rework_overlap,
                     test_reviewer_does_not_review_own_label, test_never_twice_and_skip,
                     test_flag_queue_requeue, test_heartbeat_and_draft, test_adjudication,
                     test_gold_pause_invalidate, test_annotation_edit, test_idempotency,
                     test_prelabels, test_me_and_queue_shapes, test_rework_rounds_and_cap,
                     test_author_edit_after_complete_and_working_time,
                     test_cookie_writes_need_csrf, test_review_leases_and_skips,
                     test_requests_that_name_the_wrong_thing, test_gold_stays_hidden,
                     test_an_annotator_cannot_tell_gold_apart,
                     test_an_annotators_me_does_not_tell_gold_apart,
                     test_flag_from_adjudication, test_routing_order_and_coverage,
                     test_config_changes_apply_to_waiting_items,
                     test_submit_answers_have_the_documented_members, test_consolidate,
                     test_labels_around_a_flag_and_an_edit, test_dynamic_overlap,
                     test_review_share_consolidation_and_field, test_invalidate_since,
                     test_history_is_no_back_door, test_skills_languages_and_caps,
                     test_refusals_inside_workflow_jobs_are_audited,
                     test_item_read_shows_the_workflow, test_late_submit):
            try:
                test(env)
            except Exception as ex:  # one story failing does not hide the others
                ko(test.__name__, repr(ex))
        rc = env.srv.stop()
        env.srv = None
        check("server_stops_cleanly", rc == 0, f"exit {rc}")
    except Exception as ex:
        ko("test_program", repr(ex))
    finally:
        if env and env.srv:
            env.srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(checks.done())


if __name__ == "__main__":
    main()
