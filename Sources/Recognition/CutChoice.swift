import Foundation

/// Choosing how to read a slot that may hold touching glyphs: of every path of pieces from the
/// slot's first boundary to its last, the one whose glyphs the network reads with the highest
/// joint confidence (the product of what each piece reads as: `RecognizedGlyph.answer`, so a
/// piece the rejection rule refuses scores low).
///
/// Each cut also costs a factor `cutPrior`: without it, a sloppy single digit read at 0.6 would
/// lose to two slivers read at 0.9 each, and a reading would fall apart into "1"s.
public enum CutChoice {
    public static let cutPrior = 0.5

    /// A piece between boundaries `from` and `to` and the probability of its best class.
    public struct Scored: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var confidence: Double

        public init(from: Int, to: Int, confidence: Double) {
            self.from = from
            self.to = to
            self.confidence = confidence
        }
    }

    /// Indices into `pieces` of the best path from boundary 0 to `boundaryCount - 1`, left to
    /// right; empty when no path exists. Dynamic programming over the boundaries: a boundary's
    /// best score is the best over the pieces ending there.
    public static func best(boundaryCount: Int, pieces: [Scored], cutPrior: Double = cutPrior) -> [Int] {
        guard boundaryCount >= 2 else { return [] }
        var score = [Double](repeating: -.infinity, count: boundaryCount)
        var via = [Int?](repeating: nil, count: boundaryCount)
        score[0] = 0
        let logPrior = cutPrior > 0 ? log(cutPrior) : -.infinity
        // Pieces in order of their end: every piece's start is settled before it is used.
        for index in pieces.indices.sorted(by: { (pieces[$0].to, pieces[$0].from) < (pieces[$1].to, pieces[$1].from) }) {
            let piece = pieces[index]
            guard piece.from < piece.to, piece.to < boundaryCount, score[piece.from] > -.infinity else { continue }
            let cost = piece.from == 0 ? 0 : logPrior
            let candidate = score[piece.from] + log(max(piece.confidence, 1e-12)) + cost
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
