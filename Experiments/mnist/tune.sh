#!/usr/bin/env bash
# Chooses the CDBN's layer-1 filter size, sparsity target, epoch count, width and pooling on a
# validation split of the MNIST training set (never the test set), as Lee et al. did. For each candidate: pretrain one
# CRBM layer on training images 1–50,000 (no labels; a model already in runs/mnist-tune under the
# candidate's name is reused), write its pooled features, fit a linear SVM on 1,000 labelled images
# drawn from those 50,000 and measure the error on images 50,001–60,000. Layer 1 carries 3,240 of the
# 3,400 joined features, which is why it is the layer tuned here. Writes Experiments/mnist/TUNING.md
# (or --results FILE).
#
#   Experiments/mnist/tune.sh                      # the grid below
#   Experiments/mnist/tune.sh "12 0.03 5" "8 0.05 5 100 3"   # "FILTER SPARSITY EPOCHS [BASES [POOLING]]"
#                                                           # (default 40 bases, pooling 2)
#   Experiments/mnist/tune.sh --pyramid 1,2,3,4 --results Experiments/mnist/TUNING-PYRAMID.md "12 0.03 30 40 3" ...
#                              # the SVM gets each map max-pooled over this pyramid (FEATURES.md's read-out)
set -euo pipefail
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
here=Experiments/mnist
arguments=$(quoted_arguments "$@")
results=$here/TUNING.md
pyramid=
while [ $# -gt 0 ]; do
  case $1 in
    --pyramid) pyramid=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ -n "$pyramid" ]; then readout=(--pyramid "$pyramid"); else readout=(--flatten); fi
out=runs/mnist-tune
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/train-images-idx3-ubyte.gz
if [ $# -gt 0 ]; then candidates=("$@"); else
  candidates=("12 0.03 5" "12 0.01 5" "12 0.1 5" "8 0.03 5" "10 0.03 5" "16 0.03 5" "12 0.03 15"
    "12 0.03 5 100" "12 0.03 5 40 1" "12 0.03 5 40 3" "12 0.03 5 40 4" "12 0.03 15 40 3"
    "12 0.03 30 40 2" "12 0.03 30 40 3" "12 0.03 60 40 3")
fi
subsets=2
rows=()
for candidate in "${candidates[@]}"; do
  read -r filter sparsity epochs bases pooling <<<"$candidate"
  bases=${bases:-40}
  pooling=${pooling:-2}
  name="f$filter-s$sparsity-e$epochs-k$bases-p$pooling"
  config="$out/$name.yaml"
  cat >"$config" <<YAML
# Tuning candidate: one CRBM layer, $bases bases of $filter×$filter, pooling $pooling, sparsity target
# $sparsity, $epochs epochs.
seed: 1
data:
  path: $train
  limit: 50000
training:
  batch_size: 100
  epochs: $epochs
layers:
  - kind: crbm
    visible: binary
    filters: $bases
    filter: [$filter, $filter]
    pooling: $pooling
    learning_rate: 0.05
    weight_decay: 0.001
    sparsity_target: $sparsity
    sparsity_cost: 2
YAML
  if [ ! -f "$out/$name.h5" ]; then
    $cdbn pretrain "$config" --out "$out/$name.h5" >"$out/$name-pretrain.log" 2>&1
  fi
  pretrain=$(sed -n 's/.*layer(s) in \([0-9]*\).*/\1/p' "$out/$name-pretrain.log")
  $cdbn features --force --model "$out/$name.h5" --layer 1 "${readout[@]}" --data $train --out "$out/$name-features.h5" \
    >/dev/null 2>&1
  errors=()
  for seed in $(seq 1 $subsets); do
    $cdbn classify --train "$out/$name-features.h5" --test "$out/$name-features.h5" \
      --train-rows 0:50000 --test-rows 50000:60000 --train-limit 1000 --seed "$seed" \
      --no-standardize --cv 3 --c-values 0.03,0.1,0.3,1 >"$out/$name-svm-$seed.txt"
    errors+=("$(sed -n 's/^error \([0-9.]*\)%.*/\1/p' "$out/$name-svm-$seed.txt" | head -1)")
  done
  rm -f "$out/$name-features.h5"
  mean=$(printf '%s\n' "${errors[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
  activation=$(sed -n 's/.*mean activation \([0-9.]*\).*/\1/p' "$out/$name-pretrain.log" | tail -1)
  rows+=("| $bases | $filter×$filter | $pooling | $sparsity | $epochs | $activation | ${errors[*]} | $mean | $pretrain |")
  echo "${rows[-1]}"
done
{
  echo "# MNIST: choosing the CDBN's layer 1 on a validation split"
  echo
  echo "Made by \`Experiments/mnist/tune.sh$arguments\` on $(date -u +%Y-%m-%d), $(nproc) cores. One CRBM layer (binary"
  echo "visible units) pretrained on training images 1–50,000 (a model already in $out is reused); linear SVM (LIBLINEAR, C by 3-fold"
  echo "cross-validation over {0.03, 0.1, 0.3, 1}) on the layer's pooled features$([ -n "$pyramid" ] && echo ", each map max-pooled over a $pyramid pyramid,") of 1,000 labelled images drawn"
  echo "from those 50,000 (seeds 1–$subsets); error measured on training images 50,001–60,000. The test set is"
  echo "not used."
  echo
  echo "| bases | filter | pooling | sparsity target | epochs | final mean activation | validation error per subset (%) | mean (%) | pretraining (s) |"
  echo "|---:|---|---:|---:|---:|---:|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
} >"$results"
cat "$results"
