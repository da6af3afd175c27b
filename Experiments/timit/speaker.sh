#!/usr/bin/env bash
# Speaker identification (Lee, Largman, Pham & Ng 2009, table 1): accuracy vs the number of training
# utterances per speaker (1, 2, 3, 5, 8), tested on each speaker's remaining utterances, averaged
# over random draws; features MFCC, CDBN layer 1, layer 2, layer 1 + MFCC, each summarised per
# utterance (channel means and maxima over time) and classified by a linear SVM (LIBLINEAR,
# standardised features, C = 1). Test speakers: the sample's dialect regions 5-8, or TIMIT's test
# set; they are never seen in pretraining. Options: see Experiments/timit/common.sh (--help).
task=speaker
source "$(dirname "$0")/common.sh"
sizes="1 2 3 5 8"
if [ $quick = 1 ]; then sizes=$(echo $sizes | cut -d" " -f1-2); fi
representations="mfcc 1 2 1,mfcc"
names=("MFCC" "CDBN L1" "CDBN L2" "CDBN L1 + MFCC")

pretrain
features() {
  for r in $representations; do
    cdbn features --model "$model" --data "$timit" --layer "$r" --summary utterance --label speaker \
      "${test_selection[@]}" --out "$out/utterances-$r.h5"
  done
}
timed "features: utterance summaries of the test speakers ($representations)" features

accuracies=$out/accuracies.txt
: >"$accuracies"
classify_all() {
  for r in $representations; do
    for n in $sizes; do
      for draw in $(seq 1 "$draws"); do
        cdbn split --features "$out/utterances-$r.h5" --per-label "$n" --seed "$draw" --force \
          --train-out "$out/train.h5" --test-out "$out/test.h5"
        accuracy=$(cdbn classify --train "$out/train.h5" --test "$out/test.h5" --c 1 | accuracy_of)
        echo "$r|$n|$accuracy" >>"$accuracies"
      done
    done
  done
}
timed "split + linear SVM: $draws draw(s) × sizes $sizes × 4 feature sets" classify_all

section=$out/section.md
{
  echo "## Speaker identification$([ $full = 1 ] && echo ' (TIMIT)')"
  echo
  describe_run
  echo "Accuracy (%) on each test speaker's remaining utterances, mean ± sample std over $draws random"
  echo "draw(s) of the training utterances (\`cdbn split --per-label N --seed 1…$draws\`) among $test_count"
  echo "test speakers (chance $(awk -v k="$test_count" 'BEGIN { printf "%.1f", 100 / k }')%)."
  echo "Features: \`cdbn features --summary utterance\` (per channel: mean and maximum over time) of MFCC"
  echo "(13 + Δ + ΔΔ), CDBN layer 1, layer 2, layer 1 joined with MFCC; linear SVM (LIBLINEAR, C = 1, standardised)."
  echo
  echo "| training utterances per speaker | ${names[0]} | ${names[1]} | ${names[2]} | ${names[3]} |"
  echo "|---:|---:|---:|---:|---:|"
  for n in $sizes; do
    row="| $n"
    for r in $representations; do row="$row | $(stats "$accuracies" "$r" "$n")"; done
    echo "$row |"
  done
  echo
  echo "Wall time:"
  echo
  wall_times
} >"$section"
publish "$task$([ $full = 1 ] && echo -timit)" "$section"
cat "$section"
