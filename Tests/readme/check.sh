#!/usr/bin/env bash
# Runs every command of the README's "Using the command line" block, in order, in a fresh folder,
# so the README cannot drift from the tool (`make readme-check`). Long steps are shortened by
# appending options that the README's commands leave at their defaults: fewer epochs and batches
# through `--set`, a fixed C instead of cross-validation, one CNN epoch on 500 digits, a short bench,
# the TIMIT and objects scripts' --quick (objects: on Data/caltech101-sample). Commands that need
# the LDC TIMIT corpus are skipped (and listed).
#   Tests/readme/check.sh [BIN_DIR]    (default .build/release; it must hold cdbn)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$root/.build/release}" && pwd)
[ -x "$bin/cdbn" ] || { echo "readme-check: no cdbn in $bin (build it first)" >&2; exit 2; }
work=$(mktemp -d /tmp/cdbn-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$root/Data" "$work/Data"
ln -s "$root/Experiments" "$work/Experiments"
export PATH="$bin:$PATH" CDBN="$bin/cdbn"
mpi_flags=""
[ "$(id -u)" = 0 ] && mpi_flags="--allow-run-as-root"

# The block: from "## Using the command line" to its closing fence, continuation lines joined.
commands=$(awk '/^## Using the command line/ { on = 1 } on && /^```sh/ { inside = 1; next }
  inside && /^```/ { exit } inside' "$root/README.md" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')

shorten() {
  local line=$1
  case $line in
    *"cdbn pretrain"*"--resume"*) ;;
    *"cdbn pretrain"*)
      line+=" --set training.batches_per_epoch=2 --set layers.0.epochs=1 --set layers.1.epochs=1" ;;
  esac
  case $line in
    *"classify --train"*) line+=" --c 1" ;;
    *"train-cnn"*) line+=" --epochs 1 --train-limit 500" ;;
    *"classify --classifier cnn"*) line+=" --test-rows 0:500" ;;
    *"cdbn bench"*) line+=" --only W1 --seconds 0.3" ;;
    *"Experiments/timit/"*".sh"*) line+=" --quick" ;;
    *"Experiments/objects/"*".sh"*) line+=" --quick --caltech Data/caltech101-sample" ;;
  esac
  case $line in mpirun*) line="mpirun $mpi_flags --oversubscribe ${line#mpirun }" ;; esac
  echo "$line"
}

failed=0
ran=0
cd "$work"
while IFS= read -r raw; do
  line=$(echo "$raw" | sed -e 's/[[:space:]]*#.*$//' -e 's/[[:space:]]*$//')
  case $line in "" | "swift build"*) continue ;; esac
  if [[ $line == *"--data TIMIT"* ]]; then
    echo "skipped (needs the LDC TIMIT corpus): $line"
    continue
  fi
  run=$(shorten "$line")
  start=$(date +%s%N)
  if output=$(bash -c "$run" 2>&1 </dev/null); then
    tenths=$((($(date +%s%N) - start) / 100000000))
    printf 'ok %4d.%d s  %s\n' $((tenths / 10)) $((tenths % 10)) "$line"
  else
    printf 'FAILED      %s\n  ran: %s\n%s\n' "$line" "$run" "$(echo "$output" | tail -5 | sed 's/^/  | /')"
    failed=$((failed + 1))
  fi
  ran=$((ran + 1))
done <<<"$commands"
echo "readme-check: $ran commands, $failed failed"
[ $failed = 0 ]
