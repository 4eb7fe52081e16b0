#!/usr/bin/python3
"""Small JPEG and PNG files and OpenCV's decoding of them (tests/data/image_*.{jpg,png,txt}).

glia decodes JPEG with libjpeg-turbo and PNG with libpng, as OpenCV does, so its pixels must equal
cv2.imread's. Run with Debian's python3-opencv: /usr/bin/python3 tests/golden/make_image_golden.py
"""
import pathlib

import cv2
import numpy as np

out = pathlib.Path(__file__).resolve().parent.parent / "data"
rng = np.random.default_rng(7)
y, x = np.mgrid[0:30, 0:40]
color = np.stack([x * 6, y * 8, (x + y) * 3], axis=-1).astype(np.float64)
color = np.clip(color + rng.normal(0, 12, color.shape), 0, 255).astype(np.uint8)

files = {
    "image_baseline.jpg": (color, [cv2.IMWRITE_JPEG_QUALITY, 90]),
    "image_progressive.jpg": (color, [cv2.IMWRITE_JPEG_QUALITY, 75, cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
    "image_gray.jpg": (cv2.cvtColor(color, cv2.COLOR_BGR2GRAY), [cv2.IMWRITE_JPEG_QUALITY, 85]),
    "image_color.png": (color, []),
}
with open(out / "image_decoded.txt", "w") as f:
    f.write("# file width height channels, then cv2.imread(file) (BGR, 3 channels) row by row\n")
    for name, (pixels, params) in files.items():
        cv2.imwrite(str(out / name), pixels, params)
        decoded = cv2.imread(str(out / name), cv2.IMREAD_COLOR)
        h, w, c = decoded.shape
        f.write(f"{name} {w} {h} {c}\n")
        f.write(" ".join(str(v) for v in decoded.reshape(-1)) + "\n")
