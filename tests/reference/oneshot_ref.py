#!/usr/bin/env python3
"""Independent numpy reference for the "plain" one-shot segmentation protocol.

It re-scores the PASCAL VOC sample in ../shared/voc (see its README.md) from
feature maps that `featsim features` wrote, so that the numbers printed by
`featsim eval-oneshot` can be checked against a second implementation.

  dump  Run `featsim features` for every image named in classes.json and write
        FEATS/{layer}/{name}.npy (float32 [H, W, C]); existing files are kept.
  eval  Score all 400 ordered (support, query) episodes of the 20 classes.

The plain protocol:
  1. Images went through the network resized (aspect not kept) to SIZE x SIZE.
     The support mask `labels == c` (original size) gives each grid cell its
     exact covered area fraction, the grid laid over the whole image as the
     network's is -> coverage weight per cell in [0, 1].
  2. Every cell feature is L2-normalised (a zero vector stays zero). The
     prototype is the coverage-weighted sum of the unit features, L2-normalised.
  3. Cosine map of the query: prototype . unit cell feature -> [h, w].
  4. Bilinear upsampling to the query's original size, pixel centres aligned
     (PyTorch align_corners=False: src = (dst + 0.5) * in / out - 0.5, clamped
     at 0, neighbours clamped at the last index).
  5. Threshold: `mid` = (min + max) / 2 of the upsampled map; `otsu` = Otsu on
     a 256-bin histogram of the upsampled map over [min, max]; a number = that
     cosine. Foreground = value > threshold.
  6. Scored against `labels_q == c`, pixels with label 255 left out. Per class
     TP/FP/FN are summed over its episodes, IoU_c = TP / (TP + FP + FN), mIoU is
     the mean over the 20 classes; FB-IoU = mean of the foreground and the
     background IoU with counts summed over all episodes of all classes.

Needs only numpy and PIL (Debian: /usr/bin/python3 with python3-numpy and
python3-pil).

  python3 oneshot_ref.py dump --featsim target/debug/featsim \
      --weights weights/resnet50-imagenet.bpk --layer layer4 --out /tmp/feats
  python3 oneshot_ref.py eval --feats /tmp/feats --layer layer4 --threshold mid
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
    "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # index = position + 1
IGNORE = 255


def load_classes(voc):
    with open(os.path.join(voc, "classes.json")) as f:
        table = json.load(f)
    missing = [c for c in CLASSES if c not in table]
    if missing:
        sys.exit(f"classes.json lacks {missing}")
    return table


def load_labels(voc, name):
    """Raw palette indices of SegmentationClass/NAME.png as uint8 [H, W]."""
    img = Image.open(os.path.join(voc, "SegmentationClass", name + ".png"))
    if img.mode != "P" and img.mode != "L":
        sys.exit(f"{name}.png: expected a palette or greyscale PNG, got mode {img.mode}")
    return np.array(img)


# ---------------------------------------------------------------- dump


def cmd_dump(args):
    table = load_classes(args.voc)
    names = sorted({n for c in CLASSES for n in table[c]})
    for layer in args.layer:
        out_dir = os.path.join(args.out, layer)
        os.makedirs(out_dir, exist_ok=True)
        t0 = time.time()
        done = 0
        for name in names:
            dst = os.path.join(out_dir, name + ".npy")
            if os.path.exists(dst):
                continue
            tmp = dst + ".part.npy"
            cmd = [
                args.featsim, "features", "--weights", args.weights,
                "--layer", layer, "--size", str(args.size),
                os.path.join(args.voc, "JPEGImages", name + ".jpg"), "--out", tmp,
            ]
            run = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if run.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stderr}")
            os.replace(tmp, dst)
            done += 1
        print(f"{layer}: {done} new of {len(names)} images in {time.time() - t0:.1f}s")


# ---------------------------------------------------------------- protocol


def unit_rows(feat):
    """[h, w, C] -> [h*w, C] float64 with every row L2-normalised; zero rows stay zero."""
    x = feat.reshape(-1, feat.shape[-1]).astype(np.float64)
    n = np.sqrt(np.einsum("ij,ij->i", x, x))
    out = np.zeros_like(x)
    nz = n > 0
    out[nz] = x[nz] / n[nz, None]
    return out


def bin_overlaps(n_in, n_out):
    """[n_out, n_in]: the share of output bin o (of n_out equal bins over n_in unit pixels) that
    pixel i covers; rows sum to 1."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    px = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, px + 1) - np.maximum(lo, px), 0, None)
    return overlap / (n_in / n_out)


def cell_coverage(mask, h, w):
    """Bool mask at the original size -> the exact fraction of each of the h x w cells (laid
    over the whole image, as the network's grid is) that the mask covers."""
    m = mask.astype(np.float64)
    return bin_overlaps(m.shape[0], h) @ m @ bin_overlaps(m.shape[1], w).T


def prototype(feat, mask, size):
    h, w, _ = feat.shape
    cov = cell_coverage(mask, h, w).reshape(-1)
    p = cov @ unit_rows(feat)
    n = np.linalg.norm(p)
    return p / n if n > 0 else p


def _axis_weights(n_in, n_out):
    """Source indices and weights of 1-D linear resampling, align_corners=False."""
    dst = np.arange(n_out, dtype=np.float64)
    src = (dst + 0.5) * (n_in / n_out) - 0.5
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    return i0, i1, frac


def upsample_bilinear(m, out_h, out_w):
    """[h, w] -> [out_h, out_w], like torch interpolate(bilinear, align_corners=False)."""
    h, w = m.shape
    y0, y1, fy = _axis_weights(h, out_h)
    x0, x1, fx = _axis_weights(w, out_w)
    rows = m[y0, :] * (1.0 - fy)[:, None] + m[y1, :] * fy[:, None]  # [out_h, w]
    return rows[:, x0] * (1.0 - fx)[None, :] + rows[:, x1] * fx[None, :]


def otsu_threshold(v, bins=256):
    """Otsu on a `bins`-bin histogram over [min, max] of v.

    Returns the upper edge of the last bin of the lower class for the split that
    maximises the between-class variance w0 * w1 * (mu0 - mu1)^2 (the first such
    split on ties). Bin k covers [lo + k*d, lo + (k+1)*d), the last bin is closed.
    """
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return lo
    hist, edges = np.histogram(v, bins=bins, range=(lo, hi))
    hist = hist.astype(np.float64)
    centres = 0.5 * (edges[:-1] + edges[1:])
    total = hist.sum()
    w0 = np.cumsum(hist)[:-1]  # lower class = bins 0..k, k = 0..bins-2
    s0 = np.cumsum(hist * centres)[:-1]
    w1 = total - w0
    s1 = (hist * centres).sum() - s0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = w0 * w1 * (s0 / w0 - s1 / w1) ** 2
    between = np.where((w0 > 0) & (w1 > 0), between, -1.0)
    k = int(np.argmax(between))
    return float(edges[k + 1])


def threshold_of(up, how):
    if how == "mid":
        return 0.5 * (float(up.min()) + float(up.max()))
    if how == "otsu":
        return otsu_threshold(up)
    return float(how)


# ---------------------------------------------------------------- eval


def cmd_eval(args):
    if args.threshold not in ("mid", "otsu"):
        try:
            float(args.threshold)
        except ValueError:
            sys.exit(f"--threshold: mid, otsu or a number, not {args.threshold!r}")
    t0 = time.time()
    table = load_classes(args.voc)
    feat_dir = os.path.join(args.feats, args.layer)

    feats, labels, units = {}, {}, {}
    for c in CLASSES:
        for name in table[c]:
            if name in feats:
                continue
            f = np.load(os.path.join(feat_dir, name + ".npy"))
            if f.ndim != 3:
                sys.exit(f"{name}.npy: expected [H, W, C], got {f.shape}")
            feats[name] = f
            units[name] = unit_rows(f)
            labels[name] = load_labels(args.voc, name)

    ious = []
    all_tp = all_fp = all_fn = all_tn = 0
    episodes = 0
    for ci, c in enumerate(CLASSES):
        cls = ci + 1
        names = table[c]
        tp = fp = fn = 0
        for s in names:
            proto = prototype(feats[s], labels[s] == cls, args.size)
            for q in names:
                if q == s:
                    continue
                h, w, _ = feats[q].shape
                cos = (units[q] @ proto).reshape(h, w)
                lab = labels[q]
                up = upsample_bilinear(cos, lab.shape[0], lab.shape[1])
                pred = up > threshold_of(up, args.threshold)
                valid = lab != IGNORE
                gt = lab == cls
                e_tp = int(np.count_nonzero(pred & gt & valid))
                e_fp = int(np.count_nonzero(pred & ~gt & valid))
                e_fn = int(np.count_nonzero(~pred & gt & valid))
                e_tn = int(np.count_nonzero(valid)) - e_tp - e_fp - e_fn
                tp += e_tp
                fp += e_fp
                fn += e_fn
                all_tn += e_tn
                episodes += 1
        all_tp += tp
        all_fp += fp
        all_fn += fn
        union = tp + fp + fn
        iou = tp / union if union else 0.0
        ious.append(iou)
        print(f"{cls:2d} {c:<12s} IoU={iou:.3f} TP={tp} FP={fp} FN={fn}")

    miou = float(np.mean(ious))
    fg = all_tp / max(all_tp + all_fp + all_fn, 1)
    bg = all_tn / max(all_tn + all_fn + all_fp, 1)
    fb = 0.5 * (fg + bg)
    print(f"# layer={args.layer} threshold={args.threshold} fg-IoU={fg:.4f} bg-IoU={bg:.4f} "
          f"mIoU={miou:.5f} FB-IoU={fb:.5f} in {time.time() - t0:.1f}s", file=sys.stderr)
    print(f"mIoU={miou:.3f} FB-IoU={fb:.3f} episodes={episodes}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("dump", help="write feature maps with featsim")
    d.add_argument("--featsim", default="target/debug/featsim")
    d.add_argument("--weights", default="weights/resnet50-imagenet.bpk")
    d.add_argument("--layer", action="append", required=True,
                   help="layer1..layer4; repeat for several")
    d.add_argument("--size", type=int, default=512)
    d.add_argument("--voc", default="../shared/voc")
    d.add_argument("--out", required=True, help="writes OUT/{layer}/{name}.npy")
    d.set_defaults(func=cmd_dump)

    e = sub.add_parser("eval", help="score the 400 one-shot episodes")
    e.add_argument("--feats", required=True, help="reads FEATS/{layer}/{name}.npy")
    e.add_argument("--layer", required=True)
    e.add_argument("--threshold", default="mid", help="mid, otsu or a cosine")
    e.add_argument("--size", type=int, default=512, help="network input size")
    e.add_argument("--voc", default="../shared/voc")
    e.set_defaults(func=cmd_eval)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
