// Wires configuration into an HTTP server with the service's routes, and
// runs it until SIGTERM or SIGINT.

import Dispatch
import Foundation
import HTTPServer
import Logging

public final class Application: Sendable {
    public let configuration: Configuration
    public let server: Server
    private let logger: Logger

    /// `extraRoutes` lets later features (recognition, metrics) register their
    /// routes without touching this file's defaults.
    public init(
        configuration: Configuration, logger: Logger = Logger(label: "ocr-server"),
        extraRoutes: (inout Router) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        var router = Router(logger: logger)
        Self.registerDefaultRoutes(&router, configuration: configuration)
        extraRoutes(&router)
        // Static files come last so every API route wins over a file of the same name.
        let files = StaticFiles(root: configuration.server.publicDir)
        router.onPrefix("GET", "/", headers: Self.pageHeaders, files.handler)
        server = Server(configuration: Self.serverConfiguration(configuration), router: router, logger: logger)
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
        try server.start()
        for await number in signals {
            logger.notice("shutting down", metadata: ["signal": "\(number)"])
            break
        }
        await server.shutdown()
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
