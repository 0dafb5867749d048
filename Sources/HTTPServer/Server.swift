// The listening socket, the accept loop and graceful shutdown.

import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class Server: @unchecked Sendable {
    private let context: ServerContext
    private let acceptQueue = DispatchQueue(label: "http.accept")
    private let lock = NSLock()
    // Guarded by `lock`:
    private var listener: Int32 = -1
    private var acceptSource: (any DispatchSourceRead)?
    private var boundPort = 0
    private var stopping = false

    public init(configuration: ServerConfiguration, router: Router, logger: Logger = Logger(label: "http")) {
        context = ServerContext(configuration: configuration, router: router, logger: logger)
    }

    public var configuration: ServerConfiguration { context.configuration }

    /// The bound port (the kernel's choice when configured with port 0).
    public var port: Int {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// Open connections being served (over-cap rejections excluded).
    public var connectionCount: Int { context.registry.servingCount }

    /// Binds and starts accepting. Returns at once; connections are served on Dispatch queues.
    public func start() throws(SocketError) {
        // A peer that resets mid-write must cost an EPIPE, not the process.
        signal(SIGPIPE, SIG_IGN)
        let config = context.configuration
        let (fd, port) = try Socket.listen(host: config.host, port: config.port, backlog: config.backlog)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
        source.setEventHandler { [self] in acceptAll(fd) }
        source.setCancelHandler { Glibc.close(fd) }
        lock.lock()
        listener = fd
        boundPort = port
        acceptSource = source
        lock.unlock()
        source.resume()
        context.logger.notice("listening", metadata: ["host": "\(config.host)", "port": "\(port)"])
    }

    private func acceptAll(_ listener: Int32) {
        while true {
            switch Socket.accept(listener) {
            case .wouldBlock:
                return
            case .failed(let code):
                // EMFILE and friends: the pending connection stays queued; try again on the next event.
                context.logger.warning("accept failed", metadata: ["errno": "\(code)"])
                return
            case .accepted(let fd, let address):
                switch context.registry.admit() {
                case .serve(let id):
                    let connection = Connection(id: id, fd: fd, remoteAddress: address, context: context)
                    context.registry.register(connection)
                    connection.start()
                case .reject(let id):
                    let connection = Connection(id: id, fd: fd, remoteAddress: address, context: context)
                    context.registry.register(connection)
                    connection.start(rejectWith: Self.tooManyConnections.response)
                case .refuse:
                    Socket.refuse(fd, with: rejectionBytes())
                }
            }
        }
    }

    private static let tooManyConnections = Problem(
        .serviceUnavailable, detail: "The server has too many open connections; retry shortly.",
        headers: [("Retry-After", "1")]
    )

    /// The over-cap 503 as bytes, for rejections written straight from the accept loop.
    private func rejectionBytes() -> [UInt8] {
        let response = Self.tooManyConnections.response
        let head = ResponseSerializer.head(
            for: response, requestMethod: "GET", requestVersion: .http11,
            keepAlive: false, serverName: context.configuration.serverName
        )
        return head + response.body
    }

    /// Marks the server stopping; nil when it already was.
    private func stopAccepting() -> (any DispatchSourceRead)? {
        lock.withLock {
            guard !stopping else { return nil }
            stopping = true
            defer { acceptSource = nil }
            return acceptSource
        }
    }

    /// Stops accepting, lets in-flight requests finish for up to the drain
    /// timeout, closes idle connections at once, then closes whatever is left.
    public func shutdown() async {
        guard let source = stopAccepting() else { return }
        source.cancel()

        for connection in context.registry.snapshot() { connection.beginDrain() }
        let deadline = ContinuousClock.now + .milliseconds(Int(context.configuration.drainTimeout * 1000))
        while context.registry.totalCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for connection in context.registry.snapshot() { connection.forceClose() }
        let forced = ContinuousClock.now + .seconds(1)
        while context.registry.totalCount > 0, ContinuousClock.now < forced {
            try? await Task.sleep(for: .milliseconds(5))
        }
        context.logger.notice("stopped")
    }
}
