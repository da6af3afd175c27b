# Shared by speaker.sh, gender.sh and phoneme.sh (sourced, not run). Each script:
#   1. pretrains the 1-D CDBN on the training speakers' audio only (cdbn pretrain),
#   2. writes utterance or phone-segment summaries of MFCC and CDBN layers (cdbn features),
#   3. trains and tests classifiers on disjoint utterances or speakers (cdbn split, cdbn classify),
#   4. replaces its own section of DIR/RESULTS.md (runs/timit-<task>/RESULTS.md) with a table, the
#      commands and the wall time of each step; the committed Experiments/timit/RESULTS.md changes only
#      when asked (--results Experiments/timit/RESULTS.md), so a rerun never rewrites it by accident.
#
# Options (all scripts):
#   --timit PATH     a full TIMIT (LDC layout); default: the embedded sample Data/timit-sample
#   --speakers N     use N speakers in each role (training, test); genders alternate
#   --quick          a tiny model, one draw, the first two table rows (phones: C = 3 without
#                    cross-validation): a smoke test of the whole pipeline in seconds
#   --draws N        random draws of training utterances per table cell (default 10)
#   --model FILE     reuse a model pretrained by an earlier run instead of pretraining
#   --out DIR        working folder (default runs/timit-<task>)
#   --results FILE   Markdown file whose section is replaced (default DIR/RESULTS.md)
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/timit/$task.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
here=Experiments/timit
timit=Data/timit-sample
full=0
per_role=""
quick=0
draws=10
model=""
reused=""
out=runs/timit-$task
results=""
while [ $# -gt 0 ]; do
  case $1 in
    --timit) timit=$(absolute "$2"); full=1; shift 2 ;;
    --speakers) per_role=$2; shift 2 ;;
    --quick) quick=1; draws=1; shift ;;
    --draws) draws=$2; shift 2 ;;
    --model) model=$(absolute "$2"); shift 2 ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    --results) results=$(absolute "$2"); shift 2 ;;
    -h | --help) sed -n '1,/^# Environment/p' "$here/common.sh"; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$results" ]; then results=$out/RESULTS.md; fi
if [ ! -d "$timit" ]; then echo "$0: $timit is not a folder" >&2; exit 2; fi
case $per_role$draws in *[!0-9]*) echo "$0: --speakers and --draws take numbers" >&2; exit 2 ;; esac
mkdir -p "$out"
use_cdbn
started=$SECONDS
timings=$out/timings.txt
: >"$timings"

# Speakers. The sample's 16 speakers are all TIMIT training speakers: dialect regions 1-4 serve as
# training speakers (pretraining, classifier training for gender and phones), regions 5-8 as test
# speakers. A full TIMIT uses its TRAIN and TEST folders (phones: the 24-speaker core test set).
interleave() {  # interleave N NAMES...: alternate female and male speakers, first N (all if N empty)
  local n=$1
  shift
  local f=() m=() out=() i
  for s in "$@"; do case $s in F*) f+=("$s") ;; *) m+=("$s") ;; esac; done
  for ((i = 0; i < ${#f[@]} || i < ${#m[@]}; i++)); do
    if [ $i -lt ${#f[@]} ]; then out+=("${f[$i]}"); fi
    if [ $i -lt ${#m[@]} ]; then out+=("${m[$i]}"); fi
  done
  if [ -n "$n" ]; then out=("${out[@]:0:$n}"); fi
  local IFS=,
  echo "${out[*]}"
}
ldc_speakers() {  # ldc_speakers TRAIN|TEST: speaker folders of that part of a full TIMIT
  find "$timit" -mindepth 2 -maxdepth 5 -type d -ipath "*/$1/dr[1-8]/*" | xargs -n1 basename |
    tr '[:lower:]' '[:upper:]' | sort -u
}
if [ $full = 0 ]; then
  train_speakers=$(interleave "$per_role" FVMH0 MCPM0 FAEM0 MARC0 FALK0 MADC0 FALR0 MAEB0)
  test_speakers=$(interleave "$per_role" FTLG0 MBGT0 FAPB0 MBMA1 FBLV0 MADD0 FBCG1 MBCG0)
  train_selection=(--speakers "$train_speakers")
  test_selection=(--speakers "$test_speakers")
  core_selection=("${test_selection[@]}")
elif [ -n "$per_role" ]; then
  train_speakers=$(interleave "$per_role" $(ldc_speakers TRAIN))
  test_speakers=$(interleave "$per_role" $(ldc_speakers TEST))
  train_selection=(--speakers "$train_speakers")
  test_selection=(--speakers "$test_speakers")
  core_selection=("${test_selection[@]}")
else
  train_speakers=""
  train_selection=(--subset train)
  test_selection=(--subset test)
  core_selection=(--subset core-test)
fi
if [ -n "${test_speakers:-}" ]; then
  test_count=$(echo "$test_speakers" | tr ',' '\n' | wc -l)
else
  test_count=$(ldc_speakers TEST | wc -l)
fi

# The feature sets of the utterance tasks (phoneme.sh sets its own), and table_sizes SIZES...: the
# table's rows (the first two with --quick).
representations="mfcc 1 2 1,mfcc"
names=("MFCC" "CDBN L1" "CDBN L2" "CDBN L1 + MFCC")
table_sizes() {
  sizes="$*"
  if [ $quick = 1 ]; then sizes="$1 $2"; fi
}

# 1. The pretraining config: the sample's (Experiments/timit/sample.yaml) or the paper's
#    (crbm-1d.yaml) with this run's corpus and training speakers; --quick shrinks it to 16 bases and
#    a few updates per layer.
pretrain() {
  config=$out/pretrain.yaml
  if [ $full = 0 ]; then
    sed -e "s|^  audio: .*|  audio: $timit|" \
      -e "s|^  speakers: .*|  speakers: [${train_speakers//,/, }]|" $here/sample.yaml >"$config"
  else
    sed -e "s|^  audio: .*|  audio: $timit|" $here/crbm-1d.yaml >"$config"
    if [ -n "$train_speakers" ]; then
      sed -i -e "s|^  subset: train.*|&\n  speakers: [${train_speakers//,/, }]|" "$config"
    fi
  fi
  if [ $quick = 1 ]; then
    sed -i -e 's/filters: 300/filters: 16/' -e 's/epochs: [0-9]*/epochs: 1/' \
      -e 's/batches_per_epoch: [0-9]*/batches_per_epoch: 3/' -e 's/patch: \[1, 100\]/patch: [1, 50]/' "$config"
  fi
  if [ -n "$model" ]; then
    reused=$model
    return
  fi
  model=$out/cdbn.h5
  rm -f "$model"
  timed "pretrain ($config)" cdbn pretrain "$config" --out "$model" --quiet
}

# 2. Feature files: summaries NAME OPTIONS... writes $out/NAME-R.h5 for each R in $representations
#    with `cdbn features --layer R OPTIONS...`.
summaries() {
  local name=$1 r
  shift
  for r in $representations; do
    cdbn features --force --model "$model" --data "$timit" --layer "$r" "$@" --out "$out/$name-$r.h5"
  done
}

# 3. Classifiers: draw_and_classify RULE SOURCE TEST, for each R in $representations, N in $sizes
#    and draw 1..$draws: `cdbn split RULE N --seed draw` of $out/SOURCE-R.h5 gives the training rows
#    (and, when TEST is "rest", the test rows); a linear SVM (C = 1, standardised) is fitted and
#    tested on them (or on $out/TEST-R.h5); lines R|N|ACCURACY go to $accuracies.
accuracies=$out/accuracies.txt
draw_and_classify() {
  local rule=$1 source=$2 testing=$3 r n draw test split
  : >"$accuracies"
  for r in $representations; do
    for n in $sizes; do
      for draw in $(seq 1 "$draws"); do
        split=(--features "$out/$source-$r.h5" "$rule" "$n" --seed "$draw" --force --train-out "$out/train.h5")
        test=$out/$testing-$r.h5
        if [ "$testing" = rest ]; then
          test=$out/test.h5
          split+=(--test-out "$test")
        fi
        cdbn split "${split[@]}"
        echo "$r|$n|$(cdbn classify --train "$out/train.h5" --test "$test" --c 1 | accuracy_of)" >>"$accuracies"
      done
    done
  done
}

# 4. Tables: accuracy_table (Experiments/steps.sh) from the lines METHOD|SIZE|ACCURACY, in a section with
#    the run's description (describe_run) and wall times, published by finish.
# The run's description, shared by the sections.
describe_run() {
  local corpus="the embedded TIMIT sample (Data/timit-sample: 16 speakers × 10 utterances)"
  if [ $full = 1 ]; then corpus="TIMIT at $timit"; fi
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores, $corpus."
  if [ $full = 0 ] || [ -n "$per_role" ]; then
    echo "Training speakers: ${train_speakers//,/, }. Test speakers: ${test_speakers//,/, }."
  fi
  local source=$here/sample.yaml
  if [ $full = 1 ]; then source=$here/crbm-1d.yaml; fi
  echo "CDBN: \`$source\` with this run's corpus and training speakers (\`$config\`)$([ $quick = 1 ] && echo ', --quick: 16 bases, 3 updates per layer'),"
  echo "pretrained on the training speakers' audio only$([ -n "$reused" ] && echo "; reused from \`$reused\`")."
}

# finish TITLE: the section (title, run description, the text on stdin, wall times) into $results.
finish() {
  local section=$out/section.md key=$task
  if [ $full = 1 ]; then key=$task-timit; fi
  {
    echo "## $1$([ $full = 1 ] && echo ' (TIMIT)')"
    echo
    describe_run
    cat
    echo
    wall_times
  } >"$section"
  publish "$key" "$section" "# TIMIT: speaker, gender and phone classification with 1-D CDBN features

Written by Experiments/timit/speaker.sh, gender.sh and phoneme.sh (each replaces its own section)."
  cat "$section"
}
