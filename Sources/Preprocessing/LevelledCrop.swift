import Imaging

extension Preprocessor {
    /// Steps 3–4 fused, like `inkCrop`, on the levelled image of step 2b, which is read a row at
    /// a time into one scratch row and never stored whole: three passes (peak, ink box, the
    /// box's values), each computing the levelled row with the operations `levelPaper` uses.
    static func levelledInkCrop(_ grey: GreyImage, _ levelling: Levelling) -> (image: GreyImage, box: PixelBox)? {
        let background = median(ofSorted: levelling.border)
        let spread = spread(of: levelling.border, around: background)
        let width = grey.width, height = grey.height
        var scratch = [Float](repeating: 0, count: width)
        return grey.pixels.withUnsafeBufferPointer { pixels -> (GreyImage, PixelBox)? in
            scratch.withUnsafeMutableBufferPointer { rowBuffer -> (GreyImage, PixelBox)? in
                guard let source = pixels.baseAddress, let row = rowBuffer.baseAddress else { return nil }
                var peak = -Float.infinity
                for y in 0..<height {
                    levelling.readRow(y, of: source, width: width, into: row)
                    peak = max(peak, maximum(UnsafeBufferPointer(rowBuffer)))
                }
                if !(peak - background >= minimumContrast) { return nil }
                let low = inkThreshold(background: background, peak: peak, spread: spread)
                let range = peak - low
                var columns = [Int32](repeating: 0, count: width)
                var minY = Int.max, maxY = -1
                columns.withUnsafeMutableBufferPointer { flags in
                    for y in 0..<height {
                        levelling.readRow(y, of: source, width: width, into: row)
                        var inked: Int32 = 0
                        for x in 0..<width {
                            let ink: Int32 = (row[x] - low) / range > 0 ? 1 : 0
                            flags[x] |= ink
                            inked |= ink
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
}
