import Testing
@testable import Imaging

@Suite struct GlyphBoxTests {
    @Test func boundingBoxCoversAllPoints() {
        let box = GlyphBox(bounding: [[Point(x: 5, y: -2)], [], [Point(x: -1, y: 3), Point(x: 2, y: 10)]])
        #expect(box == GlyphBox(x: -1, y: -2, width: 6, height: 12))
        #expect(GlyphBox(bounding: [[], []]) == nil)
    }

    @Test func pixelBoxesConvertToOrigin() {
        #expect(GlyphBox(PixelBox(minX: 3, minY: 4, maxX: 10, maxY: 6)) == GlyphBox(x: 3, y: 4, width: 7, height: 2))
    }
}
