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
table_sizes 1 2 3 5 7 10

pretrain
both() {
  summaries train --summary utterance --label gender "${train_selection[@]}"
  summaries test --summary utterance --label gender "${test_selection[@]}"
}
timed "features: utterance summaries of training and test speakers ($representations)" both
timed "split + linear SVM: $draws draw(s) × sizes $sizes × 4 feature sets" \
  draw_and_classify --per-speaker train test

finish "Gender classification" <<TEXT
Accuracy (%) on every utterance of the $test_count test speakers, mean ± sample std over $draws
random draw(s) of the training speakers' utterances (\`cdbn split --per-speaker N --seed 1…$draws\`).
Features: \`cdbn features --summary utterance --label gender\` (per channel: mean and maximum over
time) of MFCC (13 + Δ + ΔΔ), CDBN layer 1, layer 2, layer 1 joined with MFCC; linear SVM (LIBLINEAR,
C = 1, standardised).

$(accuracy_table "training utterances per training speaker")
TEXT
