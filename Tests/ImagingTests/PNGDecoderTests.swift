import Testing
@testable import Imaging

@Suite struct PNGDecoderTests {
    let width = 13, height = 7  // odd sizes exercise Adam7's partial passes

    @Test(arguments: [PNGEncoder.ColorType.grey, .greyAlpha, .rgb, .rgba], [false, true])
    func eightBitRoundTrip(colorType: PNGEncoder.ColorType, interlaced: Bool) throws {
        let layouts: [PNGEncoder.ColorType: DecodedImage.Layout] = [.grey: .grey, .greyAlpha: .greyAlpha, .rgb: .rgb, .rgba: .rgba]
        let layout = try #require(layouts[colorType])
        let samples = patternSamples(width: width, height: height, channels: colorType.channels)
        let png = try PNGEncoder.encode(
            samples: samples, width: width, height: height, colorType: colorType, interlaced: interlaced)
        let image = try ImageDecoder.decode(png)
        #expect(image.width == width && image.height == height)
        #expect(image.layout == layout)
        #expect(image.samples == .eight(samples))
    }

    @Test(arguments: [PNGEncoder.ColorType.grey, .greyAlpha, .rgb, .rgba], [false, true])
    func sixteenBitKeepsFullPrecision(colorType: PNGEncoder.ColorType, interlaced: Bool) throws {
        let count = width * height * colorType.channels
        let samples = (0..<count).map { UInt16(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let png = try PNGEncoder.encode(
            samples: samples, width: width, height: height, colorType: colorType, interlaced: interlaced)
        let image = try ImageDecoder.decode(png)
        #expect(image.bitDepth == 16)
        #expect(image.layout.channels == colorType.channels)
        #expect(image.samples == .sixteen(samples))
    }

    @Test(arguments: [(1, 255), (2, 85), (4, 17)])
    func lowBitGreyIsWidenedToEightBits(depth: Int, scale: Int) throws {
        let levels = 1 << depth
        let samples = (0..<(width * height)).map { UInt8($0 % levels) }
        let png = try PNGEncoder.encode(samples: samples, width: width, height: height, colorType: .grey, bitDepth: depth)
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .grey)
        #expect(image.samples == .eight(samples.map { UInt8(Int($0) * scale) }))
    }

    @Test func paletteIsExpandedToRGB() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let indices = (0..<(width * height)).map { UInt8($0 % 4) }
        let png = try PNGEncoder.encode(
            samples: indices, width: width, height: height, colorType: .palette, palette: palette)
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .rgb)
        let expected = indices.flatMap { palette[(Int($0) * 3)..<(Int($0) * 3 + 3)] }
        #expect(image.samples == .eight(expected))
    }

    @Test func paletteTransparencyBecomesAlpha() throws {
        let palette: [UInt8] = [0, 0, 0, 255, 255, 255]
        let indices = (0..<(width * height)).map { UInt8($0 % 2) }
        let png = try PNGEncoder.encode(
            samples: indices, width: width, height: height, colorType: .palette, palette: palette,
            transparency: .paletteAlpha([255, 0]))
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .rgba)
        let expected = indices.flatMap { $0 == 0 ? [UInt8(0), 0, 0, 255] : [255, 255, 255, 0] }
        #expect(image.samples == .eight(expected))
    }

    @Test func greyTransparentColourBecomesAlpha() throws {
        let samples = (0..<(width * height)).map { UInt8($0 % 3 == 0 ? 200 : 7) }
        let png = try PNGEncoder.encode(
            samples: samples, width: width, height: height, colorType: .grey, transparency: .color([200]))
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .greyAlpha)
        #expect(image.samples == .eight(samples.flatMap { [$0, $0 == 200 ? 0 : 255] }))
    }

    @Test func rgbTransparentColourBecomesAlpha() throws {
        let samples = patternSamples(width: width, height: height, channels: 3)
        let key = Array(samples[0..<3])
        let png = try PNGEncoder.encode(
            samples: samples, width: width, height: height, colorType: .rgb,
            transparency: .color(key.map { UInt16($0) }))
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .rgba)
        guard case .eight(let decoded) = image.samples else {
            Issue.record("expected 8-bit samples")
            return
        }
        #expect(decoded[0..<4] == [key[0], key[1], key[2], 0])
        #expect(decoded.count == width * height * 4)
    }

    @Test func headerOverLimitsIsTooLargeBeforeDecoding() throws {
        let png = try PNGEncoder.encode(samples: [UInt8](repeating: 0, count: 50 * 40), width: 50, height: 40, colorType: .grey)
        let narrow = DecodeLimits(maxWidth: 49)
        #expect(caught { try ImageDecoder.decode(png, limits: narrow) } == .tooLarge(width: 50, height: 40, limits: narrow))
        let few = DecodeLimits(maxPixels: 1999)
        #expect(caught { try ImageDecoder.decode(png, limits: few) } == .tooLarge(width: 50, height: 40, limits: few))
        #expect(try ImageDecoder.decode(png, limits: DecodeLimits(maxWidth: 50, maxHeight: 40, maxPixels: 2000)).width == 50)
    }

    /// 100000 x 100000 declared in a 60-byte file: refused from the header, nothing allocated.
    @Test func decompressionBombIsRefused() {
        var ihdr = bigEndian(100_000) + bigEndian(100_000)
        ihdr += [8, 6, 0, 0, 0]  // 8-bit RGBA, deflate, adaptive filtering, no interlace
        let bomb = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", ihdr)
            + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + pngChunk("IEND", [])
        #expect(caught { try ImageDecoder.decode(bomb) } == .tooLarge(width: 100_000, height: 100_000, limits: .default))
    }

    /// A width of 2^31 - 1 in a valid IHDR: libpng would size (and clear) its row buffers from
    /// it while reading the header; the limits must stop it first. (Found by FuzzPNG once it
    /// repaired CRCs: a 4 KB file made libpng allocate 3 GB.)
    @Test func hugeDeclaredWidthIsRefusedBeforeLibpngAllocatesRows() {
        let ihdr = bigEndian(0x7FFF_FFFF) + bigEndian(1) + [8, 6, 0, 0, 0]
        let png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", ihdr)
            + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + pngChunk("IEND", [])
        #expect(caught { try ImageDecoder.decode(png) } == .tooLarge(width: 0x7FFF_FFFF, height: 1, limits: .default))
        let result = png.withUnsafeBytes { raw in
            Result { () throws(ImagingError) in try PNGDecoder.decodeWithLibpng(raw) }
        }
        #expect(throws: ImagingError.tooLarge(width: 0x7FFF_FFFF, height: 1, limits: .default)) { try result.get() }
    }

    @Test func badChecksumNamesLibpng() throws {
        var png = try PNGEncoder.encode(samples: [1, 2, 3, 4], width: 2, height: 2, colorType: .grey)
        png[29] ^= 0xFF  // inside the IHDR CRC
        let error = caught { try ImageDecoder.decode(png) }
        guard case .corrupt(let library, let message)? = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
        #expect(library == "libpng")
        #expect(!message.isEmpty)
        #expect(error?.description.contains("libpng") == true)
    }
}
