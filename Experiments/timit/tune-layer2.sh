#!/usr/bin/env bash
# Layer 2's settings for speaker identification, compared on speakers held out from pretraining (never
# the test speakers of speaker.sh). The sample's eight training speakers are split into two halves;
# for each half, Experiments/timit/sample.yaml (with a candidate's overrides) is pretrained on that
# half's audio and the other half's speakers are identified from 1 and 2 training utterances
# (utterance summaries, linear SVM with C = 1, standardised, as speaker.sh does), over 30 random
# draws of the training utterances per half. Writes its table into Experiments/timit/TUNING.md (or
# --results FILE); models go to runs/timit-tune/NAME.
#
#   Experiments/timit/tune-layer2.sh                         # the candidates below
#   Experiments/timit/tune-layer2.sh "wide layers.1.filters=400" "short layers.1.epochs=2"
#                                                            # "NAME [KEY=VALUE ...]" (pretrain --set)
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/timit/tune-layer2.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
results=Experiments/timit/TUNING.md
if [ "${1:-}" = --results ]; then
  results=$(absolute "$2")
  shift 2
fi
if [ $# -gt 0 ]; then candidates=("$@"); else
  candidates=("sample.yaml" "epochs-2 layers.1.epochs=2" "epochs-5 layers.1.epochs=5"
    "epochs-20 layers.1.epochs=20" "sparsity-0.02 layers.1.sparsity_target=0.02"
    "sparsity-0.1 layers.1.sparsity_target=0.1" "rate-0.003 layers.1.learning_rate=0.003"
    "rate-0.03 layers.1.learning_rate=0.03" "filter-3 layers.1.filter=[1,3]")
fi
use_cdbn
timit=Data/timit-sample
halves=(FVMH0,MCPM0,FAEM0,MARC0 FALK0,MADC0,FALR0,MAEB0)
draws=30
out=runs/timit-tune
mkdir -p "$out"
started=$SECONDS
timings=$out/timings.txt
: >"$timings"
# candidate NAME [KEY=VALUE ...]: lines "NAME LLAYER|N|ACCURACY" into $out/accuracies.txt.
candidate() {
  local name=$1 dir=$out/$1 half held sets=() layer n draw
  shift
  for setting in "$@"; do sets+=(--set "$setting"); done
  mkdir -p "$dir"
  for half in 0 1; do
    held=${halves[$((1 - half))]}
    sed -e "s|^  speakers: .*|  speakers: [${halves[$half]//,/, }]|" Experiments/timit/sample.yaml >"$dir/$half.yaml"
    cdbn pretrain "$dir/$half.yaml" ${sets[@]+"${sets[@]}"} --out "$dir/$half.h5" --force --quiet
    for layer in 1 2; do
      cdbn features --force --model "$dir/$half.h5" --data "$timit" --layer $layer --summary utterance \
        --label speaker --speakers "$held" --out "$dir/$half-$layer.h5"
      for n in 1 2; do
        for draw in $(seq 1 $draws); do
          cdbn split --features "$dir/$half-$layer.h5" --per-label $n --seed "$draw" --force \
            --train-out "$dir/train.h5" --test-out "$dir/test.h5"
          echo "$name L$layer|$n|$(cdbn classify --train "$dir/train.h5" --test "$dir/test.h5" --c 1 | accuracy_of)" \
            >>"$out/accuracies.txt"
        done
      done
    done
  done
}

: >"$out/accuracies.txt"
for c in "${candidates[@]}"; do
  read -r -a words <<<"$c"
  echo "candidate ${words[0]}" >&2
  timed "${words[0]}: pretrain 2 halves, features, $((2 * 2 * 2 * draws)) SVMs" candidate "${words[@]}"
done

# paired NAME N: layer 2's accuracy with N utterances minus the first candidate's, draw by draw: the mean
# difference ± its standard error (the draws and halves are the same for every candidate).
paired() {
  awk -F'|' -v a="${candidates[0]%% *} L2" -v b="$1 L2" -v n="$2" '
    $2 == n && $1 == a { x[i++] = $3 } $2 == n && $1 == b { y[j++] = $3 }
    END { for (k = 0; k < j; k++) { d = y[k] - x[k]; s += d; q += d * d }
          m = s / j; printf "%+.2f ± %.2f", m, sqrt((q - j * m * m) / (j - 1) / j) }' "$out/accuracies.txt"
}

section=$out/section.md
{
  echo "## Layer 2 for speaker identification, chosen on speakers held out from pretraining"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores, the embedded TIMIT sample."
  echo "Each half of the training speakers (${halves[0]//,/, } | ${halves[1]//,/, }) pretrains"
  echo "\`Experiments/timit/sample.yaml\` with the candidate's overrides; the other half's four speakers are"
  echo "identified from 1 or 2 training utterances each (accuracy %, mean ± std over 2 halves × $draws draws;"
  echo "chance 25 %); the last two columns are layer 2's difference from the first candidate, draw by draw,"
  echo "± its standard error. The test speakers of speaker.sh are not used."
  echo
  echo "| candidate | overrides | L1, 1 utt. | L2, 1 utt. | L1, 2 utt. | L2, 2 utt. | L2 Δ, 1 utt. | L2 Δ, 2 utt. |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for c in "${candidates[@]}"; do
    read -r -a words <<<"$c"
    name=${words[0]}
    settings="${words[*]:1}"
    echo "| $name | ${settings:-none} | $(stats "$out/accuracies.txt" "$name L1" 1) |" \
      "$(stats "$out/accuracies.txt" "$name L2" 1) | $(stats "$out/accuracies.txt" "$name L1" 2) |" \
      "$(stats "$out/accuracies.txt" "$name L2" 2) | $(paired "$name" 1) | $(paired "$name" 2) |"
  done
  echo
  wall_times
} >"$section"
publish layer2-speakers "$section" "# TIMIT: settings chosen on validation data

Written by Experiments/timit/tune-layer2.sh."
cat "$section"
