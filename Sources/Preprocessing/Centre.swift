import Imaging

extension Preprocessor {
    /// Centre of mass with pixel i centred at i + 0.5; the geometric centre if all is zero.
    /// Accumulated in Double: the offset is rounded from it, and a sum that drifts across a .5
    /// boundary would move the whole glyph by a pixel.
    public static func centreOfMass(_ image: GreyImage) -> (x: Double, y: Double) {
        var total = 0.0, sumX = 0.0, sumY = 0.0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let v = Double(image[x, y])
                total += v
                sumX += (Double(x) + 0.5) * v
                sumY += (Double(y) + 0.5) * v
            }
        }
        guard total > 0 else { return (Double(image.width) / 2, Double(image.height) / 2) }
        return (sumX / total, sumY / total)
    }

    /// Step 6: paste into a zeroed 28x28 at `round(14 − c)`, clamped so nothing is cut.
    /// The glyph must fit (at most 28 on each side; step 5 guarantees 20).
    public static func centre(_ glyph: GreyImage) -> GreyImage {
        let side = inputSide
        // Snap to 1/1024 (docs/preprocessing.md step 6): a symmetric glyph's centre lies exactly on a
        // half pixel, and without the snap summation order would decide which way the offset rounds.
        let raw = centreOfMass(glyph)
        let snap = { (c: Double) in ((c * 1024) + 0.5).rounded(.down) / 1024 }
        let mass = (x: snap(raw.x), y: snap(raw.y))
        let half = Double(side) / 2
        let ox = min(max(Int((half - mass.x + 0.5).rounded(.down)), 0), max(0, side - glyph.width))
        let oy = min(max(Int((half - mass.y + 0.5).rounded(.down)), 0), max(0, side - glyph.height))
        var output = GreyImage(width: side, height: side)
        for y in 0..<min(glyph.height, side) {
            for x in 0..<min(glyph.width, side) {
                output[ox + x, oy + y] = glyph[x, y]
            }
        }
        return output
    }
}
