import CZlib
import TestSupport
import Testing
@testable import Imaging

/// The PNG fast path against libpng on the same bytes. The fast path may decline anything, but
/// whenever it returns an image, libpng must return the very same samples, and the combined
/// decoder must answer exactly as libpng alone does (same image, or the same error and message).
@Suite struct PNGFastPathTests {
    enum Outcome: Equatable {
        case image(DecodedImage)
        case failure(ImagingError)
    }

    static func outcome(_ body: (UnsafeRawBufferPointer) throws(ImagingError) -> DecodedImage, _ bytes: [UInt8]) -> Outcome {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ImagingError) in try body(raw) } }
        switch result {
        case .success(let image): return .image(image)
        case .failure(let error): return .failure(error)
        }
    }

    /// Small enough that a damaged header cannot make every decode allocate 64 MB, large enough
    /// for every image here.
    static let limits = DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxPixels: 512 * 512)

    static func fast(_ bytes: [UInt8]) -> Outcome? {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ImagingError) in try PNGDecoder.decodeFast(raw, limits: limits) } }
        switch result {
        case .success(let image?): return .image(image)
        case .success(nil): return nil
        case .failure(let error): return .failure(error)
        }
    }

    /// The fast path took the file and agrees with libpng; returns its image.
    @discardableResult
    static func expectFast(_ bytes: [UInt8], _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) -> DecodedImage? {
        let reference = outcome({ (raw) throws(ImagingError) in try PNGDecoder.decodeWithLibpng(raw, limits: limits) }, bytes)
        let quick = fast(bytes)
        #expect(quick != nil, "fast path declined: \(comment)", sourceLocation: sourceLocation)
        #expect(quick == nil || quick == reference, "fast path differs from libpng: \(comment)", sourceLocation: sourceLocation)
        if case .image(let image)? = quick { return image }
        return nil
    }

    /// Whatever the bytes: the combined decoder answers as libpng does, and a fast-path image
    /// equals libpng's.
    static func expectAgreement(_ bytes: [UInt8], _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        let reference = outcome({ (raw) throws(ImagingError) in try PNGDecoder.decodeWithLibpng(raw, limits: limits) }, bytes)
        let combined = outcome({ (raw) throws(ImagingError) in try PNGDecoder.decode(raw, limits: limits) }, bytes)
        #expect(combined == reference, "\(comment)", sourceLocation: sourceLocation)
        if let quick = fast(bytes), case .image = quick {
            #expect(quick == reference, "fast path image differs: \(comment)", sourceLocation: sourceLocation)
        }
    }

    static let colorTypes: [(type: UInt8, channels: Int, layout: DecodedImage.Layout)] = [
        (0, 1, .grey), (4, 2, .greyAlpha), (2, 3, .rgb), (6, 4, .rgba),
    ]
    static let sizes = [(1, 1), (1, 9), (9, 1), (2, 2), (3, 5), (13, 7), (31, 17), (64, 3), (5, 64)]

    /// Random, smooth and sparse (canvas-like: mostly transparent zeros) contents.
    static func contents(width: Int, height: Int, channels: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        let count = width * height * channels
        let noise = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        let smooth = (0..<count).map { (index: Int) -> UInt8 in
            let x = index / channels % width, y = index / (width * channels), channel = index % channels
            return UInt8(truncatingIfNeeded: x * 7 + y * 3 + channel * 50)
        }
        let sparse = (0..<count).map { _ in UInt8.random(in: 0..<8, using: &random) == 0 ? UInt8.random(in: 0...255, using: &random) : 0 }
        return [noise, smooth, sparse]
    }

    static let filterPatterns: [[UInt8]] = [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0, 2]]
    static let compressions: [HandPNG.Compression] = [
        .init(level: 6, strategy: Z_DEFAULT_STRATEGY, windowBits: 15),
        .init(level: 0, strategy: Z_DEFAULT_STRATEGY, windowBits: 15),  // stored blocks
        .init(level: 9, strategy: Z_FILTERED, windowBits: 15),
        .init(level: 6, strategy: Z_FIXED, windowBits: 15),  // fixed Huffman codes
        .init(level: 6, strategy: Z_RLE, windowBits: 15),
        .init(level: 6, strategy: Z_HUFFMAN_ONLY, windowBits: 15),
        .init(level: 9, strategy: Z_DEFAULT_STRATEGY, windowBits: 9),  // 512-byte window
    ]

    @Test func everyShapeFilterAndCompressionMatchesLibpng() {
        var cases = 0
        for (colorType, channels, layout) in Self.colorTypes {
            for (width, height) in Self.sizes {
                let images = Self.contents(width: width, height: height, channels: channels, seed: UInt64(width * 100 + height))
                for (contentIndex, samples) in images.enumerated() {
                    for filters in Self.filterPatterns {
                        for compression in Self.compressions {
                            let png = HandPNG(
                                width: width, height: height, colorType: colorType, samples: samples,
                                filters: filters, compression: compression
                            ).bytes()
                            let comment: Comment = "type \(colorType) \(width)x\(height) content \(contentIndex) filters \(filters) \(compression)"
                            if let image = Self.expectFast(png, comment) {
                                #expect(image.layout == layout && image.samples == .eight(samples), comment)
                            }
                            cases += 1
                        }
                    }
                }
            }
        }
        #expect(cases == 4 * 9 * 3 * 7 * 7)
    }

    /// Rows repeating a pattern of every period from 1 to 40 bytes: matches of every short
    /// distance, overlapping their own output, up to the longest length (258), which the
    /// inflater copies byte by byte, by words or as a fill depending on the distance.
    @Test func matchesOfEveryShortDistanceInflateAsZlibDoes() {
        let width = 700, height = 40
        var random = SeededGenerator(seed: 7)
        var samples: [UInt8] = []
        for row in 0..<height {
            let pattern = (0...row).map { _ in UInt8.random(in: 0...255, using: &random) }
            samples += (0..<width).map { pattern[$0 % pattern.count] }
        }
        for compression in [Self.compressions[0], Self.compressions[2], Self.compressions[4]] {
            let png = HandPNG(width: width, height: height, colorType: 0, samples: samples, compression: compression).bytes()
            if let image = Self.expectFast(png, "periods 1-40, \(compression)") {
                #expect(image.samples == .eight(samples), "periods 1-40, \(compression)")
            }
        }
    }

    /// libpng's own encoder (adaptive filtering, its IDAT splitting), including the benchmark's
    /// canvas shape: 280x280 RGBA, transparent with anti-aliased ink.
    @Test func libpngEncoderOutputTakesTheFastPath() throws {
        for (colorType, channels, _) in Self.colorTypes {
            let type = try #require(PNGEncoder.ColorType(rawValue: Int32(colorType)))
            for (width, height) in Self.sizes + [(280, 280), (97, 203)] {
                for (index, samples) in Self.contents(width: width, height: height, channels: channels, seed: 7).enumerated() {
                    for level in [1, 6, 9] {
                        let png = try PNGEncoder.encode(
                            samples: samples, width: width, height: height, colorType: type, compressionLevel: level)
                        let image = Self.expectFast(png, "libpng encoder, type \(colorType) \(width)x\(height) content \(index)")
                        #expect(image == nil || image?.samples == .eight(samples))
                    }
                }
            }
        }
    }

    @Test func idatSplitsAndHarmlessChunksStayOnTheFastPath() {
        let samples = Self.contents(width: 21, height: 11, channels: 4, seed: 3)[0]
        for split in [1, 2, 7, 100, 0] {
            for emptyIDAT in [false, true] {
                let png = HandPNG(
                    width: 21, height: 11, colorType: 6, samples: samples, filters: [0, 1, 2, 3, 4],
                    idatSplit: split, emptyIDATFirst: emptyIDAT,
                    before: [("gAMA", bigEndian(45455)), ("pHYs", bigEndian(2835) + bigEndian(2835) + [1]),
                             ("tEXt", Array("Software\0test".utf8))]
                ).bytes()
                Self.expectFast(png, "split \(split), empty IDAT \(emptyIDAT)")
            }
        }
    }

    /// Shapes and chunks the fast path leaves to libpng, which must still decode them.
    @Test func declinesWhatLibpngMustHandle() throws {
        let grey = patternSamples(width: 13, height: 7, channels: 1)
        let declined: [(String, [UInt8])] = [
            ("palette", try PNGEncoder.encode(samples: grey.map { $0 % 2 }, width: 13, height: 7, colorType: .palette, palette: [0, 0, 0, 9, 9, 9])),
            ("tRNS", try PNGEncoder.encode(samples: grey, width: 13, height: 7, colorType: .grey, transparency: .color([7]))),
            ("16-bit", try PNGEncoder.encode(samples: grey.map { UInt16($0) * 257 }, width: 13, height: 7, colorType: .grey)),
            ("2-bit", try PNGEncoder.encode(samples: grey.map { $0 % 4 }, width: 13, height: 7, colorType: .grey, bitDepth: 2)),
            ("interlaced", try PNGEncoder.encode(samples: grey, width: 13, height: 7, colorType: .grey, interlaced: true)),
            ("unknown ancillary chunk", HandPNG(width: 13, height: 7, colorType: 0, samples: grey, before: [("prVt", [1, 2, 3])]).bytes()),
            ("suggested palette in RGB", HandPNG(
                width: 13, height: 7, colorType: 2, samples: patternSamples(width: 13, height: 7, channels: 3),
                before: [("PLTE", [1, 2, 3])]).bytes()),
        ]
        for (name, png) in declined {
            #expect(Self.fast(png) == nil, "\(name) should be declined")
            #expect(try ImageDecoder.decode(png).width == 13, "\(name) still decodes")
            Self.expectAgreement(png, "\(name)")
        }
    }

    @Test func sizeLimitsAreCheckedBeforeDecoding() throws {
        let png = HandPNG(width: 50, height: 40, colorType: 6, samples: [UInt8](repeating: 9, count: 50 * 40 * 4)).bytes()
        let narrow = DecodeLimits(maxWidth: 49)
        #expect(caught { try ImageDecoder.decode(png, limits: narrow) } == .tooLarge(width: 50, height: 40, limits: narrow))
        let result = png.withUnsafeBytes { raw in Result { () throws(ImagingError) in try PNGDecoder.decodeFast(raw, limits: narrow) } }
        #expect(throws: ImagingError.tooLarge(width: 50, height: 40, limits: narrow)) { try result.get() }
    }

    static func corpus() -> [(String, [UInt8])] {
        let w = 23, h = 9
        var files: [(String, [UInt8])] = []
        for (colorType, channels, _) in Self.colorTypes {
            let samples = Self.contents(width: w, height: h, channels: channels, seed: 11)[2]
            files.append(("type \(colorType)", HandPNG(width: w, height: h, colorType: colorType, samples: samples, filters: [0, 1, 2, 3, 4]).bytes()))
        }
        let rgba = Self.contents(width: w, height: h, channels: 4, seed: 12)[1]
        files.append(("split IDAT", HandPNG(width: w, height: h, colorType: 6, samples: rgba, filters: [4, 1], idatSplit: 50).bytes()))
        files.append(("fixed codes", HandPNG(
            width: w, height: h, colorType: 6, samples: rgba, filters: [2],
            compression: .init(level: 6, strategy: Z_FIXED, windowBits: 15)).bytes()))
        files.append(("stored", HandPNG(
            width: w, height: h, colorType: 0, samples: Array(rgba.prefix(w * h)), filters: [1],
            compression: .init(level: 0, strategy: Z_DEFAULT_STRATEGY, windowBits: 15)).bytes()))
        return files
    }

    @Test func truncationsAreRejectedAsLibpngRejectsThem() {
        for (name, file) in Self.corpus() {
            for length in 0...file.count {
                Self.expectAgreement(Array(file.prefix(length)), "\(name) cut to \(length)")
            }
        }
    }

    /// Random byte changes, as they come (a CRC catches most) and with every CRC repaired, so
    /// that the damage reaches the zlib stream checker, the inflater and the unfilter.
    @Test func byteFlipsAreRejectedAsLibpngRejectsThem() {
        var random = SeededGenerator(seed: 0xFA57)
        for (name, file) in Self.corpus() {
            for round in 0..<400 {
                var bytes = file
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let offset = Int.random(in: 8..<bytes.count, using: &random)
                    bytes[offset] = UInt8.random(in: 0...255, using: &random)
                }
                Self.expectAgreement(bytes, "\(name) round \(round)")
                Self.expectAgreement(repairingCRCs(bytes), "\(name) round \(round), CRCs repaired")
            }
        }
    }

    // MARK: Hand-made zlib streams that a lenient inflater (libdeflate) would take but zlib refuses

    /// One grey row of `width` pixels holding `stream` as its IDAT, every CRC right.
    static func greyPNG(width: Int, height: Int = 1, stream: [UInt8]) -> [UInt8] {
        let ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 0, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", ihdr) + pngChunk("IDAT", stream) + pngChunk("IEND", [])
    }

    @Test func lengthSymbol286IsRefused() {
        // Filter byte, one zero, then symbol 286 (no length in deflate; libdeflate reads it as
        // 258) at distance 1: 260 bytes if it were accepted, exactly one row of 259 pixels.
        var bits = BitWriter()
        bits.header(final: true, type: 1)
        bits.fixedLiteral(0)
        bits.fixedLiteral(0)
        bits.fixedLiteral(286)
        bits.bits(0, count: 5)  // distance code 0: distance 1
        bits.fixedLiteral(256)
        let png = Self.greyPNG(width: 259, stream: bits.zlib(cmf: 0x78, flg: 0x01, inflated: [UInt8](repeating: 0, count: 260)))
        #expect(Self.fast(png) == nil)
        Self.expectAgreement(png, "symbol 286")
        #expect(caught { try ImageDecoder.decode(png) } != nil, "zlib refuses symbol 286")
    }

    @Test func distanceBeyondTheDeclaredWindowIsLeftToLibpng() {
        // A 256-byte window (CINFO 0) and a match 300 bytes back, across rows of 11 bytes.
        var bits = BitWriter()
        bits.header(final: true, type: 1)
        var inflated: [UInt8] = []
        for index in 0..<320 {
            let value = index % 11 == 0 ? 0 : UInt8(index % 251)
            inflated.append(value)
            bits.fixedLiteral(Int(value))
        }
        bits.fixedLiteral(264)  // length 10
        bits.fixedDistance(16, extra: 300 - 257, extraBits: 7)  // distance 300
        inflated += inflated[(inflated.count - 300)..<(inflated.count - 290)]
        bits.fixedLiteral(256)
        let png = Self.greyPNG(width: 10, height: 30, stream: bits.zlib(cmf: 0x08, flg: 0x1D, inflated: inflated))
        #expect(Self.fast(png) == nil)
        Self.expectAgreement(png, "distance beyond the window")
    }

    @Test func streamsWithMissingOrExtraTrailersAreLeftToLibpng() {
        var bits = BitWriter()
        bits.header(final: true, type: 1)
        for value in [0, 5, 6, 7] { bits.fixedLiteral(value) }
        bits.fixedLiteral(256)
        let whole = bits.zlib(cmf: 0x78, flg: 0x01, inflated: [0, 5, 6, 7])
        let good = Self.greyPNG(width: 3, stream: whole)
        Self.expectFast(good, "hand-made fixed-code stream")
        for (name, stream) in [("no checksum", Array(whole.dropLast(4))), ("half a checksum", Array(whole.dropLast(2))),
                               ("a byte after the checksum", whole + [0]), ("dictionary flag", [0x78, 0x20] + whole.dropFirst(2))] {
            // (0x78 << 8 | 0x20) is a multiple of 31: a valid header that asks for a dictionary.
            let png = Self.greyPNG(width: 3, stream: stream)
            #expect(Self.fast(png) == nil, "\(name)")
            Self.expectAgreement(png, "\(name)")
        }
    }
}

/// A PNG assembled here, so that each row's filter, the zlib settings, IDAT chunking and the
/// chunks before IDAT are chosen by the test (libpng's encoder picks its own filters).
struct HandPNG {
    struct Compression: CustomStringConvertible {
        var level: Int32
        var strategy: Int32
        var windowBits: Int32
        var description: String { "level \(level) strategy \(strategy) window \(windowBits)" }
    }

    var width: Int
    var height: Int
    var colorType: UInt8
    var samples: [UInt8]
    /// Row y uses filters[y % count].
    var filters: [UInt8] = [0]
    var compression = Compression(level: 6, strategy: Z_DEFAULT_STRATEGY, windowBits: 15)
    /// Bytes per IDAT chunk, 0 for one chunk.
    var idatSplit = 0
    var emptyIDATFirst = false
    var before: [(String, [UInt8])] = []

    func bytes() -> [UInt8] {
        let channels = [0: 1, 2: 3, 4: 2, 6: 4][Int(colorType)] ?? 1
        let stride = width * channels
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (stride + 1))
        for y in 0..<height {
            let filter = filters[y % filters.count]
            raw.append(filter)
            for i in 0..<stride {
                let x = Int(samples[y * stride + i])
                let a = i >= channels ? Int(samples[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(samples[(y - 1) * stride + i]) : 0
                let c = (y > 0 && i >= channels) ? Int(samples[(y - 1) * stride + i - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                raw.append(UInt8(truncatingIfNeeded: x - predictor))
            }
        }
        let stream = zlibCompress(raw, compression)
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += pngChunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, colorType, 0, 0, 0])
        for (name, data) in before { file += pngChunk(name, data) }
        if emptyIDATFirst { file += pngChunk("IDAT", []) }
        if idatSplit > 0 {
            var start = 0
            while start < stream.count {
                file += pngChunk("IDAT", Array(stream[start..<min(stream.count, start + idatSplit)]))
                start += idatSplit
            }
        } else {
            file += pngChunk("IDAT", stream)
        }
        return file + pngChunk("IEND", [])
    }

    func zlibCompress(_ data: [UInt8], _ settings: Compression) -> [UInt8] {
        var stream = z_stream()
        let initialized = deflateInit2_(
            &stream, settings.level, Z_DEFLATED, settings.windowBits, 8, settings.strategy, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        precondition(initialized == Z_OK, "deflateInit2_")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
        var input = data
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "deflate")
        return Array(output.prefix(Int(stream.total_out)))
    }
}

/// Deflate bits by hand (fixed Huffman codes), for streams no encoder would write.
struct BitWriter {
    var bytes: [UInt8] = []
    var used = 0  // bits used in the last byte

    mutating func bit(_ value: Int) {
        if used == 0 { bytes.append(0) }
        bytes[bytes.count - 1] |= UInt8(value & 1) << used
        used = (used + 1) % 8
    }

    /// An integer, least significant bit first (header fields, extra bits).
    mutating func bits(_ value: Int, count: Int) {
        for i in 0..<count { bit(value >> i) }
    }

    /// A Huffman code, most significant bit first.
    mutating func code(_ value: Int, length: Int) {
        for i in (0..<length).reversed() { bit(value >> i) }
    }

    mutating func header(final: Bool, type: Int) {
        bit(final ? 1 : 0)
        bits(type, count: 2)
    }

    /// RFC 1951's fixed literal/length code, symbols 0...287 (286 and 287 exist only here).
    mutating func fixedLiteral(_ symbol: Int) {
        switch symbol {
        case 0...143: code(0x30 + symbol, length: 8)
        case 144...255: code(0x190 + symbol - 144, length: 9)
        case 256...279: code(symbol - 256, length: 7)
        default: code(0xC0 + symbol - 280, length: 8)
        }
    }

    mutating func fixedDistance(_ symbol: Int, extra: Int, extraBits: Int) {
        code(symbol, length: 5)
        bits(extra, count: extraBits)
    }

    /// The zlib stream: two header bytes, these deflate bytes, and the Adler-32 of `inflated`.
    func zlib(cmf: UInt8, flg: UInt8, inflated: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in inflated {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return [cmf, flg] + bytes + bigEndian(b << 16 | a)
    }
}

/// Recomputes every chunk's CRC (as far as the chunk structure can be followed).
func repairingCRCs(_ file: [UInt8]) -> [UInt8] {
    var bytes = file
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard length <= bytes.count - offset - 12 else { break }
        let crc = bigEndian(crc32(bytes[(offset + 4)..<(offset + 8 + length)]))
        bytes.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: crc)
        offset += 12 + length
    }
    return bytes
}
