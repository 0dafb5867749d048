import Testing
@testable import Imaging

@Suite struct PNGEncoderTests {
    @Test func greyPreviewRoundTripsWithHalfUpRounding() throws {
        let values: [Float] = [0, 1, 0.5, -3, 7, 1.0 / 255, 0.2, 0.999]
        let png = try PNGEncoder.encodeGrey(GreyImage(width: 4, height: 2, pixels: values))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let image = try ImageDecoder.decode(png)
        #expect(image.layout == .grey && image.width == 4 && image.height == 2)
        #expect(image.samples == .eight([0, 255, 128, 0, 255, 1, 51, 255]))
    }

    @Test func mismatchedSampleCountIsRejected() {
        #expect(throws: PNGEncoder.EncodeError.self) {
            try PNGEncoder.encode(samples: [1, 2, 3], width: 2, height: 2, colorType: .grey)
        }
    }
}
