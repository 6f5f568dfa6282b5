#!/usr/bin/python3
"""Writes the bad- and odd-image fixtures of the robustness sweep into OUT, with OUT/expect.json:
for each file, whether FeatSim must accept it (and the upright size it must come out at) or refuse
it with a message (and a word the message must contain). Used by tests/bad_inputs.rs (the core)
and tests/e2e/robustness.test.mjs (the page).

  /usr/bin/python3 tests/reference/bad_images.py OUT
"""
import io
import json
import os
import struct
import sys
import zlib

from PIL import Image


def photo(w, h, mode="RGB"):
    """A smooth test picture with a dark disc, so orientation mistakes are visible."""
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            d = (x - w * 0.7) ** 2 + (y - h * 0.3) ** 2
            px[x, y] = (x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), 40 if d < (h / 5) ** 2 else 200)
    return img.convert(mode) if mode != "RGB" else img


def save(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(w, h):
    """A valid PNG header announcing w×h pixels, followed by a few rows of zeros: it must be refused
    from its header, before any pixel buffer is allocated."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (w + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {}

    def ok(name, data, w, h):
        files[name] = {"expect": "ok", "width": w, "height": h}
        open(os.path.join(out, name), "wb").write(data)

    def refused(name, data, word):
        files[name] = {"expect": "refused", "contains": word}
        open(os.path.join(out, name), "wb").write(data)

    base = save(photo(160, 120), "JPEG", quality=90)
    ok("plain.jpg", base, 160, 120)
    refused("truncated.jpg", base[: len(base) // 2], "truncated")
    refused("zero-bytes.png", b"", "empty")
    ok("one-pixel.png", save(photo(1, 1), "PNG"), 1, 1)
    refused("bomb-20000x20000.png", bomb_png(20000, 20000), "megapixels")
    ok("cmyk.jpg", save(photo(160, 120, "CMYK"), "JPEG"), 160, 120)
    ok("gray16.png", save(photo(160, 120, "L").convert("I;16"), "PNG"), 160, 120)
    ok("gray.jpg", save(photo(160, 120, "L"), "JPEG"), 160, 120)
    rgba = photo(160, 120, "RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((160, 120)))
    ok("alpha.png", save(rgba, "PNG"), 160, 120)
    # EXIF orientation 6 (rotate 90° clockwise to view): stored 160×120, shown 120×160.
    exif = Image.Exif()
    exif[0x0112] = 6
    ok("exif-rotated.jpg", save(photo(160, 120), "JPEG", exif=exif), 120, 160)
    frames = [photo(80, 60), photo(80, 60).transpose(Image.FLIP_LEFT_RIGHT)]
    ok("animated.gif", save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0), 80, 60)
    refused("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>', "unsupported")
    refused("text.png", b"this is not an image at all, only text with a .png name\n", "unsupported")
    ok("palette.png", save(photo(64, 48).convert("P"), "PNG"), 64, 48)
    json.dump(files, open(os.path.join(out, "expect.json"), "w"), indent=1, sort_keys=True)
    print(f"{len(files)} fixtures in {out}")


if __name__ == "__main__":
    main()
