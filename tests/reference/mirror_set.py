#!/usr/bin/python3
"""A left-right mirrored copy of a VOC sample's layout, for flip-averaged features.

  /usr/bin/python3 tests/reference/mirror_set.py ../shared/voc target/voc-flip

Photos are decoded by PIL (byte-equal to FeatSim's decoder on these files, tests/pipeline_fidelity.rs),
mirrored and written losslessly as PNG under their .jpg names (featsim reads images by content);
label masks are mirrored as they are; classes.json is copied. Nothing here is committed or shipped.
"""

import os
import shutil
import sys

from PIL import Image


def main():
    src, dst = sys.argv[1], sys.argv[2]
    for sub in ("JPEGImages", "SegmentationClass"):
        os.makedirs(os.path.join(dst, sub), exist_ok=True)
    shutil.copy(os.path.join(src, "classes.json"), os.path.join(dst, "classes.json"))
    n = 0
    for f in sorted(os.listdir(os.path.join(src, "JPEGImages"))):
        with Image.open(os.path.join(src, "JPEGImages", f)) as im:
            im.convert("RGB").transpose(Image.FLIP_LEFT_RIGHT).save(os.path.join(dst, "JPEGImages", f), format="PNG")
        m = os.path.splitext(f)[0] + ".png"
        with Image.open(os.path.join(src, "SegmentationClass", m)) as im:
            im.transpose(Image.FLIP_LEFT_RIGHT).save(os.path.join(dst, "SegmentationClass", m))
        n += 1
    print(f"{n} photos mirrored into {dst}")


if __name__ == "__main__":
    main()
