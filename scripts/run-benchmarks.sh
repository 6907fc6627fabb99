#!/usr/bin/env bash
# Runs every Google Benchmark binary in a build's bin folder, printing the console table and
# keeping JSON beside it (build/bench-results/) for docs/BENCHMARKS.md.
set -euo pipefail
bin_dir=${1:-build/release/bin}
results_dir="$(dirname "$bin_dir")/bench-results"
mkdir -p "$results_dir"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores" >&2
for bench in "$bin_dir"/*_bench; do
  [[ -x "$bench" ]] || continue
  name=$(basename "$bench")
  echo "== $name" >&2
  "$bench" --benchmark_out="$results_dir/$name.json" --benchmark_out_format=json \
    ${BENCHMARK_ARGS:-}
done
