#!/usr/bin/python3
"""Writes small Keras 2.1.6-format HDF5 files and their expected outputs into tests/data/.

Keras itself is not packaged in Debian, so the files are written with h5py in the layout
Keras 2.1.6 writes (root attributes model_config / keras_version / backend, weights under
model_weights/<layer>/<layer>/<name>:0, channels_last kernels), and the expected outputs are
computed by an independent channels_last forward pass in PyTorch that flattens in Keras'
(H, W, C) order.
"""
import json
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
rng = np.random.default_rng(11)


def layer(class_name, name, previous, **config):
    config["name"] = name
    return {"name": name, "class_name": class_name, "config": config,
            "inbound_nodes": [] if previous is None else [[[previous, 0, 0, {}]]]}


def small_model():
    """One layer of each supported kind, as a functional Model (what the seed saved)."""
    names, layers, weights = [], [], {}

    def add(class_name, name, **config):
        layers.append(layer(class_name, name, names[-1] if names else None, **config))
        names.append(name)

    add("InputLayer", "input_1", batch_input_shape=[None, 13, 11, 3], dtype="float32")
    add("ZeroPadding2D", "pad", padding=[[1, 2], [2, 1]], data_format="channels_last")
    add("Conv2D", "conv_a", filters=4, kernel_size=[3, 3], strides=[1, 1], padding="valid",
        data_format="channels_last", dilation_rate=[1, 1], activation="relu", use_bias=True)
    weights["conv_a"] = {"kernel": rng.normal(0, 0.4, (3, 3, 3, 4)), "bias": rng.normal(0, 0.1, 4)}
    add("BatchNormalization", "bn", axis=[3], momentum=0.99, epsilon=1e-3, center=True, scale=True)
    weights["bn"] = {"gamma": rng.uniform(0.5, 1.5, 4), "beta": rng.normal(0, 0.2, 4),
                     "moving_mean": rng.normal(0.3, 0.1, 4), "moving_variance": rng.uniform(0.2, 1.0, 4)}
    add("Activation", "act_linear", activation="linear")
    add("MaxPooling2D", "pool", pool_size=[2, 2], strides=[2, 2], padding="valid", data_format="channels_last")
    add("Conv2D", "conv_b", filters=5, kernel_size=[3, 3], strides=[1, 1], padding="same",
        data_format="channels_last", dilation_rate=[1, 1], activation="sigmoid", use_bias=True)
    weights["conv_b"] = {"kernel": rng.normal(0, 0.4, (3, 3, 4, 5)), "bias": rng.normal(0, 0.1, 5)}
    add("Activation", "act_relu", activation="relu")
    add("Dropout", "drop", rate=0.25)
    add("Flatten", "flatten", data_format="channels_last")
    add("Dense", "fc1", units=6, activation="relu", use_bias=True)
    weights["fc1"] = {"kernel": rng.normal(0, 0.2, (7 * 6 * 5, 6)), "bias": rng.normal(0, 0.1, 6)}
    add("Dense", "fc2", units=1, activation="sigmoid", use_bias=True)
    weights["fc2"] = {"kernel": rng.normal(0, 0.5, (6, 1)), "bias": rng.normal(0, 0.1, 1)}
    config = {"class_name": "Model", "config": {"name": "small", "layers": layers,
                                                "input_layers": [["input_1", 0, 0]],
                                                "output_layers": [["fc2", 0, 0]]}}
    return config, names, weights


def write_keras(path, config, names, weights):
    with h5py.File(path + ".tmp", "w") as f:
        f.attrs["keras_version"] = b"2.1.6-tf"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [n.encode("utf8") for n in names]
        for n in names:
            lg = g.create_group(n)
            w = weights.get(n, {})
            wnames = ["%s/%s:0" % (n, k) for k in w]
            lg.attrs["weight_names"] = [s.encode("utf8") for s in wnames] if wnames else np.zeros(0)
            for k, v in w.items():
                lg.create_dataset("%s/%s:0" % (n, k), data=np.asarray(v, dtype=np.float32))
    os.replace(path + ".tmp", path)


def reference_forward(x_nhwc, w):
    """Keras' forward pass, channels_last, in float64."""
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))
    h = t(x_nhwc).permute(0, 3, 1, 2)                                 # NCHW for torch's conv
    h = F.pad(h, (2, 1, 1, 2))                                        # left, right, top, bottom
    h = torch.relu(F.conv2d(h, t(w["conv_a"]["kernel"]).permute(3, 2, 0, 1), t(w["conv_a"]["bias"])))
    bn = w["bn"]
    h = (h - t(bn["moving_mean"])[:, None, None]) / torch.sqrt(t(bn["moving_variance"])[:, None, None] + 1e-3)
    h = h * t(bn["gamma"])[:, None, None] + t(bn["beta"])[:, None, None]
    h = F.max_pool2d(h, 2)
    h = torch.sigmoid(F.conv2d(h, t(w["conv_b"]["kernel"]).permute(3, 2, 0, 1), t(w["conv_b"]["bias"]), padding=1))
    h = torch.relu(h)
    h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)                 # Keras flattens (H, W, C)
    h = torch.relu(h @ t(w["fc1"]["kernel"]) + t(w["fc1"]["bias"]))
    return torch.sigmoid(h @ t(w["fc2"]["kernel"]) + t(w["fc2"]["bias"])).numpy()


def write_text(filename, tensors):
    with open(os.path.join(OUT, filename), "w") as f:
        f.write("# expected outputs of keras_small.h5, by tests/golden/make_keras_golden.py\n")
        for name, a in tensors:
            a = np.asarray(a, dtype=np.float32)
            f.write("%s %d %s\n%s\n" % (name, a.ndim, " ".join(map(str, a.shape)),
                                        " ".join("%.9g" % v for v in a.reshape(-1))))


def main():
    config, names, weights = small_model()
    write_keras(os.path.join(OUT, "keras_small.h5"), config, names, weights)
    x = rng.uniform(0, 1, (2, 13, 11, 3))
    y = reference_forward(x, weights)
    write_text("keras_small_expected.txt", [("x_nchw", x.transpose(0, 3, 1, 2)), ("y", y)])

    # An unsupported layer, and an unsupported option: loading must name them.
    bad = json.loads(json.dumps(config))
    bad["config"]["layers"].insert(2, layer("UpSampling2D", "upsample", "pad", size=[2, 2]))
    bad["config"]["layers"][3]["inbound_nodes"] = [[["upsample", 0, 0, {}]]]
    write_keras(os.path.join(OUT, "keras_unsupported_layer.h5"), bad, names[:2] + ["upsample"] + names[2:], weights)
    first = json.loads(json.dumps(config))
    first["config"]["layers"][2]["config"]["data_format"] = "channels_first"
    write_keras(os.path.join(OUT, "keras_channels_first.h5"), first, names, weights)


if __name__ == "__main__":
    main()
