import Testing
@testable import Imaging

@Suite struct PageLayoutTests {
    func box(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> GlyphBox { GlyphBox(x: x, y: y, width: w, height: h) }

    @Test func twoLinesDoNotMergeIntoColumns() {
        // "24 23 1" over "28 12 15": the glyphs stand in columns, which is what a horizontal
        // merge alone would read as one glyph each.
        let xs: [Double] = [0, 30, 90, 120, 180]
        let top = xs.map { box($0, 0, 20, 40) }
        let bottom = [0, 30, 90, 120, 180, 210].map { box($0, 60, 20, 40) }
        let lines = PageLayout.lines(bottom + top)
        #expect(lines == [[6, 7, 8, 9, 10], [0, 1, 2, 3, 4, 5]])
    }

    @Test func aSlantedLineStaysOneLine() {
        // Ten glyphs rising 8 px per glyph (about 15°): the first and last do not overlap at
        // all, neighbours overlap by 80 %; a second line 70 px lower.
        let first = (0..<10).map { box(Double($0) * 30, 100 - Double($0) * 8, 20, 40) }
        let second = (0..<10).map { box(Double($0) * 30, 170 - Double($0) * 8, 20, 40) }
        let lines = PageLayout.lines(first + second)
        #expect(lines == [Array(0..<10), Array(10..<20)])
    }

    @Test func columnsOfATableJoinIntoRows() {
        // Two numbers per row, 200 px apart (five glyph heights), two rows.
        let boxes = [box(0, 0, 20, 40), box(24, 2, 20, 40), box(244, 4, 20, 40), box(268, 3, 20, 40),
                     box(0, 70, 20, 40), box(24, 72, 20, 40), box(244, 70, 20, 40)]
        #expect(PageLayout.lines(boxes) == [[0, 1, 2, 3], [4, 5, 6]])
        #expect(PageLayout.words([0, 1, 2, 3].map { boxes[$0] }) == [[0, 1], [2, 3]])
    }

    @Test func linesOfDifferentHeightsAndSmallPiecesAttach() {
        // A line of big glyphs over a line of small ones; a 5's bar (4 px tall) above the
        // small line's second glyph belongs to that line, not to the big one.
        let big = [box(0, 0, 40, 80), box(50, 4, 40, 80)]
        let small = [box(0, 110, 12, 24), box(16, 112, 12, 22), box(32, 110, 12, 24)]
        let bar = box(17, 106, 12, 4)
        let lines = PageLayout.lines(big + small + [bar])
        #expect(lines == [[0, 1], [2, 3, 5, 4]])
    }

    @Test func aFragmentJoinsTheNearerGlyphWithinReach() {
        // Glyphs 40 px tall: a dot 6 px right of the first (a "1" written with a flick), a bar
        // 10 px left of the third (a 5's bar that overlaps it by less than half), and a speck
        // 60 px (1.5 line heights) from everything, which is dust.
        let boxes = [box(0, 0, 10, 40), box(16, 10, 5, 5), box(40, 0, 25, 40),
                     box(55, 0, 25, 8), box(100, 0, 22, 40), box(180, 20, 4, 4)]
        #expect(PageLayout.fragmentRoles(boxes) == [.glyph, .joins(0), .glyph, .joins(2), .glyph, .dust])
        // Nothing is a fragment on a line of full-height glyphs, however close.
        #expect(PageLayout.fragmentRoles([box(0, 0, 20, 40), box(21, 0, 20, 38)]) == [.glyph, .glyph])
        // A fragment never owns another, and a lone glyph has nothing to join.
        #expect(PageLayout.fragmentRoles([box(0, 0, 20, 40), box(22, 0, 5, 5), box(28, 0, 5, 5), box(60, 0, 20, 40)])
            == [.glyph, .joins(0), .joins(0), .glyph])
        #expect(PageLayout.fragmentRoles([box(0, 0, 5, 5)]) == [.glyph])
        // A wide bar a third of the height, and a thin sliver 0.6 high, are fragments too; a
        // "1" as tall as its line is not, however thin.
        #expect(PageLayout.fragmentRoles([box(0, 0, 30, 40), box(32, 0, 36, 13), box(100, 0, 3, 24), box(105, 0, 25, 40),
                                          box(140, 0, 4, 39), box(150, 0, 25, 40)])
            == [.glyph, .joins(0), .joins(3), .glyph, .glyph, .glyph])
    }

    @Test func aLineOfGlyphsUnderAQuarterOfThePagesTallestIsDust() {
        #expect(PageLayout.glyphHeight([box(0, 0, 20, 40), box(30, 0, 5, 5), box(40, 0, 20, 36), box(70, 0, 20, 30)]) == 36)
        #expect(PageLayout.dustLines([40, 3, 9.9, 10, 64]) == [false, true, true, true, false])
        #expect(PageLayout.dustLines([40, 3, 10]) == [false, true, false])
        #expect(PageLayout.dustLines([]) == [])
    }

    @Test func aFragmentOutOfReachStaysAGlyphUnlessItIsDust() {
        // Line height 40, everything 1.5 line heights from the rest: a bar 0.3 line heights
        // long (a minus sign, say) stays a glyph; a mark whose longer side is 9 px (0.225) is dust.
        let glyphs = [box(0, 0, 20, 40), box(200, 0, 20, 40)]
        #expect(PageLayout.fragmentRoles(glyphs + [box(80, 20, 12, 3)]) == [.glyph, .glyph, .glyph])
        #expect(PageLayout.fragmentRoles(glyphs + [box(80, 20, 9, 9)]) == [.glyph, .glyph, .dust])
        #expect(PageLayout.fragmentRoles(glyphs + [box(80, 20, 10, 10)]) == [.glyph, .glyph, .glyph])
    }

    @Test func wordsBreakAtGapsWideForTheLine() {
        // Height 40: gaps 4 and 6 px inside numbers, 30 px between them ("12 34 5").
        let line = [box(0, 0, 20, 40), box(24, 0, 20, 40), box(74, 0, 20, 40), box(100, 0, 20, 40), box(150, 0, 20, 40)]
        #expect(PageLayout.words(line) == [[0, 1], [2, 3], [4]])
        // The same gaps scaled: the rule is relative to the line's height.
        let scaled = line.map { box($0.x * 3, 0, $0.width * 3, $0.height * 3) }
        #expect(PageLayout.words(scaled) == [[0, 1], [2, 3], [4]])
    }

    @Test func aLineOfOneKindOfGapUsesTheDefault() {
        // Four one-digit numbers (gaps of a line height) and one four-digit number (gaps of a tenth).
        let spaced = (0..<4).map { box(Double($0) * 60, 0, 20, 40) }
        #expect(PageLayout.words(spaced) == [[0], [1], [2], [3]])
        let tight = (0..<4).map { box(Double($0) * 24, 0, 20, 40) }
        #expect(PageLayout.words(tight) == [[0, 1, 2, 3]])
        #expect(PageLayout.breakThreshold([0.1, 0.12, 0.3]) == PageLayout.defaultBreakGap)
        #expect(PageLayout.words([box(0, 0, 5, 5)]) == [[0]])
        #expect(PageLayout.words([]) == [])
    }

    @Test func twoClustersOfGapsSplitBetweenThem() {
        let threshold = PageLayout.breakThreshold([0.1, 0.8, 0.15, 0.05, 0.9])
        #expect(threshold > 0.15 && threshold < 0.8)
        // Clamped: a split of tiny gaps never breaks below joinGap.
        #expect(PageLayout.breakThreshold([0, 0, 0.25, 0.26]) >= PageLayout.joinGap)
    }
}
