#!/usr/bin/env bash
# Lee et al. 2009's MNIST table: test error vs number of labelled training examples, for CDBN
# features (layers 1 and 2, each map max-pooled over a 1,2,3,4 spatial pyramid, joined) + linear SVM,
# beside raw pixels + linear SVM and CNNs from scratch and initialised from the CDBN. Writes
# runs/mnist/RESULTS.md (RESULTS=FILE: elsewhere, e.g. RESULTS=Experiments/mnist/RESULTS.md to update the
# committed table deliberately).
#
#   Experiments/mnist/run.sh            # 10 random subsets per row for every method, 60,000 rows (many hours)
#   Experiments/mnist/run.sh --cnn-subsets 3 --no-cnn-60000
#                                       # SVM rows in full; CNNs on the first 3 subsets, no 60,000-label CNN
#                                       # (the committed table, about 25 minutes on 2 cores)
#   Experiments/mnist/run.sh --quick    # 1 subset per row, no 60,000 row, 1-epoch pretraining on 10,000
#                                       # images, C from {0.01, 0.1}, 5 CNN epochs (a smoke run; its SVMs
#                                       # still take minutes on the 1-epoch features)
#   Experiments/mnist/run.sh --reuse ...  # keep the CDBN and feature files of an earlier run (and their timings)
#   Experiments/mnist/run.sh --config Experiments/mnist/crbm-2layer.yaml \
#     --cnn-init Experiments/mnist/cnn-init.yaml ...   # another CDBN, and the CNN of its shape
#   Experiments/mnist/run.sh --layers 1 --pyramid '' ...  # the SVM's features: these layers, each map
#                                       # max-pooled over this pyramid ('': the pooled maps, flattened)
# Defaults: crbm-2layer-tuned.yaml, cnn-init-tuned.yaml, --layers 1,2 --pyramid 1,2,3,4. Settings were
# chosen on a validation split of the training set: tune.sh and tune-layer2.sh (CDBN), features.sh (read-out)
# and tune-cnn.sh (CNNs).
set -euo pipefail
cd "$(dirname "$0")/../.."
table=${RESULTS:-runs/mnist/RESULTS.md}
mkdir -p "$(dirname "$table")"
arguments="$*"
quick=0
reuse=0
subsets=10
cnn_subsets=
cnn_all=1
config=Experiments/mnist/crbm-2layer-tuned.yaml
cnn_init=Experiments/mnist/cnn-init-tuned.yaml
layers=1,2
pyramid=1,2,3,4
while [ $# -gt 0 ]; do
  case $1 in
    --config) config=$2; shift ;;
    --cnn-init) cnn_init=$2; shift ;;
    --layers) layers=$2; shift ;;
    --pyramid) pyramid=$2; shift ;;
    --quick) quick=1 ;;
    --subsets) subsets=$2; shift ;;
    --cnn-subsets) cnn_subsets=$2; shift ;;
    --no-cnn-60000) cnn_all=0 ;;
    --reuse) reuse=1 ;;
    *) echo "usage: $0 [--quick] [--subsets N] [--cnn-subsets N] [--no-cnn-60000] [--reuse] [--config FILE] [--cnn-init FILE] [--layers L] [--pyramid GRIDS]" >&2; exit 2 ;;
  esac
  shift
done
here=Experiments/mnist
out=runs/mnist-table
mkdir -p "$out"
make release >/dev/null
cdbn=.build/release/cdbn
train=Data/mnist/train-images-idx3-ubyte.gz
test=Data/mnist/t10k-images-idx3-ubyte.gz
sizes="1000 2000 3000 5000"
c_values=0.003,0.01,0.03,0.1,0.3,1
# --quick: small Cs only, since LIBLINEAR needs minutes per fit at C = 1 on a 1-epoch CDBN's features.
if [ $quick = 1 ]; then subsets=1; all=""; cnn_all=0; cnn_epochs=(--epochs 5); c_values=0.01,0.1; else all=all; cnn_epochs=(); fi
cnn_subsets=${cnn_subsets:-$subsets}
timings="$out/timings.txt"
features=("$out/cdbn.h5" "$out"/{train,test}-{cdbn,pixels}.h5)
if [ $reuse = 1 ] && ls "${features[@]}" >/dev/null 2>&1 && [ -f "$timings" ]; then
  grep -E '^(pretrain|features)' "$timings" >"$timings.kept" || true
  mv "$timings.kept" "$timings"
else
  reuse=0
  : >"$timings"
fi
source "$here/../steps.sh"

# 1. Unsupervised pretraining on the training images (labels unused).
if [ $quick = 1 ]; then
  quick_config=$out/crbm-2layer-quick.yaml
  sed -e 's/epochs: [0-9]*/epochs: 1/' -e 's|path: Data/mnist/train-images-idx3-ubyte.gz|path: Data/mnist/train-images-idx3-ubyte.gz\n  limit: 10000|' \
    "$config" >"$quick_config"
  config=$quick_config
fi
readout="--layer $layers${pyramid:+ --pyramid $pyramid}"
if [ $reuse = 0 ]; then
  rm -f "${features[@]}"
  timed "pretrain CDBN ($config)" $cdbn pretrain "$config" --out "$out/cdbn.h5"

  # 2. Features: the pooled probabilities of --layers (over --pyramid), joined; raw pixels (layer 0) for
  #    the baseline.
  timed "features, train + test" bash -c "
    $cdbn features --force --model $out/cdbn.h5 $readout --data $train --out $out/train-cdbn.h5 &&
    $cdbn features --force --model $out/cdbn.h5 $readout --data $test --out $out/test-cdbn.h5 &&
    $cdbn features --force --model $out/cdbn.h5 --layer 0 --flatten --data $train --out $out/train-pixels.h5 &&
    $cdbn features --force --model $out/cdbn.h5 --layer 0 --flatten --data $test --out $out/test-pixels.h5"
fi

results="$out/errors.txt"
: >"$results"

# 3. Linear SVM (LIBLINEAR) on each subset, on the features as they are (probabilities and pixels in
#    [0, 1]): C by 3-fold cross-validation on the first subset of each size (training data only),
#    reused for that size's other subsets.
svm() {  # svm NAME FEATURES SIZE SEED [C]
  local name=$1 features=$2 size=$3 seed=$4 c=${5:-}
  local args=(--train "$out/train-$features.h5" --test "$out/test-$features.h5" --classifier linear-svm --seed "$seed"
    --no-standardize --cv 3 --c-values "$c_values")
  [ "$size" != all ] && args+=(--train-limit "$size")
  [ -n "$c" ] && args+=(--c "$c")
  $cdbn classify "${args[@]}" >"$out/svm-$name-$size-$seed.txt"
}
for features in cdbn pixels; do
  for size in $sizes; do
    start=$SECONDS
    svm "$features" "$features" "$size" 1
    c=$(sed -n 's/.*\[c \([^]]*\)\].*/\1/p' "$out/svm-$features-$size-1.txt")
    echo "svm-$features|$size|$(error_of <"$out/svm-$features-$size-1.txt")" >>"$results"
    for seed in $(seq 2 $subsets); do
      svm "$features" "$features" "$size" "$seed" "$c"
      echo "svm-$features|$size|$(error_of <"$out/svm-$features-$size-$seed.txt")" >>"$results"
    done
    echo "linear SVM on $features, $size labels ($subsets subsets)|$((SECONDS - start))" >>"$timings"
  done
  # All 60,000 labels, at the C chosen for 5,000.
  if [ -n "$all" ]; then
    start=$SECONDS
    svm "$features" "$features" all 1 "$c"
    echo "svm-$features|60000|$(error_of <"$out/svm-$features-all-1.txt")" >>"$results"
    echo "linear SVM on $features, 60000 labels|$((SECONDS - start))" >>"$timings"
  fi
done

# 4. CNNs on the same subsets (same seeds): from scratch (ReLU and sigmoid) and from the CDBN (sigmoid).
cnn() {  # cnn NAME CONFIG SIZE SEED [--init MODEL]
  local name=$1 config=$2 size=$3 seed=$4
  shift 4
  local model="$out/cnn-$name-$size-$seed.h5" args=()
  [ "$size" != all ] && args+=(--train-limit "$size")
  rm -f "$model"
  $cdbn train-cnn "$config" --data $train --out "$model" --seed "$seed" "${args[@]}" "${cnn_epochs[@]}" "$@" >/dev/null
  $cdbn classify --classifier cnn --model "$model" --test $test >"$out/cnn-$name-$size-$seed.txt"
  echo "cnn-$name|${size/all/60000}|$(error_of <"$out/cnn-$name-$size-$seed.txt")" >>"$results"
}
cnn_sizes=$sizes
[ $cnn_all = 1 ] && cnn_sizes="$sizes all"
for size in $cnn_sizes; do
  n=$cnn_subsets
  [ "$size" = all ] && n=1
  for variant in relu scratch init; do
    start=$SECONDS
    for seed in $(seq 1 $n); do
      case $variant in
        relu) cnn relu $here/cnn-relu.yaml "$size" "$seed" ;;
        scratch) cnn scratch $here/cnn.yaml "$size" "$seed" ;;
        init) cnn init "$cnn_init" "$size" "$seed" --init "$out/cdbn.h5" ;;
      esac
    done
    echo "CNN $variant, ${size/all/60000} labels ($n subset(s))|$((SECONDS - start))" >>"$timings"
  done
done

# 5. The table.
stats() {  # stats METHOD SIZE: "mean ± std" over subsets
  awk -F'|' -v m="$1" -v s="$2" '$1 == m && $2 == s { x[n++] = $3 }
    END { if (n == 0) { print "-"; exit }
          for (i = 0; i < n; i++) sum += x[i]; mean = sum / n
          for (i = 0; i < n; i++) ss += (x[i] - mean) ^ 2
          if (n > 1) printf "%.2f ± %.2f", mean, sqrt(ss / (n - 1)); else printf "%.2f", mean }' "$results"
}
{
  echo "# MNIST: test error (%) vs labelled training examples"
  echo
  echo "Made by \`Experiments/mnist/run.sh$([ -n "$arguments" ] && echo " $arguments")\` on $(date -u +%Y-%m-%d), $(nproc) cores."
  echo "Test set: the official 10,000 images. Each row: $subsets random subset(s) of the 60,000 training"
  echo "images (seeds 1–$subsets, the same subsets for every method; the CNNs on the first $cnn_subsets of them$([ $cnn_all = 0 ] && echo ', and no 60,000-label CNN'));"
  echo "mean ± sample std over subsets."
  echo
  echo "| labels | CDBN + SVM (paper) | CDBN + SVM (ours) | pixels + SVM | CNN ReLU, scratch | CNN sigmoid, scratch | CNN sigmoid, from CDBN |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  paper=("2.62 ± 0.12" "2.13 ± 0.10" "1.91 ± 0.09" "1.59 ± 0.11" "0.82")
  i=0
  for size in $sizes 60000; do
    echo "| $size | ${paper[$i]} | $(stats svm-cdbn $size) | $(stats svm-pixels $size) | $(stats cnn-relu $size) | $(stats cnn-scratch $size) | $(stats cnn-init $size) |"
    i=$((i + 1))
  done
  echo
  if [ -n "$pyramid" ]; then
    echo "CDBN: \`$config\`; features \`cdbn features $readout\` (each pooled map of layer(s) $layers max-pooled"
    echo "over the cells of a $pyramid spatial pyramid, joined; chosen on a validation split: FEATURES.md)."
  else
    echo "CDBN: \`$config\`; features \`cdbn features $readout\` (pooled probabilities, flattened and joined)."
  fi
  echo "SVM: LIBLINEAR L2-loss dual on the unstandardised features, C from"
  echo "{${c_values//,/, }} by 3-fold cross-validation on the first subset of each size, reused for its"
  echo "other subsets (60,000: the C of 5,000)."
  echo "CNNs: \`Experiments/mnist/cnn-relu.yaml\`, \`cnn.yaml\` and \`$cnn_init\`$([ $quick = 1 ] && echo ' (5 epochs in --quick)'); from CDBN ="
  echo "\`cdbn train-cnn $(basename "$cnn_init") --init\` (both CDBN layers' filters and biases copied into the two conv layers)."
  echo "Learning rates and freezing of cnn-relu.yaml, cnn.yaml and cnn-init.yaml chosen on a validation split: TUNING-CNN.md (another --cnn-init config says in its header where its settings come from); the CDBN's layer 1: TUNING.md, its layer 2: TUNING-LAYER2.md."
  echo
  timings_table
} >"$table"
cat "$table"
