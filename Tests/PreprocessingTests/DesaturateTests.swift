import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct DesaturateTests {
    @Test func rgbUsesRec601Weights() throws {
        let image = try #require(DecodedImage(width: 3, height: 1, layout: .rgb, samples: .eight([255, 0, 0, 0, 255, 0, 10, 20, 30])))
        let out = Preprocessor.desaturate(image)
        #expect(abs(out.pixels[0] - 0.299) < 1e-6)
        #expect(abs(out.pixels[1] - 0.587) < 1e-6)
        #expect(abs(out.pixels[2] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255) < 1e-6)
    }

    @Test func alphaIsCompositedOverWhite() throws {
        // Transparent black is paper; opaque black is ink; half-transparent black is mid grey.
        let image = try #require(DecodedImage(
            width: 3, height: 1, layout: .rgba, samples: .eight([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 51])))
        let out = Preprocessor.desaturate(image)
        #expect(abs(out.pixels[0] - 1) < 1e-6)
        #expect(out.pixels[1] == 0)
        #expect(abs(out.pixels[2] - 0.8) < 1e-6)
        let greyAlpha = try #require(DecodedImage(width: 1, height: 1, layout: .greyAlpha, samples: .eight([100, 0])))
        #expect(Preprocessor.desaturate(greyAlpha).pixels == [1])
    }

    /// The RGBA 8-bit path is vectorized separately; it must equal the formula bit for bit.
    @Test func vectorizedRGBAMatchesTheFormulaExactly() throws {
        var random = SeededGenerator(seed: 21)
        let (w, h) = (13, 7)
        let samples = (0..<(w * h * 4)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let image = try #require(DecodedImage(width: w, height: h, layout: .rgba, samples: .eight(samples)))
        let out = Preprocessor.desaturate(image)
        for i in 0..<(w * h) {
            let a = Float(samples[4 * i + 3]) / 255
            let c = (0..<3).map { Float(samples[4 * i + $0]) / 255 * a + (1 - a) }
            #expect(out.pixels[i] == 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2], "pixel \(i)")
        }
    }

    @Test func sixteenBitDividesBy65535() throws {
        let image = try #require(DecodedImage(width: 3, height: 1, layout: .grey, samples: .sixteen([0, 65535, 257])))
        let out = Preprocessor.desaturate(image)
        #expect(out.pixels[0] == 0 && out.pixels[1] == 1)
        #expect(abs(out.pixels[2] - 257.0 / 65535) < 1e-7)
        let rgba = try #require(DecodedImage(width: 1, height: 1, layout: .rgba, samples: .sixteen([65535, 0, 0, 32768])))
        let a: Float = 32768.0 / 65535
        #expect(abs(Preprocessor.desaturate(rgba).pixels[0] - (0.299 + 0.701 * (1 - a))) < 1e-6)
    }

    @Test func greyIsDividedBy255() throws {
        let out = Preprocessor.desaturate(try decoded(grey: [0, 51, 255], width: 3))
        #expect(out.pixels == [0, 0.2, 1])
    }
}
