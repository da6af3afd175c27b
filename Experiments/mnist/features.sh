#!/usr/bin/env bash
# Which read-out of the CDBN should the SVM get, and does a wider layer 2 help? Measured on a
# validation split of the training set, never the test set: `crbm-2layer-pool3.yaml` pretrained on
# training images 1–50,000 (no labels; the model of layer2.sh, reused when it is there), and the same
# with 200 layer-2 bases instead of 40 ("wide"). For layers 1, 2 and 1+2: the pooled maps as they are
# (`--flatten`) or each map max-pooled over a spatial pyramid (`--pyramid`, as Lee et al. and Yang et
# al. did on Caltech-101). A linear SVM is fitted on 1,000 labelled images drawn from those 50,000
# (seeds 1–3) and the error is measured on images 50,001–60,000. Writes Experiments/mnist/FEATURES.md.
#
#   Experiments/mnist/features.sh          # about 15 minutes on 2 cores (12 with layer2.sh's model)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=Experiments/mnist
out=runs/mnist-layer2
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/train-images-idx3-ubyte.gz
subsets=3
start=$SECONDS
# pool3: layer2.sh's model, reused when it is there; wide: the same layer 1, 200 layer-2 bases.
for model in pool3 wide; do
  if [ ! -f "$out/$model.h5" ]; then
    sed -e "s|^  path: .*|&\n  limit: 50000|" $here/crbm-2layer-pool3.yaml >"$out/$model.yaml"
    wide=()
    if [ $model = wide ]; then wide=(--set layers.1.filters=200); fi
    $cdbn pretrain "$out/$model.yaml" "${wide[@]}" --out "$out/$model.h5" >"$out/$model-pretrain.log" 2>&1
  fi
done
pretrain=$((SECONDS - start))
rows=()
for selection in "pool3 1" "pool3 2" "pool3 1,2" "wide 2" "wide 1,2"; do
  read -r model layers <<<"$selection"
  health=$($cdbn inspect "$out/$model.h5" | sed -n 's/^  health: filters mean |cos| \([0-9.]*\).*dead units \([0-9]* of [0-9]*\).*/\1, \2 dead/p' | tail -1)
  for readout in maps 1,2 1,2,3 1,2,3,4; do
    features="$out/readout.h5"
    if [ $readout = maps ]; then how=(--flatten); else how=(--pyramid $readout); fi
    $cdbn features --force --model "$out/$model.h5" --layer $layers "${how[@]}" --data $train \
      --out "$features" >/dev/null 2>&1
    width=$($cdbn inspect "$features" | sed -n 's/.*features, [0-9]* × \([0-9]*\) .*/\1/p')
    errors=()
    for seed in $(seq 1 $subsets); do
      $cdbn classify --train "$features" --test "$features" \
        --train-rows 0:50000 --test-rows 50000:60000 --train-limit 1000 --seed "$seed" \
        --no-standardize --cv 3 --c-values 0.003,0.01,0.03,0.1,0.3,1 >"$out/readout-svm-$seed.txt" 2>&1
      errors+=("$(sed -n 's/^error \([0-9.]*\)%.*/\1/p' "$out/readout-svm-$seed.txt" | head -1)")
    done
    mean=$(printf '%s\n' "${errors[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
    if [ $readout = maps ]; then name="pooled maps"; else name="pyramid $readout"; fi
    rows+=("| $model | $layers | $health | $name | $width | ${errors[*]} | $mean |")
    echo "${rows[-1]}"
  done
done
rm -f "$out/readout.h5"
{
  echo "# MNIST: which read-out of the CDBN goes to the SVM? (validation split)"
  echo
  echo "Made by \`Experiments/mnist/features.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores. Models pretrained on training"
  echo "images 1–50,000 ($pretrain s of pretraining in this run): pool3 is \`crbm-2layer-pool3.yaml\` (layer 2: 40 bases), wide the"
  echo "same with \`--set layers.1.filters=200\` (one layer 1 for both); the health column is the last layer's (\`cdbn inspect\`)."
  echo "Read-outs: the layers' pooled maps flattened (layer 1: 6 × 6 per base, layer 2: 2 × 2), or each map max-pooled"
  echo "over a spatial pyramid (\`cdbn features --pyramid 1,2,3\`: the whole map, 2 × 2 and 3 × 3 cells). Linear SVM"
  echo "(LIBLINEAR, unstandardised, C by 3-fold cross-validation over {0.003 … 1}) on 1,000 labelled images drawn"
  echo "from those 50,000 (seeds 1–$subsets); error on training images 50,001–60,000. The test set is not used."
  echo
  echo "| model | layers | layer 2 filters mean \\|cos\\|, dead units | read-out | features | validation error per subset (%) | mean (%) |"
  echo "|---|---|---|---|---:|---|---:|"
  printf '%s\n' "${rows[@]}"
} >$here/FEATURES.md
cat $here/FEATURES.md
