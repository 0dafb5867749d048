import Imaging

extension Preprocessor {
    /// Steps 2–6 on a grey image: the 28x28 un-normalized input and the ink's box in the
    /// image's coordinates. Throws `empty` when there is no ink.
    public static func prepare(_ grey: GreyImage) throws(ImagingError) -> (input: GreyImage, inkBox: PixelBox) {
        guard let (cropped, box) = cleanCrop(grey) else { throw .empty }
        return (centre(scaleToBox(cropped)), box)
    }

    /// Steps 2–4 (`normalizePolarity`, `levelPaper`, `suppressNoise`, `cropToInk`) fused: the
    /// same values from two passes over the image and no full-size intermediate. Nil when there
    /// is no ink.
    static func cleanCrop(_ grey: GreyImage) -> (image: GreyImage, box: PixelBox)? {
        let border = sortedBorder(grey)
        let invert = median(ofSorted: border) > 0.5
        let oriented = invert ? border.reversed().map { 1 - $0 } : border
        let background = median(ofSorted: oriented)
        let spread = spread(of: oriented, around: background)
        // Only photos and scans of unevenly lit pages take the levelled path.
        if let levelling = levelling(grey, invert: invert, spread: spread) {
            return levelledInkCrop(grey, levelling)
        }
        return inkCrop(grey, invert: invert, background: background, spread: spread)
    }

    /// Steps 3–4 on `grey`, read as `1 − x` when `invert`; `background` and `spread` are its
    /// frame's, as read.
    ///
    /// Why it equals the steps one by one: `1 − x` rounds monotonically, so the peak of the
    /// inverted image is `1 − min` of the original; a pixel is ink (non-zero after step 3)
    /// exactly when its step-3 quotient `(x − low) / (peak − low)` is above 0, which is what the
    /// bounds pass evaluates, lane by lane, with the very same operations; and only the pixels
    /// inside the box are then computed, again with the same operations as `suppressNoise`.
    private static func inkCrop(
        _ grey: GreyImage, invert: Bool, background: Float, spread: Float
    ) -> (image: GreyImage, box: PixelBox)? {
        let width = grey.width, height = grey.height
        return grey.pixels.withUnsafeBufferPointer { pixels -> (GreyImage, PixelBox)? in
            let peak = invert ? 1 - minimum(pixels) : maximum(pixels)
            if !(peak - background >= minimumContrast) { return nil }
            let low = inkThreshold(background: background, peak: peak, spread: spread)
            let range = peak - low
            guard let base = pixels.baseAddress else { return nil }
            guard let box = inkBox(base, width: width, height: height, invert: invert, low: low, range: range)
            else { return nil }
            let count = box.width * box.height
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                guard let target = out.baseAddress else { return }
                for y in box.minY..<box.maxY {
                    let source = base + y * width + box.minX
                    let row = target + (y - box.minY) * box.width
                    // Two plain loops (the branch hoisted) so that both vectorize.
                    if invert {
                        for x in 0..<box.width {
                            let v = ((1 - source[x]) - low) / range
                            row[x] = v < 0 ? 0 : (v > 1 ? 1 : v)
                        }
                    } else {
                        for x in 0..<box.width {
                            let v = (source[x] - low) / range
                            row[x] = v < 0 ? 0 : (v > 1 ? 1 : v)
                        }
                    }
                }
                initialized = count
            }
            return (GreyImage(width: box.width, height: box.height, pixels: values), box)
        }
    }

    /// The bounding box of the pixels whose step-3 quotient is above 0: per column, whether any
    /// row had ink there; per row, how many pixels did. Integer flags, so the loops vectorize.
    private static func inkBox(
        _ pixels: UnsafePointer<Float>, width: Int, height: Int, invert: Bool, low: Float, range: Float
    ) -> PixelBox? {
        var columns = [Int32](repeating: 0, count: width)
        var minY = Int.max, maxY = -1
        columns.withUnsafeMutableBufferPointer { columns in
            guard let flags = columns.baseAddress else { return }
            for y in 0..<height {
                let row = pixels + y * width
                var inked: Int32 = 0
                if invert {
                    for x in 0..<width {
                        let ink: Int32 = ((1 - row[x]) - low) / range > 0 ? 1 : 0
                        flags[x] |= ink
                        inked |= ink
                    }
                } else {
                    for x in 0..<width {
                        let ink: Int32 = (row[x] - low) / range > 0 ? 1 : 0
                        flags[x] |= ink
                        inked |= ink
                    }
                }
                if inked != 0 {
                    minY = min(minY, y)
                    maxY = y
                }
            }
        }
        guard maxY >= 0, let minX = columns.firstIndex(where: { $0 != 0 }),
            let maxX = columns.lastIndex(where: { $0 != 0 })
        else { return nil }
        return PixelBox(minX: minX, minY: minY, maxX: maxX + 1, maxY: maxY + 1)
    }

    // MARK: - Steps 3-4 on a levelled page (step 2b applied)

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
