import Testing
import TestSupport
@testable import Imaging

@Suite struct SegmentationTests {
    /// Paints filled rectangles (value 1) on a zero image.
    func canvas(width: Int, height: Int, _ boxes: [PixelBox]) -> GreyImage {
        var image = GreyImage(width: width, height: height)
        for box in boxes {
            for y in box.minY..<box.maxY { for x in box.minX..<box.maxX { image[x, y] = 1 } }
        }
        return image
    }

    @Test func eightConnectivityJoinsDiagonals() {
        var image = GreyImage(width: 4, height: 4)
        image[0, 0] = 1
        image[1, 1] = 0.5
        image[3, 3] = 1
        let map = Segmentation.components(of: image)
        #expect(map.components.count == 2)
        #expect(map.components[0] == .init(box: PixelBox(minX: 0, minY: 0, maxX: 2, maxY: 2), pixelCount: 2))
        #expect(map.labels[0] == 1 && map.labels[5] == 1 && map.labels[15] == 2 && map.labels[1] == 0)
    }

    /// The definition, slowly: a flood fill from each unlabelled ink pixel in raster order.
    func floodFill(_ image: GreyImage) -> [Int32] {
        let w = image.width, h = image.height
        var labels = [Int32](repeating: 0, count: w * h)
        var next: Int32 = 0
        for start in 0..<(w * h) where image.pixels[start] > 0 && labels[start] == 0 {
            next += 1
            labels[start] = next
            var stack = [start]
            while let i = stack.popLast() {
                for ny in max(0, i / w - 1)...min(h - 1, i / w + 1) {
                    for nx in max(0, i % w - 1)...min(w - 1, i % w + 1) where image.pixels[ny * w + nx] > 0 && labels[ny * w + nx] == 0 {
                        labels[ny * w + nx] = next
                        stack.append(ny * w + nx)
                    }
                }
            }
        }
        return labels
    }

    @Test func runLabellingEqualsAFloodFill() {
        var rng = SeededGenerator(seed: 7)
        // Sparse masks and rows wider than 16 pixels: the paper between runs is skipped 16 at a time.
        for density in [0.01, 0.05, 0.3, 0.5, 0.62] {
            for _ in 0..<20 {
                let w = 1 + Int(rng.next() % 80), h = 1 + Int(rng.next() % 30)
                var image = GreyImage(width: w, height: h)
                for i in 0..<(w * h) where Double(rng.next() % 1000) / 1000 < density { image.pixels[i] = 1 }
                let map = Segmentation.components(of: image)
                let labels = floodFill(image)
                #expect(map.labels == labels)
                var paper = image
                for i in paper.pixels.indices { paper.pixels[i] = 1 - paper.pixels[i] }
                #expect(Segmentation.components(of: paper, above: 0, inverted: true).labels == labels)
                #expect(map.components.count == Int(labels.max() ?? 0))
                for (c, component) in map.components.enumerated() {
                    let mine = labels.indices.filter { labels[$0] == Int32(c + 1) }
                    #expect(component.pixelCount == mine.count)
                    #expect(component.box == PixelBox(minX: mine.map { $0 % w }.min()!, minY: mine.map { $0 / w }.min()!,
                                                      maxX: mine.map { $0 % w }.max()! + 1, maxY: mine.map { $0 / w }.max()! + 1))
                }
            }
        }
        // A U and a spiral: runs that meet only lower down, and a set named by its first run.
        let u = canvas(width: 9, height: 6, [PixelBox(minX: 0, minY: 0, maxX: 2, maxY: 6),
                                             PixelBox(minX: 7, minY: 0, maxX: 9, maxY: 6),
                                             PixelBox(minX: 0, minY: 5, maxX: 9, maxY: 6)])
        #expect(Segmentation.components(of: u).components.count == 1)
        #expect(Segmentation.components(of: u).labels == floodFill(u))
    }

    @Test func threeBlobsComeOutLeftToRight() throws {
        let boxes = [
            PixelBox(minX: 70, minY: 5, maxX: 85, maxY: 35),
            PixelBox(minX: 5, minY: 8, maxX: 20, maxY: 38),
            PixelBox(minX: 38, minY: 2, maxX: 52, maxY: 30),
        ]
        let map = Segmentation.components(of: canvas(width: 100, height: 40, boxes))
        let regions = try Segmentation.regions(of: map)
        #expect(regions.map(\.box) == [boxes[1], boxes[2], boxes[0]])
    }

    @Test func horizontallyOverlappingPartsMerge() throws {
        // Top bar of a "5" drawn apart from its body: overlap 10 of the narrower 12 → merged.
        // A neighbour overlapping by 2 of its 10 columns stays separate.
        let bar = PixelBox(minX: 10, minY: 2, maxX: 22, maxY: 5)
        let body = PixelBox(minX: 8, minY: 8, maxX: 20, maxY: 30)
        let neighbour = PixelBox(minX: 18, minY: 33, maxX: 28, maxY: 39)
        let map = Segmentation.components(of: canvas(width: 40, height: 40, [bar, body, neighbour]))
        let regions = try Segmentation.regions(of: map)
        #expect(regions.count == 2)
        #expect(regions[0].box == bar.union(body))
        #expect(Set(regions[0].labels).count == 2)
        #expect(regions[1].box == neighbour)
    }

    @Test func specksAreDropped() throws {
        let glyph = PixelBox(minX: 10, minY: 5, maxX: 25, maxY: 55)  // 50 tall
        let speck = PixelBox(minX: 40, minY: 20, maxX: 42, maxY: 22)  // 2 px < 8 % of 50
        let line = PixelBox(minX: 40, minY: 40, maxX: 60, maxY: 42)   // 2 tall but 20 long: kept
        let map = Segmentation.components(of: canvas(width: 70, height: 60, [glyph, speck, line]))
        let regions = try Segmentation.regions(of: map)
        #expect(regions.map(\.box) == [glyph, line])
    }

    @Test func fortyBlobsAreTooManyGlyphs() {
        let boxes = (0..<40).map { PixelBox(minX: $0 * 10, minY: 2, maxX: $0 * 10 + 6, maxY: 12) }
        let map = Segmentation.components(of: canvas(width: 400, height: 14, boxes))
        #expect(caught { try Segmentation.regions(of: map) } == .tooManyGlyphs(count: 40, limit: 32))
    }

    @Test func blankMaskIsEmpty() {
        let map = Segmentation.components(of: GreyImage(width: 5, height: 5))
        #expect(caught { try Segmentation.regions(of: map) } == .empty)
    }

    @Test func isolateKeepsOnlyTheRegionsPixels() throws {
        var source = GreyImage(width: 10, height: 6, filledWith: 0.9)
        var mask = GreyImage(width: 10, height: 6)
        for (x, y) in [(2, 2), (3, 2), (4, 3), (6, 2)] {
            source[x, y] = 0.1
            mask[x, y] = 1
        }
        let map = Segmentation.components(of: mask)
        let left = try #require(map.components.indices.first { map.components[$0].box.minX == 2 })
        let region = Segmentation.Region(box: PixelBox(minX: 2, minY: 2, maxX: 7, maxY: 4), labels: [Int32(left + 1)])
        let alone = Segmentation.isolate(region, of: map, from: source, fill: 0.9)
        #expect(alone.width == 7 && alone.height == 4)
        #expect(alone[1, 1] == 0.1 && alone[2, 1] == 0.1 && alone[3, 2] == 0.1)
        #expect(alone[5, 1] == 0.9)  // the neighbour at (6, 2) does not leak in
        #expect(alone.pixels.filter { $0 == 0.1 }.count == 3)
    }

    @Test func strokesGroupByHorizontalOverlap() throws {
        let one = [Point(x: 0, y: 0), Point(x: 0, y: 100)]
        let sevenTop = [Point(x: 60, y: 0), Point(x: 100, y: 0)]
        let sevenLeg = [Point(x: 100, y: 0), Point(x: 70, y: 100)]
        let zero = [Point(x: 130, y: 0), Point(x: 180, y: 50), Point(x: 130, y: 100)]
        let groups = try Segmentation.groupStrokes([zero, sevenLeg, one, sevenTop])
        #expect(groups == [[2], [1, 3], [0]])
        #expect(caught { try Segmentation.groupStrokes([[], []]) } == .empty)
        let many = (0..<33).map { [Point(x: Double($0) * 10, y: 0)] }
        #expect(caught { try Segmentation.groupStrokes(many) } == .tooManyGlyphs(count: 33, limit: 32))
    }
}

