#!/usr/bin/env bash
# Object parts and class specificity (Lee et al. 2009, section 4.2): a three-layer
# CDBN (Experiments/objects/parts.yaml) trained on the training pictures of each of four Caltech-101
# classes and on the four together; each model's layer-2 and layer-3 bases drawn in pixels
# (cdbn visualize --layer 2|3). For the four-class model, every unit's class specificity on the
# held-out pictures (cdbn features --layer 1,2,3 --pyramid 1 --pyramid-pooling mean, then
# cdbn specificity): a histogram per layer and the medians, which should fall with depth.
#
# Training and held-out pictures follow the dataset's train.txt / test.txt beside the category
# folders when they are there (the shared ten categories have them); otherwise each class's pictures
# alternate, in name order, between the two.
#
# Usage: Experiments/objects/parts.sh [options]    (from anywhere)
#   --caltech PATH   folder of category folders (101_ObjectCategories); default: the ten shared
#                    categories, ../shared/data/caltech101-10/101_ObjectCategories
#   --classes "A B"  the classes (default: Faces_easy car_side Motorbikes airplanes)
#   --quick          one epoch per layer: a smoke test of the pipeline
#   --out DIR        working folder (default runs/objects-parts)
#   --results FILE   Markdown file whose section is replaced (default DIR/RESULTS.md); pass
#                    Experiments/objects/RESULTS.md to update the committed table
#   --pictures DIR   also copy the bases pictures and the histogram there (Experiments/objects)
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/objects/parts.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
caltech=$shared_caltech
classes="Faces_easy car_side Motorbikes airplanes"
quick=0
out=runs/objects-parts
results=""
pictures=""
while [ $# -gt 0 ]; do
  case $1 in
    --caltech) caltech=$(absolute "$2"); shift 2 ;;
    --classes) classes=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    --results) results=$(absolute "$2"); shift 2 ;;
    --pictures) pictures=$(absolute "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for class in $classes; do
  if [ ! -d "$caltech/$class" ]; then
    echo "$0: $caltech/$class is not a folder; give --caltech PATH and --classes (README: Caltech-101)" >&2
    exit 2
  fi
done
if [ -z "$results" ]; then results=$out/RESULTS.md; fi
mkdir -p "$out"
started=$SECONDS
timings=$out/timings.txt
: >"$timings"
use_cdbn

# 1. Training and held-out folders of links, one subfolder per class.
rm -rf "$out/train" "$out/test"
lists=$(dirname "$caltech")
for class in $classes; do
  mkdir -p "$out/train/$class" "$out/test/$class"
  if [ -f "$lists/train.txt" ] && [ -f "$lists/test.txt" ]; then
    for part in train test; do
      grep "^$class/" "$lists/$part.txt" | while read -r file; do
        ln -s "$caltech/$file" "$out/$part/$class/$(basename "$file")"
      done
    done
  else
    i=0
    for file in $(ls "$caltech/$class" | sort); do
      part=train
      if [ $((i % 2)) = 1 ]; then part=test; fi
      ln -s "$caltech/$class/$file" "$out/$part/$class/$file"
      i=$((i + 1))
    done
  fi
done
count() { find "$1" -type l | wc -l; }

# 2. A CDBN per class and one on the four together; layer-2 and layer-3 bases in pixels.
overrides=()
if [ $quick = 1 ]; then
  overrides=(--set layers.0.epochs=1 --set layers.1.epochs=1 --set layers.2.epochs=1 --set training.batches_per_epoch=3)
fi
for class in $classes all; do
  data=$out/train/$class
  if [ $class = all ]; then data=$out/train; fi
  timed "pretrain $class ($(count "$data") pictures)" "$CDBN" pretrain Experiments/objects/parts.yaml \
    --set "data.path=$data" "${overrides[@]}" --out "$out/$class.h5" --force
  for layer in 2 3; do
    "$CDBN" visualize --force --model "$out/$class.h5" --layer $layer --out "$out/$class-layer$layer.png"
  done
  "$CDBN" inspect "$out/$class.h5" | grep -E "^layer [0-9]+ \(|health|warn" | sed -E "s/^(layer [0-9]+) \(.*/\1:/" >"$out/$class-health.txt" || true
done

# 3. Class specificity of the four-class model's units on the held-out pictures.
timed "features --layer 1,2,3 of the held-out pictures ($(count "$out/test"))" "$CDBN" features \
  --force --model "$out/all.h5" --layer 1,2,3 --data "$out/test" --pyramid 1 \
  --pyramid-pooling mean --out "$out/units.h5"
"$CDBN" specificity --force --features "$out/units.h5" --out "$out/specificity.h5" \
  --picture "$out/specificity.png" | tee "$out/specificity.txt"

if [ -n "$pictures" ]; then
  mkdir -p "$pictures"
  for class in $classes all; do
    cp "$out/$class-layer2.png" "$out/$class-layer3.png" "$pictures/"
  done
  cp "$out/specificity.png" "$pictures/"
fi

section=$out/section.md
{
  echo "## Parts and class specificity: ${classes// /, }"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), from \`$caltech\`."
  echo "CDBN: \`Experiments/objects/parts.yaml\`$([ $quick = 1 ] && echo ' (--quick: one epoch of 3 batches per layer)'), on each class's training pictures and on the four together."
  echo "Pictures: \`$out/CLASS-layer2.png\`, \`$out/CLASS-layer3.png\` (\`all\`: the four together)."
  echo
  echo "Health of each model (\`cdbn inspect\`: filters' mean pairwise |cos|, activation against target):"
  echo
  echo '```'
  for class in $classes all; do echo "$class:"; cat "$out/$class-health.txt"; done
  echo '```'
  echo
  echo "Class specificity of the four-class model's units on $(count "$out/test") held-out pictures"
  echo "(\`cdbn specificity\` on \`cdbn features --layer 1,2,3 --pyramid 1 --pyramid-pooling mean\`):"
  echo
  echo '```'
  cat "$out/specificity.txt"
  echo '```'
  echo
  wall_times
} >"$section"
cat "$section"
publish "parts" "$section" "# Objects: Caltech-101 classification, part learning and class specificity

Written by the scripts in Experiments/objects (each replaces its own section)."
