#!/usr/bin/env bash
# PSD features + linear SVM on MNIST: one PSD layer (psd.yaml) pretrained on 10,000 training digits,
# its encoder features (|·| → LCN → 2×2 average pooling, 3,200 per digit) for the 5,000 labelled digits
# of Data/mnist/mnist_5k.csv.gz and the 10,000 test digits, LIBLINEAR with C by 3-fold
# cross-validation on the training features; raw pixels + linear SVM beside it. About two minutes.
# Usage: Experiments/mnist/psd-svm.sh [OUT_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/mnist-psd}
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/mnist_5k.csv.gz
test=Data/mnist/t10k-images-idx3-ubyte.gz
start=$(date +%s)
rm -f "$out/psd.h5"
"$cdbn" pretrain Experiments/mnist/psd.yaml --out "$out/psd.h5" --quiet
for layer in 1 0; do
  name=$([ $layer = 1 ] && echo psd || echo pixels)
  "$cdbn" features --force --model "$out/psd.h5" --layer $layer --flatten --data $train --out "$out/train-$name.h5"
  "$cdbn" features --force --model "$out/psd.h5" --layer $layer --flatten --data $test --out "$out/test-$name.h5"
done
echo "PSD features:"
"$cdbn" classify --train "$out/train-psd.h5" --test "$out/test-psd.h5" --classifier linear-svm \
  --no-standardize --cv 3 --c-values 0.0001,0.0003,0.001,0.003,0.01 | grep -E "^(best|error)"
echo "raw pixels:"
"$cdbn" classify --train "$out/train-pixels.h5" --test "$out/test-pixels.h5" --classifier linear-svm \
  --no-standardize --cv 3 --c-values 0.003,0.01,0.03,0.1,0.3,1 | grep -E "^(best|error)"
echo "done in $(( $(date +%s) - start )) s"
