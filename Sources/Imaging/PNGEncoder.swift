import CPNGShim

/// PNG writing through libpng: grey 8-bit previews for the API, and every colour type / bit
/// depth / interlace mode for building test images and benchmarks.
public enum PNGEncoder {
    public enum ColorType: Int32, Sendable {
        case grey = 0, rgb = 2, palette = 3, greyAlpha = 4, rgba = 6
        public var channels: Int {
            switch self {
            case .grey, .palette: 1
            case .greyAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    /// tRNS: per-entry alpha for palettes, or one colour (grey or RGB, at the image's depth).
    public enum Transparency: Sendable {
        case paletteAlpha([UInt8])
        case color([UInt16])
    }

    public struct EncodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Encodes a grey image, values clamped to [0, 1] and scaled to 0...255 with
    /// round-half-up, as an 8-bit greyscale PNG.
    public static func encodeGrey(_ image: GreyImage) throws(EncodeError) -> [UInt8] {
        let samples = image.pixels.map { UInt8((min(max($0, 0), 1) * 255 + 0.5).rounded(.down)) }
        return try encode(samples: samples, width: image.width, height: image.height, colorType: .grey)
    }

    /// 8-bit (or packed 1/2/4-bit, one sample per byte) samples.
    public static func encode(
        samples: [UInt8], width: Int, height: Int, colorType: ColorType, bitDepth: Int = 8,
        interlaced: Bool = false, palette: [UInt8] = [], transparency: Transparency? = nil,
        compressionLevel: Int = -1
    ) throws(EncodeError) -> [UInt8] {
        guard bitDepth <= 8, samples.count == width * height * colorType.channels else {
            throw EncodeError(description: "sample count or bit depth does not match")
        }
        // withUnsafeBytes is not typed-throws; carry the outcome out as a Result.
        let result = samples.withUnsafeBytes { raw in
            Result { () throws(EncodeError) in
                try encodeRaw(
                    raw, width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                    interlaced: interlaced, palette: palette, transparency: transparency,
                    compressionLevel: compressionLevel)
            }
        }
        return try result.get()
    }

    /// 16-bit samples in native order.
    public static func encode(
        samples: [UInt16], width: Int, height: Int, colorType: ColorType, interlaced: Bool = false,
        transparency: Transparency? = nil
    ) throws(EncodeError) -> [UInt8] {
        guard colorType != .palette, samples.count == width * height * colorType.channels else {
            throw EncodeError(description: "sample count does not match")
        }
        let result = samples.withUnsafeBytes { raw in
            Result { () throws(EncodeError) in
                try encodeRaw(
                    raw, width: width, height: height, colorType: colorType, bitDepth: 16,
                    interlaced: interlaced, palette: [], transparency: transparency, compressionLevel: -1)
            }
        }
        return try result.get()
    }

    private static func encodeRaw(
        _ raw: UnsafeRawBufferPointer, width: Int, height: Int, colorType: ColorType, bitDepth: Int,
        interlaced: Bool, palette: [UInt8], transparency: Transparency?, compressionLevel: Int
    ) throws(EncodeError) -> [UInt8] {
        guard width > 0, height > 0, let base = raw.baseAddress else {
            throw EncodeError(description: "empty image")
        }
        let alphas: [UInt8]
        var color: [UInt16] = [0, 0, 0]
        var hasColor: Int32 = 0
        switch transparency {
        case .paletteAlpha(let values)?: alphas = values
        case .color(let values)?:
            alphas = []
            for (index, value) in values.prefix(3).enumerated() { color[index] = value }
            hasColor = 1
        case nil: alphas = []
        }
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = palette.withUnsafeBufferPointer { paletteBuffer in
            alphas.withUnsafeBufferPointer { alphaBuffer in
                var options = cpng_encode_options()
                options.width = UInt32(width)
                options.height = UInt32(height)
                options.color_type = colorType.rawValue
                options.bit_depth = Int32(bitDepth)
                options.interlaced = interlaced ? 1 : 0
                options.palette = paletteBuffer.baseAddress
                options.palette_count = Int32(palette.count / 3)
                options.trans_alpha = alphaBuffer.baseAddress
                options.trans_count = Int32(alphas.count)
                options.has_trans_color = hasColor
                options.trans_color = (color[0], color[1], color[2])
                options.compression_level = Int32(compressionLevel)
                return cpng_encode(base, &options, &output, &length, &message, message.count)
            }
        }
        defer { cpng_free(output) }
        guard status == CPNG_OK, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EncodeError(description: "libpng: \(text)")
        }
        return [UInt8](UnsafeBufferPointer(start: output, count: length))
    }
}
