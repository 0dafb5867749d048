#!/usr/bin/env bash
# Builds the fuzz package (fuzz/) with libFuzzer + AddressSanitizer and runs one target.
#
#   scripts/fuzz.sh TARGET SECONDS     e.g. scripts/fuzz.sh FuzzPNG 600
#
# FUZZ_CONFIG=debug builds without optimisation (slower, easier to debug a crash); the default,
# release, is -O: bounds and overflow checks stay on, and the targets run several times faster.
# FUZZ_RUNS=N stops after N executions if that comes before SECONDS.
#
# The committed seeds in fuzz/corpus/TARGET are copied into fuzz/corpus-work/TARGET (git-ignored)
# so a run grows its own corpus without touching the committed one. Crash inputs go to a fresh
# temporary directory, printed at the end. Exits non-zero if libFuzzer found a crash.
set -euo pipefail

target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

# One scratch path for all targets: the package is built once, then each binary is reused.
scratch="$root/fuzz/.build-fuzz"
config=${FUZZ_CONFIG:-release}
runs=${FUZZ_RUNS:--1}
nice -n 10 swift build -c "$config" --scratch-path "$scratch" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
binary="$scratch/$config/$target"

work="$root/fuzz/corpus-work/$target"
mkdir -p "$work"
if [ -d "$root/fuzz/corpus/$target" ]; then cp -n "$root/fuzz/corpus/$target"/* "$work"/ 2>/dev/null || true; fi
artifacts=$(mktemp -d -t "fuzz-$target.XXXXXX")
log="$artifacts/fuzz.log"

set +e
# Let a Swift trap reach libFuzzer as a plain signal; the runtime backtracer reads the
# stack in a way AddressSanitizer reports as an underflow of its own, and can hang the run.
export SWIFT_BACKTRACE=enable=no
nice -n 10 "$binary" "$work" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" 2>&1 | tee "$log" | grep -v -E "^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|# Uses: "
status=${PIPESTATUS[0]}
set -e

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
echo "target=$target seconds=$seconds executions=${executions:-?} exec_per_sec=${rate:-?}" \
    "corpus_files=$(find "$work" -type f | wc -l) exit=$status"
echo "crash inputs and log: $artifacts"
ls "$artifacts" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || echo "no crash inputs"
exit "$status"
