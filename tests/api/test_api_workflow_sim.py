#!/usr/bin/env python3
"""test_api_workflow_sim.py - a labeling run simulated through the real server (issue 5,
"Correctness"): annotators with known accuracies, a few near chance, label items of 3 classes
through tasks/next and submit, with dynamic overlap (k_min 2, k_max 5, target 0.93) and gold
tasks mixed in; an adjudicator resolves what stays unsure at k_max by the plurality of the labels
the task shows (it knows nothing more than the server does).

Every simulated answer is a pure function of (seed, annotator, item), and each annotator is right
on exactly their accuracy's share of the items and of the gold items, so the baseline -- majority
vote of three annotators drawn at random for each item, with the same annotators' same answers
-- is computed on the same simulated answers. Asserted: the server's final labels are at least
as accurate as that baseline, with fewer labels than its 3 per item; every near-chance annotator
ends up paused and the manager's queue (GET .../queue) lists them; no good annotator is paused.

The test suite runs the small scale (12 annotators, 400 items: seconds). The issue's scale is a
benchmark run (bench/README.md):

    python3 tests/api/test_api_workflow_sim.py build/labelops --annotators 40 --items 5000

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import argparse
import http.client
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
import workflow_fixture as wf  # noqa: E402
from checks import check, ko, ok  # noqa: E402  (tests/api/checks.py)
import checks  # noqa: E402

CLASSES = ["a", "b", "c"]





class World:
    """The simulated truth: accuracies, true classes, and each annotator's answer to each item."""

    def __init__(self, seed, n_annotators, n_items, n_gold):
        rng = random.Random(f"world:{seed}")
        self.seed = seed
        n_near = max(2, round(n_annotators / 8))
        # near chance (1/3 is chance with 3 classes), then good ones between 0.78 and 0.95
        self.acc = [0.34 + 0.02 * (a % 5) for a in range(n_near)]
        self.acc += [0.78 + 0.17 * rng.random() for _ in range(n_annotators - n_near)]
        self.names = [f"sim{a:02d}" for a in range(n_annotators)]
        self.near = {self.names[a] for a in range(n_annotators) if self.acc[a] < 0.5}
        self.good = {self.names[a] for a in range(n_annotators) if self.acc[a] >= 0.75}
        self.items = [f"it{i:05d}" for i in range(n_items)]
        self.gold = [f"gd{i:04d}" for i in range(n_gold)]
        self.gold_set = set(self.gold)
        self.truth = {x: rng.choice(CLASSES) for x in self.items + self.gold}

        # Each annotator is right on exactly round(accuracy x n) of the items, drawn at random,
        # and on an evenly spread share of the gold items in their import order (the order the
        # server serves gold in), so that every run of gold answers shows the annotator's
        # accuracy: their accuracy is known, not only expected, and no seed makes a
        # near-chance annotator lucky on gold.
        self.right = set()
        for a, name in enumerate(self.names):
            r = random.Random(f"right:{seed}:{name}")
            self.right.update((name, x) for x in r.sample(self.items,
                                                          round(self.acc[a] * len(self.items))))
            phase = r.random()
            self.right.update((name, x) for i, x in enumerate(self.gold)
                              if int((i + 1) * self.acc[a] + phase) > int(i * self.acc[a] + phase))

    def answer(self, annotator, item):
        if (annotator, item) in self.right:
            return self.truth[item]
        r = random.Random(f"answer:{self.seed}:{annotator}:{item}")
        return r.choice([c for c in CLASSES if c != self.truth[item]])

    def majority_of_three(self):
        """Accuracy of majority vote of 3 distinct random annotators per item (ties: the first
        class in CLASSES order among the tied, as a fixed rule knowing nothing of the truth)."""
        correct = 0
        for item in self.items:
            r = random.Random(f"mv3:{self.seed}:{item}")
            votes = {c: 0 for c in CLASSES}
            for who in r.sample(self.names, 3):
                votes[self.answer(who, item)] += 1
            best = max(CLASSES, key=lambda c: votes[c])
            correct += best == self.truth[item]
        return correct / len(self.items)


def plurality(values):
    votes = {}
    for v in values:
        votes[v] = votes.get(v, 0) + 1
    return max(votes, key=lambda v: (votes[v], -CLASSES.index(v) if v in CLASSES else 0))


def qualify(fx, srv, world, stats, n):
    """Every annotator answers n gold tasks first (the workflow serves mostly gold meanwhile),
    so the server's accuracy estimates do not start from the prior; the few other tasks served
    meanwhile are labeled as usual."""
    for u in world.names:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        gold = 0
        for _ in range(3 * n):
            if gold >= n:
                break
            st, _, data = wf.call(conn, "POST", "/api/v1/projects/sim/tasks/next", fx.tokens[u],
                                  {"kind": "label"})
            task = (wf.jbody(data) or {}).get("task") if st == 200 else None
            if not task:
                break
            item = task["item"]["external_id"]
            st, _, data = wf.call(conn, "POST", f"/api/v1/tasks/{task['lease']}/submit",
                                  fx.tokens[u], {"value": {wf.FIELD: world.answer(u, item)}})
            if st != 201:
                raise RuntimeError(f"qualifying submit by {u}: {st} {data[:200]!r}")
            is_gold = item in world.gold_set
            gold += is_gold
            stats["gold" if is_gold else "labels"] += 1
        conn.close()


def simulate(fx, srv, world, stats, max_rounds):
    conns = {u: http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
             for u in world.names + ["adjudicator"]}
    base = "/api/v1/projects/sim"
    paused_seen = set()
    for rnd in range(max_rounds):
        progressed = False
        for u in world.names:
            st, _, data = wf.call(conns[u], "POST", f"{base}/tasks/next", fx.tokens[u],
                                  {"kind": "label"})
            j = wf.jbody(data)
            if st != 200 or not isinstance(j, dict):
                raise RuntimeError(f"tasks/next for {u}: {st} {data[:200]!r}")
            task = j.get("task")
            if task is None:
                if j.get("reason") == "paused":
                    paused_seen.add(u)
                continue
            item = task["item"]["external_id"]
            value = world.answer(u, item)
            st, _, data = wf.call(conns[u], "POST", f"/api/v1/tasks/{task['lease']}/submit",
                                  fx.tokens[u], {"value": {wf.FIELD: value}},
                                  {"Idempotency-Key": f"sim-{u}-{task['lease']}"})
            if st != 201:
                raise RuntimeError(f"submit by {u} of {item}: {st} {data[:200]!r}")
            stats["gold" if item in world.gold_set else "labels"] += 1
            progressed = True
        while True:  # the adjudicator empties its queue after every round
            st, _, data = wf.call(conns["adjudicator"], "POST", f"{base}/tasks/next",
                                  fx.tokens["adjudicator"], {"kind": "adjudicate"})
            j = wf.jbody(data)
            if st != 200 or not isinstance(j, dict):
                raise RuntimeError(f"adjudicate next: {st} {data[:200]!r}")
            task = j.get("task")
            if task is None:
                break
            shown = [lb["value"].get(wf.FIELD) for lb in task.get("labels", [])]
            value = plurality([v for v in shown if v]) if shown else CLASSES[0]
            st, _, data = wf.call(conns["adjudicator"], "POST",
                                  f"/api/v1/tasks/{task['lease']}/submit",
                                  fx.tokens["adjudicator"], {"value": {wf.FIELD: value}},
                                  {"Idempotency-Key": f"adj-{task['lease']}"})
            if st != 201:
                raise RuntimeError(f"adjudicate submit: {st} {data[:200]!r}")
            stats["adjudications"] += 1
            progressed = True
        stats["rounds"] = rnd + 1
        if not progressed:
            break
    for c in conns.values():
        c.close()
    return paused_seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lo")
    ap.add_argument("--annotators", type=int, default=12)
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--gold", type=int, default=0, help="gold items (default: items / 8)")
    ap.add_argument("--gold-share", type=float, default=0.0,
                    help="share of served tasks that are gold (default: 0.2 small, 0.08 at 5,000)")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--qualify", type=int, default=8,
                    help="gold tasks each annotator answers first, at gold share 0.9 (0: none)")
    args = ap.parse_args()
    n_gold = args.gold or max(60, args.items // 8)
    share = args.gold_share or (0.08 if args.items >= 2000 else 0.15)
    world = World(args.seed, args.annotators, args.items, n_gold)
    tmp = tempfile.mkdtemp()
    srv = None
    try:
        t0 = time.monotonic()
        fx = wf.Fixture(args.lo, tmp)
        fx.project("sim", CLASSES,
                   [{"id": x, "text": f"item {x}"} for x in world.items] +
                   [{"id": x, "text": f"item {x}", "gold": world.truth[x]} for x in world.gold])
        fx.add_users(["simadmin"], role="admin")
        fx.add_users(["adjudicator"], role="reviewer")
        fx.add_users(world.names)
        srv = t.Server(fx.db, "--rate", "0", "--quiet")
        adm = fx.tokens["simadmin"]
        wf.add_members(srv, adm, "sim", world.names)
        wf.add_members(srv, adm, "sim", ["adjudicator"], role="reviewer")
        config = {
            "overlap": {"dynamic": True, "k_min": 2, "k_max": 5, "target": 0.93},
            "review": {"mode": "none"},
            "gold": {"share": 0.9, "feedback": False, "target": 0.6, "certainty": 0.95,
                     "min_gold": 8},
        }
        stats = {"labels": 0, "gold": 0, "adjudications": 0, "rounds": 0}
        t1 = time.monotonic()
        if args.qualify:
            wf.set_workflow(srv, adm, "sim", config)
            qualify(fx, srv, world, stats, args.qualify)
        config["gold"]["share"] = share
        stored = wf.set_workflow(srv, adm, "sim", config)
        check("sim_workflow_is_stored_as_sent",
              all(stored.get(sec, {}).get(k) == v for sec in ("overlap", "gold")
                  for k, v in config[sec].items()),
              f"sent {config}, stored {stored}")
        paused_seen = simulate(fx, srv, world, stats, max_rounds=20 * args.items)
        t2 = time.monotonic()

        export = wf.export_items(srv, adm, "sim")
        ids = wf.item_ids(srv, adm, "sim")
        history = wf.final_labels(srv, adm, "sim", {x: ids[x] for x in world.items if x in ids})
        finals = {x: history.get(x, (None, None, None))[1] for x in world.items}
        methods = {}
        for x in world.items:
            m = history.get(x, (None, None, None))[2]
            methods[m] = methods.get(m, 0) + 1
        acc_dyn = sum(finals[x] == world.truth[x] for x in world.items) / len(world.items)
        # the annotators' labels (an adjudicator's decision, if stored as an annotation, is not one)
        names = set(world.names)
        n_labels = sum(1 for x in world.items for a in export.get(x, {}).get("annotations", [])
                       if a.get("annotator") in names)
        acc_mv3 = world.majority_of_three()
        st, _, data = srv.req("GET", "/api/v1/projects/sim/queue",
                              headers={"Authorization": "Bearer " + adm})
        q = wf.jbody(data) or {}
        paused = {p.get("user") for p in q.get("paused", [])} if st == 200 else set()
        print(f"simulation: {args.annotators} annotators ({len(world.near)} near chance), "
              f"{args.items} items + {n_gold} gold, gold share {share}: final labels "
              f"{acc_dyn:.4f} accurate with {n_labels} labels (+{stats['gold']} gold answers, "
              f"{stats['adjudications']} adjudications); majority of three {acc_mv3:.4f} with "
              f"{3 * args.items} labels; paused {sorted(paused)}; set-up {t1 - t0:.1f} s, "
              f"run {t2 - t1:.1f} s ({stats['rounds']} rounds); final labels by {methods}", flush=True)
        gold_of = {}
        for u in sorted(world.near):
            st_me, _, d = srv.req("GET", "/api/v1/projects/sim/me", headers=fx.headers(u))
            g = (wf.jbody(d) or {}).get("gold") if st_me == 200 else d[:100]
            gold_of[u] = g
        done = sum(f is not None for f in finals.values())
        check("sim_every_item_gets_a_final_label", done == len(world.items),
              f"{done} of {len(world.items)}")
        check("sim_counts_match_the_export", n_labels == stats["labels"],
              f"export {n_labels}, submitted {stats['labels']}")
        check("sim_final_labels_at_least_as_accurate_as_majority_of_three", acc_dyn >= acc_mv3,
              f"{acc_dyn:.4f} < {acc_mv3:.4f}")
        check("sim_fewer_labels_than_majority_of_three", n_labels < 3 * args.items,
              f"{n_labels} >= {3 * args.items}")
        check("sim_near_chance_annotators_are_paused_and_queued", st == 200 and
              world.near <= paused and world.near <= paused_seen,
              f"{st}: queue lists {sorted(paused)}, told paused {sorted(paused_seen)}, near "
              f"chance {sorted(world.near)}, their gold records {gold_of}")
        check("sim_no_good_annotator_is_paused", not (paused & world.good),
              f"paused good: {sorted(paused & world.good)}")
        rc = srv.stop()
        srv = None
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
