import Foundation

/// Choosing how to read a slot that may hold touching glyphs: of every path of pieces from the
/// slot's first boundary to its last, the one whose glyphs the network reads with the highest
/// joint confidence (the product of what each piece reads as: `RecognizedGlyph.answer`, so a
/// piece the rejection rule refuses scores low).
///
/// Three priors weigh in. Each cut costs a factor `cutPrior`: without it, a sloppy digit read at
/// 0.6 would lose to two slivers read at 0.9 each, and readings would fall apart into "1"s.
/// Each stroke past the first that a cut goes through costs `strokePrior` more. And
/// a piece wider than `plausibleWidth` line heights is discounted by how far it goes past (a
/// factor e per `widthScale`): the network reads four touching digits as a star with 0.9
/// confidence, but no handwritten digit is two and a half times as wide as its line is tall. A
/// piece cut out of the region is discounted from `plausiblePieceWidth` on: the network, never
/// trained on cut pieces, reads two touching digits cut out together as one digit more surely
/// than either of them alone.
public enum CutChoice {
    public static let cutPrior = 0.4
    /// And a factor for every stroke past the first that a cut goes through
    /// (`SlotCandidates.strokesCrossed`): the seam of two touching digits usually crosses one
    /// stroke, a cut through one wide digit (a 3's three arcs, a 7's bar and stem) several, and
    /// both halves of a wide digit often read as digits. 0.7 read 0.5 to 2.5 points more
    /// separated pages exactly, touching pages' characters no worse (docs/segmentation.md).
    public static let strokePrior = 0.7
    public static let plausibleWidth = 1.1
    /// The same for a piece cut out of a region (not the region whole): a piece of touching
    /// ink this wide most likely still holds two digits.
    public static let plausiblePieceWidth = 0.85
    public static let widthScale = 0.2
    /// A slot that has cuts to try reads whole as a star, smiley or scribble at this discount;
    /// pieces cut out of it count only as digits. See `Recognizer.readPage`. On a page of
    /// numbers, a slot wide enough to cut that reads as a non-digit is far more often touching
    /// digits than a drawing (the network calls several touching digits a star or a scribble
    /// with 0.9 confidence): 0.3 read whole numbers as "?"; 0.05 gains 0.9-1.7 points of
    /// characters on touching pages and changes no separated page (docs/segmentation.md).
    public static let nonDigitPrior: Float = 0.05
    /// The same for a drawing alone in `auto` (a wide one is cut, `Recognizer.autoCutAspect`):
    /// nothing says it is a number, and a wide doodle must keep reading as a scribble.
    public static let loneNonDigitPrior: Float = 0.3
    /// A piece the rejection rule refused counts at this share of its best digit's
    /// probability: the rule was calibrated on whole glyphs, and a digit cut out of touching
    /// ink, with its neighbour's stroke end on its side, is often refused though it reads as
    /// that digit. Scoring it 0 (as before) left whole numbers read as one "?". Measured with
    /// an earlier head of extent only on seeds 1 and 2: 0.3 and 1.0 read touching pages alike
    /// (89.42 and 89.53 % characters), separated ones as without it (docs/segmentation.md).
    public static let refusedPiecePrior: Float = 0.3
    /// How much the page head's extent counts (docs/model-format.md, "Page head"): a piece's
    /// confidence is multiplied by its probability of holding one whole glyph to this power.
    /// The head reads 94 % of validation pairs of touching digits as several, where
    /// the class network would read them as one digit surely; taken at full weight it also
    /// sinks right cuts it is unsure of.
    public static let extentWeight: Float = 0.5
    /// How much the page head's piece digits count against the class network's digits in what
    /// a cut piece, or a whole digit of an image page, reads as and how surely
    /// (`RecognizedGlyph.pageDigit`): 0 is the class network alone, 1 the head alone. Measured
    /// on the eight generated sets, after the stiffer cuts: for cut pieces, 0 for choosing and
    /// the head alone for the label (as before) read touching pages 92.94 / 93.28 / 93.37 /
    /// 92.90 % (seeds 2 / 4 / 6 / 8), 0.6 for both 93.25 / 93.79 / 93.25 / 93.09 %; the head
    /// alone for both cut separated pages' wide digits in two (84.0 % exact on seed 1 against
    /// 91.0 %). For whole digits too: separated pages 91.0 / 92.5 / 92.0 / 94.0 → 93.5 / 93.5 /
    /// 95.0 / 94.0 % exact (seeds 1 / 3 / 5 / 7; docs/segmentation.md).
    public static let pieceDigitWeight: Float = 0.6

    /// The factor a piece's confidence gets from the page head's reading of it (1 without one).
    static func extentFactor(_ piece: PieceReading?) -> Float {
        piece.map { pow($0.one, extentWeight) } ?? 1
    }

    /// A piece between boundaries `from` and `to`, the probability of what it reads as, and
    /// its ink's width in line heights.
    public struct Scored: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var confidence: Double
        public var width: Double

        public init(from: Int, to: Int, confidence: Double, width: Double = 0) {
            self.from = from
            self.to = to
            self.confidence = confidence
            self.width = width
        }
    }

    /// The log of the width prior of a piece `width` line heights wide.
    static func logWidthPrior(_ width: Double, plausible: Double = plausibleWidth) -> Double {
        width <= plausible ? 0 : -(width - plausible) / widthScale
    }

    /// Indices into `pieces` of the best path from boundary 0 to `boundaryCount - 1`, left to
    /// right; empty when no path exists. `strokesCrossed[b]` is how many strokes the cut at
    /// boundary `b` goes through (none given: each counts as one). Dynamic programming over
    /// the boundaries: a boundary's best score is the best over the pieces ending there.
    public static func best(boundaryCount: Int, pieces: [Scored], cutPrior: Double = cutPrior,
                            strokesCrossed: [Int] = []) -> [Int] {
        guard boundaryCount >= 2 else { return [] }
        var score = [Double](repeating: -.infinity, count: boundaryCount)
        var via = [Int?](repeating: nil, count: boundaryCount)
        score[0] = 0
        let logPrior = cutPrior > 0 ? log(cutPrior) : -.infinity
        let logStroke = log(strokePrior)
        // Pieces in order of their end: every piece's start is settled before it is used.
        for index in pieces.indices.sorted(by: { (pieces[$0].to, pieces[$0].from) < (pieces[$1].to, pieces[$1].from) }) {
            let piece = pieces[index]
            guard piece.from < piece.to, piece.to < boundaryCount, score[piece.from] > -.infinity else { continue }
            let strokes = strokesCrossed.indices.contains(piece.from) ? strokesCrossed[piece.from] : 1
            let cost = piece.from == 0 ? 0 : logPrior + Double(max(0, strokes - 1)) * logStroke
            let candidate = score[piece.from] + log(max(piece.confidence, 1e-12)) + cost
                + logWidthPrior(piece.width, plausible: piece.from == 0 && piece.to == boundaryCount - 1 ? plausibleWidth : plausiblePieceWidth)
            if candidate > score[piece.to] {
                score[piece.to] = candidate
                via[piece.to] = index
            }
        }
        var path: [Int] = []
        var boundary = boundaryCount - 1
        while boundary > 0, let index = via[boundary] {
            path.append(index)
            boundary = pieces[index].from
        }
        return boundary == 0 ? path.reversed() : []
    }
}
