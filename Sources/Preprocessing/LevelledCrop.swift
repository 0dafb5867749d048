import Imaging

extension Preprocessor {
    /// Steps 3–4 fused, like `inkCrop`, on the levelled image of step 2b, which is read a row at
    /// a time into one scratch row and never stored whole.
    ///
    /// Two passes. The first keeps each row's and each column's largest levelled value; the
    /// peak is the largest of them. A row (or column) holds ink exactly when the step-3
    /// quotient `(v − low) / (peak − low)` of its largest value is above 0, because that
    /// quotient never decreases as `v` grows (each rounded operation is monotonic), so the ink
    /// box needs no second look at the image. The second pass computes the box's rows, with
    /// the operations `levelPaper` and `suppressNoise` use.
    static func levelledInkCrop(_ grey: GreyImage, _ levelling: Levelling) -> (image: GreyImage, box: PixelBox)? {
        let background = levelling.background, spread = levelling.spread
        let width = grey.width, height = grey.height
        var scratch = [Float](repeating: 0, count: width)
        var columnPeaks = [Float](repeating: -.infinity, count: width)
        var rowPeaks = [Float](repeating: -.infinity, count: height)
        return grey.pixels.withUnsafeBufferPointer { pixels -> (GreyImage, PixelBox)? in
            scratch.withUnsafeMutableBufferPointer { rowBuffer -> (GreyImage, PixelBox)? in
                guard let source = pixels.baseAddress, let row = rowBuffer.baseAddress else { return nil }
                columnPeaks.withUnsafeMutableBufferPointer { columns in
                    for y in 0..<height {
                        levelling.readRow(y, of: source, width: width, into: row)
                        rowPeaks[y] = maximum(UnsafeBufferPointer(rowBuffer))
                        raise(columns, toAtLeast: UnsafeBufferPointer(rowBuffer))
                    }
                }
                let peak = rowPeaks.max() ?? -.infinity
                if !(peak - background >= minimumContrast) { return nil }
                let low = inkThreshold(background: background, peak: peak, spread: spread)
                let range = peak - low
                let isInk = { (v: Float) in (v - low) / range > 0 }
                guard let minY = rowPeaks.firstIndex(where: isInk), let maxY = rowPeaks.lastIndex(where: isInk),
                    let minX = columnPeaks.firstIndex(where: isInk), let maxX = columnPeaks.lastIndex(where: isInk)
                else { return nil }
                let box = PixelBox(minX: minX, minY: minY, maxX: maxX + 1, maxY: maxY + 1)
                let values = [Float](unsafeUninitializedCapacity: box.width * box.height) { out, initialized in
                    for y in box.minY..<box.maxY {
                        levelling.readRow(y, of: source, width: width, into: row)
                        let target = (y - box.minY) * box.width
                        for x in 0..<box.width {
                            let v = (row[box.minX + x] - low) / range
                            out[target + x] = v < 0 ? 0 : (v > 1 ? 1 : v)
                        }
                    }
                    initialized = box.width * box.height
                }
                return (GreyImage(width: box.width, height: box.height, pixels: values), box)
            }
        }
    }

    /// `peaks[i] = max(peaks[i], values[i])`, eight lanes at a time (max is exact, so this is
    /// the sequential answer).
    private static func raise(
        _ peaks: UnsafeMutableBufferPointer<Float>, toAtLeast values: UnsafeBufferPointer<Float>
    ) {
        guard let target = peaks.baseAddress, let source = values.baseAddress else { return }
        let count = min(peaks.count, values.count), whole = count / 8 * 8
        var i = 0
        while i < whole {
            var lanes = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
            let chunk = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes.replace(with: chunk, where: chunk .> lanes)
            UnsafeMutableRawPointer(target + i).storeBytes(of: lanes, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            if source[i] > target[i] { target[i] = source[i] }
            i += 1
        }
    }
}
