import Foundation
import Imaging
import Logging
import Recognition
import TestSupport
import Testing
@testable import OCRService

/// End-to-end tests of the recognition API: the shipped model, a real server on an ephemeral
/// port of 127.0.0.1, real sockets.
@Suite(.serialized) struct RecognitionAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    static func configuration(_ edit: (inout Configuration) -> Void = { _ in }) -> Configuration {
        var config = Configuration()
        config.server.port = 0
        config.server.publicDir = root.appendingPathComponent("Public").path
        config.model.path = root.appendingPathComponent("Models/glyphnet.json").path
        config.inference.workers = 2
        edit(&config)
        return config
    }

    static func withServer<T>(
        _ edit: (inout Configuration) -> Void = { _ in }, _ body: (Int) async throws -> T
    ) async throws -> T {
        let config = configuration(edit)
        var logger = Logger(label: "api-test")
        logger.logLevel = .warning  // thousands of requests; one line each would drown the test output
        let app = Application(configuration: config, recognizer: try Application.makeRecognizer(config), logger: logger)
        try app.server.start()
        do {
            let result = try await body(app.server.port)
            await app.server.shutdown()
            await app.recognizer?.pool.shutdown(drainTimeout: .seconds(2))
            return result
        } catch {
            await app.server.shutdown()
            await app.recognizer?.pool.shutdown(drainTimeout: .seconds(2))
            throw error
        }
    }

    // Glyphs drawn as strokes on a 280x280 canvas.
    static let one: [[[Double]]] = [[[140, 40], [141, 120], [140, 240]]]
    static let zero: [[[Double]]] = [(0...36).map { i in
        let a = Double(i) / 36 * 2 * Double.pi
        return [140 + 55 * sin(a), 140 - 95 * cos(a)]
    }]
    static let seven: [[[Double]]] = [[[70, 50], [210, 50], [180, 110], [150, 170], [120, 240]]]

    static func shifted(_ strokes: [[[Double]]], by dx: Double) -> [[[Double]]] {
        strokes.map { $0.map { [$0[0] + dx, $0[1]] } }
    }

    static func json(_ object: Any) -> [UInt8] {
        [UInt8]((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    /// The strokes rendered as a PNG: dark ink on white, as a scanned page would be.
    static func png(_ strokes: [[[Double]]]) throws -> [UInt8] {
        let rendered = try StrokeRasterizer.render(Strokes.fromPairs(strokes) ?? [])
        var paper = rendered
        for index in paper.pixels.indices { paper.pixels[index] = 1 - rendered.pixels[index] }
        return try PNGEncoder.encodeGrey(paper)
    }

    /// Drawings as a phone or scanner would give them: each rendered on its own and set left
    /// to right, 24 px apart, as dark ink on a page of light, grainy paper (σ = 0.05, a sum of
    /// four uniforms, fixed seed) with a 60 px margin, as a quality-60 grey JPEG.
    /// The drawings side by side as a grey JPEG of dark ink on grainy paper: the grain is a sum
    /// of four uniforms of half-width `grain` (σ = 1.15 · `grain`), and `shadow`
    /// darkens the paper by that much from the left edge to the right one.
    static func grainyScan(_ drawings: [[[[Double]]]], grain: Float, shadow: Float) throws -> [UInt8] {
        let glyphs = try drawings.map { try StrokeRasterizer.render(Strokes.fromPairs($0) ?? []) }
        let margin = 60, gap = 24
        let width = glyphs.reduce(2 * margin - gap) { $0 + $1.width + gap }
        let height = (glyphs.map(\.height).max() ?? 0) + 2 * margin
        var ink = [Float](repeating: 0, count: width * height)
        var left = margin
        for glyph in glyphs {
            let top = (height - glyph.height) / 2
            for y in 0..<glyph.height { for x in 0..<glyph.width { ink[(top + y) * width + left + x] = glyph[x, y] } }
            left += glyph.width + gap
        }
        var random = SeededGenerator(seed: 0x5CA7)
        let pixels = ink.enumerated().map { i, value -> UInt8 in
            let noise = random.floats(4, in: -grain...grain).reduce(0, +)
            let paper = 0.85 - shadow * Float(i % width) / Float(width - 1)
            return UInt8((min(1, max(0, paper - 0.7 * value + noise)) * 255).rounded())
        }
        return try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 1, quality: 60)
    }

    static func label(_ response: APIResponse) -> String { response.json["label"] as? String ?? "<\(response.status)>" }

    @Test func everyBodyKindGivesTheSameAnswer() async throws {
        let png = try Self.png(Self.seven)
        let base64 = Data(png).base64EncodedString()
        let boundary = "----form7"
        var multipart = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        multipart += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"d.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        multipart += png + Array("\r\n--\(boundary)--\r\n".utf8)
        try await Self.withServer { port in
            let raw = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "image/png")], body: png)
            #expect(raw.status == 200)
            #expect(Self.label(raw) == "7")
            let form = try await send(port: port, path: "/api/v1/recognize",
                                      headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: multipart)
            let b64 = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")],
                                     body: Self.json(["image": base64]))
            let dataURL = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")],
                                         body: Self.json(["image": "data:image/png;base64," + base64]))
            for response in [form, b64, dataURL] {
                #expect(response.status == 200)
                #expect(Self.label(response) == "7")
                #expect(response.json["confidence"] as? Double == raw.json["confidence"] as? Double)
            }
            let strokes = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")],
                                         body: Self.json(["strokes": Self.seven, "width": 280, "height": 280]))
            let quickDraw = Self.seven.map { stroke in [stroke.map { $0[0] }, stroke.map { $0[1] }] }
            let drawing = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")],
                                         body: Self.json(["drawing": quickDraw, "key_id": "1", "word": "seven"]))
            #expect(Self.label(strokes) == "7")
            #expect(Self.label(drawing) == "7")
            #expect(strokes.json["confidence"] as? Double == drawing.json["confidence"] as? Double)
            let glyphs = strokes.json["glyphs"] as? [[String: Any]] ?? []
            #expect(glyphs.count == 1)
            #expect(glyphs.first?["preview"] == nil)
            #expect((strokes.json["top"] as? [Any])?.count == 3)
            #expect(strokes.json["text"] as? String == "7")
            let timings = strokes.json["timings_ms"] as? [String: Double] ?? [:]
            #expect(Set(timings.keys) == ["request", "decode", "preprocess", "queue", "inference", "total"])
            // `total` runs from the first byte read, so it covers every stage (each rounded to 1 µs).
            let stages = ["request", "decode", "preprocess", "queue", "inference"].compactMap { timings[$0] }
            #expect(stages.allSatisfy { $0 >= 0 })
            #expect((timings["total"] ?? 0) + 0.003 >= stages.reduce(0, +))
        }
    }

    /// A grainy scan (σ 0.1), and a page under a shadow going from 0.85 to 0.5 across it (grain
    /// σ 0.05): one background number for all of that page would leave the dark side's paper
    /// above the ink floor, so step 2b levels it first.
    @Test(arguments: zip([Float(0.0866), 0.0433], [Float(0), 0.35]))
    func aScanReadsLikeTheDrawing(grain: Float, shadow: Float) async throws {
        let seven = try Self.grainyScan([Self.seven], grain: grain, shadow: shadow)
        let number = try Self.grainyScan([Self.one, Self.zero, Self.seven], grain: grain, shadow: shadow)
        try await Self.withServer { port in
            let response = try await send(port: port, path: "/api/v1/recognize",
                                          headers: [("Content-Type", "image/jpeg")], body: seven)
            #expect(response.status == 200)
            #expect(Self.label(response) == "7")
            // The ink box is the seven's, not the page's: neither grain specks nor shaded paper
            // passed as ink.
            let box = (response.json["glyphs"] as? [[String: Any]])?.first?["box"] as? [String: Any] ?? [:]
            #expect((box["width"] as? Double ?? 200) < 90 && (box["height"] as? Double ?? 200) < 90)
            // Several glyphs: no grain component survives to be read as a glyph of its own.
            let multi = try await send(port: port, path: "/api/v1/recognize?mode=multi",
                                       headers: [("Content-Type", "image/jpeg")], body: number)
            #expect(multi.status == 200)
            #expect(multi.json["text"] as? String == "107")
        }
    }

    @Test func multiModeReadsANumberLeftToRight() async throws {
        let strokes = Self.shifted(Self.one, by: -200) + Self.zero + Self.shifted(Self.seven, by: 260)
        try await Self.withServer { port in
            let response = try await send(port: port, path: "/api/v1/recognize?mode=multi&top=13&debug=true",
                                          headers: [("Content-Type", "application/json")], body: Self.json(["strokes": strokes]))
            #expect(response.status == 200)
            #expect(response.json["text"] as? String == "107")
            let glyphs = response.json["glyphs"] as? [[String: Any]] ?? []
            #expect(glyphs.count == 3)
            for glyph in glyphs {
                #expect((glyph["top"] as? [Any])?.count == 13)
                #expect((glyph["preview"] as? String)?.hasPrefix("data:image/png;base64,") == true)
            }
            let xs = glyphs.compactMap { ($0["box"] as? [String: Double])?["x"] }
            #expect(xs == xs.sorted() && xs.count == 3)
            // The same drawing as a PNG segments the same way.
            let png = try Self.png(strokes)
            let image = try await send(port: port, path: "/api/v1/recognize?mode=multi",
                                       headers: [("Content-Type", "image/png")], body: png)
            #expect(image.json["text"] as? String == "107")
        }
    }

    @Test func badInputGetsTheRightProblem() async throws {
        let png = try Self.png(Self.one)
        var bombJPEG = try JPEGEncoder.encode(pixels: [UInt8](repeating: 128, count: 256), width: 16, height: 16, channels: 1)
        // Patch the SOF0 frame size to 60000x60000: the header claims far more than the limit.
        if let sof = (0..<(bombJPEG.count - 9)).first(where: { bombJPEG[$0] == 0xFF && bombJPEG[$0 + 1] == 0xC0 }) {
            bombJPEG[sof + 5] = 0xEA; bombJPEG[sof + 6] = 0x60; bombJPEG[sof + 7] = 0xEA; bombJPEG[sof + 8] = 0x60
        }
        let blank = try PNGEncoder.encodeGrey(GreyImage(width: 64, height: 64, pixels: [Float](repeating: 1, count: 4096)))
        // One column past the 4096-pixel limit: a small body, so 422 (its pixels), not 413 (its bytes).
        let wide = try PNGEncoder.encodeGrey(GreyImage(width: 4097, height: 2, pixels: [Float](repeating: 1, count: 8194)))
        let cases: [(String, String, [UInt8], Int, String)] = [
            ("/api/v1/recognize", "image/png", Array(png.prefix(png.count / 2)), 400, "corrupt-image"),
            ("/api/v1/recognize", "image/jpeg", bombJPEG, 422, "image-too-large"),
            ("/api/v1/recognize", "image/png", blank, 422, "no-ink"),
            ("/api/v1/recognize?mode=page", "image/png", wide, 422, "image-too-large"),
            ("/api/v1/recognize", "image/png", Array("not an image".utf8), 400, "unsupported-image"),
            ("/api/v1/recognize", "text/plain", Array("7".utf8), 415, "unsupported-media-type"),
            ("/api/v1/recognize", "application/json", Array("{\"strokes\": [".utf8), 400, "malformed-json"),
            ("/api/v1/recognize", "application/json", Self.json(["strokes": [[["a", 1]]]]), 400, "invalid-strokes"),
            ("/api/v1/recognize", "application/json", Array("{\"strokes\": [[[1e300, 2]]]}".utf8), 400, "invalid-strokes"),
            ("/api/v1/recognize", "application/json", Array("{\"strokes\": [[[true, 2]]]}".utf8), 400, "invalid-strokes"),
            ("/api/v1/recognize", "application/json", Array("{\"strokes\": [[[1e999, 2]]]}".utf8), 400, "malformed-json"),
            ("/api/v1/recognize", "application/json", Self.json(["strokes": []]), 422, "no-ink"),
            ("/api/v1/recognize", "application/json", Self.json(["image": "***"]), 400, "malformed-base64"),
            ("/api/v1/recognize", "multipart/form-data; boundary=x", Array("--x\r\n\r\nnothing".utf8), 400, "malformed-multipart"),
            ("/api/v1/recognize?top=0", "image/png", png, 400, "invalid-parameter"),
            ("/api/v1/recognize?top=14", "image/png", png, 400, "invalid-parameter"),
            ("/api/v1/recognize?mode=many", "image/png", png, 400, "invalid-parameter"),
            ("/api/v1/recognize", "application/json",
             Self.json(["strokes": (0..<501).map { _ in [[1.0, 2.0]] }]), 422, "too-many-strokes"),
        ]
        try await Self.withServer { port in
            for (path, type, body, status, kind) in cases {
                let response = try await send(port: port, path: path, headers: [("Content-Type", type)], body: body)
                #expect(response.status == status, "\(path) \(type) \(kind): \(response.text)")
                #expect(response.header("Content-Type") == "application/problem+json")
                #expect((response.json["type"] as? String)?.hasSuffix(kind) == true, "\(kind): \(response.text)")
                #expect(response.json["status"] as? Int == status)
                #expect((response.json["detail"] as? String)?.isEmpty == false)
            }
            // The server is still healthy after all of that.
            let health = try await send(port: port, method: "GET", path: "/readyz")
            #expect(health.status == 200)
        }
    }

    @Test func concurrentClientsAllGetCorrectAnswers() async throws {
        let png = try Self.png(Self.seven)
        // A generous deadline: this checks that every answer is right under concurrency (no
        // cross-talk between batched requests), not how fast a debug build is.
        try await Self.withServer({ $0.inference.deadlineMilliseconds = 120_000 }) { port in
            let labels = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        var labels: [String] = []
                        for _ in 0..<20 {
                            let r = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "image/png")], body: png)
                            labels.append(Self.label(r))
                        }
                        return labels
                    }
                }
                var all: [String] = []
                for try await part in group { all += part }
                return all
            }
            #expect(labels.count == 2000)
            #expect(labels.allSatisfy { $0 == "7" }, "\(Dictionary(grouping: labels, by: { $0 }).mapValues(\.count))")
        }
    }

    @Test func overloadAnswers503WithRetryAfter() async throws {
        let strokes = Self.json(["strokes": Self.seven])
        try await Self.withServer({ $0.inference.workers = 1; $0.inference.queueDepth = 1 }) { port in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let r = try await send(port: port, path: "/api/v1/recognize?mode=multi",
                                               headers: [("Content-Type", "application/json")], body: strokes)
                        return (r.status, r.header("Retry-After"))
                    }
                }
                var all: [(Int, String?)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 503 })
            #expect(statuses.contains { $0.0 == 200 })
            #expect(statuses.contains { $0.0 == 503 })
            #expect(statuses.filter { $0.0 == 503 }.allSatisfy { $0.1 == "1" })
        }
    }

    @Test func modelReadinessMetricsAndOpenAPI() async throws {
        try await Self.withServer { port in
            let model = try await send(port: port, method: "GET", path: "/api/v1/model")
            #expect(model.status == 200)
            #expect((model.json["classes"] as? [String])?.count == 13)
            #expect(model.json["name"] as? String == "glyphnet")
            #expect(["portable", "avx2", "avx512"].contains(model.json["kernels"] as? String ?? ""))
            let ready = try await send(port: port, method: "GET", path: "/readyz")
            #expect(ready.status == 200)
            _ = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")],
                               body: Self.json(["strokes": Self.one]))
            let metrics = try await send(port: port, method: "GET", path: "/metrics")
            #expect(metrics.status == 200)
            for name in ["http_requests_total", "http_request_duration_seconds", "ocr_batch_size", "ocr_inference_seconds",
                         "ocr_queue_depth", "http_open_connections"] {
                #expect(metrics.text.contains(name), "\(name) missing")
            }
            let spec = try await send(port: port, method: "GET", path: "/openapi.yaml")
            #expect(spec.status == 200)
            #expect(spec.text.hasPrefix("openapi: 3.1"))
        }
    }

    @Test func apiKeysCorsAndRateLimit() async throws {
        try await Self.withServer({
            $0.api.apiKeys = ["s3cret"]
            $0.api.corsOrigins = ["https://app.example"]
            $0.api.rateLimit.requestsPerSecond = 1
            $0.api.rateLimit.burst = 3
        }) { port in
            let denied = try await send(port: port, method: "GET", path: "/api/v1/model")
            #expect(denied.status == 401)
            let wrong = try await send(port: port, method: "GET", path: "/api/v1/model", headers: [("Authorization", "Bearer s3cre")])
            #expect(wrong.status == 401)
            let health = try await send(port: port, method: "GET", path: "/healthz")
            #expect(health.status == 200)
            let preflight = try await send(port: port, method: "OPTIONS", path: "/api/v1/recognize",
                                           headers: [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "https://app.example")
            var statuses: [Int] = []
            for _ in 0..<5 {
                let r = try await send(port: port, method: "GET", path: "/api/v1/model",
                                       headers: [("Authorization", "Bearer s3cret"), ("Origin", "https://app.example")])
                statuses.append(r.status)
                if r.status == 200 { #expect(r.header("Access-Control-Allow-Origin") == "https://app.example") }
                if r.status == 429 { #expect(r.header("Retry-After") != nil) }
            }
            #expect(statuses.prefix(2).allSatisfy { $0 == 200 })
            #expect(statuses.contains(429))
        }
    }
}
