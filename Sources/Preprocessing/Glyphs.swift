import Imaging

/// Whether an input is one glyph, or a row of glyphs to split (multi-digit numbers).
public enum GlyphMode: String, Sendable {
    case single, multi
}

/// One glyph ready for the network: where it was in the input, and its 28x28 pixels before
/// normalization (so a debug preview shows what the network saw, in [0, 1]).
public struct PreparedGlyph: Equatable, Sendable {
    /// In the input's units: image pixels, or canvas units for strokes (the points' box,
    /// without the rendered line width).
    public let box: GlyphBox
    /// 28x28, row-major, values in [0, 1].
    public let input: GreyImage

    public init(box: GlyphBox, input: GreyImage) {
        self.box = box
        self.input = input
    }

    /// The network input: step 7 with the manifest's mean and std.
    public func normalized(mean: Float, std: Float) -> [Float] {
        Preprocessor.normalize(input.pixels, mean: mean, std: std)
    }

    /// The un-normalized input as an 8-bit grey PNG (the caller base64-encodes it).
    public func previewPNG() throws(PNGEncoder.EncodeError) -> [UInt8] {
        try PNGEncoder.encodeGrey(input)
    }
}

/// Decode + preprocess in one call. For separate timings call `ImageDecoder.decode` and then
/// `glyphs(from:mode:)`.
public func glyphs(
    fromImageBytes bytes: [UInt8], limits: DecodeLimits = .default, mode: GlyphMode
) throws(ImagingError) -> [PreparedGlyph] {
    try glyphs(from: ImageDecoder.decode(bytes, limits: limits), mode: mode)
}

/// Preprocesses a decoded image: the whole image as one glyph, or each segmented glyph on its
/// own, left to right.
public func glyphs(from image: DecodedImage, mode: GlyphMode) throws(ImagingError) -> [PreparedGlyph] {
    let grey = Preprocessor.desaturate(image)
    switch mode {
    case .single:
        let (input, box) = try Preprocessor.prepare(grey)
        return [PreparedGlyph(box: GlyphBox(box), input: input)]
    case .multi:
        let ink = try SegmentationInput(grey)
        var result: [PreparedGlyph] = []
        for region in try Segmentation.regions(of: ink.map) {
            // A faint component can pass the whole image's threshold yet lack contrast alone.
            guard let input = ink.prepare(ink.isolate(region)) else { continue }
            result.append(PreparedGlyph(box: GlyphBox(region.box), input: input))
        }
        if result.isEmpty { throw .empty }
        return result
    }
}

/// What segmenting an image works on: the ink mask's components, and the image and paper
/// shade each glyph is cut out of.
struct SegmentationInput {
    var map: Segmentation.ComponentMap
    let source: GreyImage
    let fill: Float
    /// Subtracted from a crop of a levelled page (see `prepare`); 0 otherwise.
    let shift: Float

    init(_ grey: GreyImage) throws(ImagingError) {
        // Steps 2-3 decide only which pixels are ink here; the crops are taken from `source`.
        // On clean paper (no levelling) that is one threshold on the input itself, so the
        // inverted and the suppressed full-size images are never written: a pixel is ink
        // exactly when its step-3 quotient is above 0, i.e. when its oriented value (`1 - x`
        // when inverted, computed as step 2 computes it) is above step 3's threshold.
        let border = Preprocessor.sortedBorder(grey)
        let invert = Preprocessor.median(ofSorted: border) > 0.5
        let oriented = invert ? border.reversed().map { 1 - $0 } : border
        let background = Preprocessor.median(ofSorted: oriented)
        let spread = Preprocessor.spread(of: oriented, around: background)
        guard let levelling = Preprocessor.levelling(grey, invert: invert, spread: spread) else {
            let peak = grey.pixels.withUnsafeBufferPointer { invert ? 1 - Preprocessor.minimum($0) : Preprocessor.maximum($0) }
            guard peak - background >= Preprocessor.minimumContrast else { throw .empty }
            let low = Preprocessor.inkThreshold(background: background, peak: peak, spread: spread)
            (source, fill, shift) = (grey, Preprocessor.median(ofSorted: border), 0)
            map = Segmentation.components(of: grey, above: low, inverted: invert)
            return
        }
        // An unevenly lit page: each glyph is preprocessed from the levelled values (ink
        // bright, polarity applied on the way) on the levelled paper, which is flat wherever
        // the glyph sat, so the recipe sees what a single-glyph input of it gives. They are
        // shifted so that paper is 0: a levelled paper shade just past 0.5 would otherwise
        // make step 2 invert the crop.
        let levelled = levelling.image(of: grey)
        let ink = try Preprocessor.suppressNoise(levelled, background: levelling.background, spread: levelling.spread)
        (source, fill, shift) = (levelled, levelling.background, levelling.background)
        map = Segmentation.components(of: ink)
    }

    func isolate(_ region: Segmentation.Region) -> GreyImage {
        Segmentation.isolate(region, of: map, from: source, fill: fill)
    }

    /// The recipe on a cut-out glyph; nil when it has too little contrast on its own.
    func prepare(_ alone: GreyImage) -> GreyImage? {
        var alone = alone
        if shift != 0 { alone.pixels = alone.pixels.map { $0 - shift } }
        return try? Preprocessor.prepare(alone).input
    }
}

/// Rasterises and preprocesses strokes: all strokes as one glyph, or groups of strokes that
/// overlap horizontally, each rendered on its own, left to right.
public func glyphs(
    fromStrokes strokes: [[Point]], mode: GlyphMode, limits: StrokeLimits = .default
) throws(ImagingError) -> [PreparedGlyph] {
    try Strokes.validate(strokes, limits: limits)
    let groups: [[[Point]]]
    switch mode {
    case .single: groups = [strokes]
    case .multi: groups = try Segmentation.groupStrokes(strokes).map { $0.map { strokes[$0] } }
    }
    var result: [PreparedGlyph] = []
    for group in groups {
        guard let box = GlyphBox(bounding: group) else { throw .empty }
        let rendered = try StrokeRasterizer.render(group, limits: limits)
        result.append(PreparedGlyph(box: box, input: try Preprocessor.prepare(rendered).input))
    }
    return result
}
