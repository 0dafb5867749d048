import Imaging

extension Preprocessor {
    /// Ink must rise at least this far above the background, or the input counts as empty.
    public static let minimumContrast: Float = 0.1
    /// Fraction of the ink contrast below which everything is background.
    public static let noiseFloor: Float = 0.15
    /// Border spreads (median absolute deviations of the frame) below which everything is
    /// background: 7.5 spreads are about five standard deviations of Gaussian paper noise, so
    /// a scan's grain does not leave specks that would stretch the crop over the whole page.
    public static let spreadFloor: Float = 7.5
    /// The spread rule never puts `low` past this fraction of the contrast.
    public static let maximumFloor: Float = 0.5

    /// Step 3's threshold: `background + max(0.15 · contrast, min(7.5 · spread, 0.5 · contrast))`
    /// with `contrast = peak − background`; on clean input (spread 0) the 15 % rule alone.
    @inline(__always)
    static func inkThreshold(background: Float, peak: Float, spread: Float) -> Float {
        let contrast = peak - background
        return background + max(noiseFloor * contrast, min(spreadFloor * spread, maximumFloor * contrast))
    }

    /// Step 3: everything below the ink threshold becomes 0, the rest is stretched so the peak
    /// reaches 1. Throws `empty` on too little contrast. `spread` is `borderSpread` of the image.
    public static func suppressNoise(
        _ image: GreyImage, background: Float, spread: Float
    ) throws(ImagingError) -> GreyImage {
        let count = image.pixels.count
        let pixels = image.pixels.withUnsafeBufferPointer { source -> [Float]? in
            let peak = maximum(source)
            if !(peak - background >= minimumContrast) { return nil }
            let low = inkThreshold(background: background, peak: peak, spread: spread)
            let range = peak - low
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    let v = (source[i] - low) / range
                    out[i] = v < 0 ? 0 : (v > 1 ? 1 : v)
                }
                initialized = count
            }
        }
        guard let pixels else { throw .empty }
        return GreyImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// The largest value, eight lanes at a time (max is exact in any order, so this equals
    /// the sequential answer).
    static func maximum(_ values: UnsafeBufferPointer<Float>) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        let whole = values.count / 8 * 8
        var i = 0
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i < whole {
                let chunk = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                lanes.replace(with: chunk, where: chunk .> lanes)
                i += 8
            }
        }
        var peak = lanes.max()
        while i < values.count {
            if values[i] > peak { peak = values[i] }
            i += 1
        }
        return peak
    }
}

extension Preprocessor {
    /// The smallest value, eight lanes at a time (exact in any order, like `maximum`).
    static func minimum(_ values: UnsafeBufferPointer<Float>) -> Float {
        var lanes = SIMD8<Float>(repeating: .infinity)
        let whole = values.count / 8 * 8
        var i = 0
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i < whole {
                let chunk = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                lanes.replace(with: chunk, where: chunk .< lanes)
                i += 8
            }
        }
        var least = lanes.min()
        while i < values.count {
            if values[i] < least { least = values[i] }
            i += 1
        }
        return least
    }
}

