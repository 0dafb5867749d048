// Reading a page: every candidate piece of every slot goes to the pool in one call, then each
// slot keeps the path of pieces with the highest joint confidence (`CutChoice`), and the
// chosen glyphs are laid out as lines of numbers.

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
        var page: PreparedPage
        do {
            let start = clock.now
            switch input {
            case .image(let bytes):
                let image = try ImageDecoder.decode(bytes, limits: decodeLimits)
                let decoded = clock.now
                timings.decode = (decoded - start).milliseconds
                page = try pageGlyphs(from: image)
                // One slot: its whole reading is the single-glyph answer of today, bit for bit.
                if auto, page.slots.count == 1 { page.readAlone(try glyphs(from: image, mode: .single)[0]) }
                timings.preprocess = (clock.now - decoded).milliseconds
            case .strokes(let strokes):
                page = try pageGlyphs(fromStrokes: strokes, limits: strokeLimits)
                if auto, page.slots.count == 1 {
                    page.readAlone(try glyphs(fromStrokes: strokes, mode: .single, limits: strokeLimits)[0])
                }
                timings.preprocess = (clock.now - start).milliseconds
            }
        } catch {
            throw .input(error)
        }
        let slots = page.slots
        let pieces = slots.flatMap { $0.pieces.map(\.glyph) }
        let classified = try await classifyAll(pieces, timings: &timings)

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
                    let scored = zip(slot.pieces, own).map { piece, glyph in
                        // Ink that touches is handwriting of digits: a piece cut out of it counts
                        // only as sure as it is a digit, so a sliver read as a scribble sinks its
                        // cut; the whole may still read as a star or a scribble, at a discount.
                        let whole = piece.from == 0 && piece.to == last
                        let confidence = whole
                            ? max(glyph.digitConfidence, glyph.answer.confidence * CutChoice.nonDigitPrior)
                            : glyph.digitConfidence
                        return CutChoice.Scored(from: piece.from, to: piece.to, confidence: Double(confidence),
                                                width: piece.glyph.box.width / max(slot.lineHeight, 1e-9))
                    }
                    let path = CutChoice.best(boundaryCount: slot.boundaryCount, pieces: scored)
                    for index in path {
                        var glyph = own[index]
                        glyph.cut = path.count > 1
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
        if auto && glyphs.count == 1 { return RecognitionResult(glyphs: glyphs, timings: timings) }
        return RecognitionResult(glyphs: glyphs, timings: timings, lines: lines)
    }

    /// Classifies every piece of a page in one pool call, or, for a page with more pieces than
    /// the pool's whole queue holds, in calls of at most that many one after the other.
    func classifyAll(_ prepared: [PreparedGlyph], timings: inout StageTimings) async throws(RecognitionError) -> [RecognizedGlyph] {
        let norm = model.normalization
        let inputs = prepared.map { $0.normalized(mean: norm.mean, std: norm.std) }
        let chunk = max(1, pool.configuration.queueDepth)
        var logits: [[Float]] = []
        var start = 0
        while start < inputs.count {
            let end = min(inputs.count, start + chunk)
            do {
                let result = try await pool.classify(Array(inputs[start..<end]))
                timings.queue += result.queueWait.milliseconds
                timings.inference += result.inference.milliseconds
                logits += result.logits
            } catch {
                throw .pool(error)
            }
            start = end
        }
        return zip(prepared, logits).map { glyph, logits in
            recognized(glyph, logits: logits, probabilities: softmax(logits))
        }
    }
}

extension RecognizedGlyph {
    /// The probability of its most probable digit, or 0 when the rejection rule refused it.
    var digitConfidence: Float {
        guard decision == .classified else { return 0 }
        return ranking.first { $0.label.count == 1 && $0.label.first?.isNumber == true }?.confidence ?? 0
    }
}

extension PreparedPage {
    /// For a page of one slot in `auto` mode: its whole reading becomes `glyph` (the
    /// single-glyph answer of today, bit for bit), and its cuts are dropped unless the slot is
    /// at least `autoCutAspect` times as wide as tall.
    mutating func readAlone(_ glyph: PreparedGlyph) {
        guard lines.count == 1, lines[0].count == 1, lines[0][0].count == 1 else { return }
        var slot = lines[0][0][0]
        let last = slot.boundaryCount - 1
        if slot.box.width < Recognizer.autoCutAspect * slot.box.height {
            slot.pieces = slot.pieces.filter { $0.from == 0 && $0.to == last }
        }
        for index in slot.pieces.indices where slot.pieces[index].from == 0 && slot.pieces[index].to == last {
            slot.pieces[index].glyph = glyph
        }
        lines[0][0][0] = slot
    }
}
