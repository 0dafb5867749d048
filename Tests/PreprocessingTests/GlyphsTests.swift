import Imaging
import Testing
@testable import Preprocessing

@Suite struct GlyphsTests {
    let width = 240, height = 80

    func rings(_ centres: [Double]) -> [UInt8] {
        var pixels = [UInt8](repeating: 240, count: width * height)
        for cx in centres { drawRing(&pixels, width: width, cx: cx, cy: 40, radius: 18, thickness: 6, ink: 30) }
        return pixels
    }

    @Test func threeGlyphsSideBySideInOrder() throws {
        let png = try pngBytes(grey: rings([200, 40, 120]), width: width)
        let found = try glyphs(fromImageBytes: png, mode: .multi)
        #expect(found.count == 3)
        #expect(found.map(\.box.x) == found.map(\.box.x).sorted())
        for (glyph, centre) in zip(found, [40.0, 120, 200]) {
            #expect(abs(glyph.box.x + glyph.box.width / 2 - centre) < 2)
        }
        #expect(try glyphs(fromImageBytes: png, mode: .single).count == 1)
    }

    @Test func eachGlyphEqualsItsSingleGlyphImage() throws {
        let pair = try decoded(grey: rings([40, 120]), width: width)
        let alone = try decoded(grey: rings([40]), width: width)
        let multi = try glyphs(from: pair, mode: .multi)
        let single = try glyphs(from: alone, mode: .single)
        #expect(multi.count == 2)
        #expect(multi[0] == single[0])
    }

    @Test func aLevelledPageJustPastMidGreyStillGivesItsGlyph() throws {
        // Dark paper (0.44-0.6) brightening quadratically to the right, a bright bar: the frame's
        // median is 0.475, but levelled by step 2b it is 0.501. Cut out on that shade as it is,
        // the bar's crop would count as light paper, be inverted, and come out empty.
        let w = 60, h = 40
        var pixels = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w { pixels[y * w + x] = UInt8(111 + x * x * 40 / ((w - 1) * (w - 1)) + (x * 7 + y * 13) % 5 - 2) }
        }
        for y in 10..<30 { for x in 25..<35 { pixels[y * w + x] = 245 } }
        let image = try decoded(grey: pixels, width: w)
        let grey = Preprocessor.desaturate(image)
        let oriented = Preprocessor.normalizePolarity(grey)
        #expect(oriented.background < 0.5)
        let paper = Preprocessor.levelPaper(oriented)
        #expect(paper.isLevelled)
        #expect(Preprocessor.borderMedian(paper.image) > 0.5)
        let found = try glyphs(from: image, mode: .multi)
        #expect(found.count == 1)
        #expect(found.first?.box == GlyphBox(x: 25, y: 10, width: 10, height: 20))
    }

    @Test func brokenGlyphMerges() throws {
        // A "5": a top bar drawn apart from the body below it.
        var pixels = [UInt8](repeating: 240, count: width * height)
        for y in 10..<16 { for x in 60..<90 { pixels[y * width + x] = 30 } }
        for y in 22..<70 { for x in 58..<66 { pixels[y * width + x] = 30 } }
        for y in 40..<70 { for x in 58..<88 where (y < 46 || y > 63 || x > 80) { pixels[y * width + x] = 30 } }
        let found = try glyphs(fromImageBytes: pngBytes(grey: pixels, width: width), mode: .multi)
        #expect(found.count == 1)
        #expect(try #require(found.first).box == GlyphBox(x: 58, y: 10, width: 32, height: 60))
    }

    @Test func specksAreDropped() throws {
        var pixels = rings([60, 160])
        for (x, y) in [(110, 5), (230, 75), (5, 70)] { pixels[y * width + x] = 0 }
        let found = try glyphs(fromImageBytes: pngBytes(grey: pixels, width: width), mode: .multi)
        #expect(found.count == 2)
    }

    @Test func fortyBlobsAreTooManyGlyphs() throws {
        let wide = 400
        var pixels = [UInt8](repeating: 255, count: wide * 30)
        for blob in 0..<40 { for y in 5..<25 { for x in (blob * 10 + 2)..<(blob * 10 + 7) { pixels[y * wide + x] = 0 } } }
        let error = caught { try glyphs(fromImageBytes: pngBytes(grey: pixels, width: wide), mode: .multi) }
        #expect(error == .tooManyGlyphs(count: 40, limit: 32))
    }

    @Test func strokesSingleAndMulti() throws {
        let one = [Point(x: 20, y: 10), Point(x: 20, y: 110)]
        let sevenTop = [Point(x: 60, y: 10), Point(x: 110, y: 10)]
        let sevenLeg = [Point(x: 110, y: 10), Point(x: 75, y: 110)]
        let multi = try glyphs(fromStrokes: [sevenLeg, one, sevenTop], mode: .multi)
        #expect(multi.map(\.box) == [
            GlyphBox(x: 20, y: 10, width: 0, height: 100), GlyphBox(x: 60, y: 10, width: 50, height: 100),
        ])
        #expect(multi.allSatisfy { ($0.input.pixels.max() ?? 0) > 0.5 && $0.input.width == 28 })
        let single = try glyphs(fromStrokes: [sevenLeg, one, sevenTop], mode: .single)
        #expect(single.count == 1 && single[0].box == GlyphBox(x: 20, y: 10, width: 90, height: 100))
        // A "1" alone fills 20 px of height and stays thin.
        let ink = try #require(Preprocessor.inkBounds(multi[0].input))
        #expect(ink.height == 20 && ink.width <= 4)
    }

    @Test func strokeErrors() {
        #expect(caught { try glyphs(fromStrokes: [], mode: .single) } == .empty)
        #expect(caught { try glyphs(fromStrokes: [[]], mode: .multi) } == .empty)
        #expect(caught { try glyphs(fromStrokes: [[Point(x: .infinity, y: 1)]], mode: .single) } == .nonFiniteCoordinate(stroke: 0, point: 0))
        let dots = (0..<40).map { [Point(x: Double($0) * 10, y: 0)] }
        #expect(caught { try glyphs(fromStrokes: dots, mode: .multi) } == .tooManyGlyphs(count: 40, limit: 32))
    }

    /// The FuzzStrokes input that found the area-scaling overshoot: a "7" whose 28x28 input
    /// held a pixel of 1.0000001.
    @Test func fuzzedSevenStaysWithinUnitRange() throws {
        let seven = [
            [Point(x: 0, y: 0), Point(x: 100, y: 0), Point(x: 40, y: 150)],
            [Point(x: 20, y: 70), Point(x: 80, y: 70)],
        ]
        for mode in [GlyphMode.single, .multi] {
            let prepared = try glyphs(fromStrokes: seven, mode: mode)
            #expect(!prepared.isEmpty)
            for glyph in prepared {
                #expect(glyph.input.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(mode)")
                #expect((glyph.input.pixels.max() ?? 0) == 1, "\(mode)")
            }
        }
    }
}

