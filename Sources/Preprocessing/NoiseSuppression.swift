import Imaging

extension Preprocessor {
    /// Ink must rise at least this far above the background, or the input counts as empty.
    public static let minimumContrast: Float = 0.1
    /// Fraction of the ink contrast below which everything is background.
    public static let noiseFloor: Float = 0.15

    /// Step 3: everything below `low = background + 0.15 · (peak − background)` becomes 0,
    /// the rest is stretched so the peak reaches 1. Throws `empty` on too little contrast.
    public static func suppressNoise(_ image: GreyImage, background: Float) throws(ImagingError) -> GreyImage {
        let peak = image.pixels.max() ?? 0
        if !(peak - background >= minimumContrast) { throw .empty }
        let low = background + noiseFloor * (peak - background)
        let range = peak - low
        let pixels = image.pixels.map { min(max(($0 - low) / range, 0), 1) }
        return GreyImage(width: image.width, height: image.height, pixels: pixels)
    }
}
