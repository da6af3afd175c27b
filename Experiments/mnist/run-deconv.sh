#!/usr/bin/env bash
# DeconvNet features + linear SVM on MNIST: a one-layer deconvolutional network (deconv.yaml) trained on
# 10,000 unlabelled training digits; its pooled features (and raw pixels, the baseline) of the 5,000
# labelled digits in Data/mnist/mnist_5k.csv.gz (drawn from the training set) and of the official 10,000
# test digits; LIBLINEAR with C by 3-fold cross-validation, on 1,000 and on all 5,000 labels.
# Writes runs/mnist/DECONV-RESULTS.md (RESULTS=FILE: elsewhere,
# e.g. RESULTS=Experiments/mnist/DECONV-RESULTS.md to update the committed table deliberately).   Usage: Experiments/mnist/run-deconv.sh (repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
table=${RESULTS:-runs/mnist/DECONV-RESULTS.md}
mkdir -p "$(dirname "$table")"
here=Experiments/mnist
out=runs/mnist-deconv
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/mnist_5k.csv.gz
test=Data/mnist/t10k-images-idx3-ubyte.gz
timings="$out/timings.txt"
: >"$timings"
source "$here/../steps.sh"
rm -f "$out"/*.h5
timed "pretrain ($here/deconv.yaml)" $cdbn pretrain $here/deconv.yaml --out "$out/deconv.h5" --quiet
timed "deconv features, 5,000 train + 10,000 test" bash -c "
  $cdbn features --force --model $out/deconv.h5 --layer 1 --flatten --data $train --out $out/train-deconv.h5 &&
  $cdbn features --force --model $out/deconv.h5 --layer 1 --flatten --data $test --out $out/test-deconv.h5"
timed "pixel features" bash -c "
  $cdbn features --force --model $out/deconv.h5 --layer 0 --flatten --data $train --out $out/train-pixels.h5 &&
  $cdbn features --force --model $out/deconv.h5 --layer 0 --flatten --data $test --out $out/test-pixels.h5"
c_of() { sed -n 's/.*\[c \([^]]*\)\].*/\1/p' | head -1; }
declare -A errors cs
for features in deconv pixels; do
  for size in 1000 5000; do
    args=(--train "$out/train-$features.h5" --test "$out/test-$features.h5" --classifier linear-svm --cv 3
      --c-values 0.001,0.003,0.01,0.03,0.1,0.3,1)
    [ "$size" != 5000 ] && args+=(--train-limit "$size" --seed 1)
    timed "linear SVM on $features, $size labels" bash -c "$cdbn classify ${args[*]} >$out/svm-$features-$size.txt"
    errors[$features-$size]=$(error_of <"$out/svm-$features-$size.txt")
    cs[$features-$size]=$(c_of <"$out/svm-$features-$size.txt")
  done
done
{
  echo "# MNIST: DeconvNet features + linear SVM"
  echo
  echo "Made by \`Experiments/mnist/run-deconv.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores. Test set: the official"
  echo "10,000 images. Training labels: 1,000 drawn at random (seed 1) from, or all 5,000 of, the digits of"
  echo "\`Data/mnist/mnist_5k.csv.gz\` (500 per class, from the MNIST training set)."
  echo
  echo "| labels | DeconvNet + SVM | pixels + SVM |"
  echo "|---:|---:|---:|"
  for size in 1000 5000; do
    echo "| $size | ${errors[deconv-$size]} % (C ${cs[deconv-$size]}) | ${errors[pixels-$size]} % (C ${cs[pixels-$size]}) |"
  done
  echo
  echo "DeconvNet: \`$here/deconv.yaml\` (16 maps, 7×7 filters, λ = 1, p = 1, trained on 10,000 unlabelled"
  echo "training digits); features: max |z| over 3×3 blocks of the 34×34 maps, 16×12×12 = 2,304 per digit."
  echo "SVM: LIBLINEAR L2-loss dual on standardised features, C from {0.001, …, 1} by 3-fold cross-validation"
  echo "on the training labels."
  echo
  timings_table
} >"$table"
cat "$table"
