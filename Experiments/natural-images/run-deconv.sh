#!/usr/bin/env bash
# Trains Zeiler et al.'s two-layer deconvolutional network on whitened natural images and draws both
# layers' filters (layer 2 projected top-down into pixel space).
# Usage: Experiments/natural-images/run-deconv.sh [OUT_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/natural-images-deconv}
mkdir -p "$out"
swift build -c release
cdbn=.build/release/cdbn
start=$(date +%s)
"$cdbn" pretrain Experiments/natural-images/deconv.yaml --out "$out/model.h5" $( [ -f "$out/model.h5" ] && echo --resume )
"$cdbn" visualize --force --model "$out/model.h5" --layer 1 --zoom 8 --out "$out/deconv-layer1.png"
"$cdbn" visualize --force --model "$out/model.h5" --layer 2 --zoom 4 --out "$out/deconv-layer2.png"
"$cdbn" inspect "$out/model.h5" | head -8
echo "done in $(( $(date +%s) - start )) s: $out/deconv-layer1.png $out/deconv-layer2.png"
