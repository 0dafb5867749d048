import Imaging
import TestSupport
import Testing
@testable import Preprocessing

@Suite struct PipelineTests {
    /// A canvas export: transparent black background, opaque dark-blue ring.
    func canvasPNG(side: Int = 120) throws -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: side * side)
        drawRing(&mask, width: side, cx: 60, cy: 55, radius: 25, thickness: 8, ink: 1)
        let rgba = mask.flatMap { $0 == 1 ? [UInt8(20), 30, 120, 255] : [0, 0, 0, 0] }
        return try PNGEncoder.encode(samples: rgba, width: side, height: side, colorType: .rgba)
    }

    @Test func transparentCanvasReadsAsInkOnPaper() throws {
        let glyphs = try glyphs(fromImageBytes: canvasPNG(), mode: .single)
        let input = try #require(glyphs.first).input
        #expect(glyphs.count == 1)
        #expect(input.pixels.max() == 1)
        #expect(input[0, 0] == 0 && input[27, 27] == 0)
        // The ring is hollow: its centre stays dark.
        #expect(input[14, 14] == 0)
        let mass = Preprocessor.centreOfMass(input)
        #expect(abs(mass.x - 14) <= 0.5 && abs(mass.y - 14) <= 0.5)
        let box = try #require(glyphs.first).box
        #expect(box.width > 55 && box.width < 62 && box.height > 78 && box.height < 86)
    }

    @Test func bothPolaritiesGiveTheSameInput() throws {
        var dark = [UInt8](repeating: 235, count: 90 * 70)
        drawRing(&dark, width: 90, cx: 40, cy: 35, radius: 18, thickness: 6, ink: 25)
        let light = dark.map { 255 - $0 }
        let a = try Preprocessor.prepare(Preprocessor.desaturate(decoded(grey: dark, width: 90)))
        let b = try Preprocessor.prepare(Preprocessor.desaturate(decoded(grey: light, width: 90)))
        #expect(a.inkBox == b.inkBox)
        #expect(zip(a.input.pixels, b.input.pixels).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func aspectRatioIsPreserved() throws {
        // A 10 x 40 bar → 5 x 20 inside the 28 x 28 input.
        let image = page(width: 30, height: 60, paper: 0, ink: 1, boxes: [PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 50)])
        let (input, box) = try Preprocessor.prepare(image)
        #expect(box == PixelBox(minX: 10, minY: 10, maxX: 20, maxY: 50))
        let ink = try #require(Preprocessor.inkBounds(input))
        #expect(ink.width == 5 && ink.height == 20)
        #expect(input.pixels.filter { $0 > 0 }.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    @Test func noisyJPEGPhotoMatchesTheCleanDrawing() throws {
        let width = 160, height = 120
        var clean = [UInt8](repeating: 200, count: width * height)
        drawRing(&clean, width: width, cx: 80, cy: 60, radius: 30, thickness: 9, ink: 40)
        var random = SeededGenerator(seed: 99)
        let noisy = clean.map { UInt8(clamping: Int($0) + Int.random(in: -12...12, using: &random)) }
        let jpeg = try JPEGEncoder.encode(pixels: noisy, width: width, height: height, channels: 1, quality: 85)
        let fromPhoto = try #require(try glyphs(fromImageBytes: jpeg, mode: .single).first).input
        let fromClean = try Preprocessor.prepare(Preprocessor.desaturate(decoded(grey: clean, width: width))).input
        let difference = zip(fromPhoto.pixels, fromClean.pixels).map { abs($0 - $1) }.reduce(0, +) / 784
        #expect(difference < 0.05)
        #expect(fromPhoto[0, 0] == 0 && fromPhoto[27, 0] == 0)
    }

    @Test func blankOrFlatInputIsEmpty() throws {
        let blank = try pngBytes(grey: [UInt8](repeating: 255, count: 400), width: 20)
        #expect(caught { try glyphs(fromImageBytes: blank, mode: .single) } == .empty)
        #expect(caught { try glyphs(fromImageBytes: blank, mode: .multi) } == .empty)
        var faint = [UInt8](repeating: 128, count: 400)
        faint[210] = 140  // contrast 12/255 < 0.1
        #expect(caught { try glyphs(fromImageBytes: try pngBytes(grey: faint, width: 20), mode: .single) } == .empty)
    }

    @Test func decodeErrorsPassThrough() {
        let tiny = DecodeLimits(maxWidth: 10)
        let error = caught { try glyphs(fromImageBytes: try pngBytes(grey: [UInt8](repeating: 0, count: 400), width: 20), limits: tiny, mode: .single) }
        #expect(error == .tooLarge(width: 20, height: 20, limits: tiny))
    }
}
