#!/usr/bin/python3
"""References for the way back from the feature grid: upsampling maps and downsampling masks.

  /usr/bin/python3 tests/reference/way_back_ref.py --out DIR

Writes DIR/cases.json and, per case, float32 .npy inputs and expected outputs:
- `upsample`: a random [h, w] map and torch's
  `interpolate(mode="bilinear", align_corners=False)` of it to [out_h, out_w] (some cases shrink);
- `coverage`: a random 0/1 mask [H, W] and each grid cell's exact covered area fraction, computed
  by blowing every pixel up grid times along an axis (np.kron) so that each cell spans whole
  pixels, whose plain mean is the answer: no fractional overlaps to get wrong.
"""

import argparse
import json
import os

import numpy as np
import torch

UPSAMPLE = [  # h, w, out_h, out_w
    (16, 16, 375, 500), (32, 32, 333, 500), (16, 16, 512, 512), (64, 64, 480, 640),
    (7, 5, 13, 29), (16, 16, 8, 8), (16, 16, 32, 32), (3, 4, 3, 4), (1, 1, 9, 6),
]
COVERAGE = [  # H, W, grid
    (375, 500, 16), (333, 500, 32), (512, 512, 16), (480, 640, 64), (37, 53, 16), (5, 3, 2),
    (1, 1, 16), (500, 7, 16),
]


def blobs(rng, h, w):
    """A mask of a few random rectangles and ellipses with speckle: edges at every phase."""
    yy, xx = np.mgrid[0:h, 0:w]
    m = rng.random((h, w)) < 0.02
    for _ in range(4):
        cy, cx = rng.random() * h, rng.random() * w
        ry, rx = 1 + rng.random() * h / 3, 1 + rng.random() * w / 3
        if rng.random() < 0.5:
            m |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
        else:
            m |= (abs(yy - cy) < ry) & (abs(xx - cx) < rx)
    return m.astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    cases = []
    for i, (h, w, oh, ow) in enumerate(UPSAMPLE):
        m = rng.standard_normal((h, w)).astype(np.float32)
        up = torch.nn.functional.interpolate(
            torch.from_numpy(m)[None, None], size=(oh, ow), mode="bilinear", align_corners=False
        )[0, 0].numpy()
        np.save(os.path.join(args.out, f"up{i}_in.npy"), m)
        np.save(os.path.join(args.out, f"up{i}_out.npy"), up.astype(np.float32))
        cases.append({"kind": "upsample", "name": f"up{i}", "h": h, "w": w, "out_h": oh, "out_w": ow})
    for i, (h, w, g) in enumerate(COVERAGE):
        m = blobs(rng, h, w)
        # One axis at a time (the box is separable): rows blown up g times make each cell row a
        # band of h whole rows, then columns the same.
        rows = np.kron(m.astype(np.float64), np.ones((g, 1))).reshape(g, h, w).mean(axis=1)
        cov = np.kron(rows, np.ones((1, g))).reshape(g, g, w).mean(axis=2)
        np.save(os.path.join(args.out, f"cov{i}_in.npy"), m)
        np.save(os.path.join(args.out, f"cov{i}_out.npy"), cov.astype(np.float32))
        cases.append({"kind": "coverage", "name": f"cov{i}", "h": h, "w": w, "grid": g})
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"{len(cases)} cases, torch {torch.__version__}")


if __name__ == "__main__":
    main()
