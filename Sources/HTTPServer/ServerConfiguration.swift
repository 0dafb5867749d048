// The settings the HTTP engine needs, passed in by whoever starts it.

/// Listening, limits and timeouts for one `Server`. Times are in seconds.
public struct ServerConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 0 asks the kernel for an ephemeral port; read it back from `Server.port`.
    public var port = 8080
    public var backlog = 512
    public var maxConnections = 1024
    public var limits = ParserLimits()
    /// From the first byte of a request head to its end (slowloris defence).
    public var headTimeout = 10.0
    /// Between requests on a keep-alive connection.
    public var idleTimeout = 15.0
    /// Without any body bytes arriving while a body is expected.
    public var bodyTimeout = 30.0
    /// Without any response bytes leaving while a response is pending.
    public var writeTimeout = 30.0
    /// How long shutdown waits for in-flight requests before closing everything.
    public var drainTimeout = 10.0
    public var serverName = "ocr-server"

    public init() {}
}
