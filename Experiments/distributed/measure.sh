#!/usr/bin/env bash
# Wall time per epoch of pretraining under mpirun against one process, and `features` sharded over
# ranks against one process (docs/distributed.md). Run from the repository root after
# `swift build -c release`; writes runs/distributed/ and prints Markdown tables.
#   Experiments/distributed/measure.sh [EPOCHS]   (default 3 epochs of each layer)
set -euo pipefail
cd "$(dirname "$0")/../.."
CDBN=${CDBN:-.build/release/cdbn}
EPOCHS=${1:-3}
OUT=runs/distributed
mkdir -p "$OUT"
MPI=(mpirun --oversubscribe -np 2)
[ "$(id -u)" = 0 ] && MPI=(mpirun --allow-run-as-root --oversubscribe -np 2)

# The default natural-image run (layer 1 is W2-sized) and the TIMIT sample run, with fewer epochs.
"$CDBN" pretrain --help >/dev/null
python3 - "$EPOCHS" "$OUT" <<'PY'
import re, sys
epochs, out = sys.argv[1], sys.argv[2]
timit = open("Experiments/timit/sample.yaml").read()
open(f"{out}/timit.yaml", "w").write(re.sub(r"epochs: \d+", f"epochs: {epochs}", timit))
PY
sed -n '/"""$/,/"""$/p' Sources/CDBNPipeline/Config/PretrainingConfig.swift | sed '1d;$d' \
  | sed -e 's/^    //' -e 's#\\(dataPath)#Data/natural-images#' -e "s/epochs: [0-9]*/epochs: $EPOCHS/" \
  > "$OUT/natural.yaml"

seconds() { # mean seconds per epoch of each layer, from the checkpoint's history
  /usr/bin/python3 -c "
import h5py, sys
f = h5py.File(sys.argv[1])
print(' / '.join('%.2f' % f['history'][k]['seconds'][()].mean() for k in sorted(f['history'], key=int)))" "$1"
}
same() {
  /usr/bin/python3 - "$@" <<'PY'
import h5py, numpy as np, sys
def datasets(p):
    out = {}
    h5py.File(p).visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) and not n.endswith("seconds") else None)
    return out
a = datasets(sys.argv[1])
print("yes" if all(all(np.array_equal(a[k], b.get(k)) for k in a) and a.keys() == b.keys() for b in map(datasets, sys.argv[2:])) else "NO")
PY
}

echo "| run | 1 process, 1 thread | 1 process, 2 threads | mpirun -np 2, 1 thread each | speed-up of -np 2 over 1 thread | weights == |"
echo "|---|---:|---:|---:|---:|---|"
for run in natural timit; do
  cfg="$OUT/$run.yaml"
  rm -f "$OUT/$run"-*.h5
  "$CDBN" pretrain "$cfg" --out "$OUT/$run-t1.h5" --threads 1 --quiet
  "$CDBN" pretrain "$cfg" --out "$OUT/$run-t2.h5" --threads 2 --quiet
  "${MPI[@]}" "$CDBN" pretrain "$cfg" --out "$OUT/$run-np2.h5" --threads 1 --quiet
  t1=$(seconds "$OUT/$run-t1.h5"); t2=$(seconds "$OUT/$run-t2.h5"); n2=$(seconds "$OUT/$run-np2.h5")
  speedup=$(/usr/bin/python3 -c "
a=[float(x) for x in '$t1'.split(' / ')]; b=[float(x) for x in '$n2'.split(' / ')]
print(' / '.join('%.2f×' % (x / y) for x, y in zip(a, b)))")
  echo "| $run (s per epoch, layer 1 / layer 2) | $t1 | $t2 | $n2 | $speedup | $(same "$OUT/$run-t1.h5" "$OUT/$run-t2.h5" "$OUT/$run-np2.h5") |"
done

echo
echo "| features of the 10,000 MNIST test digits, layers 1,2 of $OUT/mnist.h5 | wall s | datasets cmp-identical to 1 process |"
echo "|---|---:|---|"
sed -e "s/epochs: [0-9]*/epochs: 1/" -e "s/batch_size: 100/batch_size: 100\n  batches_per_epoch: 20/" Experiments/mnist/crbm-2layer.yaml > "$OUT/mnist.yaml"
rm -f "$OUT/mnist.h5" "$OUT"/features-*.h5
"$CDBN" pretrain "$OUT/mnist.yaml" --out "$OUT/mnist.h5" --quiet
for mode in t1 t2 np2; do
  args=(features --model "$OUT/mnist.h5" --layer 1,2 --data Data/mnist/t10k-images-idx3-ubyte.gz --out "$OUT/features-$mode.h5")
  start=$(date +%s.%N)
  case $mode in
    t1) "$CDBN" "${args[@]}" --threads 1 2>/dev/null ;;
    t2) "$CDBN" "${args[@]}" --threads 2 2>/dev/null ;;
    np2) "${MPI[@]}" "$CDBN" "${args[@]}" --threads 1 2>/dev/null ;;
  esac
  wall=$(/usr/bin/python3 -c "print('%.1f' % ($(date +%s.%N) - $start))")
  echo "| $mode | $wall | $(same "$OUT/features-t1.h5" "$OUT/features-$mode.h5") |"
done
