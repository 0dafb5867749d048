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
    let map: Segmentation.ComponentMap
    let source: GreyImage
    let fill: Float
    /// Subtracted from a crop of a levelled page (see `prepare`); 0 otherwise.
    let shift: Float

    init(_ grey: GreyImage) throws(ImagingError) {
        let paper = Preprocessor.levelPaper(Preprocessor.normalizePolarity(grey))
        let ink = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
        // Each glyph is preprocessed from the input's values, alone on paper of the image's own
        // background shade, so the recipe sees what a single-glyph input gives: the original
        // grey values on the original paper, or on an unevenly lit page the levelled values
        // (ink bright) on the levelled paper, which is flat wherever the glyph sat. Levelled
        // values are shifted so that paper is 0: a levelled paper shade just past 0.5 would
        // otherwise make step 2 invert the crop.
        (source, fill) = paper.isLevelled ? (paper.image, paper.background) : (grey, Preprocessor.borderMedian(grey))
        shift = paper.isLevelled ? paper.background : 0
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
