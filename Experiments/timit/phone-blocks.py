#!/usr/bin/env python3
"""Why CDBN features lower phone accuracy when joined with MFCC (Experiments/timit/phoneme.sh).

Reads phoneme.sh's feature files (runs/timit-phoneme/{train,test}-1,mfcc.h5: CDBN layer-1 columns, then
118 MFCC columns) and fits scikit-learn's RBF SVM (the same kernel as `cdbn classify --classifier
rbf-svm`, C = 3) on standardised features in which the CDBN block is scaled so that its share of the
squared distance is w² times MFCC's (w = 0: MFCC alone; "joined": no scaling, as phoneme.sh does).
w is meant to be chosen by the speaker-grouped 4-fold cross-validation on the training speakers
(validation column); the test column is for the record. A second table is a learning curve: test
accuracy of each block alone when the SVM sees 1/8, 1/4, 1/2 and all of the training segments (the
mean of 3 random subsets below all), which shows how each block would fare with more data than the
sample has. Needs numpy, h5py and scikit-learn.

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
    learning_curve(z, y, zt, yt, cdbn)


def learning_curve(z, y, zt, yt, cdbn, fractions=(0.125, 0.25, 0.5, 1.0), subsets=3):
    print()
    print("| training segments | " + " | ".join(f"{round(f * len(y))}" for f in fractions) + " |")
    print("|---|" + "---:|" * len(fractions))
    for name, columns in [("MFCC", slice(cdbn, None)), ("CDBN layer 1", slice(0, cdbn))]:
        a, b = z[:, columns], zt[:, columns]
        cells = []
        for fraction in fractions:
            draws = subsets if fraction < 1 else 1
            rows = [np.random.default_rng(seed).permutation(len(y))[: round(fraction * len(y))] for seed in range(draws)]
            cells.append(np.mean([accuracy(a[r], y[r], b, yt, 1 / a.shape[1]) for r in rows]))
        print(f"| {name} | " + " | ".join(f"{100 * c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
