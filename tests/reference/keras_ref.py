#!/usr/bin/python3
"""Independent numpy reference for the Keras ResNet-50 stored as a TF.js layers model.

Why this exists: the Rust/burn port of the model is checked against this script in
the parity test. To be a meaningful reference it shares nothing with the Rust code:
it reads `model.json` and the weight shards directly and walks the Keras layer graph
generically (no hard-coded ResNet structure), computing each layer from the Keras
definitions with numpy only.

Usage:
    /usr/bin/python3 tests/reference/keras_ref.py --model-json PATH/model.json \
        --image IMG.npy --out-dir DIR [--logits] [--float64]

IMG.npy is a uint8 RGB array [H, W, 3], already resized (H, W multiples of 32).
Writes DIR/layer1.npy .. DIR/layer4.npy (float32 [H', W', C], channels last): the
outputs of ResNet stages 2..5, i.e. the tensors feeding res3a_branch2a,
res4a_branch2a, res5a_branch2a and avg_pool. With --logits it also runs the head and
writes DIR/probs.npy (float32 [1000], softmax output) and prints the top-5.
"""

import argparse
import json
import os
import sys
import time
from collections import deque

import numpy as np

# Keras `imagenet_utils.preprocess_input(mode="caffe")`: BGR channel means, no scaling.
BGR_MEANS = np.array([103.939, 116.779, 123.68], dtype=np.float64)

# Stage outputs, identified by the layer they feed. The value is the *input* of the
# named layer, so it is found from the graph rather than from auto-generated
# activation names (activation_N), which differ between Keras versions.
CAPTURES = [
    ("layer1", "res3a_branch2a"),
    ("layer2", "res4a_branch2a"),
    ("layer3", "res5a_branch2a"),
    ("layer4", "avg_pool"),
]


# --------------------------------------------------------------------------- weights


def load_weights(model_json_path, manifest):
    """Return {weight_name: ndarray} from the TF.js weightsManifest.

    Each group's shard files are concatenated in the listed order; the tensors lie
    back to back in that byte stream as little-endian float32.
    """
    base = os.path.dirname(os.path.abspath(model_json_path))
    weights = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            if spec["dtype"] != "float32":
                raise ValueError(f"unsupported dtype {spec['dtype']} for {spec['name']}")
            if "quantization" in spec:
                raise ValueError(f"quantized weight {spec['name']} not supported")
            shape = tuple(spec["shape"])
            count = int(np.prod(shape)) if shape else 1
            arr = np.frombuffer(blob, dtype="<f4", count=count, offset=offset)
            weights[spec["name"]] = arr.reshape(shape)
            offset += 4 * count
        if offset != len(blob):
            raise ValueError(f"weight group uses {offset} bytes but shards hold {len(blob)}")
    return weights


# --------------------------------------------------------------------------- graph


def topo_order(layers):
    """Kahn topological sort of the layer graph (by name), stable w.r.t. file order."""
    by_name = {l["name"]: l for l in layers}
    deps = {}
    for l in layers:
        if len(l["inbound_nodes"]) > 1:
            # Shared layers (called more than once) do not occur in ResNet-50.
            raise ValueError(f"layer {l['name']} has several inbound nodes; unsupported")
        deps[l["name"]] = [src[0] for node in l["inbound_nodes"] for src in node]
    consumers = {n: [] for n in by_name}
    indeg = {n: len(d) for n, d in deps.items()}
    for n, d in deps.items():
        for s in d:
            consumers[s].append(n)
    queue = deque(n for n in by_name if indeg[n] == 0)
    order = []
    while queue:
        n = queue.popleft()
        order.append(by_name[n])
        for c in consumers[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
    if len(order) != len(layers):
        raise ValueError("layer graph has a cycle or dangling inputs")
    return order, deps


# --------------------------------------------------------------------------- ops
# All tensors are single images, channels last [H, W, C] (the batch axis is dropped).


def pad_amounts(size, k, s, padding):
    """(before, after) padding of one spatial axis for Keras 'valid' / 'same'."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        # TF 'same': output = ceil(size / s); the odd pixel goes to the end.
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        return total // 2, total - total // 2
    raise ValueError(f"unsupported padding {padding!r}")


def conv2d(x, kernel, bias, strides, padding, dilation):
    """Keras Conv2D (kernel HWIO) as im2col + one BLAS matmul."""
    if tuple(dilation) != (1, 1):
        raise ValueError("dilated convolution not supported")
    kh, kw, cin, cout = kernel.shape
    sh, sw = strides
    ph = pad_amounts(x.shape[0], kh, sh, padding)
    pw = pad_amounts(x.shape[1], kw, sw, padding)
    if ph != (0, 0) or pw != (0, 0):
        x = np.pad(x, (ph, pw, (0, 0)))
    w = kernel.reshape(kh * kw * cin, cout).astype(x.dtype, copy=False)
    if kh == 1 and kw == 1:
        # 1x1: striding is plain subsampling, then a matmul over channels.
        cols = x[::sh, ::sw, :]
        oh, ow = cols.shape[:2]
        cols = cols.reshape(oh * ow, cin)
    else:
        # Windows view [OH, OW, C, kh, kw] (no copy), strided by slicing, then
        # reordered to (kh, kw, C) so the rows line up with the HWIO kernel reshape.
        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))
        win = win[::sh, ::sw]
        oh, ow = win.shape[:2]
        cols = np.ascontiguousarray(win.transpose(0, 1, 3, 4, 2)).reshape(oh * ow, kh * kw * cin)
    y = cols @ w
    if bias is not None:
        y += bias.astype(x.dtype, copy=False)
    return y.reshape(oh, ow, cout)


def batch_norm(x, gamma, beta, mean, var, eps):
    """Inference BatchNormalization over the channel axis (moving statistics)."""
    dt = x.dtype
    scale = (gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)).astype(dt)
    shift = (beta.astype(np.float64) - mean.astype(np.float64) * scale).astype(dt)
    return x * scale + shift


def max_pool(x, pool, strides, padding):
    if padding != "valid":
        raise ValueError("only 'valid' max pooling is supported (ResNet pads explicitly)")
    win = np.lib.stride_tricks.sliding_window_view(x, tuple(pool), axis=(0, 1))
    return win[:: strides[0], :: strides[1]].max(axis=(3, 4))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activation(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        return softmax(x)
    if name in ("linear", None):
        return x
    raise ValueError(f"unsupported activation {name!r}")


def run_layer(layer, inputs, weights, dtype):
    """Compute one Keras layer from its config and weights."""
    cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
    if cfg.get("data_format", "channels_last") not in ("channels_last", None):
        raise ValueError(f"{name}: only channels_last is supported")

    def w(key):
        return weights[f"{name}/{key}"].astype(dtype, copy=False)

    if cls == "ZeroPadding2D":
        (t, b), (l, r) = cfg["padding"]
        return np.pad(inputs[0], ((t, b), (l, r), (0, 0)))
    if cls == "Conv2D":
        y = conv2d(inputs[0], w("kernel"), w("bias") if cfg["use_bias"] else None,
                   cfg["strides"], cfg["padding"], cfg.get("dilation_rate", [1, 1]))
        return activation(y, cfg.get("activation"))
    if cls == "BatchNormalization":
        axis = cfg["axis"]
        if axis not in ([3], 3, [-1], -1):
            raise ValueError(f"{name}: BatchNormalization axis {axis} unsupported")
        c = inputs[0].shape[-1]
        gamma = w("gamma") if cfg.get("scale", True) else np.ones(c, dtype)
        beta = w("beta") if cfg.get("center", True) else np.zeros(c, dtype)
        return batch_norm(inputs[0], gamma, beta, w("moving_mean"), w("moving_variance"),
                          cfg["epsilon"])
    if cls == "Activation":
        return activation(inputs[0], cfg["activation"])
    if cls == "MaxPooling2D":
        return max_pool(inputs[0], cfg["pool_size"], cfg["strides"], cfg["padding"])
    if cls == "Add":
        out = inputs[0].copy()
        for t in inputs[1:]:
            out += t
        return out
    if cls == "GlobalAveragePooling2D":
        # Mean over H, W accumulated in float64 (2048 channels, many pixels).
        return inputs[0].mean(axis=(0, 1), dtype=np.float64).astype(dtype)
    if cls == "Dense":
        y = inputs[0] @ w("kernel")
        if cfg.get("use_bias", True):
            y = y + w("bias")
        return activation(y, cfg.get("activation"))
    raise ValueError(f"{name}: unsupported layer class {cls}")


# --------------------------------------------------------------------------- main


def preprocess(img):
    """uint8 RGB [H, W, 3] -> Keras 'caffe' input: BGR, float, mean-subtracted."""
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected uint8 [H, W, 3] image, got {img.dtype} {img.shape}")
    return img[:, :, ::-1].astype(np.float64) - BGR_MEANS


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-json", required=True, help="TF.js layers model.json")
    ap.add_argument("--image", required=True, help="uint8 RGB [H, W, 3] .npy, already resized")
    ap.add_argument("--out-dir", required=True, help="where layer1..4.npy (and probs.npy) go")
    ap.add_argument("--logits", action="store_true",
                    help="also run avg_pool + fc1000, write probs.npy, print the top-5")
    ap.add_argument("--float64", action="store_true",
                    help="compute in float64 instead of float32 (outputs still float32)")
    args = ap.parse_args(argv)
    dtype = np.float64 if args.float64 else np.float32

    t0 = time.time()
    with open(args.model_json) as f:
        model = json.load(f)
    topo = model["modelTopology"]
    config = topo.get("model_config", topo)["config"]
    weights = load_weights(args.model_json, model["weightsManifest"])
    order, deps = topo_order(config["layers"])
    output_name = config["output_layers"][0][0]

    # Which tensor is each capture: the (single) input of the named layer.
    capture_src = {}
    for key, consumer in CAPTURES:
        if consumer not in deps or len(deps[consumer]) != 1:
            raise ValueError(f"capture point {consumer!r} not found as a single-input layer")
        capture_src[deps[consumer][0]] = key

    # Remaining-consumer counts so intermediate tensors are freed as soon as possible
    # (keeps peak memory at a few tensors even at 512x512 and above).
    remaining = {l["name"]: 0 for l in order}
    for d in deps.values():
        for s in d:
            remaining[s] += 1

    img = np.load(args.image)
    h, w = img.shape[:2]
    if h % 32 or w % 32:
        print(f"warning: image {h}x{w} is not a multiple of 32", file=sys.stderr)
    os.makedirs(args.out_dir, exist_ok=True)

    t1 = time.time()
    tensors = {}
    captured = {}
    probs = None
    for layer in order:
        name = layer["name"]
        if layer["class_name"] == "InputLayer":
            out = preprocess(img).astype(dtype)
        else:
            out = run_layer(layer, [tensors[s] for s in deps[name]], weights, dtype)
            for s in deps[name]:
                remaining[s] -= 1
                if remaining[s] == 0 and s not in capture_src:
                    del tensors[s]
        tensors[name] = out
        if name in capture_src:
            key = capture_src[name]
            arr = out.astype(np.float32)
            np.save(os.path.join(args.out_dir, f"{key}.npy"), arr)
            captured[key] = arr
            print(f"{key}: from {name} shape={arr.shape} max|x|={np.abs(arr).max():.6g}")
            if not args.logits and len(captured) == len(CAPTURES):
                break  # the head is only needed for --logits
        if name == output_name:
            probs = out.astype(np.float32)
    t2 = time.time()

    if args.logits:
        if probs is None:
            raise ValueError(f"output layer {output_name} was not reached")
        np.save(os.path.join(args.out_dir, "probs.npy"), probs)
        labels = None
        labels_path = os.path.join(os.path.dirname(os.path.abspath(args.model_json)),
                                   os.pardir, "assets", "labels.json")
        if os.path.exists(labels_path):
            with open(labels_path) as f:
                labels = json.load(f)
        print(f"probs: shape={probs.shape} sum={probs.sum():.6f}")
        for i in np.argsort(-probs)[:5]:
            label = f" {labels.get(str(i), '?')}" if labels else ""
            print(f"  top {i:4d} p={probs[i]:.6f}{label}")
    print(f"time: load {t1 - t0:.2f}s, forward {t2 - t1:.2f}s ({dtype.__name__})")


if __name__ == "__main__":
    main()
