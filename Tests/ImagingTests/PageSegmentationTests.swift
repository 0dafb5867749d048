import Testing
@testable import Imaging

@Suite struct PageSegmentationTests {
    /// Ink (1) in `boxes` on paper (0).
    func page(width: Int, height: Int, _ boxes: [PixelBox]) -> GreyImage {
        SegmentationTests().canvas(width: width, height: height, boxes)
    }

    @Test func dustFarFromTheDigitsOfASmallLineIsDropped() throws {
        // Two "1"s 24 px tall, and a 2 px speck 2.5 line heights to their right: big enough
        // for the page-wide speck rule to keep beside digits this small, dust for its line.
        let ones = [PixelBox(minX: 10, minY: 4, maxX: 13, maxY: 28), PixelBox(minX: 18, minY: 4, maxX: 21, maxY: 28)]
        let speck = PixelBox(minX: 80, minY: 14, maxX: 82, maxY: 16)
        let map = Segmentation.components(of: page(width: 100, height: 32, ones + [speck]))
        #expect(try Segmentation.significant(map).count == 3)
        let layout = try PageSegmentation.regions(of: map)
        #expect(layout.flatMap { $0.flatMap { $0.map(\.box) } } == ones)
        // Beside a digit, the same speck is part of it (a stroke's broken-off end).
        let near = PixelBox(minX: 24, minY: 14, maxX: 26, maxY: 16)
        let joined = try PageSegmentation.regions(of: Segmentation.components(of: page(width: 100, height: 32, ones + [near])))
        #expect(joined.flatMap { $0.flatMap { $0.map(\.box) } } == [ones[0], ones[1].union(near)])
    }

    @Test func specksThatSeedLinesOfTheirOwnAreDropped() throws {
        // Two "1"s 40 px tall and five 3 px specks below them, each at its own height: the
        // specks outnumber the digits, so the median height that picks line seeds is a
        // speck's and each speck is a line of its own.
        let ones = [PixelBox(minX: 10, minY: 4, maxX: 14, maxY: 44), PixelBox(minX: 20, minY: 4, maxX: 24, maxY: 44)]
        let specks = (0..<5).map { PixelBox(minX: 10 + 20 * $0, minY: 60 + 12 * $0, maxX: 13 + 20 * $0, maxY: 63 + 12 * $0) }
        let map = Segmentation.components(of: page(width: 120, height: 124, ones + specks))
        #expect(try Segmentation.significant(map).count == 7)
        #expect(PageLayout.lines(map.components.map { GlyphBox($0.box) }).count == 6)
        let layout = try PageSegmentation.regions(of: map)
        #expect(layout.map { $0.flatMap { $0.map(\.box) } } == [ones])
    }
}
