#!/usr/bin/env bash
# Runs a command (the benchmarks) under a machine-wide Linux `perf record`, the services it starts
# writing jitdumps (BENCH_PERF_JIT_DIR) that `perf inject --jit` turns into names for their
# JavaScript and V8's built-ins, then prints
# bench/perf-report.ts's tables of where every process's CPU went (docs/profiles.md, "On-CPU with perf").
# perf.data and its perf script text stay in bench/profiles/ (not committed).
set -euo pipefail
if [[ $# -eq 0 ]]; then
  echo "perf-record: a command to run is required (usage: perf-record.sh <command> [args...])" >&2
  exit 2
fi
if ! command -v perf > /dev/null; then
  echo "perf-record: perf is not installed (Debian: apt-get install linux-perf)" >&2
  exit 1
fi
out="$(cd "$(dirname "$0")/../.." && pwd)/bench/profiles"
mkdir -p "$out"
jit="$out/jit"
rm -rf "$jit" && mkdir -p "$jit"
# 499 Hz on every CPU, with call graphs: about 1,000 samples a second on two cores. The monotonic
# clock (-k mono) is the one V8 stamps its jitdump with, so inject can tell which code held an address.
BENCH_PERF_JIT_DIR="$jit" perf record --all-cpus --call-graph fp --freq 499 --event cpu-clock -k mono \
  --output "$out/perf.data" -- "$@"
perf inject --jit --input "$out/perf.data" --output "$out/perf.jit.data"
perf script --input "$out/perf.jit.data" --fields pid,tid,comm,ip,sym,dso > "$out/perf.txt" 2> /dev/null
# The code images inject wrote (thousands of small files) only served perf script: perf.txt has the names.
rm -rf "$jit" "$out/perf.jit.data"
node "$(dirname "$0")/../../dist/bench/perf-report.js" "$out/perf.txt"
