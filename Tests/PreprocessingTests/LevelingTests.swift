import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct LevelingTests {
    /// Light paper darkening by `shadow` from left to right with grain (σ ≈ 0.02), and a faint
    /// bar of ink on the bright side: a photo of a page under a lamp.
    static func shadedPage(shadow: Float, bar: PixelBox) -> GreyImage {
        var random = SeededGenerator(seed: 0x5AD0)
        var image = page(width: 112, height: 112, paper: 0.9, ink: 0.45, boxes: [bar])
        for y in 0..<112 {
            for x in 0..<112 {
                let grain = random.floats(4, in: -0.0173...0.0173).reduce(0, +)
                image[x, y] = min(1, max(0, image[x, y] - shadow * Float(x) / 111 + grain))
            }
        }
        return image
    }

    @Test func aShadowAcrossThePageIsLevelledAway() throws {
        let bar = PixelBox(minX: 20, minY: 30, maxX: 28, maxY: 80)
        let image = Self.shadedPage(shadow: 0.4, bar: bar)
        let (oriented, _) = Preprocessor.normalizePolarity(image)
        let levelled = try #require(Preprocessor.levelPaper(oriented))
        let background = Preprocessor.borderMedian(levelled)
        let spread = Preprocessor.borderSpread(levelled, background: background)
        let out = try Preprocessor.suppressNoise(levelled, background: background, spread: spread)
        // The shaded side is paper, not ink, and the faint bar survives whole.
        let ink = inkCount(out, inside: bar)
        #expect(ink.outside <= 3)
        #expect(ink.inside > 380)
        // The fused pipeline crops to the bar, not to the shaded half of the page.
        let (_, box) = try Preprocessor.prepare(image)
        #expect(isBox(box, within: 2, of: bar))
    }

    @Test func aUniformFrameIsLeftAlone() {
        let digit = page(width: 28, height: 28, paper: 0, ink: 1, boxes: [PixelBox(minX: 12, minY: 4, maxX: 16, maxY: 24)])
        #expect(Preprocessor.levelPaper(digit) == nil)
        let small = page(width: 2, height: 9, paper: 0.1, ink: 0.9, boxes: [PixelBox(minX: 0, minY: 0, maxX: 1, maxY: 9)])
        #expect(Preprocessor.levelPaper(small) == nil)
    }

    @Test func inkAlongOneSideDoesNotTiltThePage() {
        var random = SeededGenerator(seed: 0x51DE)
        // A stroke down the whole left edge: that column's median is ink, not paper.
        var image = page(width: 60, height: 60, paper: 0.1, ink: 0.9, boxes: [PixelBox(minX: 0, minY: 0, maxX: 5, maxY: 60)])
        for i in image.pixels.indices { image.pixels[i] += random.floats(1, in: -0.01...0.01)[0] }
        #expect(Preprocessor.levelPaper(image) == nil)
    }
}
