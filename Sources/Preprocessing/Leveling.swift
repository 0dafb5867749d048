import Imaging

extension Preprocessor {
    /// Step 2b keeps a levelled image only if its frame's spread falls below this fraction of
    /// the spread before: on evenly lit paper the sides differ a little by chance, and
    /// a tilt that gains less than a tenth is that chance, not light.
    static let flatterBy: Float = 0.9

    /// Step 2b's plane: how the paper's shade drifts across the image, from the lower quartiles
    /// of its four sides. Zero on a uniform frame.
    struct PaperTilt {
        let gx: Float
        let gy: Float
        let centreX: Float
        let centreY: Float

        var isFlat: Bool { gx == 0 && gy == 0 }

        /// `gx · (x − (W − 1) / 2)`: the tilt's column product. Its sum with `rowTerm(y)` is the
        /// contract's `tilt(x, y)`, the same float in either order (Swift does not fuse the
        /// multiply-adds).
        @inline(__always) func columnTerm(_ x: Int) -> Float { gx * (Float(x) - centreX) }
        @inline(__always) func rowTerm(_ y: Int) -> Float { gy * (Float(y) - centreY) }
    }

    /// Step 2b, decided to apply: the plane, the polarity it is read with, and the levelled
    /// frame's median and spread. Reading the levelled image row by row (`readRow`) spares the
    /// fused pipeline a full-size copy.
    struct Levelling {
        let columnTerms: [Float]
        let tilt: PaperTilt
        let invert: Bool
        /// The levelled frame's median and spread: step 3's `background` and `spread`.
        let background: Float
        let spread: Float

        /// The whole levelled image of `image`, the image this levelling was measured on.
        func image(of image: GreyImage) -> GreyImage {
            let w = image.width, h = image.height
            let pixels = [Float](unsafeUninitializedCapacity: w * h) { out, initialized in
                image.pixels.withUnsafeBufferPointer { source in
                    guard let base = source.baseAddress, let target = out.baseAddress else { return }
                    for y in 0..<h { readRow(y, of: base, width: w, into: target + y * w) }
                }
                initialized = w * h
            }
            return GreyImage(width: w, height: h, pixels: pixels)
        }

        /// Row `y` of the levelled image (step 2's polarity applied on the way) into `out`.
        @inline(__always)
        func readRow(_ y: Int, of source: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>) {
            let rowTerm = tilt.rowTerm(y)
            let row = source + y * width
            columnTerms.withUnsafeBufferPointer { terms in
                // Two plain loops (the branch hoisted) so that both vectorize.
                if invert {
                    for x in 0..<width { out[x] = (1 - row[x]) - (terms[x] + rowTerm) }
                } else {
                    for x in 0..<width { out[x] = row[x] - (terms[x] + rowTerm) }
                }
            }
        }
    }

    /// The tilt of `image`'s paper, reading each pixel as `1 − x` when `invert` (step 2's
    /// polarity, without materializing the inverted image). Nil below 3 pixels on a side.
    static func paperTilt(_ image: GreyImage, invert: Bool) -> PaperTilt? {
        let w = image.width, h = image.height
        guard w >= 3, h >= 3 else { return nil }
        // The lower quartile: paper, with ink bright, unless ink covers three quarters of the
        // side (a tight crop's strokes run along its sides).
        func lowerQuartile(_ values: [Float]) -> Float {
            (invert ? values.map { 1 - $0 } : values).sorted()[(values.count - 1) / 4]
        }
        let top = lowerQuartile((0..<w).map { image[$0, 0] })
        let bottom = lowerQuartile((0..<w).map { image[$0, h - 1] })
        let left = lowerQuartile((0..<h).map { image[0, $0] })
        let right = lowerQuartile((0..<h).map { image[w - 1, $0] })
        return PaperTilt(
            gx: (right - left) / Float(w - 1), gy: (bottom - top) / Float(h - 1),
            centreX: Float(w - 1) / 2, centreY: Float(h - 1) / 2)
    }

    /// Step 2b's decision from the sides and the frame alone: nil when the plane is flat or
    /// would not make the frame at least a tenth flatter. `spread` is the frame's spread after
    /// step 2 (the one step 3 uses when the paper is not levelled).
    static func levelling(_ image: GreyImage, invert: Bool, spread before: Float) -> Levelling? {
        // A frame with no spread cannot get flatter (canvas exports, rendered strokes): checked
        // before the sides are sorted, so clean input pays nothing for this step.
        guard before > 0, let tilt = paperTilt(image, invert: invert), !tilt.isFlat else { return nil }
        let w = image.width, h = image.height
        let columnTerms = (0..<w).map(tilt.columnTerm)
        // The frame's levelled values, with exactly the operations of `Levelling.readRow` (the
        // fused and the step-by-step paths must agree bit for bit: FusedPipelineTests).
        func levelled(_ x: Int, _ y: Int) -> Float {
            (invert ? 1 - image[x, y] : image[x, y]) - (columnTerms[x] + tilt.rowTerm(y))
        }
        var border: [Float] = []
        border.reserveCapacity(2 * (w + h))
        for x in 0..<w { border.append(levelled(x, 0)) }
        for x in 0..<w { border.append(levelled(x, h - 1)) }
        for y in 1..<(h - 1) {
            border.append(levelled(0, y))
            border.append(levelled(w - 1, y))
        }
        border.sort()
        let background = median(ofSorted: border)
        let after = spread(of: border, around: background)
        guard after < flatterBy * before else { return nil }
        return Levelling(columnTerms: columnTerms, tilt: tilt, invert: invert, background: background, spread: after)
    }

    /// What step 2b hands step 3: the image, levelled or not, with its frame's median and spread.
    public struct Paper: Sendable {
        public let image: GreyImage
        public let background: Float
        public let spread: Float
        /// Whether a plane was subtracted; if not, `image` is step 2's image itself.
        public let isLevelled: Bool
    }

    /// Step 2b on what step 2 (`normalizePolarity`) returns: its image and background.
    public static func levelPaper(_ oriented: (image: GreyImage, background: Float)) -> Paper {
        let (image, background) = oriented
        let spread = borderSpread(image, background: background)
        guard let levelling = levelling(image, invert: false, spread: spread) else {
            return Paper(image: image, background: background, spread: spread, isLevelled: false)
        }
        let levelled = levelling.image(of: image)
        return Paper(image: levelled, background: levelling.background, spread: levelling.spread, isLevelled: true)
    }
}
