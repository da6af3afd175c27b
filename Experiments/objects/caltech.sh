#!/usr/bin/env bash
# Caltech-101 classification with CDBN features (Lee et al. 2009, section 4.2): a two-layer CDBN
# pretrained on natural images only (Experiments/natural-images/lee2009.yaml, the paper's
# self-taught setting), features of every picture at 150 pixels on the longer side, grey,
# each layer's pooled maps max-pooled over a 1×1, 2×2, 4×4 spatial pyramid (cdbn features
# --longest-side 150 --pyramid 1,2,4), a linear SVM (LIBLINEAR, standardised features, C chosen by
# 5-fold cross-validation on the training rows only). For 15 and 30 training pictures per class
# (cdbn split --per-label N, seeds 1…draws) the rest of each class is the test set, scored as
# Caltech-101 is: the mean over classes of each class's accuracy. Baselines from the same pyramid:
# the preprocessed pixels (layer 0) and layer 1 alone.
#
# Usage: Experiments/objects/caltech.sh [options]    (from anywhere)
#   --caltech PATH   folder of category folders (101_ObjectCategories); default: the ten shared
#                    categories, ../shared/data/caltech101-10/101_ObjectCategories
#   --model FILE     reuse a CDBN pretrained earlier instead of pretraining lee2009.yaml
#   --draws N        random draws of the training pictures per row (default 10)
#   --pooling P      pyramid cells take the max or the mean (default max; tune.sh compares them)
#   --set KEY=VALUE  pretrain lee2009.yaml with this override (repeatable), e.g. layers.0.weight_decay=0.001
#   --quick          a tiny CDBN (a few updates), one draw, 2 and 3 training pictures per class: a
#                    smoke test of the pipeline (runs on Data/caltech101-sample)
#   --out DIR        working folder (default runs/objects-caltech)
#   --results FILE   Markdown file whose section is replaced (default DIR/RESULTS.md); pass
#                    Experiments/objects/RESULTS.md to update the committed table
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/objects/caltech.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
caltech=$shared_caltech
model=""
reused=""
draws=10
pooling=max
overrides=()
quick=0
out=runs/objects-caltech
results=""
while [ $# -gt 0 ]; do
  case $1 in
    --caltech) caltech=$(absolute "$2"); shift 2 ;;
    --model) model=$(absolute "$2"); reused=$model; shift 2 ;;
    --draws) draws=$2; shift 2 ;;
    --pooling) pooling=$2; shift 2 ;;
    --set) overrides+=(--set "$2"); shift 2 ;;
    --quick) quick=1; draws=1; shift ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    --results) results=$(absolute "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -d "$caltech" ]; then
  echo "$0: $caltech is not a folder of category folders; give --caltech PATH (README: Caltech-101)" >&2
  exit 2
fi
case $draws in '' | *[!0-9]*) echo "$0: --draws takes a number" >&2; exit 2 ;; esac
if [ -z "$results" ]; then results=$out/RESULTS.md; fi
mkdir -p "$out"
started=$SECONDS
timings=$out/timings.txt
: >"$timings"
use_cdbn
classes=$(find "$caltech" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)

# 1. The CDBN, pretrained on natural images only.
config=Experiments/natural-images/lee2009.yaml
if [ -z "$model" ]; then
  model=$out/cdbn.h5
  if [ $quick = 1 ]; then
    sed -e 's/epochs: [0-9]*/epochs: 1/' -e 's/batches_per_epoch: [0-9]*/batches_per_epoch: 5/' \
      "$config" >"$out/quick.yaml"
    config=$out/quick.yaml
  fi
  timed "pretrain ($config${overrides[*]:+ ${overrides[*]}})" "$CDBN" pretrain "$config" \
    "${overrides[@]}" --out "$model" --force
fi

# 2. Pyramid features of every picture, pixels (layer 0), layer 1 and layer 2 in one file; the
#    classifiers take the blocks they compare (classify --blocks).
representations="0 1 1,2"
names=("pixels (layer 0)" "CDBN layer 1" "CDBN layers 1 + 2")
timed "features --layer 0,1,2 ($classes categories)" "$CDBN" features --force --model "$model" \
  --layer 0,1,2 --data "$caltech" --longest-side 150 --pyramid 1,2,4 --pyramid-pooling $pooling \
  --out "$out/features.h5"

# 3. For N = 15 and 30 and each draw: N training pictures per class, the rest tested.
sizes="15 30"
# C by 5-fold cross-validation over 2^-16 … 2^3: the default grid (2^-7 … 2^7) made classify warn
# that layer 1's best C was at its lower edge with held-out accuracy still rising (TUNING.md).
grid=$(powers_of_two -16 3)
if [ $quick = 1 ]; then sizes="2 3"; fi
accuracies=$out/accuracies.txt
: >"$accuracies"
mean_class_of() { sed -n 's/^error .*mean per-class accuracy \([0-9.]*\)%.*/\1/p' | head -1; }
classify_all() {
  local r n draw
  for r in $representations; do
    for n in $sizes; do
      for draw in $(seq 1 "$draws"); do
        "$CDBN" split --features "$out/features.h5" --per-label "$n" --seed "$draw" --force \
          --train-out "$out/train.h5" --test-out "$out/test.h5" 2>/dev/null
        echo "$r|$n|$("$CDBN" classify --train "$out/train.h5" --test "$out/test.h5" --blocks "$r" \
          --c-values "$grid" 2>/dev/null | mean_class_of)" >>"$accuracies"
        echo "  layer $r, $n per class, draw $draw: $(tail -1 "$accuracies" | cut -d'|' -f3) %" >&2
      done
    done
  done
}
timed "split + linear SVM: $draws draw(s) × ${sizes// /, } per class × 3 feature sets" classify_all

# 4. The table (mean ± sample std over draws of the mean per-class accuracy) into $results.
section=$out/section.md
{
  echo "## Caltech-101: $classes categories, linear SVM on spatial-pyramid features ($pooling pooling${overrides[*]:+, $(echo "${overrides[*]}" | sed 's/--set //g')})"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), from \`$caltech\`."
  echo "CDBN: $([ -n "$reused" ] && echo "reused from \`$reused\`" || echo "\`$config\`${overrides[*]:+ with ${overrides[*]}}, pretrained on Data/natural-images only")."
  echo "Features: \`cdbn features --layer 0,1,2 --longest-side 150 --pyramid 1,2,4 --pyramid-pooling $pooling\` (grey);"
  echo "linear SVM on the compared blocks (\`classify --blocks\`) with C chosen by 5-fold cross-validation on the"
  echo "training rows over 2^-16 … 2^3; the rest of each class is the test set."
  echo
  echo "Mean per-class accuracy (%), mean ± sample std over $draws draw(s) (\`cdbn split --per-label N --seed 1…$draws\`):"
  echo
  accuracy_table "training pictures per class"
  echo
  wall_times
} >"$section"
cat "$section"
variant=$(echo "${overrides[*]:-}" | sed -e 's/--set //g' -e 's/[^A-Za-z0-9_.=]/-/g')
publish "caltech-$classes-$pooling${variant:+-$variant}" "$section" "# Objects: Caltech-101 classification, part learning and class specificity

Written by the scripts in Experiments/objects (each replaces its own section)."
