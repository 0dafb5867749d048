import Imaging

/// One glyph slot of a page (a region of touching ink, or a stroke group) and the pieces to
/// classify for it. Boundary 0 and `boundaryCount - 1` are the slot's two ends, the ones
/// between are candidate cuts; a reading of the slot is a path of pieces from the first
/// boundary to the last (`GlyphCuts`). A slot that is not worth cutting has two boundaries
/// and one piece, the whole.
public struct SlotCandidates: Sendable {
    public struct Piece: Sendable {
        public var from: Int
        public var to: Int
        public var glyph: PreparedGlyph
    }

    public var box: GlyphBox
    /// The median glyph height of the slot's line, in the input's units.
    public var lineHeight: Double
    public var boundaryCount: Int
    public var pieces: [Piece]

    public var whole: Piece? { pieces.first { $0.from == 0 && $0.to == boundaryCount - 1 } }
}

/// Every slot of a page, ready for the network: lines top to bottom, numbers left to right.
public struct PreparedPage: Sendable {
    /// The most pieces one page sends to the network; past it, the remaining slots are read
    /// whole (a page of 512 wide blobs must not cost 21 inferences each).
    public static let maxPieces = 2048

    public var lines: PageSegmentation.Layout<SlotCandidates>

    public var slots: [SlotCandidates] { lines.flatMap { $0.flatMap { $0 } } }
}

/// Preprocesses a decoded image as a page: lines, numbers, glyph regions, and for each region
/// wide enough to hold touching digits the pieces between its candidate cuts.
public func pageGlyphs(from image: DecodedImage) throws(ImagingError) -> PreparedPage {
    let ink = try SegmentationInput(Preprocessor.desaturate(image))
    let layout = try PageSegmentation.regions(of: ink.map)
    var budget = PreparedPage.maxPieces
    let lines = layout.map { line -> [[SlotCandidates]] in
        // "Wide" and a piece's width are measured against the line's median glyph height.
        let height = PageLayout.median(line.flatMap { $0.map { Double($0.box.height) } })
        return line.map { word in
            word.compactMap { region in candidates(region, lineHeight: height, ink: ink, budget: &budget) }
        }.filter { !$0.isEmpty }
    }.filter { !$0.isEmpty }
    if lines.isEmpty { throw .empty }
    return PreparedPage(lines: lines)
}

/// Rasterises and preprocesses strokes as a page: each stroke group rendered on its own.
/// Strokes are never cut: two digits drawn as separate strokes are already separate groups.
public func pageGlyphs(fromStrokes strokes: [[Point]], limits: StrokeLimits = .default) throws(ImagingError) -> PreparedPage {
    try Strokes.validate(strokes, limits: limits)
    var lines: PageSegmentation.Layout<SlotCandidates> = []
    for line in try PageSegmentation.strokeGroups(strokes) {
        var words: [[SlotCandidates]] = []
        for word in line {
            var slots: [SlotCandidates] = []
            for group in word {
                let drawn = group.map { strokes[$0] }
                guard let box = GlyphBox(bounding: drawn) else { throw .empty }
                let input = try Preprocessor.prepare(try StrokeRasterizer.render(drawn, limits: limits)).input
                let whole = SlotCandidates.Piece(from: 0, to: 1, glyph: PreparedGlyph(box: box, input: input))
                slots.append(SlotCandidates(box: box, lineHeight: box.height, boundaryCount: 2, pieces: [whole]))
            }
            words.append(slots)
        }
        lines.append(words)
    }
    return PreparedPage(lines: lines)
}

/// The region whole, plus its pieces if it is wide enough for a cut and the budget allows;
/// nil when even the whole region has too little contrast on its own.
private func candidates(
    _ region: Segmentation.Region, lineHeight: Double, ink: SegmentationInput, budget: inout Int
) -> SlotCandidates? {
    guard let whole = ink.prepare(ink.isolate(region)) else { return nil }
    let box = GlyphBox(region.box)
    let wholeOnly = SlotCandidates(
        box: box, lineHeight: lineHeight, boundaryCount: 2, pieces: [.init(from: 0, to: 1, glyph: PreparedGlyph(box: box, input: whole))])
    let cuts = GlyphCuts.cutColumns(profile: GlyphCuts.columnProfile(region, of: ink.map), lineHeight: lineHeight)
    let boundaries = [0] + cuts + [region.box.width]
    let spans = GlyphCuts.pieces(boundaries: boundaries, lineHeight: lineHeight)
    budget -= 1
    guard !cuts.isEmpty, spans.count - 1 <= budget else { return wholeOnly }
    var pieces: [SlotCandidates.Piece] = []
    for span in spans {
        if span.from == 0 && span.to == boundaries.count - 1 {
            pieces.append(.init(from: span.from, to: span.to, glyph: wholeOnly.pieces[0].glyph))
            continue
        }
        let columns = (region.box.minX + boundaries[span.from])..<(region.box.minX + boundaries[span.to])
        guard let (alone, pieceBox) = GlyphCuts.isolate(region, columns: columns, of: ink.map, from: ink.source, fill: ink.fill),
              let input = ink.prepare(alone)
        else { continue }
        pieces.append(.init(from: span.from, to: span.to, glyph: PreparedGlyph(box: GlyphBox(pieceBox), input: input)))
    }
    budget -= pieces.count - 1
    return SlotCandidates(box: box, lineHeight: lineHeight, boundaryCount: boundaries.count, pieces: pieces)
}
