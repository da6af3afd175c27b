#!/usr/bin/env bash
# cdbn's convolutional sparse coding solver (ConvolutionalBPDN: FISTA with restarts, on sgemm)
# against SPORCO's ConvBPDNMaskDcpl (FFT/ADMM) on the same problems: a 256x256 whitened photograph
# with 32 filters 8x8 and a TIMIT utterance's 80-channel whitened spectrogram with 64 filters of
# length 6, same λ. The target is an objective within 1e-3 (relative) of the better solver's best;
# the time to reach it excludes evaluating the objective, on both sides. SPORCO is installed by pip
# into runs/csc/venv (with h5py and pyFFTW) the first time.
#
# Usage: Experiments/csc/compare.sh [--threads N] [--iterations N] [--results FILE]
#        (SPORCO's FFT threads, default 1 as cdbn's single solve uses one core; SPORCO's
#        iterations, default 300; default results runs/csc/RESULTS.md, Experiments/csc/RESULTS.md
#        for the committed one)
# Environment: CDBN=path/to/cdbn uses that executable instead of building the release one.
set -euo pipefail
command_line="Experiments/csc/compare.sh${*:+ $*}"
caller=$PWD
cd "$(dirname "$0")/../.."
source Experiments/steps.sh
threads=1
iterations=300
out=runs/csc
results=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --results) results=$(absolute "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$results" ]; then results=$out/RESULTS.md; fi
mkdir -p "$out"
timings=$out/timings
: >"$timings"
use_cdbn
if [ ! -x "$out/venv/bin/python" ]; then
  echo "installing SPORCO into $out/venv"
  /usr/bin/python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install -q sporco h5py pyfftw
fi
rm -f "$out/problems.h5" "$out/sporco.h5"
timed "cdbn: problems and FISTA traces" "$CDBN" bench --only csc --csc-out "$out/problems.h5" \
  | tee "$out/cdbn.log"
timed "SPORCO ConvBPDNMaskDcpl, $iterations iterations each" "$out/venv/bin/python" \
  Experiments/csc/run_sporco.py "$out/problems.h5" "$out/sporco.h5" --threads "$threads" \
  --iterations "$iterations" | tee "$out/sporco.log"
timed "cdbn: FISTA again, against SPORCO's traces" "$CDBN" bench --only csc \
  --sporco "$out/sporco.h5" | tee "$out/compare.log"

section=$(mktemp)
{
  echo "## cdbn against SPORCO, SPORCO on $threads FFT thread(s)"
  echo
  echo "Made by \`$command_line\` on $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $("$out/venv/bin/python" -c 'import sporco; print("SPORCO", sporco.__version__)')."
  echo
  echo '```'
  grep -v '^CSC problems' "$out/compare.log"
  echo '```'
  echo
  echo "SPORCO's own run (its objective computed by the script's numpy function; cdbn's final maps scored by the same function, to show both solve one problem):"
  echo
  echo '```'
  cat "$out/sporco.log"
  echo '```'
  echo
  timings_table
} >"$section"
publish "sporco-$threads" "$section" "# Convolutional sparse coding: cdbn against SPORCO"
rm -f "$section"
