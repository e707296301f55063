#!/usr/bin/env python3
"""ref_ds.py - a straightforward Dawid-Skene EM in Python + numpy, the reference the inference
benchmark measures labelops against in the same run. Written for labelops (not copied).

usage: ref_ds.py LABELS.csv ITERATIONS
LABELS.csv has a header and columns item, annotator, label (the first three columns).
Same model and stopping as `labelops aggregate --method ds --tol 0 --max-iter N`: class prior
and one confusion matrix per annotator, start from vote proportions, N EM iterations."""
import csv
import sys

import numpy as np


def main():
    path, iters = sys.argv[1], int(sys.argv[2])
    items, anns, labs = {}, {}, {}
    ii, aa, ll = [], [], []
    with open(path, newline="") as f:
        rd = csv.reader(f)
        next(rd)
        for row in rd:
            ii.append(items.setdefault(row[0], len(items)))
            aa.append(anns.setdefault(row[1], len(anns)))
            ll.append(labs.setdefault(row[2], len(labs)))
    i, a, l = np.array(ii), np.array(aa), np.array(ll)
    I, A, K = len(items), len(anns), len(labs)
    T = np.zeros((I, K))
    np.add.at(T, (i, l), 1.0)
    T /= T.sum(axis=1, keepdims=True)
    loglik = 0.0
    for _ in range(iters):
        prior = T.sum(axis=0) / I
        cnt = np.zeros((A, K, K))  # [annotator, true, given]
        np.add.at(cnt, (a, slice(None), l), T[i])
        pi = cnt / np.maximum(cnt.sum(axis=2, keepdims=True), 1e-300)
        with np.errstate(divide="ignore"):
            logpi, logp = np.log(pi), np.log(prior)
        lp = np.tile(logp, (I, 1))
        np.add.at(lp, i, logpi[a, :, l])
        m = lp.max(axis=1, keepdims=True)
        e = np.exp(lp - m)
        s = e.sum(axis=1, keepdims=True)
        T = e / s
        loglik = float((m + np.log(s)).sum())
    print(f"items {I} annotators {A} classes {K} loglik {loglik:.4f}")


if __name__ == "__main__":
    main()
