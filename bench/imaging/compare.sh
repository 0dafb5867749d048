#!/usr/bin/env bash
# Decode + preprocess: the Swift pipeline (ocr-bench imaging) against a Pillow + numpy peer
# decoding with Pillow and running the numpy oracle of the recipe on the same generated files,
# in one run. Prints both and the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-2000}
photo_runs=${PHOTO_RUNS:-200}
out=bench/out/imaging
mkdir -p "$out"

swift build -c release --product ocr-bench >/dev/null
bench=.build/release/ocr-bench
"$bench" imaging --write-inputs "$out"
"$bench" imaging --runs "$runs" --photo-runs "$photo_runs" | tee "$out/swift.txt"
python3 bench/imaging/peer.py "$out" --runs "$runs" --photo-runs "$photo_runs" | tee "$out/peer.txt"

median() { grep -F "$2" "$1" | grep -F decode+preprocess | sed -E 's/.*median ([0-9.]+) ms.*/\1/' | head -1; }
for input in "canvas PNG" "photo JPEG"; do
    swift=$(median "$out/swift.txt" "$input")
    peer=$(median "$out/peer.txt" "$input")
    awk -v name="$input" -v s="$swift" -v p="$peer" \
        'BEGIN { printf "%s decode+preprocess: swift %.4f ms, peer %.4f ms, peer/swift = %.2fx\n", name, s, p, p / s }'
done
