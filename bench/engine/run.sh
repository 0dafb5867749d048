#!/usr/bin/env bash
# Engine benchmark: our Swift engine vs ONNX Runtime on the same model, in one run.
#
#   bench/engine/run.sh [--model MANIFEST.json] [--generic]
#
# Without --model, a random-weight model of GlyphNet's shape is generated
# (PyTorch) into a temporary folder. The ONNX file is the manifest's name
# with .onnx. Both sides: one thread, batch-1 latency (median, p99) and
# batch-64 throughput. By default the engine is built for the CPU features
# this machine reports (AVX-512 or AVX2 + FMA, see bench/README.md);
# --generic builds for baseline x86-64 (SSE2) for comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=""
generic=0
iterations=${ITERATIONS:-2000}
batches=${BATCHES:-100}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --generic) generic=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z "$model" ]]; then
    python3 bench/engine/make_model.py "$work/model" >/dev/null
    model="$work/model/bench.json"
    check="$work/model/check.json"
else
    check=""
fi
onnx="${model%.json}.onnx"

# Gate wide kernels on what the CPU reports; a generic build runs anywhere.
flags=()
variant="generic x86-64 (SSE2)"
if [[ $generic -eq 0 ]] && grep -qw avx512f /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo; then
    flags=(-Xswiftc -target-cpu -Xswiftc skylake-avx512 -Xswiftc -DWIDE_VECTORS -Xswiftc -DFUSED_MULTIPLY_ADD)
    variant="AVX-512 (target-cpu skylake-avx512, WIDE_VECTORS, FUSED_MULTIPLY_ADD)"
elif [[ $generic -eq 0 ]] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    flags=(-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DFUSED_MULTIPLY_ADD)
    variant="AVX2 (target-cpu haswell, FUSED_MULTIPLY_ADD)"
fi
scratch=".build-bench-$([[ ${#flags[@]} -gt 0 ]] && echo native || echo generic)"
nice -n 10 swift build -c release --product ocr-bench --scratch-path "$scratch" ${flags[@]+"${flags[@]}"} >&2

swift_args=(engine --model "$model" --iterations "$iterations" --batches "$batches")
[[ -n "$check" ]] && swift_args+=(--check "$check")
"$scratch/release/ocr-bench" "${swift_args[@]}" >"$work/swift.txt"
flops=$(sed -n 's/^flops_per_glyph=//p' "$work/swift.txt")
python3 bench/engine/ort_bench.py "$onnx" "$flops" "$iterations" 64 "$batches" >"$work/ort.txt"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "engine build: $variant"
grep '^check_' "$work/swift.txt" || true
python3 - "$work/swift.txt" "$work/ort.txt" <<'PY'
import sys
def read(path):
    return dict(line.strip().split("=", 1) for line in open(path) if "=" in line)
s, o = read(sys.argv[1]), read(sys.argv[2])
print(f"model: {int(s['flops_per_glyph']) / 1e6:.2f} MFLOP per glyph")
rows = [("batch-1 median (us)", "batch1_median_us", "lower"), ("batch-1 p99 (us)", "batch1_p99_us", "lower"),
        ("batch-1 GFLOP/s", "batch1_gflops", "higher"), ("batch-64 median (ms)", "batch64_median_ms", "lower"),
        ("batch-64 glyphs/s", "batch64_glyphs_per_s", "higher"), ("batch-64 GFLOP/s", "batch64_gflops", "higher")]
print(f"{'':24}{'swift':>12}{o['engine']:>24}{'swift/ort':>12}")
for label, key, better in rows:
    a, b = float(s[key]), float(o[key])
    print(f"{label:24}{a:12.2f}{b:24.2f}{a / b:12.3f}   ({better} is better)")
PY
