#!/usr/bin/env python3
"""demo_seed.py - labels a few demo items as one annotator through the workflow, so that a
reviewer who signs in to the demo first has labels to review (scripts/demo.sh).

  scripts/demo_seed.py LABELOPS_BIN USER SEED.jsonl

Each line of SEED names a project, an item (its external id) and the label: "value" (the
label, or "prelabel" for the model's pre-label as served with the task) or "spans" (pairs of
text and class; the offsets are found in the item's text, in code points). Some labels are
wrong on purpose (demo/README.md) so that the reviewer has something to reject. Items are
taken as the workflow serves them; one the seed does not name is skipped. Exits non-zero with
the command's error when a workflow call fails.
"""
import json
import subprocess
import sys


def lo(binary, *args):
    r = subprocess.run([binary, "--json", *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"demo_seed: labelops {' '.join(args)}: {r.stderr.strip()}")
    return json.loads(r.stdout) if r.stdout.strip() else None


def value_for(seed, task):
    if "spans" in seed:
        text = task["item"]["data"]["text"]
        out = []
        for phrase, label in seed["spans"]:
            start = text.find(phrase)  # Python indexes strings by code point, as the schema does
            if start < 0:
                sys.exit(f"demo_seed: {seed['item']}: '{phrase}' is not in the item's text")
            out.append({"start": start, "end": start + len(phrase), "label": label})
        return {"entities": out}
    if seed["value"] == "prelabel":
        return (task.get("prelabel") or {}).get("value") or {}
    return seed["value"]


def main():
    binary, user, path = sys.argv[1:4]
    seeds = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                s = json.loads(line)
                seeds.setdefault(s["project"], {})[s["item"]] = s
    for project, items in seeds.items():
        left = dict(items)
        for _ in range(len(items) * 4):
            if not left:
                break
            got = lo(binary, "workflow", "next", project, "--as", user)
            task = (got or {}).get("task")
            if not task:
                break
            seed = left.pop(task["item"]["external_id"], None)
            if seed is None:
                lo(binary, "workflow", "skip", task["lease"], "--as", user)
                continue
            lo(binary, "workflow", "submit", task["lease"], "--as", user, "--value",
               json.dumps(value_for(seed, task), ensure_ascii=False))
        if left:
            sys.exit(f"demo_seed: {project}: not served: {', '.join(sorted(left))}")


if __name__ == "__main__":
    main()
