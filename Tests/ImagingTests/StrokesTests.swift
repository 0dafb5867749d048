import Testing
@testable import Imaging

@Suite struct StrokesTests {
    @Test func quickDrawStrokesAreZipped() {
        let strokes = Strokes.fromQuickDraw([[[1, 2, 3], [4, 5, 6]], [[7, 8], [9], [100, 200]], [[1]]])
        #expect(strokes == [
            [Point(x: 1, y: 4), Point(x: 2, y: 5), Point(x: 3, y: 6)],
            [Point(x: 7, y: 9)],
            [],
        ])
    }

    @Test func pairStrokesConvertOrFail() {
        #expect(Strokes.fromPairs([[[1, 2], [3, 4]], [], [[5, 6]]]) == [
            [Point(x: 1, y: 2), Point(x: 3, y: 4)], [], [Point(x: 5, y: 6)],
        ])
        #expect(Strokes.fromPairs([[[1, 2], [3]]]) == nil)
        #expect(Strokes.fromPairs([[[1, 2, 3]]]) == nil)
    }

    @Test func limitsAreEnforced() {
        let dot = [Point(x: 0, y: 0)]
        #expect(caught { try Strokes.validate(Array(repeating: dot, count: 501)) } == .tooManyStrokes(count: 501, limit: 500))
        #expect(caught { try Strokes.validate(Array(repeating: dot, count: 500)) } == nil)
        let long = Array(repeating: Point(x: 1, y: 1), count: 5001)
        #expect(caught { try Strokes.validate([long, long]) } == .tooManyPoints(count: 10_002, limit: 10_000))
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300])
    func nonFiniteCoordinatesAreNamed(bad: Double) {
        let strokes = [[Point(x: 0, y: 0)], [Point(x: 1, y: 1), Point(x: 2, y: bad)]]
        #expect(caught { try Strokes.validate(strokes) } == .nonFiniteCoordinate(stroke: 1, point: 1))
        #expect(ImagingError.nonFiniteCoordinate(stroke: 1, point: 1).description.contains("stroke 1, point 1"))
    }
}
