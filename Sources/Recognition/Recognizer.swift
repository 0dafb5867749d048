// The facade the service calls: one input (image bytes or strokes) in, one answer out.
// It owns the order of the stages (decode → preprocess → pool) and their timings, and
// knows nothing about HTTP.

import Foundation
import Imaging
import NeuralNetwork
import Preprocessing

/// What a client sent, already parsed from its transport form.
public enum RecognitionInput: Sendable {
    /// PNG or JPEG bytes; the format is detected from the magic bytes.
    case image([UInt8])
    /// Strokes in canvas coordinates.
    case strokes([[Point]])
}

/// Why a recognition failed: a problem with the input, or with capacity.
public enum RecognitionError: Error, Sendable, Equatable, CustomStringConvertible {
    case input(ImagingError)
    case pool(PoolError)

    public var description: String {
        switch self {
        case .input(let error): return error.description
        case .pool(let error): return error.description
        }
    }
}

/// One class and its probability.
public struct RankedLabel: Sendable, Equatable {
    public var label: String
    public var confidence: Float

    /// Whether the label is one of the digits 0-9.
    public var isDigit: Bool { label.count == 1 && label.first?.isNumber == true }
}

/// Whether a glyph's label is the network's top class or the manifest's rejection rule
/// overrode it (docs/model-format.md, "Rejection").
public enum GlyphDecision: String, Sendable, Equatable {
    case classified
    case rejected
}

/// What the model's page head reads an input as, taken as a piece of a page
/// (docs/model-format.md, "Page head").
public struct PieceReading: Sendable, Equatable {
    /// The probabilities that it holds one whole glyph, several touching ones, or part of one.
    public var one: Float
    public var several: Float
    public var part: Float
    /// Which digit it is if it was cut out of touching ink, most probable first.
    public var digits: [RankedLabel]

    /// From the head's logits, laid out as `Model.pageHeadLayout`.
    init(logits: [Float]) {
        let layout = Model.pageHeadLayout
        let extent = softmax(logits.prefix(layout.extent.count))
        (one, several, part) = (extent[0], extent[1], extent[2])
        digits = zip(layout.pieceDigits, softmax(logits.dropFirst(layout.extent.count)))
            .map { RankedLabel(label: $0, confidence: $1) }
            .sorted { $0.confidence > $1.confidence }
    }
}

public struct RecognizedGlyph: Sendable {
    public var box: GlyphBox
    /// Every class, most probable first: the network's raw ranking, whatever the decision.
    public var ranking: [RankedLabel]
    public var decision: GlyphDecision
    /// The un-normalized 28x28 model input, for debug previews.
    public var input: PreparedGlyph
    /// Whether a page reading cut this glyph out of touching ink (`CutChoice`). Such a glyph
    /// was chosen for how surely it is a digit, so it reads as a digit (`pageDigit`).
    public var cut = false
    /// Whether a page reading of an image read this glyph among others (one glyph in `auto`
    /// answers as `single` does): read as a digit, it reads as `pageDigit`. Strokes keep the
    /// class network's digit: the head was trained on scanned digits only, and on the
    /// rendered stroke templates of training/canvas.py (seeds 11-13, 2000 digits each) the
    /// combined digit was right 0.3 to 0.9 points less often than the class network's.
    public var onImagePage = false
    /// The page head's reading; nil for a model without one.
    public var piece: PieceReading?

    /// The network's top class (for a rejected glyph, what it resembled most).
    public var best: RankedLabel { ranking[0] }

    /// What a digit of a page reads as: the digit both readings of it agree on most, the one
    /// with the highest class probability^(1 − w) · piece-digit probability^w (w:
    /// `CutChoice.pieceDigitWeight`), that product its confidence; without the page head, the
    /// class network's most probable digit. The head was trained on digits cut out of touching
    /// pairs, with their neighbour's stroke ends beside them, and on whole digits, and names
    /// 96.5 % of validation cut ones where the class network names 92.8 %
    /// (training/page_head.py); the class network, trained on whole glyphs and on other
    /// drawings, knows when a piece is half of a wide digit or no digit at all, which the head,
    /// taught on digits only, reads surely as a digit. Which cut to keep is chosen on the same
    /// product (`pieceConfidence`).
    public var pageDigit: RankedLabel? {
        guard let piece else { return bestDigit }
        let weight = CutChoice.pieceDigitWeight
        return piece.digits.compactMap { digit -> RankedLabel? in
            guard let read = ranking.first(where: { $0.label == digit.label }) else { return nil }
            return RankedLabel(label: digit.label,
                               confidence: pow(read.confidence, 1 - weight) * pow(digit.confidence, weight))
        }.max { $0.confidence < $1.confidence }
    }

    /// The most probable digit of the ranking (a cut piece can only be a digit).
    public var bestDigit: RankedLabel? { ranking.first(where: \.isDigit) }

    /// What the glyph reads as. A rejected glyph reads as `scribble`, as sure as the
    /// probability mass outside its top class: with a `max_probability` score, 1 − the score.
    public var answer: RankedLabel {
        // A glyph cut out of touching ink was chosen for how surely it is a digit (refused or
        // not: `CutChoice.refusedPiecePrior`), so it reads as a digit; a digit among others on a
        // page reads as both networks read it.
        if cut { return pageDigit ?? best }
        switch decision {
        case .classified: return onImagePage && best.isDigit ? pageDigit ?? best : best
        case .rejected: return RankedLabel(label: RejectionRule.rejectedLabel, confidence: max(0, 1 - best.confidence))
        }
    }
}

/// Milliseconds spent in each stage of one request.
public struct StageTimings: Sendable {
    public var decode = 0.0
    public var preprocess = 0.0
    public var queue = 0.0
    public var inference = 0.0
}

public struct RecognitionResult: Sendable {
    /// Left to right; one element in single mode.
    public var glyphs: [RecognizedGlyph]
    public var timings: StageTimings
    /// A page reading's lines (`ReadingMode.page`, or `auto` with several glyphs); nil otherwise.
    public var lines: [ReadLine]? = nil

    /// The whole input's answer in single mode, the most confident glyph's in multi mode.
    public var headline: RecognizedGlyph {
        glyphs.max { $0.answer.confidence < $1.answer.confidence } ?? glyphs[0]
    }
}

public struct Recognizer: Sendable {
    public let pool: InferencePool
    public let decodeLimits: DecodeLimits
    public let strokeLimits: StrokeLimits
    /// When the pool's queue is full: false (the service) fails with `.pool(.overloaded)`, so
    /// the client hears 503 and retries; true (`ocr-server read`, where the other files are
    /// what fills the queue) waits for room and submits the same glyphs again, without
    /// decoding or preparing the input a second time.
    public var waitsForCapacity = false

    public init(pool: InferencePool, decodeLimits: DecodeLimits = .default, strokeLimits: StrokeLimits = .default) {
        self.pool = pool
        self.decodeLimits = decodeLimits
        self.strokeLimits = strokeLimits
    }

    public var model: Model { pool.model }

    /// Throws `.pool(.overloaded)` while the pool's queue is full, so that a caller can
    /// refuse a request before reading its body into an image or a drawing.
    public func refuseIfSaturated() throws(RecognitionError) {
        do {
            try pool.refuseIfSaturated()
        } catch {
            throw .pool(error)
        }
    }

    /// Decodes and preprocesses on the caller's task (cheap, bounded by the limits), then
    /// queues the glyphs for the pool. Input errors are raised before anything is queued.
    /// Callers that want a full queue to cost nothing check `refuseIfSaturated` first, before
    /// they parse the request (the HTTP route does); `classify` makes the binding check.
    public func recognize(_ input: RecognitionInput, mode: GlyphMode) async throws(RecognitionError) -> RecognitionResult {
        var timings = StageTimings()
        let prepared = try prepare(input, timings: &timings,
                                   image: { image throws(ImagingError) in try glyphs(from: image, mode: mode) },
                                   strokes: { strokes throws(ImagingError) in
                                       try glyphs(fromStrokes: strokes, mode: mode, limits: strokeLimits) })
        let classified = try await classifyAll(prepared, timings: &timings)
        return RecognitionResult(glyphs: classified, timings: timings)
    }

    /// Decodes (an image) and prepares `input` on the caller's task with the mode's `image` or
    /// `strokes` preparation, timing the two stages into `timings`.
    func prepare<Prepared>(
        _ input: RecognitionInput, timings: inout StageTimings,
        image fromImage: (DecodedImage) throws(ImagingError) -> Prepared,
        strokes fromStrokes: ([[Point]]) throws(ImagingError) -> Prepared
    ) throws(RecognitionError) -> Prepared {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            switch input {
            case .image(let bytes):
                let image = try ImageDecoder.decode(bytes, limits: decodeLimits)
                let decoded = clock.now
                timings.decode = (decoded - start).milliseconds
                let prepared = try fromImage(image)
                timings.preprocess = (clock.now - decoded).milliseconds
                return prepared
            case .strokes(let strokes):
                let prepared = try fromStrokes(strokes)
                timings.preprocess = (clock.now - start).milliseconds
                return prepared
            }
        } catch {
            throw .input(error)
        }
    }

    /// Classifies `prepared` in one pool call, or, for more glyphs than the pool's whole queue
    /// holds (a page's pieces), in calls of at most that many one after the other. `asPieces`:
    /// also read the model's page head, which only the page reader asks for.
    func classifyAll(_ prepared: [PreparedGlyph], asPieces: Bool = false,
                     timings: inout StageTimings) async throws(RecognitionError) -> [RecognizedGlyph] {
        let readsHead = asPieces && model.hasPageHead
        let norm = model.normalization
        let inputs = prepared.map { $0.normalized(mean: norm.mean, std: norm.std) }
        let chunk = max(1, pool.configuration.queueDepth)
        var recognized: [RecognizedGlyph] = []
        recognized.reserveCapacity(prepared.count)
        var start = 0
        while start < inputs.count {
            let end = min(inputs.count, start + chunk)
            let result: PoolResult
            do {
                result = try await pool.classify(Array(inputs[start..<end]))
            } catch .overloaded where waitsForCapacity && !Task.isCancelled {
                // A cancelled caller stops waiting (and hears `overloaded`): its sleep would
                // return at once and the loop would spin.
                try? await Task.sleep(for: .milliseconds(1))
                continue
            } catch {
                throw .pool(error)
            }
            timings.queue += result.queueWait.milliseconds
            timings.inference += result.inference.milliseconds
            let head = readsHead ? result.headLogits : []
            for (offset, (logits, probabilities)) in zip(result.logits, result.probabilities).enumerated() {
                var glyph = self.recognized(prepared[start + offset], logits: logits, probabilities: probabilities)
                if readsHead { glyph.piece = PieceReading(logits: head[offset]) }
                recognized.append(glyph)
            }
            start = end
        }
        return recognized
    }

    /// A glyph's ranking and the rejection rule's decision, from the pool's scores for it.
    func recognized(_ glyph: PreparedGlyph, logits: [Float], probabilities: [Float]) -> RecognizedGlyph {
        let classes = model.classes
        let ranking = probabilities.enumerated()
            .map { RankedLabel(label: classes[$0.offset], confidence: $0.element) }
            .sorted { $0.confidence > $1.confidence }
        let decision: GlyphDecision = switch model.rejection?.decide(logits) {
        case .rejected: .rejected
        case .classified, nil: .classified
        }
        return RecognizedGlyph(box: glyph.box, ranking: ranking, decision: decision, input: glyph)
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds, as reported in `timings_ms`.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
