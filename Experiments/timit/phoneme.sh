#!/usr/bin/env bash
# Phone classification (Lee, Largman, Pham & Ng 2009, table 4): 39-way classification of TIMIT
# phone segments (Lee & Hon's folding, q dropped, SA sentences left out), training and test speakers
# disjoint; features per segment: channel means over its three thirds and log duration (Clarkson &
# Moreno 1999) of MFCC, of MFCC joined with CDBN layer 1, and with layers 1 and 2. Classifier: RBF SVM (LIBSVM, γ = 1/D,
# C from {1, 3, 10} by 3-fold cross-validation on the training segments, standardised features); on
# a full TIMIT (140,000 training segments, too many for a kernel SVM) a linear SVM (LIBLINEAR, C from
# {0.001, 0.01, 0.1, 1} by 3-fold cross-validation). Training speakers: the sample's dialect regions
# 1-4 (also the pretraining speakers), test speakers regions 5-8; on a full TIMIT the training set
# and the 24-speaker core test set. Options: see Experiments/timit/common.sh (--help).
task=phoneme
source "$(dirname "$0")/common.sh"
representations="mfcc 1,mfcc 1,2,mfcc"
names=("MFCC" "MFCC + CDBN L1" "MFCC + CDBN L1 + L2")
if [ $full = 1 ] && [ -z "$per_role" ]; then
  classifier=(--classifier linear-svm --cv 3 --c-values 0.001,0.01,0.1,1)
  classifier_text="linear SVM (LIBLINEAR, C from {0.001, 0.01, 0.1, 1} by 3-fold cross-validation, standardised)"
else
  classifier=(--classifier rbf-svm --cv 3 --c-values 1,3,10)
  classifier_text="RBF SVM (LIBSVM, γ = 1/D, C from {1, 3, 10} by 3-fold cross-validation, standardised)"
fi
if [ $quick = 1 ]; then
  classifier=(--classifier rbf-svm --c 3)
  classifier_text="RBF SVM (LIBSVM, γ = 1/D, C = 3, standardised)"
fi

pretrain
both() {
  summaries train --summary phones --exclude-sa "${train_selection[@]}"
  summaries test --summary phones --exclude-sa "${core_selection[@]}"
}
timed "features: phone segments of training and test speakers ($representations)" both
classify_all() {
  for r in $representations; do
    cdbn classify --train "$out/train-$r.h5" --test "$out/test-$r.h5" "${classifier[@]}" \
      --out "$out/classified-$r.h5" --force >"$out/classify-$r.txt"
  done
}
timed "classify: ${classifier[*]} × 3 feature sets" classify_all
dimensions_of() {  # per segment: 3 thirds × channels + log duration, per representation
  local bases
  bases=$(sed -n 's/^ *filters: \([0-9]*\).*/\1/p' "$config" | head -1)
  case $1 in
    mfcc) echo $((3 * 39 + 1)) ;;
    1,mfcc) echo $((3 * bases + 1 + 3 * 39 + 1)) ;;
    1,2,mfcc) echo $((2 * (3 * bases + 1) + 3 * 39 + 1)) ;;
  esac
}
table() {
  local i=0 r report
  echo "| features | accuracy | C | training segments | test segments | dimensions |"
  echo "|---|---:|---:|---:|---:|---:|"
  for r in $representations; do
    report=$out/classify-$r.txt
    echo "| ${names[$i]} | $(accuracy_of <"$report") | $(sed -n 's/.*\[c \([^]]*\)\].*/\1/p' "$report") |" \
      "$(sed -n 's/^train .* on \([0-9]*\) examples.*/\1/p' "$report") |" \
      "$(sed -n 's/^error .*(\([0-9]*\) of \([0-9]*\) wrong).*/\2/p' "$report") | $(dimensions_of "$r") |"
    i=$((i + 1))
  done
}

finish "Phone classification" <<TEXT
39-way accuracy (%) on the phone segments of the test speakers (SA sentences excluded, q dropped),
one run (the classifier is deterministic). Features: \`cdbn features --summary phones\` (per channel:
means over the segment's thirds, and log duration); classifier: $classifier_text.

$(table)
TEXT
