#!/usr/bin/python3
"""Known values of glia::vision's hashes (tests/data/vision_hashes.txt).

The images are integer formulas that tests/unit/test_vision.cpp builds again. Each is resized with
OpenCV's INTER_AREA (cv2.resize) and hashed as imagededup defines its hashes: pHash from SciPy's
orthonormal 2-D DCT-II of the 32 x 32 image (the 8 x 8 lowest frequencies against the median of
all of them but the DC term, bit set when >=), dHash from the 9 x 8 image (bit set when a pixel is
brighter than its left neighbour). Bit i is the i-th value in row-major order.
Run with Debian's python3-opencv and python3-scipy: /usr/bin/python3 tests/golden/make_vision_golden.py
"""
import pathlib

import cv2
import numpy as np
import scipy.fft

out = pathlib.Path(__file__).resolve().parent.parent / "data" / "vision_hashes.txt"


def pattern(width, height, k):
    y, x = np.mgrid[0:height, 0:width]
    return ((x * (7 + k) + y * 13 + (x * y) % (31 + k)) % 256).astype(np.uint8)


def bits(mask):
    value = 0
    for i, b in enumerate(mask.flatten()):
        value |= int(bool(b)) << i
    return value


def phash(grey):
    small = cv2.resize(grey.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = scipy.fft.dctn(small.astype(np.float64), norm="ortho")[:8, :8]
    return bits(low >= np.median(low.flatten()[1:]))


def dhash(grey):
    small = cv2.resize(grey.astype(np.float32), (9, 8), interpolation=cv2.INTER_AREA)
    return bits(small[:, 1:] > small[:, :-1])


with open(out, "w") as f:
    f.write("# width height k phash dhash: pattern(width, height, k) (see make_vision_golden.py)\n")
    for width, height, k in [(64, 64, 0), (64, 64, 5), (72, 64, 1), (128, 96, 2), (288, 256, 3), (100, 70, 4)]:
        grey = pattern(width, height, k)
        f.write(f"{width} {height} {k} {phash(grey):016x} {dhash(grey):016x}\n")
print(out.read_text())
