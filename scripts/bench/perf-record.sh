#!/usr/bin/env bash
# Runs a command (the benchmarks) under a machine-wide Linux `perf record`, the services it starts
# writing /tmp/perf-<pid>.map (BENCH_PERF_MAP=1) so their JavaScript has names, then prints
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
# 499 Hz on every CPU, with call graphs: about 1,000 samples a second on two cores.
BENCH_PERF_MAP=1 perf record --all-cpus --call-graph fp --freq 499 --event cpu-clock \
  --output "$out/perf.data" -- "$@"
perf script --input "$out/perf.data" --fields pid,tid,comm,ip,sym,dso > "$out/perf.txt" 2> /dev/null
node "$(dirname "$0")/../../dist/bench/perf-report.js" "$out/perf.txt"
