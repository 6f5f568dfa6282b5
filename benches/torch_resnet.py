#!/usr/bin/env python3
"""PyTorch reference timing for `featsim bench`: the same architecture (torchvision ResNet, random
weights — speed does not depend on them), the same input size, forward to each block, median of
N after warm-ups, on CUDA (or the CPU when there is none).

  python3 benches/torch_resnet.py --arch resnet50 --size 512 --runs 20

Prints a table and a JSON line. Two settings: `fp32` (TF32 off: the same arithmetic as FeatSim's
f32 kernels) and `default` (PyTorch's defaults, TF32 convolutions on Ampere and later).
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def blocks(net):
    stem = torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
    return [stem, net.layer1, net.layer2, net.layer3, net.layer4]


def forward_to(parts, x, k):
    for p in parts[: k + 2]:
        x = p(x)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    net = getattr(torchvision.models, a.arch)(weights=None).eval().to(dev)
    parts = blocks(net)
    x = torch.rand(1, 3, a.size, a.size, device=dev)
    name = torch.cuda.get_device_name() if dev == "cuda" else "CPU"
    out = {"device": name, "torch": torch.__version__, "arch": a.arch, "size": a.size,
           "runs": a.runs, "median_ms": {}}
    print(f"torch {torch.__version__} · {name} · {a.arch} · {a.size}² · median of {a.runs}")
    for setting, tf32 in (("fp32", False), ("default", True)):
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for k in range(4):
            with torch.inference_mode():
                for _ in range(a.warmup):
                    forward_to(parts, x, k)
                sync()
                ms = []
                for _ in range(a.runs):
                    t = time.perf_counter()
                    forward_to(parts, x, k)
                    sync()
                    ms.append((time.perf_counter() - t) * 1e3)
            key = f"{setting}_forward_layer{k + 1}"
            out["median_ms"][key] = statistics.median(ms)
            print(f"{key:<26} {statistics.median(ms):8.2f} ms  (min {min(ms):.2f})")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
