/// Size limits checked against an image header before any pixel buffer is allocated.
public struct DecodeLimits: Equatable, Sendable {
    public var maxWidth: Int
    public var maxHeight: Int
    public var maxPixels: Int
    /// Working memory libjpeg may use beyond the output (progressive coefficient buffers).
    public var maxDecoderMemory: Int
    /// Progressive JPEG scans; real encoders write about ten, a scan bomb thousands.
    public var maxJPEGScans: Int

    public init(
        maxWidth: Int = 4096, maxHeight: Int = 4096, maxPixels: Int = 4096 * 4096,
        maxDecoderMemory: Int = 192 << 20, maxJPEGScans: Int = 500
    ) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
        self.maxDecoderMemory = maxDecoderMemory
        self.maxJPEGScans = maxJPEGScans
    }

    public static let `default` = DecodeLimits()

    /// Throws `tooLarge` unless a `width` x `height` image fits.
    public func check(width: Int, height: Int) throws(ImagingError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let fits = width > 0 && height > 0 && width <= maxWidth && height <= maxHeight
            && !overflow && pixels <= maxPixels
        if !fits { throw .tooLarge(width: width, height: height, limits: self) }
    }
}
