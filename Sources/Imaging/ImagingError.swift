/// Everything that can go wrong between client bytes (or strokes) and a 28x28 glyph.
///
/// One enum for decoding, rasterising, preprocessing and segmentation, so the whole path can
/// use typed throws. Suggested HTTP mapping (the service owns it): `unsupportedFormat` 415 or
/// 400, `corrupt` 400, `tooLarge` 413, `empty` / `tooManyGlyphs` 422, the stroke limits 400.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes start with neither the PNG nor the JPEG signature, or the JPEG uses a colour
    /// space we do not convert (CMYK).
    case unsupportedFormat(String)
    /// The named library rejected the data (truncated, corrupt, bad checksum, …).
    case corrupt(library: String, message: String)
    /// The header declares more pixels than `limits` allow; nothing was allocated.
    case tooLarge(width: Int, height: Int, limits: DecodeLimits)
    /// No ink: a blank page, or contrast below the preprocessing threshold.
    case empty
    case tooManyStrokes(count: Int, limit: Int)
    case tooManyPoints(count: Int, limit: Int)
    /// A coordinate is NaN or infinite (stroke and point indices are zero-based).
    case nonFiniteCoordinate(stroke: Int, point: Int)
    case tooManyGlyphs(count: Int, limit: Int)

    public var description: String {
        switch self {
        case .unsupportedFormat(let detail):
            return "unsupported image format: \(detail)"
        case .corrupt(let library, let message):
            return "the image data is corrupt or truncated (\(library): \(message))"
        case .tooLarge(let width, let height, let limits):
            return "the image is too large: \(width)x\(height) pixels, the limit is "
                + "\(limits.maxWidth)x\(limits.maxHeight) and \(limits.maxPixels) pixels in total"
        case .empty:
            return "no ink found: the image is blank or has too little contrast"
        case .tooManyStrokes(let count, let limit):
            return "too many strokes: \(count), at most \(limit) are accepted"
        case .tooManyPoints(let count, let limit):
            return "too many points: \(count) in total, at most \(limit) are accepted"
        case .nonFiniteCoordinate(let stroke, let point):
            return "stroke \(stroke), point \(point) has a coordinate that is not a finite number"
        case .tooManyGlyphs(let count, let limit):
            return "too many glyphs: found \(count), at most \(limit) are recognised at once"
        }
    }
}
