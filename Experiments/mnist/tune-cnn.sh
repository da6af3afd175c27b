#!/usr/bin/env bash
# Chooses the CNNs' learning rate (and, for the CNN started from the CDBN, how many epochs its copied
# layers stay frozen) on a validation split of the MNIST training set, never the test set: train on
# 1,000 labelled images drawn from images 1–50,000, measure the error on images 50,001–60,000.
# Needs the CDBN of run.sh (runs/mnist-table/cdbn.h5, or MODEL=...). Writes Experiments/mnist/TUNING-CNN.md
# (or --results FILE).
#
#   Experiments/mnist/tune-cnn.sh
#   Experiments/mnist/tune-cnn.sh --results FILE "init-0.2-f5 cnn-init-tuned.yaml 0.2 5 1" ...
#                       # "NAME CONFIG LEARNING_RATE FREEZE_EPOCHS INIT(0|1)", CONFIG in Experiments/mnist
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
here=Experiments/mnist
arguments=$(quoted_arguments "$@")
results=$here/TUNING-CNN.md
if [ "${1:-}" = --results ]; then
  results=$(absolute "$2")
  shift 2
fi
out=runs/mnist-tune-cnn
model=${MODEL:-runs/mnist-table/cdbn.h5}
mkdir -p "$out"
make release >/dev/null
cdbn=${CDBN:-.build/release/cdbn}
train=Data/mnist/train-images-idx3-ubyte.gz
# "NAME CONFIG LEARNING_RATE FREEZE_EPOCHS INIT(0|1)"
candidates=(
  "relu-0.02 cnn-relu.yaml 0.02 0 0" "relu-0.05 cnn-relu.yaml 0.05 0 0"
  "sigmoid-0.1 cnn.yaml 0.1 0 0" "sigmoid-0.5 cnn.yaml 0.5 0 0"
  "init-0.1-f0 cnn.yaml 0.1 0 1" "init-0.5-f0 cnn.yaml 0.5 0 1" "init-0.5-f5 cnn.yaml 0.5 5 1"
  "init-1.0-f5 cnn.yaml 1.0 5 1"
)
[ $# -gt 0 ] && candidates=("$@")
rows=()
for candidate in "${candidates[@]}"; do
  read -r name config rate freeze init <<<"$candidate"
  sed -e "s/^  learning_rate: .*/  learning_rate: $rate/" -e "/^  freeze_init_epochs: /d" \
    -e "s/^  max_shift: \(.*\)/  max_shift: \1\n  freeze_init_epochs: $freeze/" "$here/$config" >"$out/$name.yaml"
  args=()
  [ "$init" = 1 ] && args=(--init "$model")
  start=$SECONDS
  rm -f "$out/$name.h5"
  $cdbn train-cnn "$out/$name.yaml" --data $train --out "$out/$name.h5" --train-rows 0:50000 \
    --train-limit 1000 --seed 1 "${args[@]}" >"$out/$name.log" 2>&1
  $cdbn classify --classifier cnn --model "$out/$name.h5" --test $train --test-rows 50000:60000 \
    >"$out/$name.txt"
  error=$(error_of <"$out/$name.txt")
  rows+=("| $name | \`$config\` | $rate | $freeze | $([ "$init" = 1 ] && echo yes || echo no) | $error | $((SECONDS - start)) |")
  echo "${rows[-1]}"
done
{
  echo "# MNIST: choosing the CNNs' learning rates on a validation split"
  echo
  echo "Made by \`Experiments/mnist/tune-cnn.sh$arguments\` on $(date -u +%Y-%m-%d), $(nproc) cores. Each CNN is trained on"
  echo "1,000 labelled images drawn from training images 1–50,000 (seed 1) and tested on training images"
  echo "50,001–60,000; the test set is not used. From CDBN = \`train-cnn --init $model\`."
  echo
  echo "| candidate | config | learning rate | frozen epochs | from CDBN | validation error (%) | seconds |"
  echo "|---|---|---:|---:|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
} >"$results"
cat "$results"
