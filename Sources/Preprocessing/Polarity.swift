import Imaging

extension Preprocessor {
    /// The pixels of the one-pixel frame, each counted once, sorted ascending.
    static func sortedBorder(_ image: GreyImage) -> [Float] {
        let w = image.width, h = image.height
        var values: [Float] = []
        guard w > 0, h > 0 else { return values }
        values.reserveCapacity(2 * (w + h))
        for x in 0..<w { values.append(image[x, 0]) }
        if h > 1 { for x in 0..<w { values.append(image[x, h - 1]) } }
        if h > 2, w > 0 {
            for y in 1..<(h - 1) {
                values.append(image[0, y])
                if w > 1 { values.append(image[w - 1, y]) }
            }
        }
        values.sort()
        return values
    }

    static func median(ofSorted values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    /// The median of the one-pixel frame (mean of the two middle values for an even count).
    public static func borderMedian(_ image: GreyImage) -> Float {
        median(ofSorted: sortedBorder(image))
    }

    /// The median absolute deviation of frame values from `background`: how grainy the paper is.
    static func spread(of border: [Float], around background: Float) -> Float {
        median(ofSorted: border.map { abs($0 - background) }.sorted())
    }

    /// `spread` of an image's own frame around `background`.
    public static func borderSpread(_ image: GreyImage, background: Float) -> Float {
        spread(of: sortedBorder(image), around: background)
    }

    /// Step 2: if the border is light (median > 0.5) the image is dark ink on paper and is
    /// inverted, so ink is bright as in the training data. Returns the image and `background`,
    /// the border median of the result.
    public static func normalizePolarity(_ image: GreyImage) -> (image: GreyImage, background: Float) {
        let border = sortedBorder(image)
        guard median(ofSorted: border) > 0.5 else { return (image, median(ofSorted: border)) }
        let count = image.pixels.count
        let pixels = image.pixels.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count { out[i] = 1 - source[i] }
                initialized = count
            }
        }
        let inverted = GreyImage(width: image.width, height: image.height, pixels: pixels)
        // The inverted frame, still sorted: the same values the recomputation would see.
        let invertedBorder = border.reversed().map { 1 - $0 }
        return (inverted, median(ofSorted: invertedBorder))
    }
}
