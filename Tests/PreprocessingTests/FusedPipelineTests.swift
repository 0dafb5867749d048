import Imaging
import TestSupport
import Testing
@testable import Preprocessing

/// `prepare` runs steps 2–4 fused, segmentation finds ink without writing steps 2-3 out, and
/// desaturate has a shortcut for runs of equal RGBA pixels; all must give exactly (bit for
/// bit) what the documented steps give one by one.
@Suite struct FusedPipelineTests {
    /// Steps 2–6 one function at a time, as docs/preprocessing.md lists them.
    static func stepByStep(_ grey: GreyImage) throws(ImagingError) -> (input: GreyImage, inkBox: PixelBox) {
        let paper = Preprocessor.levelPaper(Preprocessor.normalizePolarity(grey))
        let clean = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
        let (cropped, box) = try Preprocessor.cropToInk(clean)
        return (Preprocessor.centre(Preprocessor.scaleToBox(cropped)), box)
    }

    static func images() -> [(String, GreyImage)] {
        var random = SeededGenerator(seed: 0xF05E)
        var result: [(String, GreyImage)] = []
        for (width, height) in [(1, 1), (2, 3), (7, 5), (8, 8), (9, 17), (31, 12), (64, 40), (280, 280)] {
            for (paper, slope) in [(Float(0.93), Float(0)), (0.05, 0), (0.5, 0), (0.9, -0.3), (0.1, 0.25)] {
                // Grain, and on the last two a shade that drifts across the page (step 2b).
                var pixels = (0..<(width * height)).map { i in
                    let across = Float(i % width + i / width) / Float(width + height)
                    return paper + slope * across + Float.random(in: -0.04...0.04, using: &random)
                }
                // A few strokes of ink of the other polarity, some touching the right edge (the
                // columns past the last whole block of eight).
                for _ in 0..<3 {
                    let y = Int.random(in: 0..<height, using: &random)
                    let x0 = Int.random(in: 0..<width, using: &random)
                    for x in x0..<width { pixels[y * width + x] = paper > 0.5 ? Float.random(in: 0...0.3, using: &random) : Float.random(in: 0.7...1, using: &random) }
                }
                result.append(("\(width)x\(height) paper \(paper) slope \(slope)", GreyImage(width: width, height: height, pixels: pixels)))
            }
            result.append(("\(width)x\(height) blank", GreyImage(width: width, height: height, filledWith: 0.8)))
        }
        return result
    }

    @Test func prepareEqualsTheStepsOneByOne() {
        // The sloped pages must really take step 2b's levelled path, or it goes untested here.
        let levelled = Self.images().filter { Preprocessor.levelPaper(Preprocessor.normalizePolarity($0.1)).isLevelled }
        #expect(levelled.count >= 10, "\(levelled.map(\.0))")
        for (name, image) in Self.images() {
            let fused = Result { () throws(ImagingError) in try Preprocessor.prepare(image) }
            let steps = Result { () throws(ImagingError) in try Self.stepByStep(image) }
            switch (fused, steps) {
            case (.success(let a), .success(let b)):
                #expect(a.inkBox == b.inkBox, "\(name)")
                #expect(a.input.pixels.map(\.bitPattern) == b.input.pixels.map(\.bitPattern), "\(name)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(name)")
            default:
                Issue.record("\(name): fused \(fused) vs steps \(steps)")
            }
        }
    }

    /// Segmenting finds ink with one threshold on the input (or on the levelled image) instead
    /// of writing steps 2 and 3 out: the same components, the same crops' source and paper.
    @Test func segmentationInkEqualsTheStepsOneByOne() {
        for (name, image) in Self.images() {
            let fused = Result { () throws(ImagingError) in try SegmentationInput(image) }
            let steps = Result { () throws(ImagingError) -> (GreyImage, Segmentation.ComponentMap) in
                let paper = Preprocessor.levelPaper(Preprocessor.normalizePolarity(image))
                let clean = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
                return (paper.isLevelled ? paper.image : image, Segmentation.components(of: clean))
            }
            switch (fused, steps) {
            case (.success(let a), .success(let (source, map))):
                #expect(a.map.labels == map.labels && a.map.components == map.components, "\(name)")
                #expect(a.source.pixels.map(\.bitPattern) == source.pixels.map(\.bitPattern), "\(name)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(name)")
            default:
                Issue.record("\(name): fused \(fused) vs steps \(steps)")
            }
        }
    }

    @Test func equalRGBAPixelRunsDesaturateLikeAnyOther() throws {
        var random = SeededGenerator(seed: 0xDE5A)
        let width = 37, height = 11
        var samples: [UInt8] = []
        // Runs of one colour (some eight or more pixels long, aligned or not) between single pixels.
        while samples.count < width * height * 4 {
            let pixel = (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }
            for _ in 0..<Int.random(in: 1...20, using: &random) { samples += pixel }
        }
        samples = Array(samples.prefix(width * height * 4))
        let image = try #require(DecodedImage(width: width, height: height, layout: .rgba, samples: .eight(samples)))
        let grey = Preprocessor.desaturate(image)
        for i in 0..<(width * height) {
            let a = Float(samples[4 * i + 3]) / 255
            let r = Float(samples[4 * i]) / 255 * a + (1 - a)
            let g = Float(samples[4 * i + 1]) / 255 * a + (1 - a)
            let b = Float(samples[4 * i + 2]) / 255 * a + (1 - a)
            let expected = 0.299 * r + 0.587 * g + 0.114 * b
            #expect(grey.pixels[i].bitPattern == expected.bitPattern, "pixel \(i)")
        }
    }
}
