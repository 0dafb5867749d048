import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct CentreTests {
    @Test func centreOfMassUsesPixelCentres() {
        let mass = Preprocessor.centreOfMass(grey(4, 1, [0, 0, 0, 2]))
        #expect(mass.x == 3.5 && mass.y == 0.5)
    }

    @Test func massLandsWithinHalfAPixelOfTheCentre() {
        var random = SeededGenerator(seed: 11)
        for _ in 0..<50 {
            let w = Int.random(in: 4...20, using: &random), h = Int.random(in: 4...20, using: &random)
            // Lopsided random glyphs: more weight toward one corner.
            let glyph = grey(w, h, (0..<(w * h)).map { i in
                let x = Float(i % w) / Float(w), y = Float(i / w) / Float(h)
                return Float.random(in: 0...1, using: &random) * (0.2 + x * y)
            })
            let out = Preprocessor.centre(glyph)
            #expect(out.width == 28 && out.height == 28)
            let mass = Preprocessor.centreOfMass(out)
            #expect(abs(mass.x - 14) <= 0.5 && abs(mass.y - 14) <= 0.5, "\(w)x\(h): \(mass)")
            #expect(abs(out.pixels.reduce(0, +) - glyph.pixels.reduce(0, +)) < 1e-3)
        }
    }

    @Test func offsetIsClampedSoTheGlyphIsNeverCut() {
        // All mass on the right edge: round(14 − 19.5) = −5 → clamped to 0.
        var glyph = GreyImage(width: 20, height: 20)
        for y in 0..<20 { glyph[19, y] = 1 }
        let out = Preprocessor.centre(glyph)
        for y in 0..<28 { #expect(out[19, y] == (y >= 4 && y < 24 ? 1 : 0)) }
        #expect(out.pixels.reduce(0, +) == 20)
    }

    @Test func roundsHalfUp() {
        // A 1x1 glyph: c = 0.5, 14 − 0.5 = 13.5 → 14 (never banker's 14 vs 13 ambiguity).
        let out = Preprocessor.centre(grey(1, 1, [1]))
        #expect(out[14, 14] == 1)
        // A 2x1 glyph: c = 1, offset 13.
        let two = Preprocessor.centre(grey(2, 1, [1, 1]))
        #expect(two[13, 14] == 1 && two[14, 14] == 1)
    }
}
