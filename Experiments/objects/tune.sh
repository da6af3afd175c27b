#!/usr/bin/env bash
# Chooses the Caltech-101 feature settings of caltech.sh on validation data only: for each pyramid
# pooling (max, mean) and feature set (layer 1, layer 2, layers 1 + 2), the 5-fold cross-validated
# accuracy of the linear SVM (at its best C over 2^-16 … 2^3) on 30 training pictures per class,
# averaged over draws with seeds 101…100+draws, which caltech.sh never uses (its test draws are 1…10).
# No test picture is read by the classifier here.
#
# Usage: Experiments/objects/tune.sh --model CDBN.h5 [--caltech PATH] [--draws N] [--out DIR]
#        [--results FILE]   (default DIR/TUNING.md; Experiments/objects/TUNING.md for the committed one)
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/objects/tune.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
caltech=$shared_caltech
model=""
draws=3
out=runs/objects-tune
results=""
while [ $# -gt 0 ]; do
  case $1 in
    --caltech) caltech=$(absolute "$2"); shift 2 ;;
    --model) model=$(absolute "$2"); shift 2 ;;
    --draws) draws=$2; shift 2 ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    --results) results=$(absolute "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$model" ] || [ ! -d "$caltech" ]; then
  echo "$0: give --model CDBN.h5 (caltech.sh writes runs/objects-caltech/cdbn.h5) and a --caltech folder" >&2
  exit 2
fi
if [ -z "$results" ]; then results=$out/TUNING.md; fi
mkdir -p "$out"
use_cdbn
started=$SECONDS
grid=$(powers_of_two -16 3)
scores=$out/scores.txt
: >"$scores"
for pooling in max mean; do
  "$CDBN" features --force --model "$model" --layer 1,2 --data "$caltech" --longest-side 150 \
    --pyramid 1,2,4 --pyramid-pooling $pooling --out "$out/features-$pooling.h5"
  for r in 1 2 1,2; do
    for draw in $(seq 101 $((100 + draws))); do
      "$CDBN" split --features "$out/features-$pooling.h5" --per-label 30 --seed "$draw" --force \
        --train-out "$out/train.h5" >/dev/null 2>&1
      # The block's columns: layer 1 gives the first 24 × 21, layer 2 the rest.
      rows=$("$CDBN" classify --train "$out/train.h5" --test "$out/train.h5" --c-values "$grid" \
        --blocks "$r" 2>/dev/null | sed -n 's/^best: .*accuracy \([0-9.]*\)%.*/\1/p')
      echo "$pooling $r|30|$rows" >>"$scores"
      echo "  $pooling pooling, layer $r, draw $draw: cross-validated accuracy $rows %" >&2
    done
  done
done
section=$out/section.md
{
  echo "## Caltech-101: pyramid pooling and feature set, chosen on training pictures only"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores, from \`$caltech\`, CDBN \`$model\`."
  echo "5-fold cross-validated accuracy (%) of the linear SVM at its best C in 2^-16 … 2^3, on 30 training pictures"
  echo "per class, mean ± std over draws $(seq -s ', ' 101 $((100 + draws))) (\`cdbn split --per-label 30\`; caltech.sh tests on draws 1…10):"
  echo
  echo "| pooling | layer 1 | layer 2 | layers 1 + 2 |"
  echo "|---|---:|---:|---:|"
  for pooling in max mean; do
    echo "| $pooling | $(stats "$scores" "$pooling 1" 30) | $(stats "$scores" "$pooling 2" 30) | $(stats "$scores" "$pooling 1,2" 30) |"
  done
  echo
  echo "Whole script: $((SECONDS - started)) s."
} >"$section"
cat "$section"
publish "tuning" "$section" "# Objects: settings chosen on validation data

Written by Experiments/objects/tune.sh."
