import Imaging
import Testing
@testable import Preprocessing

@Suite struct NoiseSuppressionTests {
    @Test func belowTheFloorBecomesZeroAndPeakOne() throws {
        // background 0.1, peak 0.9 → low = 0.1 + 0.15 · 0.8 = 0.22.
        let image = grey(5, 1, [0.1, 0.2, 0.22, 0.56, 0.9])
        let out = try Preprocessor.suppressNoise(image, background: 0.1)
        #expect(out.pixels[0] == 0 && out.pixels[1] == 0)
        #expect(abs(out.pixels[2]) < 1e-6)
        #expect(abs(out.pixels[3] - 0.5) < 1e-5)
        #expect(out.pixels[4] == 1)
    }

    @Test func tooLittleContrastIsEmpty() {
        #expect(caught { try Preprocessor.suppressNoise(grey(3, 1, [0.5, 0.55, 0.59]), background: 0.5) } == .empty)
        #expect(caught { try Preprocessor.suppressNoise(grey(2, 1, [0, 0]), background: 0) } == .empty)
        #expect(caught { try Preprocessor.suppressNoise(grey(2, 1, [0, 0.1]), background: 0) } == nil)
    }

    @Test func paperTextureDisappears() throws {
        var random = SeededGenerator(seed: 7)
        var image = page(width: 30, height: 30, paper: 0.05, ink: 0.95, boxes: [PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 20)])
        for i in image.pixels.indices where image.pixels[i] < 0.5 {
            image.pixels[i] += Float.random(in: -0.05...0.1, using: &random)
        }
        let out = try Preprocessor.suppressNoise(image, background: Preprocessor.borderMedian(image))
        let inkBox = PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 20)
        for y in 0..<30 {
            for x in 0..<30 {
                let inside = x >= inkBox.minX && x < inkBox.maxX && y >= inkBox.minY && y < inkBox.maxY
                #expect(inside ? out[x, y] == 1 : out[x, y] == 0)
            }
        }
    }
}
