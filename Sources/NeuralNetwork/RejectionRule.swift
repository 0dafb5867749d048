import Foundation

/// The manifest's open-set reject (docs/model-format.md, "Rejection"): a glyph whose
/// top class is a known one (anything but `scribble`) but whose score falls below a
/// calibrated threshold is read as `scribble` instead.
///
/// A pure function of one glyph's logits, so it is tested on crafted vectors and
/// applied by the caller after the batch has run; the kernels never see it.
public struct RejectionRule: Sendable, Equatable {
    public enum Score: String, Sendable, CaseIterable {
        case maxProbability = "max_probability"
        case maxLogit = "max_logit"
        case energy
    }

    public enum Decision: Sendable, Equatable {
        case classified
        /// The score that fell below the threshold.
        case rejected(score: Double)
    }

    /// The class a rejected glyph is read as, and the one class that is never scored.
    public static let rejectedLabel = "scribble"

    public let score: Score
    public let threshold: Double
    /// Only `energy` reads it; kept for every kind so that the rule reports what the manifest said.
    public let temperature: Double
    /// Indices of every class except `scribble`, in the model's order.
    public let known: [Int]
    public let classCount: Int

    public init(score: Score, threshold: Double, temperature: Double = 1, classes: [String]) throws(ModelError) {
        guard threshold.isFinite else { throw .rejection(field: "rejection.threshold", reason: "must be a finite number") }
        guard temperature.isFinite, temperature > 0 else {
            throw .rejection(field: "rejection.temperature", reason: "must be a finite number above 0")
        }
        guard classes.contains(Self.rejectedLabel) else {
            throw .rejection(field: "classes", reason: "must include '\(Self.rejectedLabel)' for the rejection block to reject to")
        }
        let known = classes.indices.filter { classes[$0] != Self.rejectedLabel }
        guard !known.isEmpty else {
            throw .rejection(field: "classes", reason: "must include a class besides '\(Self.rejectedLabel)' for the rejection block to score")
        }
        self.score = score
        self.threshold = threshold
        self.temperature = temperature
        self.known = known
        self.classCount = classes.count
    }

    /// The rule a manifest's `rejection` block describes, checked against its classes.
    public init(_ spec: Manifest.Rejection, classes: [String]) throws(ModelError) {
        guard let score = Score(rawValue: spec.score) else {
            let names = Score.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw .rejection(field: "rejection.score", reason: "is '\(spec.score)', expected one of \(names)")
        }
        try self.init(score: score, threshold: spec.threshold, temperature: spec.temperature ?? 1, classes: classes)
    }

    /// The score of one glyph's logits (model class order). Computed in `Double` with the
    /// maximum subtracted first, so that large logits neither overflow nor lose the threshold's digits.
    public func score(_ logits: [Float]) -> Double {
        guard logits.count == classCount else { return -.infinity }
        let knownMax = known.map { Double(logits[$0]) }.max() ?? -.infinity
        switch score {
        case .maxLogit:
            return knownMax
        case .maxProbability:
            let largest = Double(logits.max() ?? 0)
            let total = logits.reduce(0.0) { $0 + exp(Double($1) - largest) }
            return exp(knownMax - largest) / total
        case .energy:
            let t = temperature
            let total = known.reduce(0.0) { $0 + exp((Double(logits[$1]) - knownMax) / t) }
            return knownMax + t * log(total)
        }
    }

    /// Rejected iff the top class over all classes is a known one and its score is below
    /// the threshold. A glyph whose top class is already `scribble` is classified as that.
    public func decide(_ logits: [Float]) -> Decision {
        guard logits.count == classCount, let top = logits.indices.max(by: { logits[$0] < logits[$1] }),
              known.contains(top) else { return .classified }
        let value = score(logits)
        return value < threshold ? .rejected(score: value) : .classified
    }
}
