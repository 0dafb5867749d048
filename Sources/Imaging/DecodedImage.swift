/// A decoded raster exactly as the file stored it (after palette/tRNS expansion), before any
/// colour arithmetic. Keeping 16-bit samples lets desaturation divide by 65535 as the
/// preprocessing contract says, instead of inheriting a library's rounding.
public struct DecodedImage: Equatable, Sendable {
    public enum Layout: Int, Sendable {
        case grey = 1, greyAlpha = 2, rgb = 3, rgba = 4
        public var channels: Int { rawValue }
        public var hasAlpha: Bool { self == .greyAlpha || self == .rgba }
    }

    /// Interleaved samples, row-major, `width * height * layout.channels` of them.
    public enum Samples: Equatable, Sendable {
        case eight([UInt8])
        case sixteen([UInt16])

        public var count: Int {
            switch self {
            case .eight(let values): values.count
            case .sixteen(let values): values.count
            }
        }
    }

    public let width: Int
    public let height: Int
    public let layout: Layout
    public let samples: Samples

    /// Fails (returns nil) when the sample count does not match the geometry.
    public init?(width: Int, height: Int, layout: Layout, samples: Samples) {
        guard width > 0, height > 0, samples.count == width * height * layout.channels else { return nil }
        self.width = width
        self.height = height
        self.layout = layout
        self.samples = samples
    }

    public var bitDepth: Int {
        if case .sixteen = samples { return 16 }
        return 8
    }
}
