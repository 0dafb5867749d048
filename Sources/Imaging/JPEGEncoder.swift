import CJPEGShim

/// JPEG writing through libjpeg. The service never sends JPEGs; this exists so tests and the
/// benchmark can build baseline, progressive, grey and CMYK files in code.
public enum JPEGEncoder {
    public struct EncodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `channels`: 1 grey, 3 RGB, 4 CMYK. `quality` 1...100.
    public static func encode(
        pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90, progressive: Bool = false
    ) throws(EncodeError) -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw EncodeError(description: "pixel count does not match")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = pixels.withUnsafeBufferPointer {
            cjpeg_encode(
                $0.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality),
                progressive ? 1 : 0, &output, &length, &message, message.count)
        }
        defer { cjpeg_free(output) }
        guard status == CJPEG_OK, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EncodeError(description: "libjpeg: \(text)")
        }
        return [UInt8](UnsafeBufferPointer(start: output, count: length))
    }
}
