#!/usr/bin/env python3
"""Why CDBN features lower phone accuracy when joined with MFCC (Experiments/timit/phoneme.sh).

Reads phoneme.sh's feature files (runs/timit-phoneme/{train,test}-1,mfcc.h5: CDBN layer-1 columns, then
118 MFCC columns) and fits scikit-learn's RBF SVM (the same kernel as `cdbn classify --classifier
rbf-svm`, C = 3) on standardised features in which the CDBN block is scaled so that its share of the
squared distance is w² times MFCC's (w = 0: MFCC alone; "joined": no scaling, as phoneme.sh does).
w is meant to be chosen by the speaker-grouped 4-fold cross-validation on the training speakers
(validation column); the test column is for the record. Needs numpy, h5py and scikit-learn.

    Experiments/timit/phoneme.sh && python3 Experiments/timit/phone-blocks.py [runs/timit-phoneme]
"""
import sys

import h5py
import numpy as np
from sklearn.model_selection import GroupKFold
from sklearn.svm import SVC

MFCC_COLUMNS = 118


def load(path):
    with h5py.File(path, "r") as f:
        return f["features"][:], f["labels"][:], f["speakers"][:]


def accuracy(train, labels, test, test_labels, gamma):
    model = SVC(C=3, gamma=gamma).fit(train, labels)
    return (model.predict(test) == test_labels).mean()


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "runs/timit-phoneme"
    x, y, speakers = load(f"{folder}/train-1,mfcc.h5")
    xt, yt, _ = load(f"{folder}/test-1,mfcc.h5")
    mean, std = x.mean(0), x.std(0) + 1e-8
    z, zt = (x - mean) / std, (xt - mean) / std
    cdbn = x.shape[1] - MFCC_COLUMNS
    print(f"{len(y)} training and {len(yt)} test segments; {cdbn} CDBN and {MFCC_COLUMNS} MFCC columns")
    print("| CDBN block | validation (%) | test (%) |")
    print("|---|---:|---:|")
    for w in [None, 0, 0.1, 0.3, 0.5, 1]:
        if w is None:
            a, b, gamma, name = z, zt, 1 / z.shape[1], "joined as phoneme.sh does"
        elif w == 0:
            a, b, gamma, name = z[:, cdbn:], zt[:, cdbn:], 1 / MFCC_COLUMNS, "left out (MFCC alone)"
        else:
            scale = w * np.sqrt(MFCC_COLUMNS / cdbn)
            a, b = z.copy(), zt.copy()
            a[:, :cdbn] *= scale
            b[:, :cdbn] *= scale
            gamma, name = 1 / (MFCC_COLUMNS * (1 + w * w)), f"w = {w}"
        folds = GroupKFold(4).split(a, y, speakers)
        validation = np.mean([accuracy(a[t], y[t], a[v], y[v], gamma) for t, v in folds])
        print(f"| {name} | {100 * validation:.1f} | {100 * accuracy(a, y, b, yt, gamma):.1f} |", flush=True)
    a, b = z[:, :cdbn], zt[:, :cdbn]
    folds = GroupKFold(4).split(a, y, speakers)
    validation = np.mean([accuracy(a[t], y[t], a[v], y[v], 1 / cdbn) for t, v in folds])
    print(f"| alone (no MFCC) | {100 * validation:.1f} | {100 * accuracy(a, y, b, yt, 1 / cdbn):.1f} |")


if __name__ == "__main__":
    main()
