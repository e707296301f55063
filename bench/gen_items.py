#!/usr/bin/env python3
"""Writes the import/export benchmark inputs, deterministic for a seed:
   items.jsonl  N items of about 150 bytes: {"id", "text", "meta"}
   items.csv    the same rows as CSV (id, payload) for the sqlite3 .import reference
   restore.jsonl the same items in export shape, each with 3 annotations (to set up export)"""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
out = sys.argv[2] if len(sys.argv) > 2 else "."
rng = random.Random(20261127)
words = ("the quick brown fox jumps over lazy dog label data model item review accept "
         "reject vendor battery screen price delivery").split()
classes = ["neg", "neu", "pos"]
with open(f"{out}/items.jsonl", "w") as fj, open(f"{out}/items.csv", "w") as fc, \
        open(f"{out}/restore.jsonl", "w") as fr:
    fc.write("id,payload\n")
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(14))[:88]
        ext = "item-%07d" % i
        payload = {"id": ext, "text": text, "meta": {"source": "bench", "batch": i // 1000}}
        line = json.dumps(payload, separators=(",", ":"))
        fj.write(line + "\n")
        fc.write('%s,"%s"\n' % (ext, line.replace('"', '""')))
        anns = [{"annotator": "ann%02d" % rng.randrange(40),
                 "value": {"sentiment": rng.choice(classes)},
                 "created": "2026-11-27T21:00:00.000Z"} for _ in range(3)]
        fr.write(json.dumps({"id": ext, "data": payload, "annotations": anns},
                            separators=(",", ":")) + "\n")
