import Testing
@testable import Imaging

@Suite struct JPEGDecoderTests {
    let width = 64, height = 48

    func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
    }

    @Test(arguments: [false, true])
    func greyRoundTrip(progressive: Bool) throws {
        let pixels = ringImage(width: width, height: height)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 1, quality: 95, progressive: progressive)
        let image = try ImageDecoder.decode(jpeg)
        #expect(image.layout == .grey && image.width == width && image.height == height)
        guard case .eight(let decoded) = image.samples else {
            Issue.record("expected 8-bit")
            return
        }
        #expect(meanAbsoluteDifference(decoded, pixels) < 4)
    }

    @Test(arguments: [false, true])
    func colourRoundTrip(progressive: Bool) throws {
        let grey = ringImage(width: width, height: height)
        // Ink in dark blue, paper in off-white.
        let pixels = grey.flatMap { $0 < 128 ? [UInt8(10), 20, 90] : [250, 248, 240] }
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 3, quality: 95, progressive: progressive)
        let image = try ImageDecoder.decode(jpeg)
        #expect(image.layout == .rgb)
        guard case .eight(let decoded) = image.samples else {
            Issue.record("expected 8-bit")
            return
        }
        #expect(meanAbsoluteDifference(decoded, pixels) < 6)
    }

    @Test func cmykIsRefusedClearly() throws {
        let pixels = [UInt8](repeating: 30, count: 8 * 8 * 4)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: 8, height: 8, channels: 4)
        let error = caught { try ImageDecoder.decode(jpeg) }
        #expect(error == .unsupportedFormat("CMYK JPEG images are not supported"))
    }

    /// A baseline JPEG whose SOF0 is patched to claim 60000 x 60000.
    @Test func decompressionBombIsRefused() throws {
        var jpeg = try JPEGEncoder.encode(pixels: [UInt8](repeating: 128, count: 64), width: 8, height: 8, channels: 1)
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        let size: [UInt8] = [0xEA, 0x60]  // 60000
        jpeg.replaceSubrange((sof + 5)..<(sof + 7), with: size)
        jpeg.replaceSubrange((sof + 7)..<(sof + 9), with: size)
        #expect(caught { try ImageDecoder.decode(jpeg) } == .tooLarge(width: 60_000, height: 60_000, limits: .default))
    }

    @Test func progressiveScanCountIsBounded() throws {
        let pixels = patternSamples(width: width, height: height, channels: 3)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 3, progressive: true)
        let error = caught { try ImageDecoder.decode(jpeg, limits: DecodeLimits(maxJPEGScans: 2)) }
        guard case .corrupt(library: "libjpeg", let message)? = error else {
            Issue.record("expected a libjpeg error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("scans"))
        #expect(try ImageDecoder.decode(jpeg).width == width)
    }

    /// A scan bomb: a valid progressive file whose last scan is repeated 1000 times. libjpeg
    /// only warns about the bogus progression and would re-decode every scan; the scan limit
    /// stops it.
    @Test func repeatedProgressiveScansAreRefused() throws {
        let pixels = ringImage(width: width, height: height)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 1, progressive: true)
        let scans = (0..<(jpeg.count - 1)).filter { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }
        let lastScan = try #require(scans.last)
        #expect(scans.count > 2)
        #expect(Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        let scan = Array(jpeg[lastScan..<(jpeg.count - 2)])
        let bomb = Array(jpeg[..<(jpeg.count - 2)]) + Array([[UInt8]](repeating: scan, count: 1000).joined()) + [0xFF, 0xD9]
        let error = caught { try ImageDecoder.decode(bomb) }
        guard case .corrupt(library: "libjpeg", let message)? = error else {
            Issue.record("expected a libjpeg error, got \(String(describing: error))")
            return
        }
        #expect(message == "more than 500 progressive scans")
        // It is the scan limit that stops it: with a higher limit libjpeg grinds through.
        #expect(try ImageDecoder.decode(bomb, limits: DecodeLimits(maxJPEGScans: 2000)).width == width)
    }

    /// Progressive decoding keeps every coefficient of the image; a memory cap stops it.
    @Test func decoderMemoryIsBounded() throws {
        let side = 512
        let pixels = patternSamples(width: side, height: side, channels: 3)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: side, height: side, channels: 3, progressive: true)
        let error = caught { try ImageDecoder.decode(jpeg, limits: DecodeLimits(maxDecoderMemory: 256 << 10)) }
        guard case .corrupt(library: "libjpeg", _)? = error else {
            Issue.record("expected a libjpeg error, got \(String(describing: error))")
            return
        }
        #expect(try ImageDecoder.decode(jpeg).width == side)
    }

    @Test func truncatedDataIsAnErrorNotGreyPadding() throws {
        let pixels = ringImage(width: width, height: height)
        let jpeg = try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 1)
        let error = caught { try ImageDecoder.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        guard case .corrupt(library: "libjpeg", _)? = error else {
            Issue.record("expected a libjpeg error, got \(String(describing: error))")
            return
        }
    }
}
