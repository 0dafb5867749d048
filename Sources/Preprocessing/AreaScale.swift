import Imaging

extension Preprocessor {
    /// The output size of step 5 for a `width` x `height` crop: longer side 20, aspect kept,
    /// each side rounded half up and clamped to 1...20.
    public static func scaledSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let s = Float(boxSide) / Float(max(width, height))
        let fit = { (side: Int) -> Int in
            min(boxSide, max(1, Int((Float(side) * s + 0.5).rounded(.down))))
        }
        return (fit(width), fit(height))
    }

    /// Step 5: scale so the longer side is 20 px, aspect ratio preserved.
    public static func scaleToBox(_ image: GreyImage) -> GreyImage {
        let size = scaledSize(width: image.width, height: image.height)
        return areaResample(image, width: size.width, height: size.height)
    }

    /// One row of a resampling matrix: source pixels `first...` with their weights.
    struct AxisTap {
        var first: Int
        var weights: [Float]
    }

    /// Exact area averaging along one axis: target pixel j covers `[j·n/m, (j+1)·n/m)` of the
    /// source, and takes the coverage-weighted mean of the source pixels it overlaps.
    static func axisTaps(source n: Int, target m: Int) -> [AxisTap] {
        let step = Double(n) / Double(m)
        return (0..<m).map { j in
            let lo = Double(j) * step, hi = Double(j + 1) * step
            let first = Int(lo.rounded(.down))
            let last = min(n - 1, Int(hi.rounded(.up)) - 1)
            let weights = (first...max(first, last)).map { i in
                Float((min(hi, Double(i + 1)) - max(lo, Double(i))) / step)
            }
            return AxisTap(first: first, weights: weights)
        }
    }

    /// Separable box-filter resampling to `width` x `height` (up or down): rows, then columns.
    public static func areaResample(_ image: GreyImage, width: Int, height: Int) -> GreyImage {
        let xTaps = axisTaps(source: image.width, target: width)
        let yTaps = axisTaps(source: image.height, target: height)
        // Horizontal pass: every source row to `width` samples.
        var rows = [Float](repeating: 0, count: image.height * width)
        image.pixels.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { rows in
                for y in 0..<image.height {
                    let input = y * image.width
                    for (j, tap) in xTaps.enumerated() {
                        var sum: Float = 0
                        for (k, weight) in tap.weights.enumerated() { sum += weight * source[input + tap.first + k] }
                        rows[y * width + j] = sum
                    }
                }
            }
        }
        // Vertical pass.
        var output = [Float](repeating: 0, count: width * height)
        for (i, tap) in yTaps.enumerated() {
            for (k, weight) in tap.weights.enumerated() {
                let input = (tap.first + k) * width
                for x in 0..<width { output[i * width + x] += weight * rows[input + x] }
            }
        }
        // A weighted mean never exceeds the largest source value, but the Float weights of a tap
        // can sum to a hair over 1: solid ink came out as 1.0000001, outside the [0, 1] that
        // step 5's output is documented to keep.
        let ceiling = image.pixels.isEmpty ? 0 : image.pixels.withUnsafeBufferPointer(maximum)
        for index in output.indices where output[index] > ceiling { output[index] = ceiling }
        return GreyImage(width: width, height: height, pixels: output)
    }
}
