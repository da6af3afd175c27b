#!/usr/bin/env bash
# Trains Lee et al.'s two-layer natural-image CDBN and draws both layers' bases.
# Usage: Experiments/natural-images/run.sh [OUT_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/natural-images}
mkdir -p "$out"
swift build -c release
cdbn=.build/release/cdbn
start=$(date +%s)
"$cdbn" pretrain Experiments/natural-images/lee2009.yaml --out "$out/model.h5" $( [ -f "$out/model.h5" ] && echo --resume )
"$cdbn" visualize --force --model "$out/model.h5" --layer 1 --out "$out/layer1-bases.png"
"$cdbn" visualize --force --model "$out/model.h5" --layer 2 --out "$out/layer2-bases.png"
"$cdbn" inspect "$out/model.h5" | head -8
echo "done in $(( $(date +%s) - start )) s: $out/layer1-bases.png $out/layer2-bases.png"
