#!/usr/bin/python3
"""One-shot variants of issue #17, scored on two disjoint VOC sets: tune on one, confirm on the other.

Builds on oneshot_variants.py (its `best` recipe, data loading and scoring) and adds what acts at
the query's full resolution or on the features themselves:
- an edge-aware filter of the final score map guided by the query photo (He et al.'s guided
  filter, grey or colour guide, radius r pixels, regulariser eps), before the threshold at 0;
- flip averaging: each block's features averaged with the mirrored features of the mirrored photo
  (needs a second dump, FEATS_FLIP, of the same images flipped left-right:
  tests/reference/mirror_set.py makes the mirrored set);
- two input sizes: best's final score at 512² and at 768² averaged (dumps at --size 768, plain
  and mirrored), with and without the flips and the guided filter;
- layer2 refinement after best's layer3 stage (needs layer2 dumps, --layer2): best's final score
  area-averaged onto layer2's 64×64 grid gives fg/bg seeds (beyond ± band × its range), the query's
  own layer2 prototypes of them score every layer2 cell, e2 = cos(q2, f2) − cos(q2, b2), and the
  final map is (1 − l2) · best + l2 · up(e2), thresholded at 0.

  /usr/bin/python3 tests/reference/oneshot_refine.py \\
      --set voc=FEATS_VOC:../shared/voc --set voc-more=FEATS_MORE:../shared/voc-more \\
      [--flip voc=FEATS_VOC_FLIP --flip voc-more=FEATS_MORE_FLIP]
      [--at768 voc=FEATS_VOC_768:FEATS_VOC_768_FLIP --at768 voc-more=…]
      [--layer2 voc=FEATS_VOC_L2 --layer2 voc-more=FEATS_MORE_L2] [--only REGEX]

FEATS dirs hold {layer3,layer4}/NAME.npy as `featsim eval-oneshot --dump-features DIR
--dump-blocks layer3,layer4` writes them. Prints one markdown table, a column pair per set.
ms/episode: CPU time of one prediction (numpy, one thread), features loaded beforehand.
"""

import argparse
import collections
import importlib.util
import os
import re
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("oneshot_variants", os.path.join(HERE, "oneshot_variants.py"))
ov = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ov)
ref = ov.ref


# ---------------------------------------------------------------- guided filter


def box(x, r):
    """Mean of x over the (2r+1)² window around each pixel, the window cut at the borders
    (sums from cumulative sums, divided by the pixels actually inside). x: [H, W, ...]."""
    h, w = x.shape[:2]

    def along(a, axis, n):
        c = np.cumsum(a, axis=axis, dtype=np.float64)
        pad = [(0, 0)] * a.ndim
        pad[axis] = (1, 0)
        c = np.pad(c, pad)
        i = np.arange(n)
        hi, lo = np.minimum(i + r + 1, n), np.maximum(i - r, 0)
        return np.take(c, hi, axis=axis) - np.take(c, lo, axis=axis)

    s = along(along(x, 0, h), 1, w)
    ones = along(along(np.ones((h, w)), 0, h), 1, w)
    return s / (ones if x.ndim == 2 else ones[..., None])


class GuidedFilter:
    """He, Sun, Tang: q = mean(a)·I + mean(b) with a, b the per-window least-squares fit of p to
    the guide I. The guide's statistics are computed once per photo and reused for every p."""

    def __init__(self, img, r, eps, colour):
        self.r, self.colour = r, colour
        I = img if colour else img.mean(axis=2)
        self.I = I
        self.mI = box(I, r)
        if colour:
            outer = I[..., :, None] * I[..., None, :]
            cov = box(outer.reshape(*I.shape[:2], 9), r).reshape(*I.shape[:2], 3, 3)
            cov -= self.mI[..., :, None] * self.mI[..., None, :]
            self.inv = np.linalg.inv(cov + eps * np.eye(3))
        else:
            self.var = box(I * I, r) - self.mI ** 2 + eps

    def __call__(self, p):
        r, I = self.r, self.I
        mp = box(p, r)
        if self.colour:
            cov_ip = box(I * p[..., None], r) - self.mI * mp[..., None]
            a = np.einsum("hwij,hwj->hwi", self.inv, cov_ip)
            b = mp - (a * self.mI).sum(axis=2)
            return (box(a, r) * I).sum(axis=2) + box(b, r)
        a = (box(I * p, r) - self.mI * mp) / self.var
        b = mp - a * self.mI
        return box(a, r) * I + box(b, r)


class Photos:
    """Query photos as float RGB in [0, 1], and their guided filters (a few kept at a time: the
    episodes of a class reuse the same queries)."""

    def __init__(self, voc):
        self.voc = voc
        self.filters = collections.OrderedDict()
        self.indices = {}

    def image(self, n):
        with Image.open(os.path.join(self.voc, "JPEGImages", n + ".jpg")) as im:
            return np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0

    def colour_index(self, n, bins):
        """Each pixel's colour bin (r, g, b each in `bins` levels), kept per photo."""
        key = ("index", n, bins)
        if key not in self.indices:
            q = np.minimum((self.image(n) * bins).astype(np.int64), bins - 1)
            self.indices[key] = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
        return self.indices[key]

    def filter(self, n, r, eps, colour):
        key = (n, r, eps, colour)
        if key not in self.filters:
            self.filters[key] = GuidedFilter(self.image(n), r, eps, colour)
            while len(self.filters) > 12:
                self.filters.popitem(last=False)
        return self.filters[key]


def colour_model(tau, lam, bins=16):
    """Foreground and background colour histograms (bins³, +1 smoothing) of the query's confident
    pixels (score above tau × its maximum, below tau × its minimum); the score plus lam × the
    log-likelihood ratio of each pixel's colour."""
    def post(d, q, u):
        idx = d.photos.colour_index(q, bins)
        fg, bg = u > tau * u.max(), u < tau * u.min()
        if not fg.any() or not bg.any():
            return u
        n = bins ** 3
        hf = np.bincount(idx[fg], minlength=n) + 1.0
        hb = np.bincount(idx[bg], minlength=n) + 1.0
        llr = np.log(hf / hf.sum()) - np.log(hb / hb.sum())
        return u + lam * llr[idx]
    return post


def chain(*posts):
    def post(d, q, u):
        for p in posts:
            u = p(d, q, u)
        return u
    return post


def guided(r, eps, colour=True):
    def post(d, q, u):
        return d.photos.filter(q, r, eps, colour)(u)
    return post


# ---------------------------------------------------------------- layer2 refinement


class Layer2:
    """Unit layer2 cell features [g2², C] per photo (float32), from a dump of layer2/NAME.npy."""

    def __init__(self, feats, names):
        self.U = {}
        self.grid = None
        for n in names:
            f = np.load(os.path.join(feats, "layer2", n + ".npy"))
            self.grid = f.shape[0]
            self.U[n] = ov.unit(f.reshape(-1, f.shape[-1]).astype(np.float32))


def area_mean(u, g):
    """A full-size score map averaged over the cells of a g × g grid (PIL's box filter)."""
    return np.asarray(Image.fromarray(u.astype(np.float32), mode="F").resize((g, g), Image.BOX),
                      dtype=np.float64)


def layer2_refine(cache, l2, band):
    """best, then the layer2 stage described in the module docstring."""
    def recipe(d, s, q, cls):
        key = (id(d), s, q, cls)
        if key not in cache.maps:
            cache.maps[key] = best_score(d, s, q, cls)
        u = cache.maps[key].astype(np.float64)
        Q2 = d.layer2.U[q]
        g2 = d.layer2.grid
        m = area_mean(u, g2).reshape(-1)
        rg = m.max() - m.min()
        fg, bg = m > band * rg, m < -band * rg
        if not fg.any() or not bg.any():
            return u > 0
        e = Q2 @ ov.proto(Q2, fg.astype(np.float32)) - Q2 @ ov.proto(Q2, bg.astype(np.float32))
        return (1 - l2) * u + l2 * d.up(e.reshape(g2, g2), q) > 0
    return recipe


# ---------------------------------------------------------------- flip averaging


class FlipData(ov.Data):
    """Features averaged with those of the mirrored photo, mirrored back (raw, before unit)."""

    def __init__(self, feats, flip_feats, voc, size=ov.SIZE):
        super().__init__(feats, voc, size)
        for n in self.names:
            for kind, layer in (("l4", "layer4"), ("l3", "layer3")):
                f = np.load(os.path.join(flip_feats, layer, n + ".npy"))[:, ::-1, :]
                g = self.grid[kind]
                self.raw[kind][n] = 0.5 * (self.raw[kind][n] + f.reshape(g * g, -1))


# ---------------------------------------------------------------- variants


class ScoreCache:
    """best's final score map per episode, computed once per data set and reused by every filter
    of it (the filters act after best, so best need not run again for each)."""

    def __init__(self):
        self.maps = {}

    def recipe(self, post=None, flip=False):
        post = post or (lambda d, q, u: u)

        def recipe(d, s, q, cls):
            key = (id(d), s, q, cls)
            if key not in self.maps:
                self.maps[key] = best_score(d, s, q, cls)
            return post(d, q, self.maps[key].astype(np.float64)) > 0
        return recipe


def best_score(d, s, q, cls):
    """best's final score at the query's size (the map it thresholds at 0)."""
    out = {}

    def capture(d, q, u):
        out["u"] = u
        return u

    ov.best_with(post=capture)(d, s, q, cls)
    return out["u"].astype(np.float32)


def scales(cache, others, post=None):
    """best's score averaged over the data sets `others(d)` gives for d (the same photos at other
    input sizes, or flipped), then `post`, then the threshold at 0."""
    post = post or (lambda d, q, u: u)

    def recipe(d, s, q, cls):
        maps = []
        for x in others(d):
            key = (id(x), s, q, cls)
            if key not in cache.maps:
                cache.maps[key] = best_score(x, s, q, cls)
            maps.append(cache.maps[key].astype(np.float64))
        return post(d, q, sum(maps) / len(maps)) > 0
    return recipe


def variants(flip, multi=False, colour=False, layer2=False):
    cache = ScoreCache()
    v = [("**best** (today's)", "best.rs: cycle check + SSP + walk + layer3 refinement, thr 0",
          cache.recipe(), False)]
    for colour in (False, True):
        for r in (4, 8, 16, 32):
            for eps in (1e-3, 1e-2, 1e-1):
                guide = "colour" if colour else "grey"
                v.append((f"best + guided {guide} r={r} eps={eps:g}",
                          f"best, final score through a guided filter ({guide} photo, radius {r} px, eps {eps:g})",
                          cache.recipe(guided(r, eps, colour)), False))
    if flip:
        v.append(("best + flip", "best on features averaged with the mirrored photo's", cache.recipe(), True))
        for r, eps in ((16, 1e-3),):
            v.append((f"best + flip + guided colour r={r} eps={eps:g}",
                      f"best + flip, then the colour guided filter (radius {r}, eps {eps:g})",
                      cache.recipe(guided(r, eps, True)), True))
    if colour:
        for tau in (0.3, 0.6):
            for lam in (0.005, 0.01, 0.02, 0.04):
                v.append((f"best + colour model tau={tau} lam={lam}",
                          f"best + fg/bg colour histograms (16³) of pixels beyond {tau} × the score's max/min, + {lam} × log-likelihood ratio",
                          cache.recipe(colour_model(tau, lam)), False))
    if layer2:
        for l2 in (0.2, 0.35, 0.5, 0.7):
            for band in (0.0, 0.1, 0.2):
                v.append((f"best + layer2 l2={l2} band={band}",
                          f"best, then layer2 (64×64) seeds beyond ±{band} × range, fg−bg cosine, weight {l2}",
                          layer2_refine(cache, l2, band), False))
    if multi:
        # d.at holds the same set's Data by (size, flipped), filled in main().
        one = lambda size, fl: (lambda d: [d.at[(size, fl)]])  # noqa: E731
        both = lambda fl: (lambda d: [d.at[(512, fl)], d.at[(768, fl)]])  # noqa: E731
        v.append(("best at 768", "best on features of the photo resized to 768² (layer4 24×24, layer3 48×48)",
                  scales(cache, one(768, False)), False))
        v.append(("best, 512 + 768", "best's final score averaged over 512² and 768² inputs, thr 0",
                  scales(cache, both(False)), False))
        v.append(("best, 512 + 768, flip", "the same with each size's features flip-averaged",
                  scales(cache, both(True)), False))
        v.append(("best, 512 + 768, flip + guided colour r=16 eps=0.001",
                  "512 + 768 with flips, then the colour guided filter (radius 16, eps 0.001)",
                  scales(cache, both(True), guided(16, 1e-3, True)), False))
        v.append(("best, 512 + 768, flip + guided + colour model",
                  "the same, then the colour model (tau 0.3, lam 0.01)",
                  scales(cache, both(True), chain(guided(16, 1e-3, True), colour_model(0.3, 0.01))), False))
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", required=True, help="LABEL=FEATS:VOC")
    ap.add_argument("--flip", action="append", default=[], help="LABEL=FEATS_FLIP")
    ap.add_argument("--at768", action="append", default=[],
                    help="LABEL=FEATS768:FEATS768_FLIP (features at 768², plain and flipped)")
    ap.add_argument("--layer2", action="append", default=[],
                    help="LABEL=FEATS_L2 (a dump holding layer2/NAME.npy): the layer2 variants")
    ap.add_argument("--colour", action="store_true", help="also the colour-model variants")
    ap.add_argument("--only", help="run only variants whose name matches this regex")
    args = ap.parse_args()
    sets = []
    for s in args.set:
        label, rest = s.split("=", 1)
        feats, voc = rest.split(":", 1)
        sets.append((label, feats, voc))
    flips = dict(f.split("=", 1) for f in args.flip)
    at768 = dict(f.split("=", 1) for f in args.at768)
    layer2 = dict(f.split("=", 1) for f in args.layer2)
    vs = variants(bool(flips), bool(at768), args.colour, bool(layer2))
    if args.only:
        vs = [x for x in vs if re.search(args.only, x[0])]

    wall0 = time.time()
    results = collections.defaultdict(dict)
    for label, feats, voc in sets:
        data = {False: ov.Data(feats, voc)}
        if label in flips:
            data[True] = FlipData(feats, flips[label], voc)
        if label in at768:
            f768, f768flip = at768[label].split(":", 1)
            data[False].at = {(512, False): data[False], (512, True): data[True],
                              (768, False): ov.Data(f768, voc, 768),
                              (768, True): FlipData(f768, f768flip, voc, 768)}
        for d in data.values():
            d.photos = Photos(voc)
        if label in layer2:
            data[False].layer2 = Layer2(layer2[label], data[False].names)
        print(f"{label}: {len(data[False].names)} images loaded", file=sys.stderr)
        for name, _, recipe, needs_flip in vs:
            if needs_flip and needs_flip not in data:
                continue
            if "layer2" in name and not hasattr(data[False], "layer2"):
                continue
            t0 = time.time()
            res = ov.evaluate(data[needs_flip], recipe)
            results[name][label] = res
            print(f"{label:<9s} {name:<45s} mIoU={res[0]:.3f} FB-IoU={res[1]:.3f} {res[2]:6.1f} ms/ep "
                  f"({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)

    labels = [s[0] for s in sets]
    print("| variant | what it does | " + " | ".join(f"{l} mIoU | {l} FB-IoU" for l in labels)
          + " | ms/episode |")
    print("|---|---|" + "---|---|" * len(labels) + "---|")
    for name, what, _, _ in vs:
        r = results[name]
        cells = [f"{r[l][0]:.3f} | {r[l][1]:.3f}" if l in r else "— | —" for l in labels]
        ms = max((r[l][2] for l in labels if l in r), default=float("nan"))
        print(f"| {name} | {what} | " + " | ".join(cells) + f" | {ms:.1f} |")
    print()
    print(f"Total wall time {time.time() - wall0:.0f}s.")


if __name__ == "__main__":
    main()
