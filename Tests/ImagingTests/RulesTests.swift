import Testing
@testable import Imaging

@Suite struct RulesTests {
    func page(width: Int, height: Int, _ boxes: [PixelBox]) -> Segmentation.ComponentMap {
        Segmentation.components(of: SegmentationTests().canvas(width: width, height: height, boxes))
    }

    /// Three "1"s 40 px tall, written on a rule 2 px thick across a 200 px page.
    let ones = [PixelBox(minX: 20, minY: 10, maxX: 24, maxY: 52), PixelBox(minX: 60, minY: 10, maxX: 64, maxY: 52),
                PixelBox(minX: 150, minY: 10, maxX: 154, maxY: 52)]

    @Test func aRuleUnderTheDigitsIsErasedAndTheDigitsComeApart() {
        let rule = PixelBox(minX: 0, minY: 50, maxX: 200, maxY: 52)
        let ruled = page(width: 200, height: 70, ones + [rule])
        #expect(ruled.components.count == 1)
        let removed = Rules.removed(from: ruled)
        #expect(removed.components.map(\.box) == ones.map { PixelBox(minX: $0.minX, minY: $0.minY, maxX: $0.maxX, maxY: 50) })
    }

    @Test func aStrokeThroughTheRuleKeepsItsInkThere() {
        // The third "1" goes on 8 px below the rule: it stays one component, rule rows and all.
        let rule = PixelBox(minX: 0, minY: 50, maxX: 200, maxY: 52)
        let through = PixelBox(minX: 150, minY: 10, maxX: 154, maxY: 60)
        let removed = Rules.removed(from: page(width: 200, height: 70, Array(ones.prefix(2)) + [through, rule]))
        #expect(removed.components.map(\.box) == ones.prefix(2).map { PixelBox(minX: $0.minX, minY: $0.minY, maxX: $0.maxX, maxY: 50) }
            + [through])
        #expect(removed.components.last?.pixelCount == 4 * 50)
    }

    @Test func aVerticalRuleIsErasedToo() {
        // A table's border down the left edge of a page 200 px tall, touching the first digit
        // (on a page 70 px tall the border would be no longer than a "1" is tall).
        let border = PixelBox(minX: 18, minY: 0, maxX: 20, maxY: 200)
        let removed = Rules.removed(from: page(width: 200, height: 200, ones + [border]))
        #expect(removed.components.map(\.box) == ones)
    }

    @Test func aRuleAskewIsErasedAlongItsSlant() {
        // 400 px across, dropping a pixel every 80 (5 px in all, more than it is thick), under
        // three "1"s 40 px tall that rest on it.
        var image = GreyImage(width: 400, height: 80)
        for x in 0..<400 { for y in (50 + x / 80)..<(52 + x / 80) { image[x, y] = 1 } }
        let lefts = [40, 200, 330]
        for left in lefts { for y in 10..<(50 + left / 80) { for x in left..<(left + 4) { image[x, y] = 1 } } }
        let map = Segmentation.components(of: image)
        #expect(map.components.count == 1)
        let removed = Rules.removed(from: map)
        #expect(removed.components.map(\.box) == lefts.map { PixelBox(minX: $0, minY: 10, maxX: $0 + 4, maxY: 50 + $0 / 80) })
    }

    @Test func aTablesFrameAndRulesAreErasedTogether() {
        // One component: a frame round a 200 x 200 page, a rule across it, and a "1" on each.
        let frame = [PixelBox(minX: 0, minY: 0, maxX: 200, maxY: 2), PixelBox(minX: 0, minY: 198, maxX: 200, maxY: 200),
                     PixelBox(minX: 0, minY: 0, maxX: 2, maxY: 200), PixelBox(minX: 198, minY: 0, maxX: 200, maxY: 200),
                     PixelBox(minX: 0, minY: 100, maxX: 200, maxY: 102)]
        let digits = [PixelBox(minX: 60, minY: 50, maxX: 64, maxY: 100), PixelBox(minX: 60, minY: 148, maxX: 64, maxY: 198)]
        let map = page(width: 200, height: 200, frame + digits)
        #expect(map.components.count == 1)
        #expect(Rules.removed(from: map).components.map(\.box) == digits)
    }

    @Test func aTightCropOfOneGlyphIsLeftAsItIs() {
        // A 7 whose bar crosses its whole image: the bar is about as long as the 7 is tall.
        let seven = page(width: 40, height: 50, [PixelBox(minX: 0, minY: 0, maxX: 40, maxY: 4),
                                                 PixelBox(minX: 30, minY: 4, maxX: 34, maxY: 50)])
        #expect(Rules.removed(from: seven).components == seven.components)
        // A 1 crosses its image top to bottom: without its stem, nothing is left.
        let one = page(width: 10, height: 50, [PixelBox(minX: 3, minY: 0, maxX: 7, maxY: 50)])
        #expect(Rules.removed(from: one).components == one.components)
        // Joined 7s whose bars make one straight line across a tight crop: 120 px of bar on
        // glyphs 50 px tall is under three glyph heights.
        let bars = [PixelBox(minX: 0, minY: 0, maxX: 120, maxY: 4)] + (0..<4).map { PixelBox(minX: 24 + 30 * $0, minY: 4, maxX: 28 + 30 * $0, maxY: 50) }
        let sevens = page(width: 120, height: 50, bars)
        #expect(Rules.removed(from: sevens).components == sevens.components)
    }

    @Test func aThickBandAcrossThePageIsNoRule() {
        // A dark band 12 px thick along the top of a 200 px photo, two "1"s 52 px tall below
        // it, one touching: 200 px is over three glyph heights, the glyphs over four band
        // thicknesses, but the band is not twenty times as long as it is thick.
        let band = PixelBox(minX: 0, minY: 0, maxX: 200, maxY: 12)
        let touching = PixelBox(minX: 20, minY: 12, maxX: 24, maxY: 64)
        let map = page(width: 200, height: 80, [band, touching, PixelBox(minX: 60, minY: 12, maxX: 64, maxY: 64)])
        #expect(Rules.candidates(in: map).isEmpty)
        #expect(Rules.removed(from: map).components == map.components)
    }

    @Test func aMeshOfLinesCostsABoundedSearch() {
        // One component of crossing lines every 4 px, 100 each way: every search is a pass over
        // the whole page, so the budget allows `searchBudget` of them, not one a line.
        var mesh = GreyImage(width: 400, height: 400)
        for y in stride(from: 0, to: 400, by: 4) { for x in 0..<400 { mesh[x, y] = 1 } }
        for x in stride(from: 0, to: 400, by: 4) { for y in 0..<400 { mesh[x, y] = 1 } }
        let map = Segmentation.components(of: mesh)
        #expect(map.components.count == 1)
        let found = Rules.candidates(in: map)
        #expect(!found.isEmpty && found.count <= Rules.searchBudget)
    }

    @Test func aPageWithoutARuleIsLeftAsItIs() {
        let plain = page(width: 200, height: 70, ones)
        #expect(Rules.removed(from: plain).components == plain.components)
        // A stroke across most of the page but not 90 % of it is no rule.
        let short = page(width: 200, height: 70, ones + [PixelBox(minX: 10, minY: 50, maxX: 180, maxY: 52)])
        #expect(Rules.removed(from: short).components == short.components)
    }
}
