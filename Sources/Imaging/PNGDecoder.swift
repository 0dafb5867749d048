import CPNGShim

/// PNG through libpng: every colour type, 1–16 bit, tRNS and Adam7. The header is read and
/// checked against the limits before the pixel buffer exists.
public enum PNGDecoder {
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .unsupportedFormat("no data")
        }
        var reader: OpaquePointer?
        defer { cpng_reader_free(reader) }
        var header = cpng_header()
        let begun = cpng_reader_begin(base, bytes.count, &reader, &header)
        guard begun == CPNG_OK else { throw failure(begun, reader) }

        let width = Int(header.width)
        let height = Int(header.height)
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
