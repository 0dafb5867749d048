import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct NoiseSuppressionTests {
    @Test func belowTheFloorBecomesZeroAndPeakOne() throws {
        // background 0.1, peak 0.9 → low = 0.1 + 0.15 · 0.8 = 0.22.
        let image = grey(5, 1, [0.1, 0.2, 0.22, 0.56, 0.9])
        let out = try Preprocessor.suppressNoise(image, background: 0.1, spread: 0)
        #expect(out.pixels[0] == 0 && out.pixels[1] == 0)
        #expect(abs(out.pixels[2]) < 1e-6)
        #expect(abs(out.pixels[3] - 0.5) < 1e-5)
        #expect(out.pixels[4] == 1)
    }

    @Test func tooLittleContrastIsEmpty() {
        #expect(caught { try Preprocessor.suppressNoise(grey(3, 1, [0.5, 0.55, 0.59]), background: 0.5, spread: 0) } == .empty)
        #expect(caught { try Preprocessor.suppressNoise(grey(2, 1, [0, 0]), background: 0, spread: 0) } == .empty)
        #expect(caught { try Preprocessor.suppressNoise(grey(2, 1, [0, 0.1]), background: 0, spread: 0) } == nil)
    }

    @Test func paperTextureDisappears() throws {
        var random = SeededGenerator(seed: 7)
        var image = page(width: 30, height: 30, paper: 0.05, ink: 0.95, boxes: [PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 20)])
        for i in image.pixels.indices where image.pixels[i] < 0.5 {
            image.pixels[i] += Float.random(in: -0.05...0.1, using: &random)
        }
        let background = Preprocessor.borderMedian(image)
        let spread = Preprocessor.borderSpread(image, background: background)
        let out = try Preprocessor.suppressNoise(image, background: background, spread: spread)
        let inkBox = PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 20)
        for y in 0..<30 {
            for x in 0..<30 {
                let inside = x >= inkBox.minX && x < inkBox.maxX && y >= inkBox.minY && y < inkBox.maxY
                #expect(inside ? out[x, y] == 1 : out[x, y] == 0)
            }
        }
    }

    @Test func scanGrainBelowFiveSigmaLeavesNoSpecks() throws {
        // Light paper with roughly Gaussian grain (σ = 0.05, a sum of four uniforms) and a dark
        // bar: under the plain 15 % rule a hundred or more grain pixels would pass as ink.
        var random = SeededGenerator(seed: 11)
        let bar = PixelBox(minX: 50, minY: 30, maxX: 60, maxY: 80)
        var image = page(width: 112, height: 112, paper: 0.9, ink: 0.2, boxes: [bar])
        for i in image.pixels.indices where image.pixels[i] > 0.5 {
            let grain = (0..<4).reduce(Float(0)) { sum, _ in sum + Float.random(in: -0.0433...0.0433, using: &random) }
            image.pixels[i] = min(1, image.pixels[i] + grain)
        }
        let (oriented, background) = Preprocessor.normalizePolarity(image)
        let spread = Preprocessor.borderSpread(oriented, background: background)
        #expect(spread > 0.02 && spread < 0.05)
        let peak = oriented.pixels.max() ?? 0
        let plainLow = background + Preprocessor.noiseFloor * (peak - background)
        #expect(oriented.pixels.filter { $0 > plainLow }.count > 500 + 100)
        let out = try Preprocessor.suppressNoise(oriented, background: background, spread: spread)
        let ink = inkCount(out, inside: bar)
        #expect(ink.outside <= 3)
        #expect(ink.inside > 475)
        // The whole pipeline crops to the bar, not to the page.
        let (_, box) = try Preprocessor.prepare(image)
        #expect(isBox(box, within: 3, of: bar))
    }

    @Test func theSpreadRuleStopsAtHalfTheContrast() {
        let background: Float = 0.1, peak: Float = 0.9, spread: Float = 0.04
        #expect(Preprocessor.inkThreshold(background: 0, peak: 1, spread: 0.4) == 0.5)
        // Clean input: exactly the 15 % rule, bit for bit.
        let plain: Float = background + Preprocessor.noiseFloor * (peak - background)
        #expect(Preprocessor.inkThreshold(background: background, peak: peak, spread: 0) == plain)
        let grainy: Float = Preprocessor.spreadFloor * spread
        #expect(Preprocessor.inkThreshold(background: 0, peak: 1, spread: spread) == grainy)
    }
}
