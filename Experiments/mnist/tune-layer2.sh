#!/usr/bin/env bash
# Chooses layer 2 of crbm-2layer-pool3.yaml on the validation split of the MNIST training set (never the
# test set). Layer 1 is the committed one (40 bases of 12×12, pooling 3, sparsity target 0.03, 30 epochs)
# pretrained on training images 1–50,000 (tune.sh's model in runs/mnist-tune, reused when it is there).
# For each candidate, a layer 2 (binary visible units, 2×2 pooling, weight decay 0.001, sparsity cost
# 2, 5 epochs) is added to it with `pretrain --resume`; its pooled maps alone and joined with layer 1's,
# each max-pooled over a 1,2,3,4 pyramid (FEATURES.md's read-out), go to a linear SVM fitted on 1,000
# labelled images drawn from those 50,000 (seeds 1–3); the error is measured on images 50,001–60,000.
# Writes Experiments/mnist/TUNING-LAYER2.md (or --results FILE).
#
#   Experiments/mnist/tune-layer2.sh                      # the candidates below (27 minutes on 2 cores)
#   Experiments/mnist/tune-layer2.sh "200 2 0.1 0.01"     # "BASES FILTER SPARSITY LEARNING-RATE"
set -euo pipefail
command_line="Experiments/mnist/tune-layer2.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
here=Experiments/mnist
results=$here/TUNING-LAYER2.md
if [ "${1:-}" = --results ]; then
  results=$(absolute "$2")
  shift 2
fi
if [ $# -gt 0 ]; then candidates=("$@"); else
  candidates=("200 3 0.03 0.01" "200 3 0.1 0.01" "200 2 0.03 0.01" "200 2 0.1 0.01" "200 2 0.2 0.01")
fi
use_cdbn
train=Data/mnist/train-images-idx3-ubyte.gz
out=runs/mnist-tune-layer2
mkdir -p "$out"
layer1=runs/mnist-tune/f12-s0.03-e30-k40-p3.h5
layer1_yaml="  - {kind: crbm, visible: binary, filters: 40, filter: [12, 12], pooling: 3, learning_rate: 0.05, weight_decay: 0.001, sparsity_target: 0.03, sparsity_cost: 2, epochs: 30}"
config() {  # config [LAYER-2 LINE]: the pretraining config on images 1–50,000
  printf 'seed: 1\ndata: {path: %s, limit: 50000}\ntraining: {batch_size: 100, epochs: 5}\nlayers:\n%s\n' "$train" "$layer1_yaml"
  if [ $# -gt 0 ]; then echo "$1"; fi
}
if [ ! -f "$layer1" ]; then
  mkdir -p "$(dirname "$layer1")"
  config >"$out/layer1.yaml"
  cdbn pretrain "$out/layer1.yaml" --out "$layer1"
fi

# validation LAYERS MODEL: "E1 E2 E3|MEAN", the validation errors (%) of the pyramid read-out of LAYERS.
validation() {
  local features=$out/features.h5 seed errors=()
  cdbn features --force --model "$2" --layer "$1" --pyramid 1,2,3,4 --data $train --out "$features"
  for seed in 1 2 3; do
    errors+=("$(cdbn classify --train "$features" --test "$features" --train-rows 0:50000 \
      --test-rows 50000:60000 --train-limit 1000 --seed "$seed" --no-standardize --cv 3 \
      --c-values 0.003,0.01,0.03,0.1,0.3,1 | error_of)")
  done
  rm -f "$features"
  echo "${errors[*]}|$(printf '%s\n' "${errors[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')"
}

rows=()
IFS='|' read -r errors mean <<<"$(validation 1 "$layer1")"
rows+=("| none (layer 1 alone) | | | | | | | $errors | $mean |")
echo "${rows[-1]}"
for candidate in "${candidates[@]}"; do
  read -r bases filter sparsity rate <<<"$candidate"
  name="k$bases-f$filter-s$sparsity-r$rate"
  cp "$layer1" "$out/$name.h5"
  config "  - {kind: crbm, visible: binary, filters: $bases, filter: [$filter, $filter], pooling: 2, learning_rate: $rate, weight_decay: 0.001, sparsity_target: $sparsity, sparsity_cost: 2}" \
    >"$out/$name.yaml"
  cdbn pretrain "$out/$name.yaml" --resume --out "$out/$name.h5"
  health=$("$CDBN" inspect "$out/$name.h5" | sed -n 's/^  health: filters mean |cos| \([0-9.]*\).*dead units \([0-9]* of [0-9]*\).*/\1, \2 dead/p' | tail -1)
  IFS='|' read -r alone alone_mean <<<"$(validation 2 "$out/$name.h5")"
  IFS='|' read -r joined joined_mean <<<"$(validation 1,2 "$out/$name.h5")"
  rows+=("| $bases | $filter×$filter | $sparsity | $rate | $health | $alone | $alone_mean | $joined | $joined_mean |")
  echo "${rows[-1]}"
done
{
  echo "# MNIST: choosing layer 2 on a validation split"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores. Layer 1: the committed one, pretrained"
  echo "on training images 1–50,000 (\`$layer1\`); each layer 2 (binary, 2×2 pooling, 5 epochs) added to it with"
  echo "\`cdbn pretrain --resume\`. Read-out: each map max-pooled over a 1,2,3,4 pyramid (\`cdbn features --pyramid\`);"
  echo "linear SVM (LIBLINEAR, unstandardised, C by 3-fold cross-validation over {0.003 … 1}) on 1,000 labelled"
  echo "images drawn from those 50,000 (seeds 1–3); error on training images 50,001–60,000. The test set is not used."
  echo "Health: layer 2's filters mean |cos| and dead units (\`cdbn inspect\`)."
  echo
  echo "| layer-2 bases | filter | sparsity target | learning rate | health | layer 2 alone, per subset (%) | mean (%) | layers 1 + 2, per subset (%) | mean (%) |"
  echo "|---:|---|---:|---:|---|---|---:|---|---:|"
  printf '%s\n' "${rows[@]}"
} >"$results"
cat "$results"
