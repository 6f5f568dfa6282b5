#!/usr/bin/env python3
"""Reference side of the ResNet parity test: torchvision produces the ground truth.

Our Rust converter loads torchvision ResNet checkpoints (.pth or .safetensors)
into a burn ResNet; this script creates such checkpoints and the activations the
Rust side must reproduce from them.

  make  Build a randomly initialised torchvision ResNet (seeded), randomise the
        BatchNorm parameters and statistics so that BN is not the identity, and
        save its state_dict both as a torch .pth (zip format) and as a
        hand-written .safetensors file.
  run   Load a .pth, apply torchvision's ImageNet preprocessing to a uint8 RGB
        image stored as .npy [H, W, 3], and write layer1..layer4 outputs
        ([H', W', C], channels last) and the 1000 raw logits as float32 .npy.

Needs only torch, torchvision and numpy (Debian bookworm: torch 1.13,
torchvision 0.14). Never downloads weights.
"""

import argparse
import json
import os
import struct

import numpy as np
import torch
import torchvision

ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")

# torchvision's ImageNet normalisation (transforms.Normalize in the model docs).
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# torch dtype -> (safetensors dtype name, little-endian numpy dtype).
SAFETENSORS_DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
}


def build_model(arch):
    """Untrained torchvision ResNet; `weights=None` so nothing is downloaded."""
    ctor = getattr(torchvision.models, arch)
    try:
        return ctor(weights=None)
    except TypeError:
        # torchvision < 0.13 has no `weights` argument.
        return ctor(pretrained=False)


def randomize_batchnorm(model, generator):
    """Give every BatchNorm non-trivial affine parameters and running statistics.

    A fresh model has weight=1, bias=0, mean=0, var=1, so BN is (almost) the
    identity and a converter that swapped or dropped BN tensors would still
    pass. Random values make every BN tensor matter.
    """
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, torch.nn.BatchNorm2d):
                continue
            n = module.num_features
            module.weight.copy_(torch.rand(n, generator=generator) + 0.5)  # U(0.5, 1.5)
            module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            # Strictly positive so that 1/sqrt(var + eps) is well conditioned.
            module.running_var.copy_(torch.rand(n, generator=generator) * 1.5 + 0.5)  # U(0.5, 2)


def save_safetensors(state_dict, path):
    """Write `state_dict` in the safetensors format without the safetensors package.

    Layout: u64 little-endian header length N, N bytes of JSON header (padded
    with spaces so that the data starts 8-byte aligned), then the raw
    little-endian tensor bytes, contiguous, in header order.
    """
    header = {}
    chunks = []
    offset = 0
    for name, tensor in state_dict.items():
        if tensor.dtype not in SAFETENSORS_DTYPES:
            raise ValueError(f"{name}: unsupported dtype {tensor.dtype}")
        st_dtype, np_dtype = SAFETENSORS_DTYPES[tensor.dtype]
        data = tensor.detach().cpu().contiguous().numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {
            "dtype": st_dtype,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in chunks:
            f.write(data)


def make_parent_dir(path):
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)


def cmd_make(args):
    # The global seed fixes torchvision's own initialisation (conv, fc).
    torch.manual_seed(args.seed)
    model = build_model(args.arch)
    # A dedicated generator keeps the BN values independent of how many random
    # numbers torchvision's initialisation happened to draw.
    generator = torch.Generator().manual_seed(args.seed)
    randomize_batchnorm(model, generator)
    model.eval()

    # num_batches_tracked (int64) stays in: real torchvision checkpoints carry
    # it and the converter must skip it.
    state_dict = model.state_dict()
    make_parent_dir(args.out_pth)
    torch.save(state_dict, args.out_pth)
    make_parent_dir(args.out_safetensors)
    save_safetensors(state_dict, args.out_safetensors)
    print(f"{args.arch} seed={args.seed}: {len(state_dict)} tensors -> "
          f"{args.out_pth}, {args.out_safetensors}")


def load_image(path):
    """uint8 RGB [H, W, 3] -> float32 NCHW, as ToTensor() + Normalize() would."""
    img = np.load(path)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"{path}: expected uint8 [H, W, 3], got {img.dtype} {img.shape}")
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255.0)
    # Same operation order as transforms.Normalize: (x - mean) / std.
    mean = torch.tensor(MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0)


def to_hwc(t):
    """[1, C, H, W] -> float32 [H, W, C] (the layout the Rust test compares)."""
    return np.ascontiguousarray(t[0].permute(1, 2, 0).numpy(), dtype=np.float32)


def cmd_run(args):
    torch.set_num_threads(2)
    model = build_model(args.arch)
    state_dict = torch.load(args.weights, map_location="cpu")
    model.load_state_dict(state_dict, strict=True)
    model.eval()

    x = load_image(args.image)
    os.makedirs(args.out_dir, exist_ok=True)
    with torch.no_grad():
        # Same sequence as ResNet._forward_impl, spelled out so that every
        # stage output is at hand without hooks.
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(model, name)(x)
            np.save(os.path.join(args.out_dir, f"{name}.npy"), to_hwc(x))
            print(f"{name}: {tuple(x.shape[2:]) + (x.shape[1],)}")
        logits = model.fc(torch.flatten(model.avgpool(x), 1))
    np.save(os.path.join(args.out_dir, "logits.npy"),
            np.ascontiguousarray(logits[0].numpy(), dtype=np.float32))
    print(f"logits: {tuple(logits.shape[1:])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    make = sub.add_parser("make", help="create seeded ResNet weights (.pth + .safetensors)")
    make.add_argument("--arch", choices=ARCHS, required=True)
    make.add_argument("--seed", type=int, required=True)
    make.add_argument("--out-pth", required=True)
    make.add_argument("--out-safetensors", required=True)
    make.set_defaults(func=cmd_make)

    run = sub.add_parser("run", help="write reference activations for one image")
    run.add_argument("--weights", required=True, help=".pth state_dict from `make`")
    run.add_argument("--arch", choices=ARCHS, required=True)
    run.add_argument("--image", required=True, help="uint8 RGB .npy, shape [H, W, 3]")
    run.add_argument("--out-dir", required=True)
    run.set_defaults(func=cmd_run)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
