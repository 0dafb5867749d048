import Testing
@testable import Imaging

@Suite struct ImageFormatTests {
    @Test func detectsFromMagicBytes() throws {
        let png = try PNGEncoder.encode(samples: [0], width: 1, height: 1, colorType: .grey)
        let jpeg = try JPEGEncoder.encode(pixels: [0], width: 1, height: 1, channels: 1)
        #expect(ImageFormat.detect(png) == .png)
        #expect(ImageFormat.detect(jpeg) == .jpeg)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.detect([]) == nil)
        #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
    }

    @Test func unknownBytesAreUnsupported() {
        let error = caught { try ImageDecoder.decode(Array("<svg></svg>".utf8)) }
        guard case .unsupportedFormat = error else {
            Issue.record("expected unsupportedFormat, got \(String(describing: error))")
            return
        }
        #expect(caught { try ImageDecoder.decode([]) } == .unsupportedFormat("no data"))
    }
}
