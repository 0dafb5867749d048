import Foundation
import Testing
@testable import NeuralNetwork

/// The open-set reject on crafted logits, and the manifest's `rejection` block as the loader reads it.
@Suite struct RejectionRuleTests {
    /// Two known classes and scribble last, as in the shipped model's order.
    static let classes = ["a", "b", "scribble"]
    static let margin = 1e-3

    static func rule(_ score: RejectionRule.Score, _ threshold: Double, temperature: Double = 1) throws -> RejectionRule {
        try RejectionRule(score: score, threshold: threshold, temperature: temperature, classes: classes)
    }

    @Test func knownClassesAreEveryClassButScribble() throws {
        let rule = try RejectionRule(score: .maxLogit, threshold: 0, classes: ["0", "scribble", "star"])
        #expect(rule.known == [0, 2])
    }

    // softmax([x, 0, 0])[0] = e^x / (e^x + 2) = p  ⇔  x = ln(2p / (1 − p))
    @Test(arguments: [0.62, 0.9])
    func maxProbabilityJustAboveAndBelow(threshold: Double) throws {
        let rule = try Self.rule(.maxProbability, threshold)
        func logits(_ p: Double) -> [Float] { [Float(log(2 * p / (1 - p))), 0, 0] }
        let above = logits(threshold + Self.margin), below = logits(threshold - Self.margin)
        #expect(abs(rule.score(above) - (threshold + Self.margin)) < 1e-5)
        #expect(rule.decide(above) == .classified)
        guard case .rejected(let score) = rule.decide(below) else {
            Issue.record("\(below) should be rejected")
            return
        }
        #expect(abs(score - (threshold - Self.margin)) < 1e-5)
    }

    @Test func maxProbabilityCountsScribbleInTheSoftmax() throws {
        // A strong scribble logit drains probability from the known classes without being the top class.
        let rule = try Self.rule(.maxProbability, 0.5)
        #expect(rule.decide([2, 0, -10]) == .classified)
        #expect(rule.decide([2, 0, 1.9]).isRejected)
    }

    @Test func maxLogitJustAboveAndBelow() throws {
        let rule = try Self.rule(.maxLogit, 3)
        #expect(rule.decide([Float(3 + Self.margin), 0, 1]) == .classified)
        #expect(rule.decide([0, Float(3 - Self.margin), 1]) == .rejected(score: Double(Float(3 - Self.margin))))
        #expect(rule.decide([-5, -6, -7]).isRejected, "negative logits score below a positive threshold")
    }

    // T · logsumexp([x, x] / T) = x + T · ln 2; the scribble logit takes no part.
    @Test(arguments: [1.0, 2.5])
    func energyJustAboveAndBelow(temperature: Double) throws {
        let threshold = 4.0
        let rule = try Self.rule(.energy, threshold, temperature: temperature)
        func logits(_ energy: Double, scribble: Float) -> [Float] {
            let x = Float(energy - temperature * log(2.0))
            return [x, x, scribble]
        }
        for scribble: Float in [-20, 0] {
            let above = logits(threshold + Self.margin, scribble: scribble)
            let below = logits(threshold - Self.margin, scribble: scribble)
            #expect(abs(rule.score(above) - (threshold + Self.margin)) < 1e-5)
            #expect(rule.decide(above) == .classified)
            #expect(rule.decide(below).isRejected)
        }
    }

    @Test func energyStaysFiniteForLargeLogits() throws {
        let rule = try Self.rule(.energy, 0)
        let score = rule.score([1000, 999, 0])
        #expect(abs(score - (1000 + log(1 + exp(-1.0)))) < 1e-9)
    }

    @Test(arguments: RejectionRule.Score.allCases)
    func aTopScribbleIsNeverRejected(score: RejectionRule.Score) throws {
        // Every known score is far below this threshold; only the top class being scribble saves it.
        let rule = try Self.rule(score, 1e6)
        #expect(rule.decide([0.5, 0.4, 0.6]) == .classified)
        #expect(rule.decide([0.5, 0.4, 0.3]).isRejected)
    }

    @Test func logitsOfTheWrongLengthAreLeftAlone() throws {
        #expect(try Self.rule(.maxLogit, 1e6).decide([0, 1]) == .classified)
    }

    // MARK: The manifest block

    func tiny(classes: [String] = ["c0", "scribble"], rejection: Any?) -> TestModel {
        var m = TestModel(classes: 2, height: 2, width: 2)
        m.classes = classes
        m.layer("flatten")
        m.linear("fc", in: 4, out: 2, weight: [1, 0, 0, 0, 0, 1, 0, 0], bias: nil)
        m.extra["rejection"] = rejection
        return m
    }

    @Test func anAbsentBlockRejectsNothing() throws {
        let model = try tiny(rejection: nil).build()
        #expect(model.manifest.rejection == nil)
        #expect(model.rejection == nil)
    }

    @Test func aPresentBlockIsLoaded() throws {
        let model = try tiny(rejection: ["score": "energy", "threshold": 0.62, "temperature": 2]).build()
        #expect(model.rejection == (try RejectionRule(score: .energy, threshold: 0.62, temperature: 2, classes: ["c0", "scribble"])))
        let defaulted = try tiny(rejection: ["score": "max_probability", "threshold": 0.5]).build()
        #expect(defaulted.rejection?.temperature == 1)
        #expect(defaulted.rejection?.score == .maxProbability)
    }

    @Test(arguments: [
        (#"{"score": "entropy", "threshold": 0.5}"#, "'rejection.score' is 'entropy', expected one of"),
        (#"{"score": "max_logit", "threshold": 0.5, "temperature": 0}"#, "'rejection.temperature' must be a finite number above 0"),
        (#"{"score": "energy", "threshold": 0.5, "temperature": -1}"#, "'rejection.temperature' must be a finite number above 0"),
        (#"{"score": "energy"}"#, "missing 'threshold' at .rejection"),
        (#""max_logit""#, "at .rejection"),
    ])
    func aMalformedBlockNamesTheField(block: String, message: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(block.utf8), options: .fragmentsAllowed)
        let path = try tiny(rejection: object).write()
        let error = try #require(throws: ModelError.self) { try Model.load(manifestPath: path) }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func aModelWithoutScribbleCannotReject() throws {
        let error = try #require(throws: ModelError.self) {
            try tiny(classes: ["c0", "c1"], rejection: ["score": "max_logit", "threshold": 1]).build()
        }
        #expect(error == .rejection(field: "classes", reason: "must include 'scribble' for the rejection block to reject to"))
    }

    @Test func aNonFiniteThresholdIsRefused() throws {
        #expect(throws: ModelError.rejection(field: "rejection.threshold", reason: "must be a finite number")) {
            try Self.rule(.maxLogit, .infinity)
        }
        #expect(throws: ModelError.self) { try Self.rule(.maxProbability, .nan) }
        // JSON has no infinity; a number too large for a Double is the nearest a file can come,
        // and Foundation's parser refuses it as invalid JSON before the rule is built.
        let path = try tiny(rejection: ["score": "max_logit", "threshold": 1]).write()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let huge = text.replacingOccurrences(of: "\"threshold\":1", with: "\"threshold\":1e999")
        #expect(huge != text)
        try huge.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelError.self) { try Model.load(manifestPath: path) }
    }

    @Test func aThresholdOfTheWrongTypeNamesItsPath() throws {
        let path = try tiny(rejection: ["score": "max_logit", "threshold": "high"]).write()
        let error = try #require(throws: ModelError.self) { try Model.load(manifestPath: path) }
        #expect(error.description.contains(".rejection.threshold"), "\(error)")
    }
}

extension RejectionRule.Decision {
    var isRejected: Bool { if case .rejected = self { true } else { false } }
}
