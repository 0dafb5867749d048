// What every connection of one server shares: settings, routes, logging and
// the registry. Immutable apart from the registry, which has its own lock.

import Dispatch
import Foundation
import Logging

final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    let registry: ConnectionRegistry
    /// The root queue every connection's serial queue targets directly (an
    /// intermediate concurrent queue only added a redirect per event).
    let ioQueue = DispatchQueue.global(qos: .userInitiated)

    init(configuration: ServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.registry = ConnectionRegistry(maxConnections: configuration.maxConnections)
    }

    /// Runs the router for one request, tags it with a request id and logs one line.
    func respond(to request: Request) async -> Response {
        let started = ContinuousClock.now
        var request = request
        request.requestID = Self.requestID(from: request.headers["X-Request-Id"])
        var response = await router.respond(to: request)
        response.headers.set("X-Request-Id", request.requestID)
        let elapsed = ContinuousClock.now - started
        if logger.logLevel <= .info {
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            let bytes = request.method == "HEAD" ? 0 : response.body.count
            logger.info("\(request.method) \(request.path) \(response.status.code)", metadata: [
                "bytes": "\(bytes)",
                "duration_ms": "\(Double(micros) / 1000)",
                "request_id": "\(request.requestID)",
                "remote": "\(request.remoteAddress)",
            ])
        }
        return response
    }

    func logParseError(status: HTTPStatus, reason: String, remoteAddress: String) {
        logger.info("- - \(status.code)", metadata: ["reason": "\(reason)", "remote": "\(remoteAddress)"])
    }

    /// Echo a client's id when it is short and plain; otherwise make one.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
           header.utf8.allSatisfy({ Grammar.isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }) {
            return header
        }
        return RequestIDs.shared.next()
    }
}

/// Request ids: a random per-process prefix and a counter. Unique is all an
/// id must be; drawing fresh randomness per request cost a system call each.
final class RequestIDs: @unchecked Sendable {
    static let shared = RequestIDs()

    private let prefix = UInt32.random(in: .min ... .max)
    private let lock = NSLock()
    private var counter: UInt32 = 0  // Guarded by `lock`.

    func next() -> String {
        let number = lock.withLock {
            counter &+= 1
            return counter
        }
        return Self.hex8(prefix) + Self.hex8(number)
    }

    private static func hex8(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
