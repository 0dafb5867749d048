// Checks shared by the image and stroke fuzz targets. Everything here traps on a broken
// invariant (that is what libFuzzer reports as a crash) and ignores typed errors, which are
// the expected answer to malformed input.
import Imaging
import Preprocessing

/// Small limits: large enough for real glyph photos, small enough to keep runs fast.
public let fuzzDecodeLimits = DecodeLimits(
    maxWidth: 1024, maxHeight: 1024, maxPixels: 1024 * 1024, maxDecoderMemory: 64 << 20
)

/// What every prepared glyph must look like, whatever the input.
public func checkGlyphs(_ prepared: [PreparedGlyph]) {
    precondition(!prepared.isEmpty, "no glyphs and no error")
    for glyph in prepared {
        precondition(glyph.input.width == 28 && glyph.input.height == 28, "glyph not 28x28")
        precondition(glyph.input.pixels.count == 28 * 28, "glyph pixel count")
        precondition(glyph.input.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "glyph pixel outside [0, 1]")
    }
}

/// Decodes, checks what came out, and runs both glyph modes on it.
public func decodeAndPrepare(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = fuzzDecodeLimits) {
    guard let image = try? ImageDecoder.decode(bytes, limits: limits) else { return }
    precondition(image.width <= limits.maxWidth && image.height <= limits.maxHeight, "decoded past the limits")
    precondition(image.samples.count == image.width * image.height * image.layout.channels, "sample count")
    for mode in [GlyphMode.single, .multi] {
        if let prepared = try? glyphs(from: image, mode: mode) { checkGlyphs(prepared) }
    }
}

/// Validates, renders and prepares a drawing in both modes, checking what comes out.
public func renderAndPrepare(_ drawing: [[Point]], limits: StrokeLimits) {
    guard (try? Strokes.validate(drawing, limits: limits)) != nil else { return }
    if let image = try? StrokeRasterizer.render(drawing, limits: limits) {
        // The longer side maps to 64 px plus a 6 px margin on each side and one spare pixel.
        precondition(image.width <= 77 && image.height <= 77, "render larger than 77x77")
        precondition(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "rendered pixel outside [0, 1]")
    }
    for mode in [GlyphMode.single, .multi] {
        if let prepared = try? glyphs(fromStrokes: drawing, mode: mode, limits: limits) { checkGlyphs(prepared) }
    }
}
