import Imaging
import Testing
@testable import Preprocessing

@Suite struct NormalizeTests {
    @Test func subtractsMeanAndDividesByStd() {
        let out = Preprocessor.normalize([0, 0.11, 1], mean: 0.11, std: 0.29)
        #expect(abs(out[0] + 0.11 / 0.29) < 1e-6)
        #expect(out[1] == 0)
        #expect(abs(out[2] - 0.89 / 0.29) < 1e-5)
    }

    @Test func preparedGlyphNormalizesAndPreviewsUnnormalized() throws {
        let input = Preprocessor.centre(grey(2, 2, [1, 0.5, 0.5, 1]))
        let glyph = PreparedGlyph(box: GlyphBox(x: 0, y: 0, width: 2, height: 2), input: input)
        #expect(glyph.normalized(mean: 0.5, std: 0.5) == input.pixels.map { ($0 - 0.5) / 0.5 })
        let preview = try ImageDecoder.decode(try glyph.previewPNG())
        #expect(preview.width == 28 && preview.height == 28)
        #expect(preview.samples == .eight(input.pixels.map { UInt8(($0 * 255 + 0.5).rounded(.down)) }))
    }
}
