import Testing
@testable import Imaging

@Suite struct JPEGEncoderTests {
    @Test func progressiveFilesDifferFromBaseline() throws {
        let pixels = ringImage(width: 32, height: 32)
        let baseline = try JPEGEncoder.encode(pixels: pixels, width: 32, height: 32, channels: 1)
        let progressive = try JPEGEncoder.encode(pixels: pixels, width: 32, height: 32, channels: 1, progressive: true)
        let hasMarker = { (bytes: [UInt8], marker: UInt8) in
            (0..<(bytes.count - 1)).contains { bytes[$0] == 0xFF && bytes[$0 + 1] == marker }
        }
        #expect(hasMarker(baseline, 0xC0) && !hasMarker(baseline, 0xC2))
        #expect(hasMarker(progressive, 0xC2))
    }

    @Test func badGeometryIsRejected() {
        #expect(throws: JPEGEncoder.EncodeError.self) {
            try JPEGEncoder.encode(pixels: [1, 2], width: 2, height: 2, channels: 1)
        }
        #expect(throws: JPEGEncoder.EncodeError.self) {
            try JPEGEncoder.encode(pixels: [1, 2, 3, 4], width: 2, height: 1, channels: 2)
        }
    }
}
