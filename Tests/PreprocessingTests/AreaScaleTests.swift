import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct AreaScaleTests {
    @Test(arguments: [
        ((40, 20), (20, 10)), ((3, 30), (2, 20)), ((1, 100), (1, 20)), ((7, 7), (20, 20)),
        ((30, 1), (20, 1)), ((21, 2), (20, 2)), ((200, 13), (20, 1)), ((200, 15), (20, 2)),
    ])
    func longerSideBecomesTwentyKeepingAspect(input: (Int, Int), expected: (Int, Int)) {
        let size = Preprocessor.scaledSize(width: input.0, height: input.1)
        #expect(size.width == expected.0 && size.height == expected.1)
    }

    @Test func fractionalCoverageIsWeighted() {
        // 3 → 2: target 0 covers [0, 1.5), target 1 covers [1.5, 3).
        let out = Preprocessor.areaResample(grey(3, 1, [0.3, 0.6, 0.9]), width: 2, height: 1)
        #expect(abs(out.pixels[0] - (0.3 + 0.5 * 0.6) / 1.5) < 1e-6)
        #expect(abs(out.pixels[1] - (0.5 * 0.6 + 0.9) / 1.5) < 1e-6)
    }

    @Test func integerDownscaleAveragesBlocks() {
        let image = grey(4, 4, (0..<16).map { Float($0) })
        let out = Preprocessor.areaResample(image, width: 2, height: 2)
        let expected: [Float] = [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]
        #expect(zip(out.pixels, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func upscalingRepeatsPixelsAndKeepsTheMean() {
        let out = Preprocessor.areaResample(grey(2, 1, [0.25, 1]), width: 20, height: 10)
        for y in 0..<10 {
            for x in 0..<20 { #expect(abs(out[x, y] - (x < 10 ? 0.25 : 1)) < 1e-6) }
        }
        var random = SeededGenerator(seed: 3)
        let image = grey(37, 23, (0..<(37 * 23)).map { _ in Float.random(in: 0...1, using: &random) })
        let scaled = Preprocessor.scaleToBox(image)
        #expect(scaled.width == 20 && scaled.height == 12)
        let mean = { (g: GreyImage) in g.pixels.reduce(0, +) / Float(g.pixels.count) }
        // Area averaging preserves the mean exactly when it resamples whole images.
        #expect(abs(mean(scaled) - mean(image)) < 1e-4)
    }

    /// Found by fuzzing (FuzzStrokes): the Float weights of a tap can sum to just over 1, so
    /// solid ink came out as 1.0000001, outside the documented [0, 1].
    @Test func solidInkStaysWithinOne() {
        for (width, height) in [(77, 115), (13, 77), (115, 77), (3, 7), (61, 99), (150, 100)] {
            let size = Preprocessor.scaledSize(width: width, height: height)
            let out = Preprocessor.areaResample(
                grey(width, height, [Float](repeating: 1, count: width * height)), width: size.width, height: size.height
            )
            #expect(out.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(width)x\(height)")
            #expect(out.pixels.allSatisfy { abs($0 - 1) < 1e-6 }, "\(width)x\(height)")
        }
    }
}
