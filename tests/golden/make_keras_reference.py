#!/usr/bin/python3
"""Writes tests/data/keras_reference_originals.tsv: what the seed's published Keras checkpoint
predicts for each of the 253 original scans, with the seed's own preprocessing (OpenCV:
imread (BGR), crop_brain_contour, INTER_CUBIC resize to 240x240, /255) and the checkpoint's
weights read with h5py, the network evaluated by PyTorch in channels_last order.

Needs the data set (../shared/data/brain_mri) and python3-opencv, python3-h5py, python3-torch.
usage: /usr/bin/python3 tests/golden/make_keras_reference.py [DATA_DIR]
"""
import os
import sys

import cv2
import h5py
import numpy as np
import torch
import torch.nn.functional as F

from seed_preprocessing import crop_brain_contour

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "data", "brain_mri")
OUT = os.path.join(HERE, "..", "data", "keras_reference_originals.tsv")


def load_weights(path):
    w = {}
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        for layer in ("conv0", "bn0", "fc"):
            for name in g[layer].attrs["weight_names"]:
                name = name.decode()
                w[name.split(":")[0]] = torch.tensor(np.array(g[layer][name]), dtype=torch.float64)
    return w


def forward(x_nhwc, w):
    h = torch.tensor(x_nhwc, dtype=torch.float64).permute(0, 3, 1, 2)
    h = F.pad(h, (2, 2, 2, 2))
    h = F.conv2d(h, w["conv0/kernel"].permute(3, 2, 0, 1), w["conv0/bias"])
    h = (h - w["bn0/moving_mean"][:, None, None]) / torch.sqrt(w["bn0/moving_variance"][:, None, None] + 1e-3)
    h = h * w["bn0/gamma"][:, None, None] + w["bn0/beta"][:, None, None]
    h = F.max_pool2d(F.max_pool2d(torch.relu(h), 4), 4)
    h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)  # Keras' channels_last flatten
    return torch.sigmoid(h @ w["fc/kernel"] + w["fc/bias"]).numpy()[:, 0]


def main():
    w = load_weights(os.path.join(DATA, "models", "keras_brain_tumor_best.h5"))
    rows = []
    for label, folder in ((1, "yes"), (0, "no")):
        for name in sorted(os.listdir(os.path.join(DATA, folder))):
            image = cv2.imread(os.path.join(DATA, folder, name))
            if image is None:
                continue
            image = cv2.resize(crop_brain_contour(image), (240, 240), interpolation=cv2.INTER_CUBIC) / 255.0
            rows.append(("%s/%s" % (folder, name), label, forward(image[None], w)[0]))
    with open(OUT + ".tmp", "w") as f:
        f.write("file\tlabel\tprob\n")
        for file, label, prob in rows:
            f.write("%s\t%d\t%.6f\n" % (file, label, prob))
    os.replace(OUT + ".tmp", OUT)
    probs = np.array([r[2] for r in rows])
    labels = np.array([r[1] for r in rows])
    print("%d scans, Keras-reference accuracy %.4f" % (len(rows), ((probs > 0.5) == labels).mean()))


if __name__ == "__main__":
    main()
