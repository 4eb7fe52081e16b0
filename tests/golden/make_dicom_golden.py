#!/usr/bin/python3
"""Writes tests/data/dicom_golden.tsv: the 8-bit display pictures of the DICOM files of pydicom's
test corpus (Debian's python3-pydicom ships it), decoded by pydicom and shown by the display
pipeline of glia/io/dicom.hpp written again here in numpy, for tests/unit/test_dicom.cpp to
compare glia with, pixel for pixel (through the CRC-32 of each frame's bytes, and their sum).

The corpus has no VOI LUT table, MONOCHROME1, SIGMOID window, palette, planar RGB, rescaled MR
or JPIP file: this script derives one of each from its MR_small.dcm and SC_rgb_small_odd.dcm (a
few kB each, into tests/data/dicom/; pydicom writes them, glia and pydicom then both read them).

pydicom decodes uncompressed and RLE data with numpy, JPEG and JPEG 2000 with Pillow, and JPEG-LS
and lossless JPEG with GDCM's Python bindings (python3-gil, python3-gdcm); the 'decoder' column
says which. Files pydicom cannot read are listed with its reason; glia refuses them too (the
test checks it) or reads what pydicom cannot (the test says so).

Run from anywhere:  /usr/bin/python3 tests/golden/make_dicom_golden.py
Needs python3-pydicom, python3-numpy, python3-pil, python3-gdcm.
"""
import os
import warnings
import zlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixel_data_handlers.util import (apply_color_lut, apply_modality_lut,
                                              convert_color_space)
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

CORPUS = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
OUT = os.path.join(DATA, "dicom_golden.tsv")
DERIVED = os.path.join(DATA, "dicom")


def windowed(v, center, width, function):
    """DICOM PS3.3 C.11.2.1.2 and C.11.2.1.3, to 0..255, in float64."""
    if function == "SIGMOID":
        return 255.0 / (1.0 + np.exp(-4.0 * (v - center) / width))
    c, w = center, width
    if function == "LINEAR":
        c, w = c - 0.5, w - 1.0
    out = ((v - c) / w + 0.5) * 255.0
    out = np.where(v <= c - w / 2, 0.0, out)
    return np.where(v > c + w / 2, 255.0, out)


def to_bytes(v):
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def show_grey(values, ds, window):
    """values: float64 after the modality LUT. window: None (the file's), 'auto' or (c, w)."""
    if window == "auto":
        lo, hi = np.percentile(values, 1), np.percentile(values, 99)
        if hi <= lo:
            return full_range(values), "full range"
        v = windowed(values, (lo + hi) / 2, hi - lo, "LINEAR_EXACT")
    elif window is not None:
        v = windowed(values, window[0], window[1], "LINEAR")
    elif "VOILUTSequence" in ds:
        v = voi_lut(values, ds.VOILUTSequence[0])
    else:
        function = str(ds.get("VOILUTFunction", "LINEAR")).upper() or "LINEAR"
        centers = list_of(ds.get("WindowCenter"))
        widths = list_of(ds.get("WindowWidth"))
        pairs = [(c, w) for c, w in zip(centers, widths)
                 if w >= (1.0 if function == "LINEAR" else np.finfo(float).tiny)]
        natural = (int(ds.BitsStored) <= 8 and int(ds.get("PixelRepresentation", 0)) == 0
                   and float(ds.get("RescaleSlope", 1)) == 1 and float(ds.get("RescaleIntercept", 0)) == 0)
        if pairs:
            v = windowed(values, pairs[0][0], pairs[0][1], function)
        elif natural:  # 8 bits or fewer, as stored: mapped as a JPEG's would be, not stretched
            top = 2.0 ** int(ds.BitsStored) - 1
            v = windowed(values, top / 2, top, "LINEAR_EXACT")
        else:
            v = full_range(values)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        v = 255.0 - v
    return to_bytes(v), None


def voi_lut(values, item):
    """A VOI LUT table (PS3.3 C.11.2.1.1): values below the first mapped one take the first
    entry, above the last the last; the entries' bits scaled to 0..255."""
    entries, first, bits = [int(x) for x in item.LUTDescriptor]
    entries = entries or 65536
    data = np.asarray(item.LUTData, dtype=np.float64)[:entries]
    index = np.clip(np.floor(values) - first, 0, len(data) - 1).astype(np.int64)
    return data[index] * (255.0 / (2.0 ** bits - 1))


def full_range(values):
    lo, hi = values.min(), values.max()
    return (values - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(values)


def list_of(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [float(v) for v in value]
    return [float(value)]


def frames_of(ds, window=None):
    arr = ds.pixel_array
    samples = int(ds.get("SamplesPerPixel", 1))
    n = int(ds.get("NumberOfFrames", 1) or 1)
    if n == 1:
        arr = arr[np.newaxis]
    out = []
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)  # 16-bit entries
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        return [to_bytes(f.astype(np.float64) * (255.0 / (2.0 ** bits - 1))) for f in rgb]
    for frame in arr:
        if samples == 1:
            values = apply_modality_lut(frame, ds).astype(np.float64)
            pixels, _ = show_grey(values, ds, window)
        else:
            pi = ds.PhotometricInterpretation
            # Every decoder here hands YBR over as it is (pydicom asks Pillow not to convert).
            if pi in ("YBR_FULL", "YBR_FULL_422"):
                frame = convert_color_space(frame, pi, "RGB")
            if ds.BitsStored > 8:
                frame = to_bytes(frame.astype(np.float64) * (255.0 / (2.0 ** ds.BitsStored - 1)))
            pixels = frame.astype(np.uint8)
        out.append(pixels)
    return out


def decoder_of(ds):
    ts = ds.file_meta.TransferSyntaxUID
    if not ts.is_compressed or ts.name == "RLE Lossless":
        return "numpy"
    if "JPEG-LS" in ts.name or "Lossless" in ts.name and "2000" not in ts.name:
        return "gdcm"
    return "pillow"


def derive():
    """The derived files: name -> dataset written into tests/data/dicom/."""
    os.makedirs(DERIVED, exist_ok=True)
    mr = lambda: pydicom.dcmread(os.path.join(CORPUS, "MR_small.dcm"))
    out = {}
    ds = mr()  # a VOI LUT table (a gamma curve over the MR's range) in place of the window
    del ds.WindowCenter, ds.WindowWidth
    item = Dataset()
    item.LUTDescriptor = [2048, 0, 12]
    item.LUTData = [int(round(4095 * (i / 2047) ** 0.5)) for i in range(2048)]
    item["LUTData"].VR = "US"
    ds.VOILUTSequence = Sequence([item])
    out["voi_lut.dcm"] = ds
    ds = mr()  # white is low, and the sigmoid window
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.VOILUTFunction = "SIGMOID"
    out["monochrome1_sigmoid.dcm"] = ds
    ds = mr()  # a modality rescale to values in another unit, with a window in that unit
    ds.RescaleSlope, ds.RescaleIntercept = "0.25", "-100"
    ds.WindowCenter, ds.WindowWidth = "50", "200"
    out["rescaled.dcm"] = ds
    ds = mr()  # 8-bit palette colour: the MR's values folded to 0..255 through a colour map
    pixels = ds.pixel_array.astype(np.int64)
    ds.PixelData = ((pixels * 255) // max(1, pixels.max())).astype(np.uint8).tobytes()
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour, curve in (("Red", lambda i: i), ("Green", lambda i: 255 - i),
                          ("Blue", lambda i: abs(128 - i) * 2)):
        setattr(ds, colour + "PaletteColorLookupTableDescriptor", [256, 0, 16])
        ds[colour + "PaletteColorLookupTableDescriptor"].VR = "US"
        data = np.array([min(255, curve(i)) * 257 for i in range(256)], dtype="<u2").tobytes()
        setattr(ds, colour + "PaletteColorLookupTableData", data)
    for tag in ("WindowCenter", "WindowWidth", "SmallestImagePixelValue",
                "LargestImagePixelValue"):
        if tag in ds:
            delattr(ds, tag)
    out["palette.dcm"] = ds
    ds = pydicom.dcmread(os.path.join(CORPUS, "SC_rgb_small_odd.dcm"))  # RRR..GGG..BBB
    rgb = ds.pixel_array
    ds.PlanarConfiguration = 1
    ds.PixelData = np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()
    out["planar_rgb.dcm"] = ds
    ds = mr()  # pixel data referenced by JPIP: nothing to decode here
    del ds.PixelData
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.94"
    ds.PixelDataProviderURL = "http://127.0.0.1/jpip"
    out["jpip.dcm"] = ds
    for name, ds in out.items():
        if ds.file_meta.TransferSyntaxUID != "1.2.840.10008.1.2.4.94":
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(DERIVED, name), write_like_original=False)
    return sorted(out)


def main():
    warnings.simplefilter("ignore")
    rows = ["# the DICOM files of pydicom's test corpus, decoded by pydicom and shown by the pipeline",
            "# of glia/io/dicom.hpp; made by tests/golden/make_dicom_golden.py with pydicom "
            + pydicom.__version__,
            "source\tfile\twindow\tframe\trows\tcolumns\tchannels\tdecoder\tcrc32\tsum"]
    refused = []
    cases = [("pydicom", name, None) for name in sorted(os.listdir(CORPUS)) if name.endswith(".dcm")]
    cases += [("pydicom", "MR_small.dcm", (300.0, 600.0)), ("pydicom", "MR_small.dcm", "auto"),
              ("pydicom", "CT_small.dcm", "auto")]
    cases += [("derived", name, None) for name in derive()]
    for source, name, window in cases:
        path = os.path.join(CORPUS if source == "pydicom" else DERIVED, name)
        try:
            ds = pydicom.dcmread(path)
            if "PixelData" not in ds:
                continue
            frames = frames_of(ds, window)
        except Exception as e:  # pydicom's own reasons
            if window is None:
                refused.append("# pydicom cannot read %s %s: %s" % (source, name, str(e).splitlines()[0][:120]))
            continue
        label = "file" if window is None else (window if window == "auto" else "%g,%g" % window)
        for i, f in enumerate(frames):
            channels = 1 if f.ndim == 2 else f.shape[2]
            rows.append("\t".join(str(x) for x in (
                source, name, label, i, f.shape[0], f.shape[1], channels, decoder_of(ds),
                "%08x" % zlib.crc32(np.ascontiguousarray(f).tobytes()), int(f.sum()))))
    with open(OUT, "w") as out:
        out.write("\n".join(rows + refused) + "\n")
    print("wrote", OUT, len(rows) - 3, "frames,", len(refused), "files pydicom refuses")


if __name__ == "__main__":
    main()
