// Reading a page: every slot goes to the pool whole in one call; the slots that are too wide
// for one glyph or that the network is unsure of get their candidate cuts, whose pieces go to
// the pool in a second call; each slot keeps the path of pieces with the highest joint
// confidence (`CutChoice`), and the chosen glyphs are laid out as lines of numbers.

import Imaging
import NeuralNetwork
import Preprocessing

/// How to read an input.
public enum ReadingMode: String, Sendable, CaseIterable {
    /// The whole input is one glyph.
    case single
    /// One row of separated glyphs, left to right.
    case multi
    /// Lines of numbers, touching digits cut apart.
    case page
    /// `single` when the page holds one glyph, `page` otherwise.
    case auto
}

/// One number of a page reading: indices into `RecognitionResult.glyphs`, left to right.
public struct ReadWord: Sendable {
    public var glyphs: [Int]
    public var box: GlyphBox
    /// The product of its glyphs' confidences.
    public var confidence: Float
}

public struct ReadLine: Sendable {
    public var words: [ReadWord]
    public var box: GlyphBox
}

extension RecognitionResult {
    /// A page's `text`: numbers separated by one space, lines by a newline, with `symbol`
    /// giving each glyph's character.
    public func pageText(_ symbol: (String) -> String) -> String? {
        lines.map { lines in
            lines.map { line in
                line.words.map { word in word.glyphs.map { symbol(glyphs[$0].answer.label) }.joined() }
                    .joined(separator: " ")
            }.joined(separator: "\n")
        }
    }

    /// The joint confidence of a page reading: the product of every glyph's confidence, the
    /// probability that all of it is right if the glyphs' errors are independent.
    public var readingConfidence: Float {
        glyphs.reduce(Float(1)) { $0 * $1.answer.confidence }
    }
}

extension Recognizer {
    /// In `auto` mode, a drawing of one region is cut only when it is at least this many times
    /// as wide as it is tall: a star, a smiley or a scribble drawn alone is often a little wider
    /// than tall, and must keep reading as itself (`single`'s answer); two touching digits are
    /// usually wider.
    public static let autoCutAspect = 1.5

    /// A slot at least this many line heights wide is cut whatever the network read it as:
    /// one handwritten digit is rarely this wide, two touching ones almost always are.
    public static let cutWidth = 1.15
    /// A narrower slot is cut only when the network reads it whole as a digit with less than
    /// this probability (or as no digit at all, or the rejection rule refused it).
    public static let cutBelowConfidence: Float = 0.7

    /// A slot narrower than `cutWidth` that the network reads whole as a star, smiley or
    /// scribble with at least this probability is taken for one drawing, as a drawing alone
    /// is (`CutChoice.loneNonDigitPrior`): a star drawn among numbers came out as "88" read
    /// from its points, and touching digits are rarely a non-digit this surely (touching
    /// pages' characters 0 to 0.04 points lower at 0.98, 0.3 to 0.5 lower without the bar).
    public static let sureNonDigit: Float = 0.98

    /// The discount on a slot `width` line heights wide, read whole as `whole`, when it reads
    /// as a star, smiley or scribble.
    static func nonDigitPrior(width: Double, whole: RecognizedGlyph, alone: Bool) -> Float {
        alone || (width < cutWidth && whole.answer.confidence >= sureNonDigit)
            ? CutChoice.loneNonDigitPrior : CutChoice.nonDigitPrior
    }

    /// Whether a slot `width` line heights wide, read whole as `whole`, is worth the inferences
    /// its cut pieces cost.
    static func worthCutting(width: Double, whole: RecognizedGlyph) -> Bool {
        width >= cutWidth || whole.digitConfidence < cutBelowConfidence
    }

    /// Reads `input` in any mode; `single` and `multi` are `recognize` as before.
    public func read(_ input: RecognitionInput, mode: ReadingMode) async throws(RecognitionError) -> RecognitionResult {
        switch mode {
        case .single: return try await recognize(input, mode: .single)
        case .multi: return try await recognize(input, mode: .multi)
        case .page, .auto: return try await readPage(input, auto: mode == .auto)
        }
    }

    func readPage(_ input: RecognitionInput, auto: Bool) async throws(RecognitionError) -> RecognitionResult {
        let clock = ContinuousClock()
        var timings = StageTimings()
        var page = try prepare(input, timings: &timings,
                               image: { image throws(ImagingError) in try pageGlyphs(from: image, auto: auto) },
                               strokes: { strokes throws(ImagingError) in
                                   try pageGlyphs(fromStrokes: strokes, limits: strokeLimits, auto: auto) })
        // Every slot whole first (its whole is its first piece); then the pieces of the slots
        // worth cutting, all in one call.
        let uncut = page.slots
        let wholes = try await classifyAll(uncut.map { $0.pieces[0].glyph }, asPieces: true, timings: &timings)
        let alone = auto && uncut.count == 1
        let fromImage = if case .image = input { true } else { false }
        var toCut = Set<Int>()
        for (index, slot) in uncut.enumerated() where page.canCut(index, slot) {
            // In auto, a lone drawing is cut only when it is clearly wider than tall.
            if alone && slot.box.width < Self.autoCutAspect * slot.box.height { continue }
            let width = slot.inLineHeights(slot.box.width)
            if Self.worthCutting(width: width, whole: wholes[index]) { toCut.insert(index) }
        }
        if !toCut.isEmpty {
            let start = clock.now
            page.addCuts(toSlots: toCut)
            timings.preprocess += (clock.now - start).milliseconds
        }
        let slots = page.slots
        let cutPieces = try await classifyAll(slots.flatMap { $0.pieces.dropFirst().map(\.glyph) }, asPieces: true,
                                           timings: &timings)
        var classified: [RecognizedGlyph] = []
        var next = 0
        for (index, slot) in slots.enumerated() {
            classified.append(wholes[index])
            classified += cutPieces[next..<(next + slot.pieces.count - 1)]
            next += slot.pieces.count - 1
        }

        // Each slot's best path; glyphs in reading order, the page's structure as indices.
        var glyphs: [RecognizedGlyph] = []
        var lines: [ReadLine] = []
        var offset = 0
        for line in page.lines {
            var words: [ReadWord] = []
            for word in line {
                var members: [Int] = []
                for slot in word {
                    let own = Array(classified[offset..<(offset + slot.pieces.count)])
                    offset += slot.pieces.count
                    let last = slot.boundaryCount - 1
                    let wholeWidth = slot.inLineHeights(slot.box.width)
                    let scored = zip(slot.pieces, own).map { piece, glyph in
                        // Ink that touches is handwriting of digits: a piece cut out of it counts
                        // only as sure as it is a digit, so a sliver read as a scribble sinks its
                        // cut; the whole may still read as a star or a scribble, at a discount.
                        // Either counts as sure as the page head reads it as one glyph.
                        let whole = piece.from == 0 && piece.to == last
                        let confidence = (whole
                            ? max(glyph.digitConfidence, glyph.answer.confidence
                                * Self.nonDigitPrior(width: wholeWidth, whole: glyph, alone: alone))
                            : glyph.pieceConfidence) * CutChoice.extentFactor(glyph.piece)
                        return CutChoice.Scored(from: piece.from, to: piece.to, confidence: Double(confidence),
                                                width: slot.inLineHeights(piece.glyph.box.width))
                    }
                    let path = CutChoice.best(boundaryCount: slot.boundaryCount, pieces: scored,
                                              strokesCrossed: slot.strokesCrossed)
                    for index in path {
                        var glyph = own[index]
                        glyph.cut = path.count > 1
                        glyph.onImagePage = fromImage
                        members.append(glyphs.count)
                        glyphs.append(glyph)
                    }
                }
                guard !members.isEmpty else { continue }
                let confidence = members.reduce(Float(1)) { $0 * glyphs[$1].answer.confidence }
                words.append(ReadWord(glyphs: members, box: PageLayout.union(members.map { glyphs[$0].box }),
                                      confidence: confidence))
            }
            if !words.isEmpty { lines.append(ReadLine(words: words, box: PageLayout.union(words.map(\.box)))) }
        }
        if glyphs.isEmpty { throw .input(.empty) }
        if auto && glyphs.count == 1 {
            glyphs[0].onImagePage = false  // one glyph in auto: `single`'s answer
            return RecognitionResult(glyphs: glyphs, timings: timings)
        }
        return RecognitionResult(glyphs: glyphs, timings: timings, lines: lines)
    }
}

extension RecognizedGlyph {
    /// How surely a piece cut out of touching ink is a digit: the confidence of the digit it
    /// reads as (`pageDigit`), discounted by `CutChoice.refusedPiecePrior` when the rejection
    /// rule refused it (a digit cut out with a stroke end of its neighbour is often refused, and
    /// scoring it 0 left whole numbers read as one "?").
    var pieceConfidence: Float {
        (pageDigit?.confidence ?? 0) * (decision == .classified ? 1 : CutChoice.refusedPiecePrior)
    }

    /// The probability of its most probable digit, or 0 when the rejection rule refused it.
    var digitConfidence: Float {
        guard decision == .classified else { return 0 }
        return bestDigit?.confidence ?? 0
    }
}
