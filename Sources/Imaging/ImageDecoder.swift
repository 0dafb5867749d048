/// Entry point for client image bytes: detect the format from the magic bytes, then decode.
/// Safe on any input (this is also what a fuzz target calls): every failure is a typed error.
public enum ImageDecoder {
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default
    ) throws(ImagingError) -> DecodedImage {
        switch ImageFormat.detect(bytes) {
        case .png: return try PNGDecoder.decode(bytes, limits: limits)
        case .jpeg: return try JPEGDecoder.decode(bytes, limits: limits)
        case nil:
            throw .unsupportedFormat(bytes.isEmpty ? "no data" : "not a PNG or JPEG file")
        }
    }

    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default) throws(ImagingError) -> DecodedImage {
        // withUnsafeBytes is rethrows-untyped; carry the typed result out instead.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ImagingError) in try decode(buffer, limits: limits) }
        }
        return try result.get()
    }
}
