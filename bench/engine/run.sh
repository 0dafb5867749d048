#!/usr/bin/env bash
# Engine benchmark: our Swift engine vs ONNX Runtime on the same model, in one run.
#
#   bench/engine/run.sh [--model MANIFEST.json] [--kernels portable|avx2|avx512|all] [--generic]
#
# Without --model, a random-weight model of GlyphNet's shape is generated
# (PyTorch) into a temporary folder. The ONNX file is the manifest's name
# with .onnx. Both sides: one thread, batch-1 latency (median, p99) and
# batch-64 throughput. The engine is the default release build (plain
# `swift build -c release`, as the Dockerfile builds it), which picks its
# kernels from the CPU at load; --kernels forces one set (OCR_KERNELS), `all`
# times every set the CPU supports, and --generic is --kernels portable.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=""
kernels=""
iterations=${ITERATIONS:-2000}
batches=${BATCHES:-100}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --kernels) kernels="$2"; shift 2 ;;
        --generic) kernels=portable; shift ;;
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

nice -n 10 swift build -c release --product ocr-bench >&2
bench="$(swift build -c release --show-bin-path)/ocr-bench"

# A one-run probe for the FLOP count and the kernel sets this CPU supports.
"$bench" engine --model "$model" --iterations 1 --batches 1 >"$work/probe.txt"
flops=$(sed -n 's/^flops_per_glyph=//p' "$work/probe.txt")
case "$kernels" in
    all) sets=$(sed -n 's/^kernels_supported=//p' "$work/probe.txt" | tr , ' ') ;;
    "") sets=default ;;
    *) sets=$kernels ;;
esac

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
for set in $sets; do
    # Both engines back to back for each kernel set, so that they see the same machine load.
    swift_args=(engine --model "$model" --iterations "$iterations" --batches "$batches")
    [[ "$set" != default ]] && swift_args+=(--kernels "$set")
    [[ -n "$check" ]] && swift_args+=(--check "$check")
    "$bench" "${swift_args[@]}" >"$work/swift.txt"
    python3 bench/engine/ort_bench.py "$onnx" "$flops" "$iterations" 64 "$batches" >"$work/ort.txt"
    echo
    echo "engine kernels: $(sed -n 's/^kernels=//p' "$work/swift.txt") (supported: $(sed -n 's/^kernels_supported=//p' "$work/swift.txt"))"
    grep '^check_' "$work/swift.txt" || true
python3 - "$work/swift.txt" "$work/ort.txt" <<'PY'
import sys
def read(path):
    return dict(line.strip().split("=", 1) for line in open(path) if "=" in line)
s, o = read(sys.argv[1]), read(sys.argv[2])
print(f"model: {int(s['flops_per_glyph']) / 1e6:.2f} MFLOP per glyph")
if s.get("winograd") == "true":
    # GFLOP/s below divide the model's FLOP count by the time; our 3x3 convolutions run as
    # Winograd F(2x2,3x3) with fewer multiply-adds, so our figure is an effective rate.
    print("swift: 3x3 convolutions as Winograd F(2x2,3x3); its GFLOP/s are model FLOPs / time (effective)")
rows = [("batch-1 median (us)", "batch1_median_us", "lower"), ("batch-1 p99 (us)", "batch1_p99_us", "lower"),
        ("batch-1 GFLOP/s", "batch1_gflops", "higher"), ("batch-64 median (ms)", "batch64_median_ms", "lower"),
        ("batch-64 glyphs/s", "batch64_glyphs_per_s", "higher"), ("batch-64 GFLOP/s", "batch64_gflops", "higher")]
print(f"{'':24}{'swift':>12}{o['engine']:>24}{'swift/ort':>12}")
for label, key, better in rows:
    a, b = float(s[key]), float(o[key])
    print(f"{label:24}{a:12.2f}{b:24.2f}{a / b:12.3f}   ({better} is better)")
PY
done
