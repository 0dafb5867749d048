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
    /// For each boundary, how many strokes its cut goes through (`GlyphCuts.strokesCrossed`;
    /// 0 for the two ends, which are no cut); empty while the slot is uncut.
    public var strokesCrossed: [Int] = []

    public var whole: Piece? { pieces.first { $0.from == 0 && $0.to == boundaryCount - 1 } }

    /// `length` (in the input's units) in heights of the slot's line.
    public func inLineHeights(_ length: Double) -> Double { length / max(lineHeight, 1e-9) }
}

/// Every slot of a page, ready for the network: lines top to bottom, numbers left to right.
///
/// Slots start with their whole only. Which of them are worth cutting depends on how the
/// network reads them whole (`Recognizer.readPage`), so their cut pieces are added afterwards,
/// by `addCuts`, from the page's ink kept here.
public struct PreparedPage: Sendable {
    /// The most pieces one page sends to the network; past it, the remaining slots are read
    /// whole (a page of 512 wide blobs must not cost 21 inferences each).
    public static let maxPieces = 2048

    public var lines: PageSegmentation.Layout<SlotCandidates>

    /// What `addCuts` needs: the page's ink and each slot's region, in `slots` order. Nil for
    /// strokes, which are never cut.
    var cutting: (ink: SegmentationInput, regions: [Segmentation.Region])?

    public var slots: [SlotCandidates] { lines.flatMap { $0.flatMap { $0 } } }

    /// Whether `slot`, number `index` of `slots`, has candidate cuts that `addCuts` could add.
    /// The caller passes the slot: `slots` is rebuilt from the lines on every read.
    public func canCut(_ index: Int, _ slot: SlotCandidates) -> Bool {
        guard let cutting, cutting.regions.indices.contains(index) else { return false }
        return Double(slot.box.width) >= GlyphCuts.minWidthToCut * slot.lineHeight
    }

    /// Adds the pieces between candidate cuts to the slots in `indices` (into `slots`), in slot
    /// order while the page's piece budget lasts. Every added piece comes after the slot's whole.
    public mutating func addCuts(toSlots indices: Set<Int>) {
        guard let cutting, !indices.isEmpty else { return }
        var budget = PreparedPage.maxPieces - slots.count
        var index = 0
        for l in lines.indices {
            for w in lines[l].indices {
                for s in lines[l][w].indices {
                    defer { index += 1 }
                    guard indices.contains(index), cutting.regions.indices.contains(index) else { continue }
                    lines[l][w][s] = cut(lines[l][w][s], region: cutting.regions[index], ink: cutting.ink, budget: &budget)
                }
            }
        }
    }
}

/// Preprocesses a decoded image as a page: lines, numbers and glyph regions, each read whole
/// (`PreparedPage.addCuts` adds pieces between candidate cuts later).
///
/// With `auto`, an input that is one glyph is prepared once, as `single` prepares it (so its
/// reading is today's single-glyph answer, bit for bit): a page of one region keeps it as that
/// region's whole, still cuttable; an input whose parts stand in one column (`multi`'s grouping
/// gives one region: a skull's jaw under its head) is one glyph that is never cut.
public func pageGlyphs(from image: DecodedImage, auto: Bool = false) throws(ImagingError) -> PreparedPage {
    let grey = Preprocessor.desaturate(image)
    var ink = try SegmentationInput(grey)
    ink.map = Rules.removed(from: ink.map)
    let layout = try PageSegmentation.regions(of: ink.map)
    func single() throws(ImagingError) -> PreparedGlyph {
        let (input, box) = try Preprocessor.prepare(grey)
        return PreparedGlyph(box: GlyphBox(box), input: input)
    }
    if auto, let region = PageSegmentation.lone(layout) {
        let box = GlyphBox(region.box)
        let slot = SlotCandidates(box: box, lineHeight: box.height, boundaryCount: 2,
                                  pieces: [.init(from: 0, to: 1, glyph: try single())])
        return PreparedPage(lines: [[[slot]]], cutting: (ink, [region]))
    }
    if auto, (try? Segmentation.regions(of: ink.map, limit: Int.max))?.count == 1 {
        return PreparedPage(alone: try single())
    }
    var regions: [Segmentation.Region] = []
    let lines = layout.map { line -> [[SlotCandidates]] in
        // "Wide" and a piece's width are measured against the line's median glyph height.
        let height = PageLayout.median(line.flatMap { $0.map { Double($0.box.height) } })
        return line.map { word in
            word.compactMap { region -> SlotCandidates? in
                guard let whole = ink.prepare(ink.isolate(region)) else { return nil }
                regions.append(region)
                let box = GlyphBox(region.box)
                return SlotCandidates(box: box, lineHeight: height, boundaryCount: 2,
                                      pieces: [.init(from: 0, to: 1, glyph: PreparedGlyph(box: box, input: whole))])
            }
        }.filter { !$0.isEmpty }
    }.filter { !$0.isEmpty }
    if lines.isEmpty { throw .empty }
    return PreparedPage(lines: lines, cutting: (ink, regions))
}

/// Rasterises and preprocesses strokes as a page: each stroke group rendered on its own.
/// Strokes are never cut: two digits drawn as separate strokes are already separate groups.
/// With `auto`, strokes that form one group, or one column of groups, are one glyph, rendered
/// and prepared once as `single` does.
public func pageGlyphs(
    fromStrokes strokes: [[Point]], limits: StrokeLimits = .default, auto: Bool = false
) throws(ImagingError) -> PreparedPage {
    try Strokes.validate(strokes, limits: limits)
    let layout = try PageSegmentation.strokeGroups(strokes)
    let oneColumn = { (try? Segmentation.groupStrokes(strokes, limit: Int.max))?.count == 1 }
    if auto, PageSegmentation.lone(layout) != nil || oneColumn() {
        guard let box = GlyphBox(bounding: strokes) else { throw .empty }
        let input = try Preprocessor.prepare(try StrokeRasterizer.render(strokes, limits: limits)).input
        return PreparedPage(alone: PreparedGlyph(box: box, input: input))
    }
    var lines: PageSegmentation.Layout<SlotCandidates> = []
    for line in layout {
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

extension PreparedPage {
    /// A page of one slot, `glyph`, that is never cut.
    public init(alone glyph: PreparedGlyph) {
        self.init(lines: [[[SlotCandidates(box: glyph.box, lineHeight: glyph.box.height, boundaryCount: 2,
                                           pieces: [.init(from: 0, to: 1, glyph: glyph)])]]])
    }
}

/// `slot` (read whole so far) with the pieces between its region's candidate cuts, when it has
/// cuts and the budget allows; its whole stays first, as boundaries 0 to the last.
private func cut(
    _ slot: SlotCandidates, region: Segmentation.Region, ink: SegmentationInput, budget: inout Int
) -> SlotCandidates {
    guard let whole = slot.whole else { return slot }
    let lineHeight = slot.lineHeight
    let cuts = GlyphCuts.candidateCuts(region, of: ink.map, lineHeight: lineHeight)
    let boundaries = [0] + cuts + [region.box.width]
    let spans = GlyphCuts.pieces(boundaries: boundaries, lineHeight: lineHeight)
    guard !cuts.isEmpty, spans.count - 1 <= budget else { return slot }
    // Each boundary as a path down the region: its two ends straight, each cut along the
    // valley of least ink near its column.
    let reach = max(1, Int((GlyphCuts.cutReach * lineHeight).rounded()))
    let rows = region.box.height
    let paths = [[Int](repeating: region.box.minX, count: rows)]
        + cuts.map { GlyphCuts.cutPath(region, near: region.box.minX + $0, reach: reach, of: ink.map) }
        + [[Int](repeating: region.box.maxX, count: rows)]
    var pieces: [SlotCandidates.Piece] = [.init(from: 0, to: boundaries.count - 1, glyph: whole.glyph)]
    for span in spans where !(span.from == 0 && span.to == boundaries.count - 1) {
        guard let (alone, pieceBox) = GlyphCuts.isolate(region, between: paths[span.from], and: paths[span.to],
                                                        of: ink.map, from: ink.source, fill: ink.fill),
              let input = ink.prepare(alone)
        else { continue }
        pieces.append(.init(from: span.from, to: span.to, glyph: PreparedGlyph(box: GlyphBox(pieceBox), input: input)))
    }
    budget -= pieces.count - 1
    var result = slot
    result.boundaryCount = boundaries.count
    result.pieces = pieces
    result.strokesCrossed = [0]
        + paths.dropFirst().dropLast().map { GlyphCuts.strokesCrossed(region, path: $0, of: ink.map) } + [0]
    return result
}
