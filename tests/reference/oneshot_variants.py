#!/usr/bin/python3
"""Every one-shot segmentation variant tried in the numpy exploration, re-scored.

Reads the feature maps written by `oneshot_ref.py dump` (FEATS/{layer3,layer4}/NAME.npy,
float32 [h, w, C], 512x512 input: layer4 16x16x2048, layer3 32x32x1024) and the VOC
sample, runs each variant on the 400 ordered (support, query) episodes of
../shared/voc/README.md and prints one markdown table:

  | variant | what it does | mIoU | FB-IoU | ms/episode |

Scoring is the protocol of oneshot_ref.py: per class TP/FP/FN summed over its 20
episodes, IoU_c = TP / (TP + FP + FN), mIoU = mean over the 20 classes; FB-IoU = mean
of the foreground and background IoU with counts summed over all 400 episodes.

ms/episode is the CPU time (time.process_time) of producing one prediction: prototypes,
maps, refinement, upsampling and threshold. Not included, being shared by all variants
and done once per image beforehand: loading, L2-normalising the cells (also centring
etc. where a variant changes the features) and the support-mask cell coverage; nor the
scoring. numpy here links the reference BLAS (single-threaded), so CPU time is the
time one core spends, even when the machine is busy.

Rows marked DIAGNOSTIC look at the query's ground truth: ceilings, not recipes.

  /usr/bin/python3 tests/reference/oneshot_variants.py > target/oneshot-variants.md
  /usr/bin/python3 tests/reference/oneshot_variants.py --only 'best'   # a subset
"""

import argparse
import importlib.util
import os
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("oneshot_ref", os.path.join(HERE, "oneshot_ref.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

SIZE = 512  # network input size of the dump
GRID = {"l4": 16, "l3": 32, "l3p": 16, "cat": 16}  # cells a side per feature kind


# ---------------------------------------------------------------- data


def unit(x):
    """L2-normalise along the last axis; a zero vector stays zero."""
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(n > 0, x / np.where(n > 0, n, 1), 0.0)


def proto(X, w):
    """unit(sum_i w_i X_i)."""
    return unit(w @ X)


class Data:
    """Labels, raw features and cached unit cell features of the VOC sample.

    Feature kinds: l4 (layer4, 256 cells), l3 (layer3, 1024 cells), l3p (layer3
    average-pooled 2x2 to 16x16), cat (unit l4 and unit l3p concatenated, / sqrt 2).
    Centring: None; img (subtract the image's mean raw feature); ds (subtract the mean
    raw feature of all 92 images); img_unit (normalise, subtract the image's mean unit
    feature, normalise again); sqrt (square root of the post-ReLU features).
    """

    def __init__(self, feats, voc, size=SIZE):
        # Cells a side per kind at this input size (ssp and best work at any size; the other
        # recipes assume 512).
        self.grid = {k: g * size // SIZE for k, g in GRID.items()}
        self.table = ref.load_classes(voc)
        self.names = sorted({n for c in ref.CLASSES for n in self.table[c]})
        self.raw = {"l4": {}, "l3": {}}  # float32 [cells, C], as stored
        self.lab = {}
        for n in self.names:
            for kind, layer in (("l4", "layer4"), ("l3", "layer3")):
                f = np.load(os.path.join(feats, layer, n + ".npy"))
                want = self.grid[kind]
                if f.ndim != 3 or f.shape[:2] != (want, want):
                    sys.exit(f"{layer}/{n}.npy: expected [{want}, {want}, C], got {f.shape}")
                self.raw[kind][n] = f.reshape(-1, f.shape[-1])
            self.lab[n] = ref.load_labels(voc, n)
        self._ds_mean = {}
        self._U = {}
        self._cov = {}
        for ci, c in enumerate(ref.CLASSES):  # coverage of every (image, class) at both grids
            for n in self.table[c]:
                for g in (self.grid["l4"], self.grid["l3"]):
                    self._cov[(n, ci + 1, g)] = ref.cell_coverage(
                        self.lab[n] == ci + 1, g, g).reshape(-1)

    def rawf(self, n, kind):
        if kind == "l3p":
            g = self.grid["l3p"]
            x = self.raw["l3"][n].astype(np.float64).reshape(g, 2, g, 2, -1)
            return x.mean(axis=(1, 3)).reshape(g * g, -1)
        return self.raw[kind][n].astype(np.float64)

    def ds_mean(self, base):
        if base not in self._ds_mean:
            self._ds_mean[base] = np.mean(
                [self.raw[base][n].astype(np.float64).mean(0) for n in self.names], 0)
        return self._ds_mean[base]

    def _make_unit(self, n, kind, centre):
        if kind == "cat":
            return np.concatenate([self.U(n, "l4", centre), self.U(n, "l3p", centre)], 1) / np.sqrt(2)
        x = self.rawf(n, kind)
        if centre == "img":
            x = x - x.mean(0)
        elif centre == "ds":
            x = x - self.ds_mean("l3" if kind.startswith("l3") else "l4")
        elif centre == "sqrt":
            x = np.sqrt(x)
        out = unit(x)
        if centre == "img_unit":
            out = unit(out - out.mean(0))
        return out

    def U(self, n, kind="l4", centre=None):
        """Unit cell features [cells, C] of image n (float64)."""
        k = (n, kind, centre)
        if k not in self._U:
            self._U[k] = self._make_unit(n, kind, centre)
        return self._U[k]

    def prepare(self, needs):
        """Compute the (kind, centre) feature sets a variant uses; drop other optional ones."""
        keep = set(needs) | {("l4", None), ("l3", None)}
        for k in [k for k in self._U if k[1:] not in keep]:
            del self._U[k]
        for kind, centre in keep:
            for n in self.names:
                self.U(n, kind, centre)

    def cov(self, n, cls, g):
        """Coverage of the cells of an g x g grid by class cls (plain protocol)."""
        return self._cov[(n, cls, g)]

    def up(self, m, n):
        """[h, w] map -> image n's size (bilinear, align_corners=False)."""
        lab = self.lab[n]
        return ref.upsample_bilinear(m, lab.shape[0], lab.shape[1])


def cut(m, how):
    """Threshold of a map: 'mid' (min+max)/2, 'otsu' (256-bin Otsu) or a number."""
    if how == "mid":
        return 0.5 * (float(m.min()) + float(m.max()))
    if how == "otsu":
        return ref.otsu_threshold(m)
    return float(how)


def random_walk(Uq, m, walk):
    """walk=(beta, steps): m <- A m `steps` times, A = rows-normalised max(Uq Uq^T, 0)^beta."""
    if not walk:
        return m
    beta, steps = walk
    A = np.maximum(Uq @ Uq.T, 0.0) ** beta
    A /= A.sum(axis=1, keepdims=True)
    for _ in range(steps):
        m = A @ m
    return m


# ---------------------------------------------------------------- recipes
# Every recipe is recipe(d, s, q, cls) -> bool [H_q, W_q] prediction for the query.


def kmeans_bg(Us, w, k, iters=10):
    """Weighted spherical k-means of the support bg cells; farthest-point init from the heaviest cell."""
    idx = [int(np.argmax(w))]
    sel = w > 1e-6
    for _ in range(1, k):
        sim = (Us @ Us[idx].T).max(1)
        idx.append(int(np.argmin(np.where(sel, sim, np.inf))))
    C = Us[idx].copy()
    for _ in range(iters):
        a = np.argmax(Us @ C.T, 1)
        for j in range(k):
            wj = w * (a == j)
            if wj.sum() > 0:
                C[j] = unit(wj @ Us)
    return C


def support_protos(kind="l4", centre=None, mode="plain", how="mid", k=3):
    """Maps from support prototypes only (t0.py, t1.py).

    plain: cos(q, fg proto); fgbg: cos(q, fg) - cos(q, bg proto); kbg: cos(q, fg) minus
    the best cos over k k-means centroids of the support bg.
    """
    g = GRID[kind]

    def recipe(d, s, q, cls):
        Us, Uq, c = d.U(s, kind, centre), d.U(q, kind, centre), d.cov(s, cls, g)
        m = Uq @ proto(Us, c)
        if mode == "fgbg":
            m = m - Uq @ proto(Us, 1 - c)
        elif mode == "kbg":
            m = m - (Uq @ kmeans_bg(Us, 1 - c, k).T).max(1)
        u = d.up(m.reshape(g, g), q)
        return u > cut(u, how)
    return recipe


def channel_weighted(mode, K=512):
    """Plain L4 prototype, mid threshold, after re-weighting channels by support fg/bg means (t6.py)."""
    def recipe(d, s, q, cls):
        Us, Uq, c = d.U(s), d.U(q), d.cov(s, cls, 16)
        mf = c @ Us / c.sum()
        mb = (1 - c) @ Us / (1 - c).sum()
        if mode == "relu":
            w = np.maximum(mf - mb, 0)
        elif mode == "sqrtrelu":
            w = np.sqrt(np.maximum(mf - mb, 0))
        elif mode == "ratio":
            w = mf / (mb + 1e-3)
        else:  # topk
            w = np.zeros_like(mf)
            w[np.argsort(mf - mb)[-K:]] = 1
        Ws, Wq = unit(Us * w), unit(Uq * w)
        u = d.up((Wq @ proto(Ws, c)).reshape(16, 16), q)
        return u > cut(u, "mid")
    return recipe


def knn(k, bg):
    """Nearest-neighbour matching (t6.py): mean of the k best cos to support fg cells (coverage > .5),
    minus the same for bg cells if bg (threshold 0), else alone (mid threshold)."""
    how = "0" if bg else "mid"

    def recipe(d, s, q, cls):
        Us, Uq, c = d.U(s), d.U(q), d.cov(s, cls, 16)
        S = Uq @ Us.T
        if (c > 0.5).any():
            m = np.sort(S[:, c > 0.5], 1)[:, -k:].mean(1)
        else:
            m = S[:, [np.argmax(c)]].mean(1)
        if bg:
            m = m - np.sort(S[:, c <= 0.5], 1)[:, -k:].mean(1)
        u = d.up(m.reshape(16, 16), q)
        return u > cut(u, how)
    return recipe


def ssp(kind="l4", centre=None, a=0.5, bsup=0.0, sel="mid", band=0.0, weighted=False,
        soft=None, cyc=False, iters=1, walk0=None, walk=None, adapt=None, bias=0.0, how="0",
        l3=0.0, l3split="0", l3band=0.0, walk3=None, post=None):
    """Self-support prototypes (t2.py, ssp.py, ssp2.py, best.py), all options in one place.

    1. Support prototypes P (fg) and B (bg) from the coverage; m = cos(q, P)
       (random walk `walk0` on it first if given).
    2. Seeds on the query: fg = m > t + band*range, bg = m <= t - band*range, t = cut(m, sel).
       cyc: keep only fg seeds whose nearest support cell has coverage > .5 (all if none left).
       weighted: seeds weighted by |m - t|; soft: sigmoid((m - t) / (soft*range)) weights.
    3. F = unit(a P + (1-a) qfg), Bk = unit(bsup B + (1-bsup) qbg) with qfg/qbg the query's own
       seed prototypes; m = cos(q, F) - cos(q, Bk). Repeated `iters` times. adapt: the bg term is
       an attention (temperature adapt) over the query's bg seed cells instead of one prototype.
    4. walk=(beta, steps): random walk on m with the query's own L4 affinity.
    5. l3 > 0: layer3 refinement at 32x32: m upsampled to 32x32, L3 seeds split at `l3split`
       ('0' or 'mid') +- l3band*range, e = cos(q3, f3) - cos(q3, b3) (walk3: random walk on e);
       final u = (1-l3) up(m) + l3 up(e) > 0. Without l3: up(m) - bias > cut(., how).
    6. post(d, q, u) -> u: a filter of the final score at the query's size (oneshot_refine.py).
    """
    post = post or (lambda d, q, u: u)

    def recipe(d, s, q, cls):
        g, g3 = d.grid[kind], d.grid["l3"]
        Us, Uq, c = d.U(s, kind, centre), d.U(q, kind, centre), d.cov(s, cls, g)
        P, B = proto(Us, c), proto(Us, 1 - c)
        m = random_walk(Uq, Uq @ P, walk0)
        for _ in range(iters):
            t = cut(m, sel)
            rg = m.max() - m.min()
            fgc = m > t + band * rg
            bgc = m <= t - band * rg
            if cyc:
                nn = np.argmax(Uq @ Us.T, axis=1)
                f2 = fgc & (c[nn] > 0.5)
                if f2.any():
                    fgc = f2
            if weighted:
                wf, wb = (m - t) * fgc, (t - m) * bgc
            elif soft is not None:
                z = 1 / (1 + np.exp(-(m - t) / (soft * rg)))
                wf, wb = z, 1 - z
            else:
                wf, wb = fgc.astype(float), bgc.astype(float)
            F = unit(a * P + (1 - a) * proto(Uq, wf))
            if adapt is None:
                Bk = unit(bsup * B + (1 - bsup) * proto(Uq, wb))
                m = Uq @ F - Uq @ Bk
            else:
                Bq = Uq[bgc]
                S = Uq @ Bq.T * adapt
                A = np.exp(S - S.max(1, keepdims=True))
                A /= A.sum(1, keepdims=True)
                bgx = unit(bsup * B + (1 - bsup) * unit(A @ Bq))
                m = Uq @ F - (Uq * bgx).sum(1)
        m = random_walk(Uq, m, walk) - bias
        u4 = d.up(m.reshape(g, g), q)
        if not l3:
            u4 = post(d, q, u4)
            return u4 > cut(u4, how)
        Q3 = d.U(q, "l3")
        m32 = ref.upsample_bilinear(m.reshape(g, g), g3, g3).reshape(-1)
        t3 = cut(m32, l3split)
        r3 = m32.max() - m32.min()
        f3 = proto(Q3, (m32 > t3 + l3band * r3).astype(float))
        b3 = proto(Q3, (m32 <= t3 - l3band * r3).astype(float))
        e = random_walk(Q3, Q3 @ f3 - Q3 @ b3, walk3).reshape(g3, g3)
        return post(d, q, (1 - l3) * u4 + l3 * d.up(e, q)) > 0
    return recipe


def oracle_coverage(g):
    """DIAGNOSTIC (t3.py): the query's own g x g ground-truth coverage, upsampled, > .5."""
    def recipe(d, s, q, cls):
        return d.up(d.cov(q, cls, g).reshape(g, g), q) > 0.5
    return recipe


def oracle_protos(kind="l4", a=0.0, bsup=0.0):
    """DIAGNOSTIC (t5.py): fg/bg prototypes from the query's ground-truth cells (coverage > .5),
    fused with the support ones (a, bsup), threshold 0."""
    g = GRID[kind]

    def recipe(d, s, q, cls):
        Us, Uq, c, cq = d.U(s, kind), d.U(q, kind), d.cov(s, cls, g), d.cov(q, cls, g)
        F = unit(a * proto(Us, c) + (1 - a) * proto(Uq, (cq > 0.5).astype(float)))
        Bk = unit(bsup * proto(Us, 1 - c) + (1 - bsup) * proto(Uq, (cq <= 0.5).astype(float)))
        u = d.up((Uq @ F - Uq @ Bk).reshape(g, g), q)
        return u > 0
    return recipe


# ---------------------------------------------------------------- the variant list


class V:
    """One row: name, one-line description, recipe, feature sets it needs, earlier figure."""

    def __init__(self, name, what, recipe=None, needs=(), earlier=None, skip=None):
        self.name, self.what, self.recipe = name, what, recipe
        self.needs, self.earlier, self.skip = tuple(needs), earlier, skip


BEST = dict(a=0.5, bsup=0.5, cyc=True, walk=(4, 3), l3=0.7, l3band=0.1)  # = best.py


def best_with(**kw):
    return ssp(**{**BEST, **kw})


def variants():
    v = []
    kdesc = {"l4": "layer4 16x16", "l3": "layer3 32x32", "l3p": "layer3 pooled to 16x16",
             "cat": "layer4 + pooled layer3 concatenated"}
    earlier_plain = {("l4", "mid"): "0.498/0.662", ("l4", "otsu"): "0.509/0.647",
                     ("l3", "mid"): "0.222/0.318"}
    # t0.py / t1.py: the plain protocol on each feature kind
    for kind in ("l4", "l3", "l3p", "cat"):
        for how in ("mid", "otsu"):
            v.append(V(f"plain {kind} {how}", f"plain: support fg prototype, {kdesc[kind]}, {how} threshold",
                       support_protos(kind, how=how), [(kind, None)], earlier_plain.get((kind, how))))
    # t1.py: support bg prototype as well
    for kind in ("l4", "cat"):
        for how in ("0", "mid", "otsu"):
            v.append(V(f"fg-bg {kind} thr {how}",
                       f"cos(fg proto) - cos(support bg proto), {kdesc[kind]}, threshold {how}",
                       support_protos(kind, mode="fgbg", how=how), [(kind, None)]))
    for k in (1, 2, 3, 4, 5, 8):
        v.append(V(f"k-means bg k={k}", f"cos(fg proto) - max cos over {k} k-means centroids of support bg, L4, thr 0",
                   support_protos(mode="kbg", k=k, how="0")))
    # t1.py: centred / transformed features
    cdesc = {"img": "minus the image's mean feature", "ds": "minus the 92-image mean feature",
             "img_unit": "unit, minus the image's mean unit feature, unit",
             "sqrt": "square root of the features"}
    for centre in ("img", "ds", "img_unit", "sqrt"):
        for how in ("mid", "otsu"):
            v.append(V(f"plain l4 centre={centre} {how}", f"plain L4, {how}, features {cdesc[centre]}",
                       support_protos("l4", centre, how=how), [("l4", centre)]))
        v.append(V(f"fg-bg l4 centre={centre} thr 0", f"fg-bg L4, thr 0, features {cdesc[centre]}",
                   support_protos("l4", centre, mode="fgbg", how="0"), [("l4", centre)]))
    # t6.py: channel weighting and nearest-neighbour matching
    for mode, what in (("relu", "max(fg mean - bg mean, 0)"), ("sqrtrelu", "sqrt(max(fg mean - bg mean, 0))"),
                       ("ratio", "fg mean / (bg mean + 1e-3)")):
        v.append(V(f"chan-weight {mode}", f"plain L4 mid, channels weighted by support {what}",
                   channel_weighted(mode)))
    for K in (128, 256, 512, 1024):
        v.append(V(f"chan-weight top{K}", f"plain L4 mid on the {K} channels with largest support fg - bg mean",
                   channel_weighted("topk", K)))
    for k in (1, 5, 20):
        v.append(V(f"kNN fg k={k}", f"mean of the {k} best cos to support fg cells, mid threshold", knn(k, False)))
        v.append(V(f"kNN fg-bg k={k}", f"same minus the {k} best cos to support bg cells, thr 0", knn(k, True)))

    # t2.py: self-support prototypes (SSP), query bg only (bsup 0)
    for sel in ("mid", "otsu"):
        for a in (0.3, 0.5, 0.7):
            v.append(V(f"SSP sel={sel} a={a}",
                       f"SSP L4: seeds at {sel} of cos(P), fg = unit({a} P + {1 - a:.1f} query-fg proto), "
                       "bg = query-bg proto, thr 0",
                       ssp(sel=sel, a=a), earlier="0.567/0.701" if (sel, a) == ("mid", 0.5) else None))
    for how in ("mid", "otsu"):
        v.append(V(f"SSP a=.5 final {how}", f"SSP a=.5 (query bg only), final threshold {how} instead of 0",
                   ssp(how=how)))
    v.append(V("SSP a=.5 weighted seeds", "SSP a=.5, seed cells weighted by |cos - t|", ssp(weighted=True)))
    for it, e in ((2, "0.560"), (3, "0.548")):
        v.append(V(f"SSP a=.5 iterated {it}x", f"SSP a=.5, seeds re-picked from the SSP map, {it} rounds",
                   ssp(iters=it), earlier=e))
    v.append(V("SSP a=.5 cat", "SSP a=.5 on layer4 + pooled layer3 concatenated",
               ssp(kind="cat"), [("cat", None)]))
    v.append(V("SSP a=.5 sqrt", "SSP a=.5 on square-rooted L4 features", ssp(centre="sqrt"), [("l4", "sqrt")]))
    # t4.py / t5.py (ssp.py): support bg prototype mixed in (bsup), bands, centring, bias, adaptive bg
    for a in (0.3, 0.5, 0.7):
        for bsup in (0.2, 0.3, 0.5):
            v.append(V(f"SSP a={a} bsup={bsup}",
                       f"SSP, fg = unit({a} P + {1 - a:.1f} qfg), bg = unit({bsup} B + {1 - bsup:.1f} qbg), thr 0",
                       ssp(a=a, bsup=bsup)))
    for band in (0.05, 0.1, 0.2):
        v.append(V(f"SSP bsup=.3 band={band}", f"SSP a=.5 bsup=.3, no seeds within {band} x range of the mid",
                   ssp(bsup=0.3, band=band)))
    for centre in ("ds", "img"):
        v.append(V(f"SSP bsup=.3 centre={centre}", f"SSP a=.5 bsup=.3 on features {cdesc[centre]}",
                   ssp(bsup=0.3, centre=centre), [("l4", centre)]))
    for b in (-0.05, -0.02, 0.02, 0.05):
        v.append(V(f"SSP bsup=.3 thr {b}", f"SSP a=.5 bsup=.3, final threshold {b} instead of 0",
                   ssp(bsup=0.3, bias=b)))
    for tau in (5, 10, 20):
        v.append(V(f"SSP bsup=.3 adaptive bg tau={tau}",
                   f"SSP a=.5 bsup=.3, bg per cell = softmax({tau} cos) attention over query bg seeds",
                   ssp(bsup=0.3, adapt=tau)))
    for w in (0.3, 0.5, 0.7):
        v.append(V(f"SSP bsup=.3 + L3 w={w}",
                   f"SSP a=.5 bsup=.3, + layer3 self-support map (seeds split at 0), weight {w}",
                   ssp(bsup=0.3, l3=w)))
    # t7.py: layer3 refinement of SSP a=.5 bsup=.5
    for w in (0.7, 1.0):
        for b3 in (0.0, 0.1, 0.2):
            for split in ("mid", "0"):
                if (w, b3, split) == (0.7, 0.1, "0"):
                    continue  # = "best - cycle - walk" below
                v.append(V(f"SSP bsup=.5 + L3 w={w} band={b3} split={split}",
                           f"SSP a=.5 bsup=.5, + layer3 self-support map, L3 seeds split at {split} "
                           f"+- {b3} x range, weight {w}",
                           ssp(bsup=0.5, l3=w, l3band=b3, l3split=split)))
    # t8.py: on top of SSP a=.5 bsup=.5 + L3 (w .7, band .1)
    base = dict(a=0.5, bsup=0.5, l3=0.7, l3band=0.1)
    for T in (0.05, 0.1):
        v.append(V(f"SSP+L3 soft seeds T={T}", f"SSP+L3 (w .7, band .1), seeds weighted sigmoid((m - t)/({T} x range))",
                   ssp(**base, soft=T)))
    for beta in (4, 10):
        for t in (1, 3):
            v.append(V(f"SSP+L3 walk on plain map b{beta} t{t}",
                       f"SSP+L3, random walk (power {beta}, {t} step{'s' if t > 1 else ''}) on cos(P) before seeding",
                       ssp(**base, walk0=(beta, t))))
    for beta, t in ((4, 1), (10, 1), (10, 3)):
        v.append(V(f"SSP+L3 walk b{beta} t{t}", f"SSP+L3, random walk (power {beta}, {t} step{'s' if t > 1 else ''}) on the SSP map",
                   ssp(**base, walk=(beta, t))))
    # t9.py / best.py: the best recipe and its ablations
    v.append(V("**best**", "cycle-checked fg seeds + SSP (a .5, bsup .5) + random walk power 4, 3 steps "
               "+ layer3 refinement w .7 band .1, thr 0 (best.py)", best_with(), earlier="0.642/0.761"))
    v.append(V("best - cycle check", "best without the cycle check (= SSP+L3 + walk b4 t3)", best_with(cyc=False)))
    v.append(V("best - random walk", "best without the random walk (= SSP+L3 + cycle check)", best_with(walk=None)))
    v.append(V("best - layer3", "best without the layer3 refinement (final up(m) > 0)", best_with(l3=0.0)))
    v.append(V("best - random walk - layer3", "cycle check + SSP only", best_with(walk=None, l3=0.0)))
    v.append(V("best - cycle - walk", "SSP a=.5 bsup=.5 + layer3 refinement w .7 band .1 split 0 (t8.py base)",
               ssp(**base)))
    v.append(V("best, walk power 2", "best with random-walk power 2 instead of 4", best_with(walk=(2, 3)),
               earlier="0.544"))
    v.append(V("best, walk power 6", "best with random-walk power 6", best_with(walk=(6, 3))))
    v.append(V("best, walk 2 steps", "best with 2 random-walk steps instead of 3", best_with(walk=(4, 2))))
    v.append(V("best, walk 5 steps", "best with 5 random-walk steps instead of 3", best_with(walk=(4, 5))))
    v.append(V("best + walk on L3 map", "best + random walk (power 4, 1 step) on the layer3 map with its own affinity",
               best_with(walk3=(4, 1))))
    # earlier result that the dump cannot reproduce
    v.append(V("fg/bg L3+L4 + flip", "fg and bg prototypes on layer3 + layer4, features averaged with the "
               "flipped image's, fg where cos fg > cos bg (Rust session, since removed)",
               earlier="0.502/0.651", skip="needs features of the flipped images"))
    # diagnostics
    for g in (16, 32):
        v.append(V(f"DIAGNOSTIC query coverage {g}x{g}", f"query ground truth averaged to {g}x{g} cells, "
                   "upsampled, > .5 (resolution ceiling)", oracle_coverage(g)))
    v.append(V("DIAGNOSTIC query-gt protos L4", "fg/bg prototypes from the query's own gt cells, L4, thr 0",
               oracle_protos()))
    v.append(V("DIAGNOSTIC query-gt protos L3", "the same on layer3 32x32", oracle_protos("l3")))
    v.append(V("DIAGNOSTIC query-gt protos + support", "query-gt prototypes fused with support ones (a .5, bsup .3)",
               oracle_protos(a=0.5, bsup=0.3)))
    return v


# ---------------------------------------------------------------- evaluation


def evaluate(d, recipe):
    """Score recipe over the 400 episodes -> (mIoU, FB-IoU, CPU ms per episode of the recipe)."""
    ious = []
    T = F = N = TN = 0
    cpu = 0.0
    episodes = 0
    for ci, c in enumerate(ref.CLASSES):
        cls = ci + 1
        tp = fp = fn = 0
        for s in d.table[c]:
            for q in d.table[c]:
                if q == s:
                    continue
                t0 = time.process_time()
                pred = recipe(d, s, q, cls)
                cpu += time.process_time() - t0
                lab = d.lab[q]
                valid = lab != ref.IGNORE
                gt = lab == cls
                e_tp = int(np.count_nonzero(pred & gt & valid))
                e_fp = int(np.count_nonzero(pred & ~gt & valid))
                e_fn = int(np.count_nonzero(~pred & gt & valid))
                tp += e_tp
                fp += e_fp
                fn += e_fn
                TN += int(np.count_nonzero(valid)) - e_tp - e_fp - e_fn
                episodes += 1
        ious.append(tp / max(tp + fp + fn, 1))
        T += tp
        F += fp
        N += fn
    fg = T / (T + F + N)
    bg = TN / (TN + F + N)
    return float(np.mean(ious)), 0.5 * (fg + bg), 1000.0 * cpu / episodes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feats", default="/tmp/oneshot-ref/feats", help="reads FEATS/{layer3,layer4}/NAME.npy")
    ap.add_argument("--voc", default=os.path.join(HERE, "..", "..", "..", "shared", "voc"))
    ap.add_argument("--only", help="run only variants whose name matches this regex")
    ap.add_argument("--list", action="store_true", help="list the variants and stop")
    args = ap.parse_args()

    vs = variants()
    if args.only:
        vs = [x for x in vs if re.search(args.only, x.name)]
    if args.list:
        for x in vs:
            print(f"{x.name:<45s} {x.what}")
        return

    wall0 = time.time()
    d = Data(args.feats, args.voc)
    print(f"loaded {len(d.names)} images in {time.time() - wall0:.1f}s", file=sys.stderr)

    rows, checks = [], []
    for i, x in enumerate(vs):
        if x.skip:
            rows.append(f"| {x.name} | {x.what} | {x.earlier.split('/')[0]} (earlier; not rerun: {x.skip}) "
                        f"| {x.earlier.split('/')[1]} (earlier) | — |")
            continue
        d.prepare(x.needs)
        t0 = time.time()
        miou, fb, ms = evaluate(d, x.recipe)
        print(f"[{i + 1}/{len(vs)}] {x.name:<45s} mIoU={miou:.3f} FB-IoU={fb:.3f} {ms:6.1f} ms/ep "
              f"({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
        rows.append(f"| {x.name} | {x.what} | {miou:.3f} | {fb:.3f} | {ms:.1f} |")
        if x.earlier:
            now = f"{miou:.3f}/{fb:.3f}" if "/" in x.earlier else f"{miou:.3f}"
            checks.append(f"- {x.name}: now {now}, earlier {x.earlier}"
                          + ("" if now == x.earlier else " — DIFFERS"))

    print("| variant | what it does | mIoU | FB-IoU | ms/episode (numpy, this machine) |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("400 episodes (20 classes x 20 ordered pairs). ms/episode: CPU time of one prediction "
          "(reference BLAS, one thread), features already unit-normalised; scoring not included.")
    print("thr 0 = foreground where the map > 0; SSP = self-support prototypes; P/B = support fg/bg "
          "prototypes; qfg/qbg = the query's own seed prototypes.")
    if checks:
        print()
        print("Earlier session's figures (mIoU or mIoU/FB-IoU):")
        print("\n".join(checks))
    print()
    print(f"Total wall time {time.time() - wall0:.0f}s.")


if __name__ == "__main__":
    main()
