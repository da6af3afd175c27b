#!/usr/bin/env bash
# Speaker identification (Lee, Largman, Pham & Ng 2009, table 1): accuracy vs the number of training
# utterances per speaker (1, 2, 3, 5, 8), tested on each speaker's remaining utterances, averaged
# over random draws; features MFCC, CDBN layer 1, layer 2, layer 1 + MFCC, each summarised per
# utterance (channel means and maxima over time) and classified by a linear SVM (LIBLINEAR,
# standardised features, C = 1). Test speakers: the sample's dialect regions 5-8, or TIMIT's test
# set; they are never seen in pretraining. Options: see Experiments/timit/common.sh (--help).
task=speaker
source "$(dirname "$0")/common.sh"
table_sizes 1 2 3 5 8

pretrain
timed "features: utterance summaries of the test speakers ($representations)" \
  summaries utterances --summary utterance --label speaker "${test_selection[@]}"
timed "split + linear SVM: $draws draw(s) × sizes $sizes × 4 feature sets" \
  draw_and_classify --per-label utterances rest

finish "Speaker identification" <<TEXT
Accuracy (%) on each test speaker's remaining utterances, mean ± sample std over $draws random
draw(s) of the training utterances (\`cdbn split --per-label N --seed 1…$draws\`) among $test_count
test speakers (chance $(awk -v k="$test_count" 'BEGIN { printf "%.1f", 100 / k }')%).
Features: \`cdbn features --summary utterance\` (per channel: mean and maximum over time) of MFCC
(13 + Δ + ΔΔ), CDBN layer 1, layer 2, layer 1 joined with MFCC; linear SVM (LIBLINEAR, C = 1, standardised).

$(accuracy_table "training utterances per speaker")
TEXT
