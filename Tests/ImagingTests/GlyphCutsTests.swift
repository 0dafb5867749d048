import Testing
@testable import Imaging

@Suite struct GlyphCutsTests {
    /// Two 20x40 blobs joined by a 2 px bridge at mid-height, and a third apart.
    func touchingPair() -> GreyImage {
        var image = GreyImage(width: 100, height: 50)
        for y in 5..<45 {
            for x in 5..<25 { image[x, y] = 1 }
            for x in 29..<49 { image[x, y] = 1 }
            for x in 70..<90 { image[x, y] = 1 }
        }
        for y in 24..<26 { for x in 25..<29 { image[x, y] = 1 } }
        return image
    }

    @Test func theBridgeIsTheCut() throws {
        let map = Segmentation.components(of: touchingPair())
        let page = try PageSegmentation.regions(of: map)
        let regions = page.flatMap { $0.flatMap { $0 } }
        #expect(regions.count == 2)
        let pair = regions[0]
        #expect(pair.box == PixelBox(minX: 5, minY: 5, maxX: 49, maxY: 45))
        let profile = GlyphCuts.columnProfile(pair, of: map)
        #expect(profile.count == 44 && profile[0] == 40 && profile[21] == 2)
        let cuts = GlyphCuts.cutColumns(profile: profile, lineHeight: 40)
        #expect(cuts.first.map { (20...23).contains($0) } == true, "\(cuts)")
        // The separate blob is too narrow for its line to try any cut.
        #expect(GlyphCuts.cutColumns(profile: GlyphCuts.columnProfile(regions[1], of: map), lineHeight: 40) == [])
    }

    @Test func piecesCutAtAColumnHoldOnlyTheirSide() throws {
        let image = touchingPair()
        let map = Segmentation.components(of: image)
        let pair = try #require(PageSegmentation.regions(of: map).first?.first?.first)
        let left = try #require(GlyphCuts.isolate(pair, columns: 0..<27, of: map, from: image, fill: 0))
        #expect(left.box == PixelBox(minX: 5, minY: 5, maxX: 27, maxY: 45))
        #expect(left.image.width == 24 && left.image.height == 42)
        let right = try #require(GlyphCuts.isolate(pair, columns: 27..<100, of: map, from: image, fill: 0))
        #expect(right.box == PixelBox(minX: 27, minY: 5, maxX: 49, maxY: 45))
        #expect(GlyphCuts.isolate(pair, columns: 50..<60, of: map, from: image, fill: 0) == nil)
    }

    @Test func aCutCountsTheStrokesItGoesThrough() throws {
        // An "E": a stem and three bars; a cut down the bars goes through three strokes.
        var image = GreyImage(width: 40, height: 40)
        for y in 5..<35 { for x in 5..<9 { image[x, y] = 1 } }
        for top in [5, 18, 31] { for y in top..<(top + 4) { for x in 9..<30 { image[x, y] = 1 } } }
        let map = Segmentation.components(of: image)
        let e = try #require(PageSegmentation.regions(of: map).first?.first?.first)
        let rows = e.box.height
        #expect(GlyphCuts.strokesCrossed(e, path: [Int](repeating: 20, count: rows), of: map) == 3)
        #expect(GlyphCuts.strokesCrossed(e, path: [Int](repeating: 6, count: rows), of: map) == 1)
        #expect(GlyphCuts.strokesCrossed(e, path: [Int](repeating: 35, count: rows), of: map) == 0)
        // The seam of the touching pair goes through its bridge alone.
        let pairMap = Segmentation.components(of: touchingPair())
        let pair = try #require(PageSegmentation.regions(of: pairMap).first?.first?.first)
        let seam = GlyphCuts.cutPath(pair, near: 27, reach: 4, of: pairMap)
        #expect(GlyphCuts.strokesCrossed(pair, path: seam, of: pairMap) == 1)
    }

    /// Two bands leaning right (a quarter column per row), 2 px of paper between them except a
    /// bridge at rows 18..<21: touching slanted digits, whose valley no vertical cut follows.
    func slantedPair() -> GreyImage {
        var image = GreyImage(width: 60, height: 40)
        for y in 0..<40 {
            let gap = 20 + y / 4
            for x in 5..<gap { image[x, y] = 1 }
            for x in (gap + 2)..<(gap + 16) { image[x, y] = 1 }
            if (18..<21).contains(y) { for x in gap..<(gap + 2) { image[x, y] = 1 } }
        }
        return image
    }

    @Test func aCutWithCheapStepsFollowsTheSlantedValley() throws {
        let image = slantedPair()
        let map = Segmentation.components(of: image)
        let region = try #require(PageSegmentation.regions(of: map).first?.first?.first)
        #expect(map.components.count == 1)
        // At a step's default cost the cut stays straight: leaning would cost more than the
        // ink it spares.
        #expect(GlyphCuts.cutPath(region, near: 26, reach: 8, of: map) == [Int](repeating: 26, count: 40))
        let path = GlyphCuts.cutPath(region, near: 26, reach: 8, stepCost: 1, of: map)
        #expect(path.count == 40)
        // In every row the cut lies in the gap: all of the left band left of it, all of the
        // right band right of it.
        for (row, x) in path.enumerated() {
            let gap = 20 + row / 4
            #expect((gap...(gap + 2)).contains(x), "row \(row): cut at \(x), gap \(gap)..<\(gap + 2)")
        }
        let ends = (left: [Int](repeating: region.box.minX, count: 40), right: [Int](repeating: region.box.maxX, count: 40))
        let left = try #require(GlyphCuts.isolate(region, between: ends.left, and: path, of: map, from: image, fill: 0))
        let right = try #require(GlyphCuts.isolate(region, between: path, and: ends.right, of: map, from: image, fill: 0))
        let leftInk = left.image.pixels.filter { $0 > 0 }.count, rightInk = right.image.pixels.filter { $0 > 0 }.count
        let bands = (0..<40).map { 15 + $0 / 4 }.reduce(0, +)
        #expect(leftInk + rightInk == image.pixels.filter { $0 > 0 }.count)
        #expect(leftInk >= bands && leftInk <= bands + 6 && rightInk >= 14 * 40 && rightInk <= 14 * 40 + 6)
        // A straight cut at the same column splits the right band instead.
        let straight = try #require(GlyphCuts.isolate(region, columns: region.box.minX..<26, of: map, from: image, fill: 0))
        #expect(straight.image.pixels.filter { $0 > 0 }.count > bands + 20)
    }

    @Test func valleysOfTheOutlineAreCandidateCuts() throws {
        // A "U": two 16 px posts joined by a bar along the bottom 8 rows; the paper between the
        // posts is a valley 32 px deep in the upper outline, none in the lower one.
        var u = GreyImage(width: 60, height: 50)
        for y in 5..<45 { for x in 5..<21 { u[x, y] = 1 }; for x in 25..<41 { u[x, y] = 1 } }
        for y in 37..<45 { for x in 21..<25 { u[x, y] = 1 } }
        let map = Segmentation.components(of: u)
        let region = try #require(PageSegmentation.regions(of: map).first?.first?.first)
        let valleys = GlyphCuts.contourValleys(region, of: map, lineHeight: 40)
        #expect(valleys.count == 1 && valleys.allSatisfy { (16...19).contains($0) }, "\(valleys)")
        #expect(GlyphCuts.candidateCuts(region, of: map, lineHeight: 40).contains(valleys[0]))
        // Upside down, an "n": the valley is in the lower outline.
        let n = GreyImage(width: 60, height: 50, pixels: (0..<50).flatMap { y in (0..<60).map { x in u[x, 49 - y] } })
        let flipped = Segmentation.components(of: n)
        let arch = try #require(PageSegmentation.regions(of: flipped).first?.first?.first)
        #expect(GlyphCuts.contourValleys(arch, of: flipped, lineHeight: 40) == valleys)
        // A plain rectangle has no valley, and a narrow region is never cut.
        var block = GreyImage(width: 60, height: 50)
        for y in 5..<45 { for x in 5..<55 { block[x, y] = 1 } }
        let blockMap = Segmentation.components(of: block)
        let solid = try #require(PageSegmentation.regions(of: blockMap).first?.first?.first)
        #expect(GlyphCuts.contourValleys(solid, of: blockMap, lineHeight: 40) == [])
        #expect(GlyphCuts.contourValleys(region, of: map, lineHeight: 80) == [])
    }

    @Test func aRunAsWideAsSeveralDigitsIsAlsoCutEvenly() throws {
        // 120 px in a 50 px line: four digits of 0.6 line heights; 40 px: one, not cut.
        #expect(GlyphCuts.evenCuts(width: 120, lineHeight: 50) == [30, 60, 90])
        #expect(GlyphCuts.evenCuts(width: 45, lineHeight: 50) == [23])  // 22.5, rounded
        #expect(GlyphCuts.evenCuts(width: 40, lineHeight: 50) == [])
        // A solid bar 96 px wide in a 40 px line offers no valley and no profile minimum away
        // from its ends, but its even divisions are candidate cuts.
        var bar = GreyImage(width: 110, height: 50)
        for y in 5..<45 { for x in 5..<101 { bar[x, y] = 1 } }
        let map = Segmentation.components(of: bar)
        let region = try #require(PageSegmentation.regions(of: map).first?.first?.first)
        #expect(GlyphCuts.contourValleys(region, of: map, lineHeight: 40) == [])
        let cuts = GlyphCuts.candidateCuts(region, of: map, lineHeight: 40)
        #expect([24, 48, 72].allSatisfy { cut in cuts.contains { abs($0 - cut) < GlyphCuts.cutMargin(40) } }, "\(cuts)")
    }

    @Test func piecesRespectWidthLimits() {
        // Boundaries at 0, 3, 20, 44 of a region in a 40 px line: 3 px is below the minimum piece
        // width (4 px), so only pieces starting or ending elsewhere are kept, and the whole.
        let pieces = GlyphCuts.pieces(boundaries: [0, 3, 20, 44], lineHeight: 40)
        let pairs = pieces.map { [$0.from, $0.to] }
        #expect(pairs.contains([0, 3]))
        #expect(!pairs.contains([0, 1]))
        #expect(pairs.contains([0, 2]) && pairs.contains([2, 3]) && pairs.contains([1, 3]))
    }

    @Test func aSmoothBlobWithoutValleyHasNoCut() {
        // A plain rectangle twice as wide as tall: its profile is flat, so no minimum to cut at.
        #expect(GlyphCuts.cutColumns(profile: [Int](repeating: 30, count: 60), lineHeight: 30) == [])
    }

    @Test func pageLimitIsEnforced() {
        var image = GreyImage(width: 20 * 30, height: 20 * 30)
        for row in 0..<20 { for column in 0..<30 {
            for y in 0..<10 { for x in 0..<10 { image[column * 20 + x, row * 20 + y] = 1 } }
        } }
        let map = Segmentation.components(of: image)
        #expect(caught { try PageSegmentation.regions(of: map) } == .tooManyGlyphs(count: 600, limit: 512))
        #expect(caught { try PageSegmentation.regions(of: map, limit: 600) } == nil)
    }

    @Test func strokesAreLaidOutAsAPage() throws {
        // "1 7" over "0": a vertical stroke, a seven in two strokes, a far number; a zero below.
        let one = [Point(x: 0, y: 0), Point(x: 0, y: 100)]
        let sevenTop = [Point(x: 40, y: 0), Point(x: 90, y: 0)]
        let sevenLeg = [Point(x: 90, y: 0), Point(x: 60, y: 100)]
        let far = [Point(x: 200, y: 5), Point(x: 200, y: 95)]
        let zero = [Point(x: 0, y: 150), Point(x: 50, y: 200), Point(x: 0, y: 250)]
        let layout = try PageSegmentation.strokeGroups([zero, sevenLeg, far, one, sevenTop])
        #expect(layout == [[[[3], [1, 4]], [[2]]], [[[0]]]])
        #expect(caught { try PageSegmentation.strokeGroups([[], []]) } == .empty)
    }
}
