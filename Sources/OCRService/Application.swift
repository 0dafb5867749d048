// Wires configuration into an HTTP server with the service's routes, and
// runs it until SIGTERM or SIGINT.

import Dispatch
import Foundation
import HTTPServer
import Logging
import Imaging
import NeuralNetwork
import Recognition

public final class Application: Sendable {
    public let configuration: Configuration
    public let server: Server
    /// nil when the application serves HTTP only (tests of the HTTP layer).
    public let recognizer: Recognizer?
    public let readiness = Readiness()
    private let logger: Logger

    /// `extraRoutes` adds routes after the API's and before the static files (tests mount
    /// handlers of their own with it).
    public init(
        configuration: Configuration, recognizer: Recognizer? = nil, logger: Logger = Logger(label: "ocr-server"),
        extraRoutes: (inout Router) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.recognizer = recognizer
        self.logger = logger
        ServiceMetrics.bootstrap()
        var router = Router(logger: logger)
        // Outermost first: metrics see every answer, including CORS preflights and refusals.
        router.use(ServiceMetrics.middleware)
        router.use(APIGuards.cors(origins: configuration.api.corsOrigins))
        if !configuration.api.apiKeys.isEmpty { router.use(APIGuards.apiKeys(configuration.api.apiKeys)) }
        let rate = configuration.api.rateLimit
        if rate.requestsPerSecond > 0 {
            router.use(APIGuards.rateLimit(RateLimiter(requestsPerSecond: rate.requestsPerSecond, burst: rate.burst)))
        }
        Self.registerDefaultRoutes(&router, configuration: configuration)
        if let recognizer {
            RecognitionRoutes(recognizer: recognizer, readiness: readiness).register(&router)
        }
        let serverRef = ServerReference()
        router.on("GET", "/metrics") { _ in ServiceMetrics.exposition(openConnections: serverRef.connectionCount) }
        extraRoutes(&router)
        // Static files come last so every API route wins over a file of the same name.
        let files = StaticFiles(root: configuration.server.publicDir)
        router.onPrefix("GET", "/", headers: Self.pageHeaders, files.handler)
        let server = Server(configuration: Self.serverConfiguration(configuration), router: router, logger: logger)
        self.server = server
        serverRef.set(server)
    }

    /// Loads the model, starts the worker pool and runs one warm-up inference. Any failure
    /// here means the replica must not serve: the caller exits with status 2.
    public static func makeRecognizer(_ configuration: Configuration) throws -> Recognizer {
        let model = try Model.load(manifestPath: configuration.model.path)
        let inference = configuration.inference
        let pool = try InferencePool(model: model, configuration: PoolConfiguration(
            workers: inference.workers > 0 ? inference.workers : ProcessInfo.processInfo.activeProcessorCount,
            queueDepth: inference.queueDepth,
            maxBatch: inference.maxBatch,
            maxBatchDelay: .microseconds(inference.maxBatchDelayMicroseconds),
            deadline: .milliseconds(inference.deadlineMilliseconds),
            callerRuns: inference.callerRuns
        ))
        try pool.warmUp()
        let images = configuration.images
        var limits = DecodeLimits.default
        limits.maxWidth = images.maxWidth
        limits.maxHeight = images.maxHeight
        limits.maxPixels = images.maxPixels
        return Recognizer(pool: pool, decodeLimits: limits)
    }

    /// A strict policy for the drawing page: everything from this origin only.
    static let pageHeaders = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
    ]

    public static func registerDefaultRoutes(_ router: inout Router, configuration: Configuration) {
        router.on("GET", "/healthz") { _ in
            .json("{\"status\":\"ok\"}")
        }
    }

    public static func serverConfiguration(_ config: Configuration) -> ServerConfiguration {
        var server = ServerConfiguration()
        server.host = config.server.host
        server.port = config.server.port
        server.backlog = config.server.backlog
        server.maxConnections = config.server.maxConnections
        server.limits.maxBodyBytes = config.server.maxBodyBytes
        server.headTimeout = config.server.timeouts.headSeconds
        server.idleTimeout = config.server.timeouts.idleSeconds
        server.bodyTimeout = config.server.timeouts.bodySeconds
        server.writeTimeout = config.server.timeouts.writeSeconds
        server.drainTimeout = config.server.timeouts.drainSeconds
        return server
    }

    /// Serves until SIGTERM or SIGINT, then drains and returns.
    public func run() async throws {
        // Watch for signals before listening, so none is missed once we serve.
        let signals = Self.terminationSignals()
        if let model = recognizer?.model {
            logger.notice("model loaded", metadata: [
                "model": "\(model.name)", "version": "\(model.version)", "kernels": "\(model.kernelChoice)",
            ])
        }
        try server.start()
        for await number in signals {
            logger.notice("shutting down", metadata: ["signal": "\(number)"])
            break
        }
        readiness.startDraining()
        await server.shutdown()
        await recognizer?.pool.shutdown(drainTimeout: .seconds(configuration.server.timeouts.drainSeconds))
    }

    /// SIGTERM and SIGINT as a stream, set up before the server listens.
    /// The default actions must be disabled before the Dispatch sources are
    /// installed (on Linux, Dispatch installs its own handler, which a later
    /// `signal(SIG_IGN)` would replace).
    static func terminationSignals() -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "ocr.signals")
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps signal sources alive for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) private static var retained: [any DispatchSourceSignal] = []
    private static let lock = NSLock()

    static func keep(_ sources: [any DispatchSourceSignal]) {
        lock.withLock { retained += sources }  // `retained` is guarded by `lock`.
    }
}

/// Lets a route read the server it is served by, which is built after the router.
final class ServerReference: @unchecked Sendable {
    private let lock = NSLock()
    private weak var server: Server?  // guarded by `lock`

    func set(_ server: Server) { lock.withLock { self.server = server } }
    var connectionCount: Int { lock.withLock { server?.connectionCount ?? 0 } }
}
