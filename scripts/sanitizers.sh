#!/usr/bin/env bash
# Runs the whole Swift test suite under ThreadSanitizer and AddressSanitizer (with
# LeakSanitizer), each in its own build folder so the normal .build stays as it is.
#
#   scripts/sanitizers.sh            both, thread first
#   scripts/sanitizers.sh address    one of them
#
# Each sanitizer needs its own instrumented build of every module (several minutes on two
# cores), which is why this is a script of its own and not part of .ci/run. Exits non-zero
# if a test fails or a sanitizer reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."

kinds=("$@")
if ((${#kinds[@]} == 0)); then kinds=(thread address); fi
# Reports name the function and line; a sanitizer error must fail the run, not just print.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp print_suppressions=1 ${LSAN_OPTIONS:-}"
# The Swift runtime's backtracer reads the stack in ways the sanitizers flag as their own
# errors; a crash must be reported by the sanitizer, not by the backtracer.
export SWIFT_BACKTRACE=enable=no

for kind in "${kinds[@]}"; do
    case "$kind" in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
        *) echo "unknown sanitizer '$kind' (thread or address)" >&2; exit 2 ;;
    esac
    echo "=== swift test --sanitize=$kind"
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
    # One test at a time: instrumented code runs several times slower, and the CPU-heavy engine
    # tests would otherwise hold both threads of Swift's cooperative pool for longer than the
    # socket tests' 10 s client timeouts, while those tests' server handlers wait for a thread.
    swift test --skip-build --no-parallel --sanitize="$kind" --scratch-path "$scratch"
done
