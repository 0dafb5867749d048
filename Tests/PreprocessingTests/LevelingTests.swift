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
        let paper = Preprocessor.levelPaper(Preprocessor.normalizePolarity(image))
        try #require(paper.isLevelled)
        let out = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
        // The shaded side is paper, not ink, and the faint bar survives whole.
        let ink = inkCount(out, inside: bar)
        #expect(ink.outside <= 3)
        #expect(ink.inside > 380)
        // The fused pipeline crops to the bar, not to the shaded half of the page.
        let (_, box) = try Preprocessor.prepare(image)
        #expect(isBox(box, within: 2, of: bar))
    }

    @Test func aStrokeAlongATightCropsEdgeDoesNotHideTheLight() throws {
        // A "7" cut out tight from paper that brightens by 0.04 to the right and 0.04 downwards.
        // Its bar covers 65 % of the top row, so that row's median is ink (and the tilt through
        // the medians, being false, would be thrown away); its lower quartile is paper.
        var random = SeededGenerator(seed: 0x7777)
        let w = 54, h = 80
        func shade(_ x: Int, _ y: Int) -> Float { 0.04 * Float(x) / Float(w - 1) + 0.04 * Float(y) / Float(h - 1) }
        var image = GreyImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w { image[x, y] = 0.1 + shade(x, y) + random.floats(4, in: -0.0173...0.0173).reduce(0, +) }
        }
        for y in 0..<8 { for x in 19..<w { image[x, y] = 0.9 } }
        for y in 8..<h {
            let x = w - 4 - Int(Float(y) * 0.45)
            for dx in -4..<4 { image[x + dx, y] = 0.9 }
        }
        let paper = Preprocessor.levelPaper(Preprocessor.normalizePolarity(image))
        try #require(paper.isLevelled)
        let levelled = paper.image
        let mean = (0..<h).flatMap { y in (0..<w).map { x in shade(x, y) } }.reduce(0, +) / Float(w * h)
        var worst: Float = 0
        for y in 0..<h {
            for x in 0..<w { worst = max(worst, abs((image[x, y] - levelled[x, y]) - (shade(x, y) - mean))) }
        }
        #expect(worst < 0.015)
    }

    @Test func aUniformFrameIsLeftAlone() {
        let digit = page(width: 28, height: 28, paper: 0, ink: 1, boxes: [PixelBox(minX: 12, minY: 4, maxX: 16, maxY: 24)])
        #expect(!Preprocessor.levelPaper(Preprocessor.normalizePolarity(digit)).isLevelled)
        let small = page(width: 2, height: 9, paper: 0.1, ink: 0.9, boxes: [PixelBox(minX: 0, minY: 0, maxX: 1, maxY: 9)])
        #expect(!Preprocessor.levelPaper(Preprocessor.normalizePolarity(small)).isLevelled)
    }

    @Test func inkAlongOneSideDoesNotTiltThePage() {
        var random = SeededGenerator(seed: 0x51DE)
        // A stroke down the whole left edge: that column's median is ink, not paper.
        var image = page(width: 60, height: 60, paper: 0.1, ink: 0.9, boxes: [PixelBox(minX: 0, minY: 0, maxX: 5, maxY: 60)])
        for i in image.pixels.indices { image.pixels[i] += random.floats(1, in: -0.01...0.01)[0] }
        #expect(!Preprocessor.levelPaper(Preprocessor.normalizePolarity(image)).isLevelled)
    }
}
