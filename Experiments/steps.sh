# Helpers the experiment scripts (Experiments/mnist, timit, objects) source: the step timer, the error read from `cdbn classify` output, mean ± std over draws and the results-file section writer.
# Needs $timings (a file) to be set before `timed` is called.
timed() {  # timed LABEL COMMAND...: runs it, logs its wall time
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "$label|$((SECONDS - start))" >>"$timings"
}
# error_of, accuracy_of: the test error and accuracy (%) that `cdbn classify` prints.
error_of() { sed -n 's/^error \([0-9.]*\)%.*/\1/p' | head -1; }
accuracy_of() { sed -n 's/^error [^,]*, accuracy \([0-9.]*\)%.*/\1/p' | head -1; }
# The rows of the timings table.
timings_rows() {
  echo "| step | seconds |"
  echo "|---|---:|"
  awk -F'|' '{ printf "| %s | %s |\n", $1, $2 }' "$timings"
}
# wall_times: a section's "Wall time:" table, each timed step and the whole script (since $started).
wall_times() {
  echo "Wall time:"
  echo
  timings_rows
  echo "| **whole script** | **$((SECONDS - started))** |"
}
# The timings table of a results file.
timings_table() {
  echo "## Wall time of each step"
  echo
  timings_rows
}

# stats FILE METHOD SIZE: mean ± sample std of the values of lines METHOD|SIZE|VALUE in FILE.
stats() {
  awk -F'|' -v m="$2" -v s="$3" '$1 == m && $2 == s { x[n++] = $3 }
    END { if (n == 0) { print "-"; exit }
          for (i = 0; i < n; i++) sum += x[i]; mean = sum / n
          for (i = 0; i < n; i++) ss += (x[i] - mean) ^ 2
          if (n > 1) printf "%.1f ± %.1f", mean, sqrt(ss / (n - 1)); else printf "%.1f", mean }' "$1"
}

# publish KEY FILE HEADER: replaces the part of $results between <!-- KEY --> and <!-- /KEY -->
# with FILE (appends it when the markers are not there yet), leaving other sections as they are;
# a new $results starts with HEADER.
publish() {
  local key=$1 section=$2 header=$3 tmp
  if [ ! -f "$results" ]; then printf '%s\n' "$header" >"$results"; fi
  tmp=$(mktemp)
  if grep -q "^<!-- $key -->\$" "$results"; then
    awk -v key="$key" -v section="$section" '
      $0 == "<!-- " key " -->" { print; while ((getline line < section) > 0) print line; skip = 1; next }
      $0 == "<!-- /" key " -->" { skip = 0 }
      !skip { print }' "$results" >"$tmp"
  else
    { cat "$results"; echo; echo "<!-- $key -->"; cat "$section"; echo "<!-- /$key -->"; } >"$tmp"
  fi
  mv "$tmp" "$results"
  echo "wrote the $key section of $results"
}

# powers_of_two LOW HIGH: 2^LOW,…,2^HIGH as a comma-separated list (for classify --c-values).
powers_of_two() { awk -v lo="$1" -v hi="$2" 'BEGIN { for (e = lo; e <= hi; e++) printf "%s%.10g", (e > lo ? "," : ""), 2 ^ e }'; }

# quoted_arguments ARG...: the arguments as a command line would show them, each after a space, the ones
# with spaces in double quotes (for a results file's "Made by" line).
quoted_arguments() {
  local a
  for a in "$@"; do
    case $a in *" "*) printf ' "%s"' "$a" ;; *) printf ' %s' "$a" ;; esac
  done
}

# absolute PATH: PATH made absolute against $caller (the folder the script was started from).
absolute() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }

# The ten Caltech-101 categories shared beside the repository (the objects scripts' default data).
shared_caltech=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/data/caltech101-10/101_ObjectCategories

# use_cdbn: $CDBN made absolute (against $caller, the folder the script was started from), or, when
# unset, the release build's executable, built first (make release).
use_cdbn() {
  if [ -z "${CDBN:-}" ]; then
    make release >/dev/null
    CDBN=.build/release/cdbn
  else
    case $CDBN in /*) ;; *) CDBN=$caller/$CDBN ;; esac
  fi
}

# cdbn ARGS...: $CDBN (see use_cdbn) with its progress and log lines (stderr) shown only when it fails.
cdbn() {
  local log status=0
  log=$(mktemp)
  "$CDBN" "$@" 2>"$log" || status=$?
  if [ $status != 0 ]; then
    echo "cdbn $* failed:" >&2
    cat "$log" >&2
  fi
  rm -f "$log"
  return $status
}

# accuracy_table FIRST-HEADER: a Markdown table of the lines METHOD|SIZE|VALUE in $accuracies, a row per
# size in $sizes, a column per representation in $representations (headed by the array $names).
accuracy_table() {
  local header="| $1" rule="|---:" n r row name
  for name in "${names[@]}"; do
    header="$header | $name"
    rule="$rule|---:"
  done
  echo "$header |"
  echo "$rule|"
  for n in $sizes; do
    row="| $n"
    for r in $representations; do row="$row | $(stats "$accuracies" "$r" "$n")"; done
    echo "$row |"
  done
}
