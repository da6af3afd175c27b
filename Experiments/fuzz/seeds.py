#!/usr/bin/env python3
"""Small seed inputs for `make fuzz`, one folder per cdbn-fuzz target, cut from Data/.

Usage: seeds.py OUT_DIR   (run from the repository root, with Debian's python3: numpy and h5py)
"""
import gzip, io, os, struct, sys, wave, zlib

import h5py
import numpy as np

out = sys.argv[1]


def seed(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


# MNIST: the first 4 test images as raw and gzipped IDX, and 3 lines of the CSV.
with gzip.open("Data/mnist/t10k-images-idx3-ubyte.gz") as f:
    f.read(16)
    pixels = f.read(4 * 28 * 28)
idx = struct.pack(">IIII", 0x803, 4, 28, 28) + pixels
seed("idx", "four", idx)
seed("idx-gz", "four.gz", gzip.compress(idx))
with gzip.open("Data/mnist/mnist_5k.csv.gz", "rt") as f:
    seed("mnist-csv", "three.csv", "".join(f.readline() for _ in range(3)).encode())


# A 16x16 grey PNG cut from camera.png's first rows, written by hand (zlib, CRCs).
def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + bytes(r) for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


seed("png", "gradient.png", png(16, 16, [[(i * 16 + j) % 256 for j in range(16)] for i in range(16)]))
# The smallest JPEG in Data/ (no encoder is at hand to make a smaller one).
jpegs = [os.path.join("Data/natural-images", p) for p in os.listdir("Data/natural-images") if p.endswith(".jpg")]
smallest = min(jpegs, key=os.path.getsize)
with open(smallest, "rb") as f:
    seed("jpeg", os.path.basename(smallest), f.read())

# HDF5: a data file of 2 examples with labels, and a one-layer model in cdbn's schema.
def h5(target, name, fill):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        fill(f)
    seed(target, name, buffer.getvalue())


def data(f):
    f["data"] = np.arange(2 * 1 * 6 * 6, dtype=np.float32).reshape(2, 1, 6, 6) / 72
    f["labels"] = np.array([0, 1], dtype=np.int64)


def model(f):
    f.attrs["format"] = "cdbn"
    f.attrs["format_version"] = 1
    f.create_group("preprocessing").attrs["kind"] = "none"
    layer = f.create_group("layers/0")
    layer.attrs["kind"] = "crbm"
    layer.attrs["visible"] = "binary"
    layer.attrs["pooling"] = np.array([2, 2], dtype=np.int64)
    layer.attrs["sigma"] = 1.0
    layer["weights"] = np.full((2, 1, 3, 3), 0.01, dtype=np.float32)
    layer["hidden_bias"] = np.zeros(2, dtype=np.float32)
    layer["visible_bias"] = np.zeros(1, dtype=np.float32)


h5("hdf5-data", "two.h5", data)
h5("hdf5-model", "one-layer.h5", model)

# Audio: a 0.05 s WAV, the first 1,024 header bytes of a TIMIT SPHERE file with 400 samples, its .phn.
buffer = io.BytesIO()
with wave.open(buffer, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes((np.sin(np.arange(800) / 5) * 8000).astype("<i2").tobytes())
seed("wav", "sine.wav", buffer.getvalue())
with open("Data/timit-sample/dr3-falk0/sa1.wav", "rb") as f:
    header = f.read(1024)
    samples = f.read(800)
seed("sphere", "sa1-start.sph", header.replace(b"sample_count -i 51610", b"sample_count -i 400   ") + samples)
with open("Data/timit-sample/dr3-falk0/sa1.phn", "rb") as f:
    seed("phn", "sa1.phn", b"".join(f.readlines()[:6]))
seed("audio-csv", "two.csv", b"path,label,speaker\na.wav,yes,s1\nb.wav,no,s2\n")
with open("Experiments/timit/sample.yaml", "rb") as f:
    seed("yaml", "timit.yaml", f.read())
seed("yaml", "images.yaml", b"data: {path: d.h5, patch: [8, 8]}\nlayers:\n  - {filters: 2, filter: 3}\n  - {kind: psd, filters: 2, filter: 2}\n")
