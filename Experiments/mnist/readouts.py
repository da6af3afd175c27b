#!/usr/bin/env python3
"""Could another read-out of layer 1, or another linear classifier, close the gap to Lee et al.'s MNIST table?

Reads layer 1's pooled maps (40 × 6 × 6 per image) of the tuned layer 1 that Experiments/mnist/tune.sh
pretrained on training images 1–50,000 (`cdbn features --layer 1`, written once per model into runs/readout/),
builds each read-out below in numpy, and fits scikit-learn's LinearSVC (LIBLINEAR's L2-loss dual SVM,
the solver behind `cdbn classify --classifier linear-svm`) on 1,000 labelled images drawn from those
50,000 (seeds 1–3; C by 3-fold cross-validation over 0.003 … 3), with the error on images 50,001–60,000.
The test set is not used. The subsets are numpy's, not `cdbn classify`'s, so compare rows with the
first row (the read-out the table uses), not with TUNING-PYRAMID.md. Needs numpy, h5py and scikit-learn.
About 12 minutes on 2 cores.

    Experiments/mnist/tune.sh && python3 Experiments/mnist/readouts.py [MODEL.h5]
"""
import datetime
import os
import subprocess
import sys
import warnings

import h5py
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import LinearSVC

C_VALUES = (0.003, 0.01, 0.03, 0.1, 0.3, 1, 3)
VALIDATION = slice(50000, 60000)


def cells(n, grid):
    """The cell bounds of a `grid`-way split of n positions, ragged as `cdbn features --pyramid` splits."""
    return [(i * n // grid, -(-(i + 1) * n // grid)) for i in range(grid)]


def pyramid(maps, grids, reduce):
    n, k, h, w = maps.shape
    return np.concatenate(
        [reduce(maps[:, :, a:b, c:d].reshape(n, k, -1), axis=2)
         for g in grids for (a, b) in cells(h, g) for (c, d) in cells(w, g)], axis=1)


def sliding(maps, size):
    """Max over every size × size window, stride 1."""
    n, k, h, w = maps.shape
    return np.concatenate(
        [maps[:, :, i:i + size, j:j + size].reshape(n, k, -1).max(axis=2)
         for i in range(h - size + 1) for j in range(w - size + 1)], axis=1)


def svm(c):
    return LinearSVC(C=c, dual=True, max_iter=5000)


def softmax(c):
    return LogisticRegression(C=c, max_iter=2000)


def validation_errors(features, labels, classifier):
    errors = []
    for seed in (1, 2, 3):
        rows = np.random.RandomState(seed).permutation(50000)[:1000]
        folds = StratifiedKFold(3, shuffle=True, random_state=0)
        _, c = max((cross_val_score(classifier(c), features[rows], labels[rows], cv=folds).mean(), c)
                   for c in C_VALUES)
        model = classifier(c).fit(features[rows], labels[rows])
        errors.append(100 * (model.predict(features[VALIDATION]) != labels[VALIDATION]).mean())
    return errors


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "runs/mnist-tune/f12-s0.03-e30-k40-p3.h5"
    maps_file = f"runs/readout/{os.path.splitext(os.path.basename(model))[0]}-layer1-maps.h5"
    if not os.path.exists(maps_file):
        os.makedirs(os.path.dirname(maps_file), exist_ok=True)
        subprocess.run([".build/release/cdbn", "features", "--model", model, "--layer", "1",
                        "--data", "Data/mnist/train-images-idx3-ubyte.gz", "--out", maps_file],
                       check=True, stdout=subprocess.DEVNULL)
    with h5py.File(maps_file, "r") as f:
        maps, labels = f["features"][:].astype(np.float32), f["labels"][:]
    table = [  # name, features, classifier
        ("pyramid 1,2,3,4, max (the table's)", lambda: pyramid(maps, [1, 2, 3, 4], np.max), svm),
        ("the same, square root", lambda: np.sqrt(pyramid(maps, [1, 2, 3, 4], np.max)), svm),
        ("the same, each row L2-normalised",
         lambda: (lambda z: z / np.linalg.norm(z, axis=1, keepdims=True))(pyramid(maps, [1, 2, 3, 4], np.max)), svm),
        ("pyramid 1,2,3,4, mean", lambda: pyramid(maps, [1, 2, 3, 4], np.mean), svm),
        ("pyramid 1,2,3,4, max and mean",
         lambda: np.concatenate([pyramid(maps, [1, 2, 3, 4], np.max), pyramid(maps, [1, 2, 3, 4], np.mean)], 1), svm),
        ("pyramid 1,2,3,4,6 (6: the maps themselves)", lambda: pyramid(maps, [1, 2, 3, 4, 6], np.max), svm),
        ("2×2 windows, stride 1", lambda: sliding(maps, 2), svm),
        ("3×3 windows, stride 1", lambda: sliding(maps, 3), svm),
        ("pyramid 1,2,3,4 and 3×3 windows",
         lambda: np.concatenate([pyramid(maps, [1, 2, 3, 4], np.max), sliding(maps, 3)], 1), svm),
        ("pyramid 1,2,3,4, max; softmax instead of SVM", lambda: pyramid(maps, [1, 2, 3, 4], np.max), softmax),
    ]
    print("# MNIST: other read-outs of layer 1, and another linear classifier (validation split)\n")
    print(f"Made by `python3 Experiments/mnist/readouts.py{' ' + model if len(sys.argv) > 1 else ''}` on "
          f"{datetime.date.today()}: layer 1 of `{model}`. Validation error (%) on training images 50,001–60,000 "
          "of a linear classifier fitted on 1,000 labelled images drawn from images 1–50,000 (numpy's subsets, "
          "seeds 1–3; C by 3-fold cross-validation over 0.003 … 3). The test set is not used.\n")
    print("| read-out | classifier | features | per subset | mean |")
    print("|---|---|---:|---|---:|")
    for name, make, classifier in table:
        features = make()
        errors = validation_errors(features, labels, classifier)
        print(f"| {name} | {'softmax' if classifier is softmax else 'linear SVM'} | {features.shape[1]} | "
              + " ".join(f"{e:.2f}" for e in errors) + f" | {np.mean(errors):.2f} |", flush=True)


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    main()
