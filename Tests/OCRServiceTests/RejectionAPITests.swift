import Foundation
import Testing
@testable import OCRService

/// The manifest's rejection rule end to end: a real server on 127.0.0.1 loading a temporary
/// copy of the shipped manifest whose `rejection` block the test chooses.
@Suite(.serialized) struct RejectionAPITests {
    typealias API = RecognitionAPITests

    static func withServer<T>(rejection: [String: Any]?, _ body: (Int) async throws -> T) async throws -> T {
        let copy = try ManifestCopy(rejection: rejection)
        defer { copy.remove() }
        return try await API.withServer({ $0.model.path = copy.path }, body)
    }

    static func recognize(_ strokes: [[[Double]]], port: Int, mode: String = "single") async throws -> APIResponse {
        try await send(port: port, path: "/api/v1/recognize?mode=\(mode)&top=13",
                       headers: [("Content-Type", "application/json")], body: API.json(["strokes": strokes]))
    }

    /// Thresholds no score of a known class can reach (a probability is at most 1; the
    /// shipped model's logits are nowhere near 1e9), so a drawn digit must be rejected.
    @Test(arguments: [("max_probability", 1.5), ("max_logit", 1e9), ("energy", 1e9)])
    func aDigitBelowTheThresholdReadsAsScribble(score: String, threshold: Double) async throws {
        try await Self.withServer(rejection: ["score": score, "threshold": threshold, "temperature": 1.0]) { port in
            let response = try await Self.recognize(API.seven, port: port)
            #expect(response.status == 200)
            let json = response.json
            #expect(json["decision"] as? String == "rejected")
            #expect(json["label"] as? String == "scribble")
            #expect(json["text"] as? String == "?")
            // `top` stays the network's ranking: what the glyph resembled.
            let top = json["top"] as? [[String: Any]] ?? []
            #expect(top.first?["label"] as? String == "7")
            let resembled = top.first?["confidence"] as? Double ?? -1
            let confidence = json["confidence"] as? Double ?? -1
            #expect(abs(confidence - (1 - resembled)) <= 2e-6, "confidence \(confidence), top \(resembled)")
            let glyph = (json["glyphs"] as? [[String: Any]])?.first ?? [:]
            #expect(glyph["decision"] as? String == "rejected")
            #expect(glyph["label"] as? String == "scribble")

            let model = try await send(port: port, method: "GET", path: "/api/v1/model")
            let rule = model.json["rejection"] as? [String: Any] ?? [:]
            #expect(rule["score"] as? String == score)
            #expect(rule["threshold"] as? Double == threshold)
        }
    }

    @Test func everyGlyphOfANumberIsDecidedOnItsOwn() async throws {
        let strokes = API.shifted(API.one, by: -200) + API.zero + API.shifted(API.seven, by: 260)
        try await Self.withServer(rejection: ["score": "max_probability", "threshold": 1.5]) { port in
            let response = try await Self.recognize(strokes, port: port, mode: "multi")
            #expect(response.status == 200)
            #expect(response.json["text"] as? String == "???")
            #expect(response.json["decision"] as? String == "rejected")
            let glyphs = response.json["glyphs"] as? [[String: Any]] ?? []
            #expect(glyphs.count == 3)
            #expect(glyphs.map { $0["decision"] as? String } == ["rejected", "rejected", "rejected"])
            let resembled = glyphs.map { (($0["top"] as? [[String: Any]])?.first?["label"] as? String) ?? "" }
            #expect(resembled == ["1", "0", "7"])
        }
    }

    @Test func aThresholdEveryScoreReachesRejectsNothing() async throws {
        try await Self.withServer(rejection: ["score": "max_probability", "threshold": 0.0]) { port in
            let response = try await Self.recognize(API.seven, port: port)
            #expect(response.json["decision"] as? String == "classified")
            #expect(response.json["label"] as? String == "7")
        }
    }

    @Test func withoutABlockEveryGlyphIsClassified() async throws {
        try await Self.withServer(rejection: nil) { port in
            let response = try await Self.recognize(API.seven, port: port)
            #expect(response.status == 200)
            #expect(response.json["decision"] as? String == "classified")
            #expect(response.json["label"] as? String == "7")
            #expect(response.json["text"] as? String == "7")
            let top = response.json["top"] as? [[String: Any]] ?? []
            #expect(response.json["confidence"] as? Double == top.first?["confidence"] as? Double)
            let glyph = (response.json["glyphs"] as? [[String: Any]])?.first ?? [:]
            #expect(glyph["decision"] as? String == "classified")
            let model = try await send(port: port, method: "GET", path: "/api/v1/model")
            #expect(model.status == 200)
            #expect(model.json["rejection"] == nil)
        }
    }

    @Test func aMalformedBlockStopsStartUpNamingTheField() throws {
        let copy = try ManifestCopy(rejection: ["score": "softmax", "threshold": 0.5])
        defer { copy.remove() }
        let outcome = try ExecutableTests.run(["--model", copy.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("'rejection.score' is 'softmax', expected one of"), "\(outcome.stderr)")
    }
}
