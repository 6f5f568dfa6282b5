#!/usr/bin/python3
"""The image pipeline a PyTorch user of this kind of tool runs, as the reference for ours.

torchvision's `Resize((S, S))` on a PIL image is `img.resize((S, S), Image.BILINEAR)`:
Pillow's bilinear convolution, antialiased when shrinking. Decoding is PIL's (libjpeg-turbo
for JPEG), `convert("RGB")` like torchvision's `ImageFolder` loader.

  /usr/bin/python3 tests/reference/pil_pipeline.py --images DIR --size 512 --out OUT.npy \
      [--decoded-out DIR2]

Writes OUT.npy: uint8 [N, S, S, 3], the images of DIR (*.jpg, sorted by name) decoded and
resized, and OUT.txt with their names, one per line. With --decoded-out it also writes each
full-size decoded image as DIR2/NAME.npy (uint8 [H, W, 3]), to tell decoding from resizing.
"""

import argparse
import os

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--decoded-out")
    args = ap.parse_args()

    names = sorted(f[:-4] for f in os.listdir(args.images) if f.endswith(".jpg"))
    out = np.lib.format.open_memmap(
        args.out, mode="w+", dtype=np.uint8, shape=(len(names), args.size, args.size, 3)
    )
    if args.decoded_out:
        os.makedirs(args.decoded_out, exist_ok=True)
    for i, name in enumerate(names):
        with Image.open(os.path.join(args.images, name + ".jpg")) as img:
            rgb = img.convert("RGB")
        if args.decoded_out:
            np.save(os.path.join(args.decoded_out, name + ".npy"), np.asarray(rgb))
        out[i] = np.asarray(rgb.resize((args.size, args.size), Image.BILINEAR))
    out.flush()
    with open(args.out[: -len(".npy")] + ".txt", "w") as f:
        f.write("".join(n + "\n" for n in names))
    print(f"{len(names)} images, PIL {Image.__version__}")


if __name__ == "__main__":
    main()
