# Helpers the experiment scripts (Experiments/mnist, Experiments/timit) source: the step timer and the error read from `cdbn classify` output.
# Needs $timings (a file) to be set before `timed` is called.
timed() {  # timed LABEL COMMAND...: runs it, logs its wall time
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "$label|$((SECONDS - start))" >>"$timings"
}
error_of() { sed -n 's/^error \([0-9.]*\)%.*/\1/p' | head -1; }
# The rows of the timings table.
timings_rows() {
  echo "| step | seconds |"
  echo "|---|---:|"
  awk -F'|' '{ printf "| %s | %s |\n", $1, $2 }' "$timings"
}
# The timings table of a results file.
timings_table() {
  echo "## Wall time of each step"
  echo
  timings_rows
}
