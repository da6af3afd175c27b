#!/usr/bin/env python3
"""Bytes per update and predicted scaling of data-parallel pretraining (docs/distributed.md).

Usage (from the repository root, after Experiments/distributed/measure.sh):
    .build/release/cdbn bench --only W1,W2,W3 --threads 1 > runs/distributed/bench-1thread.txt
    Experiments/distributed/scaling.py runs/distributed/bench-1thread.txt runs/distributed/timit-t1.h5

Per update a CRBM layer reduces, for each of its weights, hidden biases, activations and visible
biases, a 2-byte exponent (max) and an 8-byte fixed-point sum (ExactSum): 10 bytes an element,
whatever the batch size. The model of one update on R ranks, one core each:
    compute = t_ex * (examples of the busiest rank)          (t_ex measured on one core)
    comm    = 2 allreduces, each 2*log2(R)*latency + 2*(R-1)/R * bytes/bandwidth  (Rabenseifner)
No overlap of the two is assumed.
"""
import math
import re
import sys

import h5py

LINKS = {"10 Gbit/s (TCP, 20 µs)": (10e9 / 8, 20e-6), "100 Gbit/s (InfiniBand, 2 µs)": (100e9 / 8, 2e-6)}
RANKS = [8, 64, 512]


def bench_rates(path):
    rates = {}
    for line in open(path):
        m = re.match(r"(W\d) .*?: (\d+) examples/s", line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    return rates


def timit_layer2_seconds_per_example(path):
    f = h5py.File(path)
    seconds = f["history"]["1"]["seconds"][()]
    config = f.attrs["config"]
    batch = int(re.search(r"batch_size: (\d+)", config).group(1))
    batches = int(re.search(r"batches_per_epoch: (\d+)", config).group(1))
    return float(seconds[1:].mean() if len(seconds) > 1 else seconds[0]) / (batch * batches)


def crbm(name, channels, filters, fh, fw, batch, t_ex):
    elements = filters * channels * fh * fw + 2 * filters + channels
    return dict(name=name, elements=elements, batch=batch, units=batch, t_ex=t_ex)


def allreduce(bytes_, ranks, bandwidth, latency):
    return 2 * math.log2(ranks) * latency + 2 * (ranks - 1) / ranks * bytes_ / bandwidth


def main():
    rates = bench_rates(sys.argv[1])
    layers = [
        crbm("W1 (binary 1×28×28, K 24, 9×9)", 1, 24, 9, 9, 100, 1 / rates["W1"]),
        crbm("W2 (Gaussian 1×65×65, K 24, 10×10)", 1, 24, 10, 10, 20, 1 / rates["W2"]),
        crbm("W3 (TIMIT layer 1: 80×1×305, K 300, 1×6)", 80, 300, 1, 6, 10, 1 / rates["W3"]),
        crbm("TIMIT layer 2 (300×1×31, K 300, 1×6)", 300, 300, 1, 6, 10,
             timit_layer2_seconds_per_example(sys.argv[2])),
    ]
    print("| layer | batch | elements reduced | bytes per update (ExactSum) | float32 gradient | one core: ms per update |")
    print("|---|---:|---:|---:|---:|---:|")
    for l in layers:
        print(f"| {l['name']} | {l['batch']} | {l['elements']:,} | {10 * l['elements'] / 1e3:,.1f} KB "
              f"| {4 * l['elements'] / 1e3:,.1f} KB | {1e3 * l['t_ex'] * l['batch']:.2f} |")
    for link, (bandwidth, latency) in LINKS.items():
        print(f"\n{link}: predicted speed-up over one core (update time, ms), and the batch size from which "
              "compute outweighs communication")
        print("\n| layer | " + " | ".join(f"{r} ranks" for r in RANKS) + " | batch where compute = communication at 8 / 64 / 512 ranks |")
        print("|---|" + "---:|" * (len(RANKS) + 1))
        for l in layers:
            cells, crossover = [], []
            for r in RANKS:
                comm = sum(allreduce(b * l["elements"], r, bandwidth, latency) for b in (2, 8))
                busiest = math.ceil(l["units"] / r) * l["batch"] / l["units"]
                compute = l["t_ex"] * busiest
                total = compute + comm
                cells.append(f"{l['t_ex'] * l['batch'] / total:.1f}× ({1e3 * total:.2f})")
                crossover.append(f"{math.ceil(r * comm / l['t_ex']):,}")
            print(f"| {l['name']} | " + " | ".join(cells) + " | " + " / ".join(crossover) + " |")


main()
