#!/usr/bin/env python3
"""test_api_workflow_concurrency.py - the workflow's concurrency guarantees (issue 5,
"Correctness"), against the real server over loopback:

- 200 clients, each its own annotator with its own connection, call tasks/next at the same
  moment on an overlap-1 project with fewer items than clients: no item goes to two clients,
  every item goes to somebody, the others hear "empty"; asking again (all at once again) gives
  each holder the same lease back. The same on an overlap-2 project: no item beyond its overlap.
- A submit repeated with the same Idempotency-Key (one after the other, and eight at once)
  creates exactly one annotation (checked in the export) and answers the same status and body.
- An annotation edit with a stale If-Match is 409 stale_version and changes nothing; two edits
  based on the same version at once: one wins, the other is 409.

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
import workflow_fixture as wf  # noqa: E402
from checks import check, ko, ok  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

LO = sys.argv[1]
CLIENTS = 200
ITEMS_K1 = 150  # fewer items than clients
ITEMS_K2 = 80   # 2 x 80 = 160 tasks for 200 clients





def expect_error(name, got, status, code=None):
    st, hdrs, data = got
    e = t.error_of(data)
    if st != status or e is None or (code and e.get("code") != code):
        ko(name, f"{st} {data[:200]!r}, expected {status} {code or ''}")
    else:
        ok(name)


def at_once(srv, jobs):
    """Runs jobs (callables taking a connection) on one thread and one connection each, all
    released by one barrier once every connection is open; returns their results in order."""
    out = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))
    conns = [srv.conn() for _ in jobs]

    def run(i):
        try:
            conns[i].connect()
            barrier.wait(60)
            out[i] = jobs[i](conns[i])
        except Exception as ex:  # reported by the caller as a failed answer
            out[i] = ex

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    for c in conns:
        c.close()
    return out


def next_task_job(fx, user, project):
    def job(conn):
        st, _, data = wf.call(conn, "POST", f"/api/v1/projects/{project}/tasks/next",
                              fx.tokens[user], {"kind": "label"})
        return st, wf.jbody(data), data
    return job


def stampede(fx, srv, users, project):
    """Every user asks for a label task at once: {user: (status, json, raw)}."""
    res = at_once(srv, [next_task_job(fx, u, project) for u in users])
    return dict(zip(users, res))


def answered_200(res):
    bad = {u: r for u, r in res.items()
           if isinstance(r, Exception) or r[0] != 200 or not isinstance(r[1], dict) or
           "task" not in r[1]}
    return bad


def tasks_of(res):
    return {u: r[1]["task"] for u, r in res.items() if not isinstance(r, Exception) and
            r[0] == 200 and isinstance(r[1], dict) and r[1].get("task")}


def check_overlap_1(fx, srv, users):
    res = stampede(fx, srv, users, "conc1")
    bad = answered_200(res)
    check("next_200_clients_at_once_all_answer_200", not bad,
          f"{len(bad)} bad answers, e.g. {list(bad.items())[:2]}")
    tasks = tasks_of(res)
    items = [tk["item"]["id"] for tk in tasks.values()]
    dup = {i for i in items if items.count(i) > 1}
    check("next_200_clients_overlap_1_no_item_handed_to_two_clients", not dup,
          f"items handed out twice: {sorted(dup)[:10]}")
    check("next_200_clients_handed_out_tasks_equal_the_items",
          len(tasks) == ITEMS_K1 and len(set(items)) == ITEMS_K1,
          f"{len(tasks)} tasks over {len(set(items))} items for {ITEMS_K1} items")
    leases = [tk.get("lease") for tk in tasks.values()]
    check("next_200_clients_leases_are_distinct",
          len(set(leases)) == len(leases) and all(leases), str(leases[:5]))
    empty = [r[1] for u, r in res.items() if u not in tasks and not isinstance(r, Exception)]
    check("next_200_clients_the_others_hear_empty",
          len(empty) == CLIENTS - len(tasks) and
          all(e.get("task") is None and e.get("reason") == "empty" for e in empty),
          str(empty[:3]))
    check("next_task_names_its_kind_and_project",
          all(tk.get("kind") == "label" and tk.get("project") == "conc1" for tk in tasks.values()),
          str(list(tasks.values())[:1]))

    # Everybody asks again at once: the holders get their lease back, nobody gets a new item.
    again = stampede(fx, srv, users, "conc1")
    bad = answered_200(again)
    tasks2 = tasks_of(again)
    same = all(tasks2.get(u, {}).get("lease") == tk["lease"] for u, tk in tasks.items())
    check("next_again_at_once_gives_each_holder_the_same_lease",
          not bad and same and set(tasks2) == set(tasks),
          f"{len(bad)} bad, {len(tasks2)} tasks (first round {len(tasks)}), same={same}")
    return tasks


def check_overlap_2(fx, srv, users):
    res = stampede(fx, srv, users, "conc2")
    bad = answered_200(res)
    tasks = tasks_of(res)
    per_item = {}
    for u, tk in tasks.items():
        per_item.setdefault(tk["item"]["id"], []).append(u)
    over = {i: us for i, us in per_item.items() if len(us) > 2}
    check("next_200_clients_overlap_2_no_item_beyond_its_overlap", not bad and not over,
          f"{len(bad)} bad answers; items over 2: {list(over.items())[:3]}")
    check("next_200_clients_overlap_2_every_item_twice",
          len(tasks) == 2 * ITEMS_K2 and len(per_item) == ITEMS_K2,
          f"{len(tasks)} tasks over {len(per_item)} items ({ITEMS_K2} items x 2)")


def submit(conn, token, lease, value, key):
    h = {"Idempotency-Key": key} if key else {}
    return wf.call(conn, "POST", f"/api/v1/tasks/{lease}/submit", token,
                   {"value": {wf.FIELD: value}}, h)


def annotations_of(export, item_id):
    for j in export.values():
        if j.get("id") == item_id or str(j.get("id")) == str(item_id):
            return j.get("annotations", [])
    return None


def check_idempotent_submit(fx, srv, tasks, admin):
    holders = sorted(tasks)
    u0, u1, u2 = holders[0], holders[1], holders[2]
    conn = srv.conn()
    key = "k-" + secrets.token_hex(8)
    first = submit(conn, fx.tokens[u0], tasks[u0]["lease"], "a", key)
    second = submit(conn, fx.tokens[u0], tasks[u0]["lease"], "a", key)
    j1 = wf.jbody(first[2]) or {}
    check("submit_answers_201_with_the_annotation",
          first[0] == 201 and isinstance(j1.get("annotation"), int), f"{first[0]} {first[2]!r}")
    check("submit_repeated_with_the_same_key_answers_the_same_status_and_body",
          second[0] == first[0] and second[2] == first[2],
          f"{first[0]} {first[2]!r} then {second[0]} {second[2]!r}")
    other = submit(conn, fx.tokens[u0], tasks[u0]["lease"], "b", "k-" + secrets.token_hex(8))
    check("submit_again_with_another_key_is_refused", 400 <= other[0] < 500,
          f"{other[0]} {other[2][:200]!r}")

    # Eight copies of one submit at once, same key: one annotation, one answer.
    key1 = "k-" + secrets.token_hex(8)
    res = at_once(srv, [lambda c: submit(c, fx.tokens[u1], tasks[u1]["lease"], "b", key1)
                        for _ in range(8)])
    good = [r for r in res if not isinstance(r, Exception)]
    check("submit_eight_at_once_with_the_same_key_answer_one_201_body",
          len(good) == 8 and {r[0] for r in good} == {201} and len({r[2] for r in good}) == 1,
          str([(r[0], r[2][:80]) if not isinstance(r, Exception) else repr(r) for r in res][:8]))

    # Without a key (a client that does not send one) a submit still counts once.
    third = submit(conn, fx.tokens[u2], tasks[u2]["lease"], "c", None)
    conn.close()

    export = wf.export_items(srv, fx.tokens[admin], "conc1")
    n0 = annotations_of(export, tasks[u0]["item"]["external_id"])
    n1 = annotations_of(export, tasks[u1]["item"]["external_id"])
    check("submit_repeated_with_the_same_key_creates_one_annotation",
          n0 is not None and len(n0) == 1 and n0[0]["value"] == {wf.FIELD: "a"},
          f"annotations: {n0}")
    check("submit_eight_at_once_with_the_same_key_creates_one_annotation",
          n1 is not None and len(n1) == 1 and n1[0]["value"] == {wf.FIELD: "b"},
          f"annotations: {n1}")
    others = sum(len(j.get("annotations", [])) for j in export.values())
    check("export_holds_only_the_submitted_annotations",
          others == (3 if third[0] == 201 else 2), f"{others} annotations in the export")
    return j1.get("annotation")


def check_stale_edits(fx, srv, ann_id, admin):
    conn = srv.conn()
    tok = fx.tokens[admin]
    path = f"/api/v1/annotations/{ann_id}"
    st, h, data = wf.call(conn, "GET", path, tok)
    j = wf.jbody(data) or {}
    v1 = j.get("version")
    check("annotation_read_has_version_and_etag",
          st == 200 and isinstance(v1, int) and h.get("etag") == f'"v{v1}"',
          f"{st} etag {h.get('etag')} {data[:200]!r}")
    expect_error("annotation_edit_without_if_match_is_428",
                 wf.call(conn, "PATCH", path, tok, {"value": {wf.FIELD: "c"}}), 428)
    st, h, data = wf.call(conn, "PATCH", path, tok, {"value": {wf.FIELD: "b"}},
                          {"If-Match": f'"v{v1}"'})
    v2 = (wf.jbody(data) or {}).get("version")
    check("annotation_edit_with_the_current_version_succeeds",
          st == 200 and v2 == v1 + 1 and h.get("etag") == f'"v{v2}"',
          f"{st} etag {h.get('etag')} {data[:200]!r}")
    expect_error("annotation_edit_with_a_stale_if_match_is_409",
                 wf.call(conn, "PATCH", path, tok, {"value": {wf.FIELD: "c"}},
                         {"If-Match": f'"v{v1}"'}), 409, "stale_version")
    st, h, data = wf.call(conn, "GET", path, tok)
    j = wf.jbody(data) or {}
    check("annotation_edit_with_a_stale_if_match_changes_nothing",
          st == 200 and j.get("version") == v2 and j.get("value") == {wf.FIELD: "b"},
          f"{st} {data[:200]!r}")

    # Two edits based on the same version at once: exactly one wins.
    res = at_once(srv, [lambda c, v=v: wf.call(c, "PATCH", path, tok, {"value": {wf.FIELD: v}},
                                                {"If-Match": f'"v{v2}"'}) for v in ("a", "c")])
    sts = sorted(r[0] for r in res if not isinstance(r, Exception))
    st, h, data = wf.call(conn, "GET", path, tok)
    j = wf.jbody(data) or {}
    winner = [v for v, r in zip(("a", "c"), res) if not isinstance(r, Exception) and r[0] == 200]
    check("annotation_two_edits_of_one_version_at_once_one_wins_one_is_409",
          sts == [200, 409] and j.get("version") == v2 + 1 and
          j.get("value") == {wf.FIELD: winner[0] if winner else None},
          f"statuses {sts}, now {data[:200]!r}")
    conn.close()


def main():
    tmp = tempfile.mkdtemp()
    srv = None
    try:
        t0 = time.monotonic()
        fx = wf.Fixture(LO, tmp)
        fx.project("conc1", "abc", [{"id": f"a{i}", "text": f"one {i}"} for i in range(ITEMS_K1)])
        fx.project("conc2", "abc", [{"id": f"b{i}", "text": f"two {i}"} for i in range(ITEMS_K2)])
        users = [f"ann{i:03d}" for i in range(CLIENTS)]
        fx.add_users(["wfadmin"], role="admin")
        fx.add_many_users(users)
        admin = "wfadmin"
        t_users = time.monotonic()
        srv = t.Server(fx.db, "--rate", "0", "--quiet")
        for p in ("conc1", "conc2"):
            wf.add_members(srv, fx.tokens[admin], p, users)
        wf.set_workflow(srv, fx.tokens[admin], "conc1",
                        {"overlap": {"k": 1, "coverage": 1.0, "dynamic": False},
                         "review": {"mode": "none"}})
        wf.set_workflow(srv, fx.tokens[admin], "conc2",
                        {"overlap": {"k": 2, "coverage": 1.0, "dynamic": False},
                         "review": {"mode": "none"}})

        t_start = time.monotonic()
        tasks = check_overlap_1(fx, srv, users)
        check_overlap_2(fx, srv, users)
        t_stampedes = time.monotonic()
        if len(tasks) >= 3:
            ann_id = check_idempotent_submit(fx, srv, tasks, admin)
            if ann_id:
                check_stale_edits(fx, srv, ann_id, admin)
        rc = srv.stop()
        srv = None
        print(f"# set-up {t_users - t0:.1f} s (users with tokens), server and members "
              f"{t_start - t_users:.1f} s, stampedes {t_stampedes - t_start:.1f} s, the rest "
              f"{time.monotonic() - t_stampedes:.1f} s", flush=True)
        check("server_stops_cleanly", rc == 0, f"exit {rc}")
    except Exception as ex:
        ko("test_program", repr(ex))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(checks.done())


if __name__ == "__main__":
    main()
