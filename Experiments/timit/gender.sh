#!/usr/bin/env bash
# Gender classification (Lee, Largman, Pham & Ng 2009, table 2): train on some speakers, test on
# other, unseen speakers; accuracy vs the number of training utterances per training speaker
# (1, 2, 3, 5, 7, 10), averaged over random draws of those utterances; features MFCC, CDBN layer 1,
# layer 2, layer 1 + MFCC, each summarised per utterance (channel means and maxima over time) and
# classified by a linear SVM (LIBLINEAR, standardised features, C = 1). Training speakers: the
# sample's dialect regions 1-4 (also the pretraining speakers), test speakers regions 5-8; on a full
# TIMIT its TRAIN and TEST folders. Options: see Experiments/timit/common.sh (--help).
task=gender
source "$(dirname "$0")/common.sh"
sizes="1 2 3 5 7 10"
if [ $quick = 1 ]; then sizes=$(echo $sizes | cut -d" " -f1-2); fi
representations="mfcc 1 2 1,mfcc"
names=("MFCC" "CDBN L1" "CDBN L2" "CDBN L1 + MFCC")

pretrain
features() {
  for r in $representations; do
    cdbn features --model "$model" --data "$timit" --layer "$r" --summary utterance --label gender \
      "${train_selection[@]}" --out "$out/train-$r.h5"
    cdbn features --model "$model" --data "$timit" --layer "$r" --summary utterance --label gender \
      "${test_selection[@]}" --out "$out/test-$r.h5"
  done
}
timed "features: utterance summaries of training and test speakers ($representations)" features

accuracies=$out/accuracies.txt
: >"$accuracies"
classify_all() {
  for r in $representations; do
    for n in $sizes; do
      for draw in $(seq 1 "$draws"); do
        cdbn split --features "$out/train-$r.h5" --per-speaker "$n" --seed "$draw" --force \
          --train-out "$out/train.h5"
        accuracy=$(cdbn classify --train "$out/train.h5" --test "$out/test-$r.h5" --c 1 | accuracy_of)
        echo "$r|$n|$accuracy" >>"$accuracies"
      done
    done
  done
}
timed "split + linear SVM: $draws draw(s) × sizes $sizes × 4 feature sets" classify_all

section=$out/section.md
{
  echo "## Gender classification$([ $full = 1 ] && echo ' (TIMIT)')"
  echo
  describe_run
  echo "Accuracy (%) on every utterance of the $test_count test speakers, mean ± sample std over $draws"
  echo "random draw(s) of the training speakers' utterances (\`cdbn split --per-speaker N --seed 1…$draws\`)."
  echo "Features: \`cdbn features --summary utterance --label gender\` (per channel: mean and maximum over"
  echo "time) of MFCC (13 + Δ + ΔΔ), CDBN layer 1, layer 2, layer 1 joined with MFCC; linear SVM (LIBLINEAR,"
  echo "C = 1, standardised)."
  echo
  echo "| training utterances per training speaker | ${names[0]} | ${names[1]} | ${names[2]} | ${names[3]} |"
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
