import CPNGShim

/// PNG decoding. The common shapes (8-bit grey, grey+alpha, RGB, RGBA; not interlaced; no
/// palette or tRNS; see `decodeFast`) take a fast path: chunks parsed and CRC-checked in C, IDAT
/// inflated in one pass under zlib's rules, rows unfiltered in place. Everything else, and every file
/// the fast path is not sure of, goes through libpng: every colour type, 1–16 bit, tRNS and
/// Adam7. Either way the header is checked against the limits before the pixel buffer exists.
public enum PNGDecoder {
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage {
        if let image = try decodeFast(bytes, limits: limits) { return image }
        return try decodeWithLibpng(bytes, limits: limits)
    }

    /// The fast path alone: nil when it declines the file (any shape or chunk it does not take,
    /// any defect at all), in which case `decodeWithLibpng` gives the answer. When it returns an
    /// image, libpng would have returned the same samples; when it throws, it is `tooLarge` from
    /// the header, exactly as libpng's path would.
    public static func decodeFast(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var header = cpng_fast_header()
        guard cpng_fast_probe(base, bytes.count, &header) == 1 else { return nil }
        let width = Int(header.width)
        let height = Int(header.height)
        try limits.check(width: width, height: height)
        guard let layout = DecodedImage.Layout(rawValue: Int(header.channels)) else { return nil }
        let buffer = cpng_fast_buffer_size(&header)
        guard buffer > 0 else { return nil }
        let count = width * height * layout.channels
        var decoded = false
        // The rows are unfiltered in place, so the buffer holds the inflated data (one filter
        // byte more per row); the image is its first `count` bytes.
        let values = [UInt8](unsafeUninitializedCapacity: buffer) { storage, initialized in
            decoded = cpng_fast_decode(base, bytes.count, &header, storage.baseAddress, storage.count) == 1
            initialized = decoded ? count : 0
        }
        guard decoded else { return nil }
        return DecodedImage(width: width, height: height, layout: layout, samples: .eight(values))
    }

    /// libpng alone, for every PNG (the fast path's fallback, and its reference in tests).
    public static func decodeWithLibpng(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .unsupportedFormat("no data")
        }
        var reader: OpaquePointer?
        defer { cpng_reader_free(reader) }
        var header = cpng_header()
        let begun = cpng_reader_begin(
            base, bytes.count, UInt64(clamping: limits.maxWidth), UInt64(clamping: limits.maxHeight),
            UInt64(clamping: limits.maxPixels), &reader, &header)
        let width = Int(header.width)
        let height = Int(header.height)
        if begun == CPNG_TOO_LARGE { try limits.check(width: width, height: height) }
        guard begun == CPNG_OK else { throw failure(begun, reader) }
        try limits.check(width: width, height: height)
        guard let layout = DecodedImage.Layout(rawValue: Int(header.channels)),
            header.bit_depth == 8 || header.bit_depth == 16
        else {
            throw .corrupt(library: "libpng", message: "unexpected pixel layout after expansion")
        }
        let count = width * height * layout.channels
        var status = CPNG_OK
        let samples: DecodedImage.Samples
        if header.bit_depth == 16 {
            let values = [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
                buffer.withMemoryRebound(to: UInt8.self) {
                    // Zero first: on failure the array must not expose uninitialised memory.
                    $0.initialize(repeating: 0)
                    status = cpng_reader_finish(reader, $0.baseAddress, $0.count)
                }
                initialized = count
            }
            samples = .sixteen(values)
        } else {
            let values = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                buffer.initialize(repeating: 0)
                status = cpng_reader_finish(reader, buffer.baseAddress, buffer.count)
                initialized = count
            }
            samples = .eight(values)
        }
        guard status == CPNG_OK else { throw failure(status, reader) }
        guard let image = DecodedImage(width: width, height: height, layout: layout, samples: samples) else {
            throw .corrupt(library: "libpng", message: "sample count does not match the header")
        }
        return image
    }

    private static func failure(_ status: cpng_status, _ reader: OpaquePointer?) -> ImagingError {
        if status == CPNG_NO_MEMORY { return .corrupt(library: "libpng", message: "out of memory") }
        let message = String(cString: cpng_reader_message(reader))
        return .corrupt(library: "libpng", message: message.isEmpty ? "unknown error" : message)
    }
}
