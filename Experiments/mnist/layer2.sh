#!/usr/bin/env bash
# Does the CDBN's second layer help on MNIST, and does it need σ from its input? Measured on a
# validation split of the training set, never the test set: Experiments/mnist/crbm-2layer.yaml is
# pretrained on training images 1–50,000 (no labels) twice, with layer 2's σ chosen from its input
# (the default, `sigma: auto`) and at σ = 1 (before that default); for each, a linear SVM is fitted on
# the pooled features of layer 1, of layer 2 and of both, of 1,000 labelled images drawn from the
# 50,000 (seeds 1–3), and the error is measured on images 50,001–60,000. A third model takes
# layer 1's pooling and epochs from TUNING.md's best row (pooling 3, 30 epochs), with 3×3 layer-2
# filters to fit its 6×6 pooled maps (crbm-2layer-pool3.yaml). Writes Experiments/mnist/LAYER2.md.
#
#   Experiments/mnist/layer2.sh            # all three models (about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=Experiments/mnist
out=runs/mnist-layer2
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/train-images-idx3-ubyte.gz
subsets=3
rows=()
for variant in auto one pool3; do
  config="$out/$variant.yaml"
  source=$here/crbm-2layer.yaml
  if [ $variant = pool3 ]; then source=$here/crbm-2layer-pool3.yaml; fi
  sed -e "s|^  path: .*|&\n  limit: 50000|" $source >"$config"
  if [ $variant = one ]; then
    # Layer 2 (the last block) at σ = 1.
    printf '    sigma: 1\n' >>"$config"
  fi
  start=$SECONDS
  rm -f "$out/$variant.h5"
  $cdbn pretrain "$config" --out "$out/$variant.h5" >"$out/$variant-pretrain.log" 2>&1
  pretrain=$((SECONDS - start))
  health=$($cdbn inspect "$out/$variant.h5" | sed -n 's/^  health: filters mean |cos| \([0-9.]*\).*/\1/p' | tail -1)
  sigma=$($cdbn inspect "$out/$variant.h5" | sed -n 's/^layer 2 .*sigma \([0-9.]*\).*/\1/p')
  for layers in 1 2 1,2; do
    features="$out/$variant-features-$layers.h5"
    $cdbn features --force --model "$out/$variant.h5" --layer $layers --flatten --data $train \
      --out "$features" >/dev/null 2>&1
    errors=()
    for seed in $(seq 1 $subsets); do
      $cdbn classify --train "$features" --test "$features" \
        --train-rows 0:50000 --test-rows 50000:60000 --train-limit 1000 --seed "$seed" \
        --no-standardize --cv 3 --c-values 0.003,0.01,0.03,0.1,0.3,1 >"$out/$variant-svm-$layers-$seed.txt" 2>&1
      errors+=("$(sed -n 's/^error \([0-9.]*\)%.*/\1/p' "$out/$variant-svm-$layers-$seed.txt" | head -1)")
    done
    rm -f "$features"
    mean=$(printf '%s\n' "${errors[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
    rows+=("| $variant | ${sigma:-1} | $health | $layers | ${errors[*]} | $mean | $pretrain |")
    echo "${rows[-1]}"
  done
done
{
  echo "# MNIST: does layer 2 help? (validation split)"
  echo
  echo "Made by \`Experiments/mnist/layer2.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores. \`crbm-2layer.yaml\` pretrained on"
  echo "training images 1–50,000, layer 2's σ from its input (the default, auto) or 1 (one); pool3 is"
  echo "\`crbm-2layer-pool3.yaml\` (layer 1 pooled 3×3 and trained 30 epochs, as TUNING.md's best row; 3×3 layer-2"
  echo "filters). Linear SVM (LIBLINEAR, unstandardised,"
  echo "C by 3-fold cross-validation over {0.003 … 1}) on 1,000 labelled images drawn from those 50,000 (seeds"
  echo "1–$subsets); error on training images 50,001–60,000. The test set is not used."
  echo
  echo "| model | layer 2 σ | layer 2 filters mean \|cos\| | features | validation error per subset (%) | mean (%) | pretraining (s) |"
  echo "|---|---:|---:|---|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
} >$here/LAYER2.md
cat $here/LAYER2.md
