#!/usr/bin/python3
"""References for the analysis views (src/analysis/): PCA and mutual nearest neighbours.

  /usr/bin/python3 tests/reference/analysis_ref.py --dir DIR --blocks layer1,layer2 --pairs layer3

Reads DIR/{block}-left.npy and DIR/{block}-right.npy (raw channels-last cells, [cells, c]
float32), normalises each cell to unit length (zero cells stay zero) in float64 and writes:
- for every block of --blocks, DIR/{block}-pca.npy: the first three principal components of both
  images' cells together ([3, c], by LAPACK's SVD of the centred cells, sign rule: each
  component's entry of largest magnitude is positive) and DIR/{block}-explained.npy, the fraction
  of the variance each explains;
- for every block of --pairs, DIR/{block}-pairs.npy: the mutual nearest neighbours ([m, 4] float32:
  left cell, right cell, cosine, and the smaller of the two argmax margins, the gap to the
  runner-up, so a pair decided by rounding can be told apart), by brute force on every cosine.
"""

import argparse
import os

import numpy as np


def unit(x):
    x = x.astype(np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(n > 1e-12, x / np.maximum(n, 1e-300), 0.0)


def pca(a, b):
    x = np.concatenate([a, b])
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    comps = vt[:3].copy()
    for c in comps:
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1
    var = s ** 2
    return comps, var[:3] / var.sum()


def margin(row, best):
    rest = np.delete(row, best)
    return row[best] - rest.max() if rest.size else np.inf


def mutual(a, b):
    s = a @ b.T
    fwd, back = s.argmax(axis=1), s.argmax(axis=0)
    out = []
    for i, j in enumerate(fwd):
        if back[j] == i and s[i, j] > 0:
            out.append((i, j, s[i, j], min(margin(s[i], j), margin(s[:, j], i))))
    return np.array(out, dtype=np.float64).reshape(-1, 4)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--blocks", default="")
    p.add_argument("--pairs", default="")
    args = p.parse_args()
    load = lambda block, side: unit(np.load(os.path.join(args.dir, f"{block}-{side}.npy")))
    for block in filter(None, args.blocks.split(",")):
        comps, explained = pca(load(block, "left"), load(block, "right"))
        np.save(os.path.join(args.dir, f"{block}-pca.npy"), comps.astype(np.float32))
        np.save(os.path.join(args.dir, f"{block}-explained.npy"), explained.astype(np.float32))
        print(block, "explained", explained)
    for block in filter(None, args.pairs.split(",")):
        pairs = mutual(load(block, "left"), load(block, "right"))
        np.save(os.path.join(args.dir, f"{block}-pairs.npy"), pairs.astype(np.float32))
        print(block, len(pairs), "mutual pairs")


if __name__ == "__main__":
    main()
