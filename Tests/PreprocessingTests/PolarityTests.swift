import Imaging
import Testing
@testable import Preprocessing

@Suite struct PolarityTests {
    @Test func borderMedianCountsEachFramePixelOnce() {
        // 3x3: frame is the 8 outer pixels; the centre (100) must not count.
        let image = grey(3, 3, [1, 2, 3, 4, 100, 5, 6, 7, 8])
        #expect(Preprocessor.borderMedian(image) == 4.5)
        #expect(Preprocessor.borderMedian(grey(1, 3, [0.1, 0.9, 0.3])) == 0.3)
        #expect(Preprocessor.borderMedian(grey(2, 1, [0.2, 0.4])) == 0.3)
    }

    @Test func darkInkOnLightPaperIsInverted() {
        let image = page(width: 8, height: 8, paper: 0.9, ink: 0.1, boxes: [PixelBox(minX: 3, minY: 3, maxX: 5, maxY: 5)])
        let (out, background) = Preprocessor.normalizePolarity(image)
        #expect(abs(background - 0.1) < 1e-6)
        #expect(abs(out[3, 3] - 0.9) < 1e-6)
        #expect(abs(out[0, 0] - 0.1) < 1e-6)
    }

    @Test func lightInkOnDarkPaperIsKept() {
        let image = page(width: 8, height: 8, paper: 0.2, ink: 0.95, boxes: [PixelBox(minX: 3, minY: 3, maxX: 5, maxY: 5)])
        let (out, background) = Preprocessor.normalizePolarity(image)
        #expect(out == image)
        #expect(background == 0.2)
    }

    @Test func backgroundIsRecomputedAfterInversion() {
        // Even frame count with two different middle values.
        let image = grey(2, 2, [0.6, 0.8, 0.7, 0.9])
        let (out, background) = Preprocessor.normalizePolarity(image)
        #expect(background == Preprocessor.borderMedian(out))
    }
}
