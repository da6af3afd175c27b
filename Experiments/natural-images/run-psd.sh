#!/usr/bin/env bash
# Trains the two-layer PSD model of psd.yaml on the whitened natural photographs and draws both
# layers' decoder filters (layer 2 projected into pixel space).
# Usage: Experiments/natural-images/run-psd.sh [OUT_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/natural-images-psd}
mkdir -p "$out"
make release
cdbn=.build/release/cdbn
start=$(date +%s)
"$cdbn" pretrain Experiments/natural-images/psd.yaml --out "$out/model.h5" $( [ -f "$out/model.h5" ] && echo --resume )
"$cdbn" visualize --force --model "$out/model.h5" --layer 1 --out "$out/psd-layer1.png" --zoom 4
"$cdbn" visualize --force --model "$out/model.h5" --layer 2 --out "$out/psd-layer2.png"
"$cdbn" inspect "$out/model.h5" | head -8
echo "done in $(( $(date +%s) - start )) s: $out/psd-layer1.png $out/psd-layer2.png"
