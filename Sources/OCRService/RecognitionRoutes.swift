// The recognition API: POST /api/v1/recognize, GET /api/v1/model, GET /readyz.
// Validation (body, query) happens here, before anything is queued.

import Foundation
import HTTPServer
import Preprocessing
import Recognition

/// Whether this replica should get traffic: the model answered its warm-up inference and
/// the process is not draining.
public final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var draining = false  // guarded by `lock`

    public init() {}

    public func startDraining() { lock.withLock { draining = true } }
    public var isDraining: Bool { lock.withLock { draining } }
}

struct RecognitionRoutes: Sendable {
    let recognizer: Recognizer
    let readiness: Readiness

    func register(_ router: inout Router) {
        router.on("POST", "/api/v1/recognize", offload: true) { request in try await recognize(request) }
        router.on("GET", "/api/v1/model") { _ in model() }
        router.on("GET", "/readyz") { _ in try readyz() }
    }

    /// A request's options; the defaults are the API's (and `ocr-server read`'s).
    struct Options {
        /// How many classes each glyph's `top` lists unless the request says.
        static let defaultTop = 3
        var mode = ReadingMode.auto
        var top = defaultTop
        var debug = false
    }

    static func options(_ request: Request) throws -> Options {
        var options = Options()
        if let mode = request.queryValue("mode") {
            guard let parsed = ReadingMode(rawValue: mode) else {
                throw Problems.badParameter("'mode' must be 'auto', 'single', 'multi' or 'page'.")
            }
            options.mode = parsed
        }
        if let top = request.queryValue("top") {
            guard let value = Int(top), (1...13).contains(value) else {
                throw Problems.badParameter("'top' must be a whole number from 1 to 13.")
            }
            options.top = value
        }
        if let debug = request.queryValue("debug") {
            switch debug.lowercased() {
            case "true", "1": options.debug = true
            case "false", "0": options.debug = false
            default: throw Problems.badParameter("'debug' must be 'true' or 'false'.")
            }
        }
        return options
    }

    func recognize(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let options = try Self.options(request)
        let input: RecognitionInput
        do {
            // Under overload the refusal comes first: parsing a body we cannot queue would
            // only take cores from the requests already accepted.
            try recognizer.refuseIfSaturated()
        } catch {
            throw Problems.problem(error)
        }
        do {
            input = try RequestBody.decode(contentType: request.headers["Content-Type"], body: request.body)
        } catch {
            throw Problems.problem(error)
        }
        let result: RecognitionResult
        do {
            result = try await recognizer.read(input, mode: options.mode)
        } catch {
            throw Problems.problem(error)
        }
        // From the first byte read: reading, parsing and dispatch count too (`request`).
        let total = (ContinuousClock.now - request.receivedAt).milliseconds
        let model = recognizer.model
        let json = RecognitionJSON.render(
            result, top: min(options.top, model.classes.count), debug: options.debug,
            modelName: model.name, modelVersion: model.version,
            requestMs: (start - request.receivedAt).milliseconds, totalMs: total
        )
        return .json(json)
    }

    func model() -> Response {
        let model = recognizer.model
        let manifest = model.manifest
        let classes = model.classes.map { JSON.quote($0) }.joined(separator: ",")
        let metrics = manifest.metrics.sorted { $0.key < $1.key }
            .map { "\(JSON.quote($0.key)):\(RecognitionJSON.number($0.value))" }.joined(separator: ",")
        let input = manifest.input
        // Absent when the manifest has no rejection block: nothing is rejected then.
        let rejection = model.rejection.map {
            ",\"rejection\":{\"score\":\(JSON.quote($0.score.rawValue)),\"threshold\":\(RecognitionJSON.number($0.threshold)),"
                + "\"temperature\":\(RecognitionJSON.number($0.temperature))}"
        } ?? ""
        return .json(
            "{\"name\":\(JSON.quote(model.name)),\"version\":\(JSON.quote(model.version)),"
                + "\"classes\":[\(classes)],"
                + "\"input\":{\"channels\":\(input.channels),\"height\":\(input.height),\"width\":\(input.width)},"
                + "\"parameters\":\(model.parameterCount),\"flops_per_glyph\":\(model.flopsPerGlyph),"
                + "\"kernels\":\(JSON.quote(model.kernelChoice.rawValue)),"
                + "\"metrics\":{\(metrics)}\(rejection)}"
        )
    }

    func readyz() throws -> Response {
        if readiness.isDraining {
            throw Problem(.serviceUnavailable, detail: "Draining before shutdown.", type: Problems.base + "not-ready")
        }
        guard recognizer.pool.isReady else {
            throw Problem(.serviceUnavailable, detail: "The model is not loaded and warmed up yet.",
                          type: Problems.base + "not-ready")
        }
        return .json("{\"status\":\"ready\"}")
    }
}
