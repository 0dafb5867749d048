import Foundation
import Testing
import Imaging
import Preprocessing
@testable import Recognition

@Suite struct CutChoiceTests {
    typealias S = CutChoice.Scored

    @Test func confidentPiecesBeatAnUnsureWhole() {
        // Boundaries 0 | 1 | 2: whole 0.5 ("star"), pieces 0.99 and 0.98 → cut (0.97 · 0.4 < 0.5
        // only if the whole were a plausible width; at 1.5 line heights it is discounted e^-2).
        let narrow = [S(from: 0, to: 2, confidence: 0.5, width: 0.9), S(from: 0, to: 1, confidence: 0.99), S(from: 1, to: 2, confidence: 0.98)]
        #expect(CutChoice.best(boundaryCount: 3, pieces: narrow) == [0])
        var wide = narrow
        wide[0].width = 1.5
        #expect(CutChoice.best(boundaryCount: 3, pieces: wide) == [1, 2])
    }

    @Test func aWidePieceOfTouchingInkCountsAsLikelyTwo() {
        // Boundaries 0 | 1 | 2 | 3 of a region 2.4 line heights wide: the pieces 0-2 (1.2 wide)
        // and 2-3 read surely, 0-1 and 1-2 (0.5 wide each) a little less surely. Discounted only
        // past 1.1 line heights, as a region whole is, 0-2 would win despite its width; as a cut
        // piece, past `plausiblePieceWidth`, it loses to the two narrow ones.
        let pieces = [S(from: 0, to: 3, confidence: 0.3, width: 2.4), S(from: 0, to: 2, confidence: 0.95, width: 1.2),
                      S(from: 2, to: 3, confidence: 0.95, width: 0.7), S(from: 0, to: 1, confidence: 0.9, width: 0.5),
                      S(from: 1, to: 2, confidence: 0.9, width: 0.5)]
        #expect(CutChoice.best(boundaryCount: 4, pieces: pieces) == [3, 4, 2])
        #expect(CutChoice.logWidthPrior(1.0, plausible: CutChoice.plausiblePieceWidth) < 0)
        #expect(CutChoice.logWidthPrior(1.0) == 0)
        // The arithmetic of the first claim: 0-2 with the whole's threshold beats the two narrow pieces.
        let asWhole = log(0.95) + log(0.95) + log(CutChoice.cutPrior) + CutChoice.logWidthPrior(1.2)
        let narrow = log(0.9) + log(0.9) + log(0.95) + 2 * log(CutChoice.cutPrior)
        #expect(asWhole > narrow)
    }

    @Test func aConfidentWholeIsKept() {
        let pieces = [S(from: 0, to: 2, confidence: 0.9), S(from: 0, to: 1, confidence: 0.95), S(from: 1, to: 2, confidence: 0.95)]
        #expect(CutChoice.best(boundaryCount: 3, pieces: pieces) == [0])
        // Without the prior, the two slivers would win.
        #expect(CutChoice.best(boundaryCount: 3, pieces: pieces, cutPrior: 1) == [1, 2])
    }

    @Test func aCutThroughSeveralStrokesCostsMore() {
        // Two halves read surely beat an unsure whole across a clean seam, not across a cut
        // that goes through three strokes (a wide 3 cut down its middle).
        let pieces = [S(from: 0, to: 2, confidence: 0.35), S(from: 0, to: 1, confidence: 0.95), S(from: 1, to: 2, confidence: 0.95)]
        #expect(CutChoice.best(boundaryCount: 3, pieces: pieces, strokesCrossed: [0, 1, 0]) == [1, 2])
        #expect(CutChoice.best(boundaryCount: 3, pieces: pieces) == [1, 2])
        #expect(CutChoice.best(boundaryCount: 3, pieces: pieces, strokesCrossed: [0, 3, 0]) == [0])
    }

    @Test func threeDigitsAndGapsInThePieces() {
        // 0 | 1 | 2 | 3 with piece (1, 2) missing (too little ink): the path must go round it.
        let pieces = [
            S(from: 0, to: 3, confidence: 0.2), S(from: 0, to: 1, confidence: 0.99), S(from: 1, to: 3, confidence: 0.3),
            S(from: 0, to: 2, confidence: 0.9), S(from: 2, to: 3, confidence: 0.99),
        ]
        #expect(CutChoice.best(boundaryCount: 4, pieces: pieces) == [3, 4])
        #expect(CutChoice.best(boundaryCount: 4, pieces: [S(from: 0, to: 1, confidence: 1)]) == [])
        #expect(CutChoice.best(boundaryCount: 1, pieces: []) == [])
    }
}

/// Which slots of a page get their cuts tried (`Recognizer.worthCutting`): the wide ones, and
/// the narrow ones the network does not read whole as a sure digit.
@Suite struct WorthCuttingTests {
    static func read(_ label: String, _ confidence: Float, decision: GlyphDecision = .classified) -> RecognizedGlyph {
        let rest = (1 - confidence) / 12
        let others = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "smiley", "scribble"].filter { $0 != label }
        let ranking = [RankedLabel(label: label, confidence: confidence)] + others.map { RankedLabel(label: $0, confidence: rest) }
        let box = GlyphBox(x: 0, y: 0, width: 1, height: 1)
        return RecognizedGlyph(box: box, ranking: ranking, decision: decision,
                               input: PreparedGlyph(box: box, input: GreyImage(width: 28, height: 28)))
    }

    @Test func aNarrowSureDigitIsReadWhole() {
        #expect(!Recognizer.worthCutting(width: 0.8, whole: Self.read("4", 0.99)))
        // A wide single digit (a 0 or a 2 can be as wide as its line is tall) read surely.
        #expect(!Recognizer.worthCutting(width: 1.1, whole: Self.read("0", 0.95)))
        #expect(!Recognizer.worthCutting(width: 0.8, whole: Self.read("4", 0.75)))
    }

    @Test func aWideSlotIsCutWhateverItReadsAs() {
        #expect(Recognizer.worthCutting(width: 1.2, whole: Self.read("0", 0.999)))
        #expect(Recognizer.worthCutting(width: 1.8, whole: Self.read("star", 0.95)))
    }

    @Test func anUnsureOrNonDigitOrRejectedNarrowSlotIsCut() {
        #expect(Recognizer.worthCutting(width: 0.8, whole: Self.read("4", 0.6)))
        #expect(Recognizer.worthCutting(width: 0.8, whole: Self.read("star", 0.99)))
        #expect(Recognizer.worthCutting(width: 0.8, whole: Self.read("4", 0.99, decision: .rejected)))
    }
}

/// What the page reader takes from the model's page head (`PieceReading`) and how a piece
/// cut out of touching ink is scored and read.
@Suite struct PieceReadingTests {
    /// Head logits: the three extent ones, then the ten piece digits.
    static func head(extent: [Float], digits: [Float]) -> PieceReading { PieceReading(logits: extent + digits) }

    @Test func theExtentAndTheDigitsAreTwoSoftmaxesInTheLayoutsOrder() {
        var digits = [Float](repeating: 0, count: 10)
        digits[7] = 3
        let piece = Self.head(extent: [2, 0, 0], digits: digits)
        #expect(abs(piece.one + piece.several + piece.part - 1) < 1e-6)
        #expect(abs(piece.one - exp(2) / (exp(2) + 2)) < 1e-6)
        #expect(piece.several == piece.part)
        #expect(piece.digits.map(\.label).first == "7")
        #expect(piece.digits.count == 10)
        #expect(abs(piece.digits.reduce(0) { $0 + $1.confidence } - 1) < 1e-5)
        #expect(zip(piece.digits, piece.digits.dropFirst()).allSatisfy { $0.confidence >= $1.confidence })
    }

    @Test func aPieceCountsAsSureAsTheHeadReadsItAsOneGlyph() {
        let one = Self.head(extent: [5, -5, -5], digits: .init(repeating: 0, count: 10))
        let several = Self.head(extent: [-5, 5, -5], digits: .init(repeating: 0, count: 10))
        #expect(CutChoice.extentFactor(nil) == 1)
        #expect(abs(CutChoice.extentFactor(one) - one.one.squareRoot()) < 1e-6)
        #expect(CutChoice.extentFactor(several) < 0.01)
    }

    @Test func aRefusedPieceCountsAtADiscountAndACutGlyphReadsAsADigit() {
        let sure = WorthCuttingTests.read("4", 0.8)
        var refused = WorthCuttingTests.read("4", 0.8, decision: .rejected)
        #expect(sure.pieceConfidence == 0.8)
        #expect(abs(refused.pieceConfidence - 0.8 * CutChoice.refusedPiecePrior) < 1e-6)
        #expect(refused.answer.label == "scribble")  // uncut: the rejection rule stands
        refused.cut = true
        #expect(refused.answer.label == "4")  // cut: chosen as a digit
    }

    /// The class network reads "4" at 0.8 (every other class at 0.2 / 12); the head's piece
    /// digits favour 9 by `logit` over the nine others.
    static func pieceFavouringNine(by logit: Float) -> RecognizedGlyph {
        var glyph = WorthCuttingTests.read("4", 0.8)
        var digits = [Float](repeating: 0, count: 10)
        digits[9] = logit
        glyph.piece = head(extent: [0, 0, 0], digits: digits)
        glyph.cut = true
        return glyph
    }

    @Test func aWholeDigitOfAnImagePageReadsAsThePageDigitAndNothingElseDoes() {
        var whole = Self.pieceFavouringNine(by: 4)
        whole.cut = false
        #expect(whole.answer.label == "4")  // single, multi, a stroke page: the class network's
        whole.onImagePage = true
        #expect(whole.answer == whole.pageDigit)
        #expect(whole.answer.label == "9")
        // A star stays a star, a refused glyph refused.
        var star = WorthCuttingTests.read("star", 0.8)
        star.piece = whole.piece
        star.onImagePage = true
        #expect(star.answer.label == "star")
        var refused = WorthCuttingTests.read("4", 0.8, decision: .rejected)
        refused.piece = whole.piece
        refused.onImagePage = true
        #expect(refused.answer.label == "scribble")
    }

    @Test func aCutGlyphReadsAsTheDigitBothReadingsAgreeOnMost() throws {
        let weight = CutChoice.pieceDigitWeight
        // The head sure of a 9: its piece digit outweighs the class network's 4.
        let nine = Self.pieceFavouringNine(by: 4)
        let head = try #require(nine.piece?.digits.first { $0.label == "9" }?.confidence)
        #expect(nine.answer.label == "9")
        let expected = pow(Float(0.2) / 12, 1 - weight) * pow(head, weight)
        #expect(abs(nine.answer.confidence - expected) < 1e-6)
        // The cut is chosen on the same product.
        #expect(abs(nine.pieceConfidence - expected) < 1e-6)
        // The head leaning a little to 9: the class network's sure 4 stands.
        let four = Self.pieceFavouringNine(by: 1)
        #expect(four.answer.label == "4")
        let headFour = try #require(four.piece?.digits.first { $0.label == "4" }?.confidence)
        #expect(abs(four.pieceConfidence - pow(0.8, 1 - weight) * pow(headFour, weight)) < 1e-6)
    }
}
