import CJPEGShim

/// JPEG through libjpeg: baseline, progressive and greyscale; CMYK/YCCK are refused. libjpeg's
/// memory and the number of progressive scans are bounded by `DecodeLimits`.
public enum JPEGDecoder {
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .unsupportedFormat("no data")
        }
        var reader: OpaquePointer?
        defer { cjpeg_reader_free(reader) }
        var header = cjpeg_header()
        let begun = cjpeg_reader_begin(
            base, bytes.count, limits.maxDecoderMemory, Int32(clamping: limits.maxJPEGScans), &reader, &header)
        guard begun == CJPEG_OK else { throw failure(begun, reader) }

        let width = Int(header.width)
        let height = Int(header.height)
        try limits.check(width: width, height: height)
        let layout: DecodedImage.Layout = header.channels == 1 ? .grey : .rgb
        let count = width * height * layout.channels
        var status = CJPEG_OK
        let values = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)
            status = cjpeg_reader_finish(reader, buffer.baseAddress, buffer.count)
            initialized = count
        }
        guard status == CJPEG_OK else { throw failure(status, reader) }
        guard let image = DecodedImage(width: width, height: height, layout: layout, samples: .eight(values)) else {
            throw .corrupt(library: "libjpeg", message: "sample count does not match the header")
        }
        return image
    }

    private static func failure(_ status: cjpeg_status, _ reader: OpaquePointer?) -> ImagingError {
        let message = String(cString: cjpeg_reader_message(reader))
        switch status {
        case CJPEG_UNSUPPORTED: return .unsupportedFormat(message)
        case CJPEG_NO_MEMORY: return .corrupt(library: "libjpeg", message: "out of memory")
        default: return .corrupt(library: "libjpeg", message: message.isEmpty ? "unknown error" : message)
        }
    }
}
