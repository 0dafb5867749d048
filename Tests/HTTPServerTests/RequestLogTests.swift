// One log line per request, with the fields operators search by.

import Foundation
import Logging
import Testing
@testable import HTTPServer

/// Collects log records in memory.
final class LogCapture: @unchecked Sendable {
    struct Record {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Record] = []  // Guarded by `lock`.

    var records: [Record] { lock.withLock { stored } }

    func append(_ record: Record) { lock.withLock { stored.append(record) } }

    func logger() -> Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(Record(level: event.level, message: event.message.description, metadata: event.metadata ?? [:]))
        }
    }
}

@Suite(.serialized) struct RequestLogTests {
    @Test func eachRequestLogsOneLineWithItsId() async throws {
        let capture = LogCapture()
        var configuration = ServerConfiguration()
        configuration.port = 0
        var router = Router()
        router.on("GET", "/hello") { _ in .text("hello") }
        let server = Server(configuration: configuration, router: router, logger: capture.logger())
        try server.start()
        let port = server.port
        try await offPool {
            let client = try TestClient(port: port)
            _ = try client.get("/hello", headers: "X-Request-Id: abc-123\r\n")
            _ = try client.get("/missing?q=1")
        }
        await server.shutdown()
        let lines = capture.records.filter { $0.level == .info }
        #expect(lines.count == 2)
        #expect(lines.first?.message == "GET /hello 200")
        #expect(lines.first?.metadata["request_id"] == "abc-123")
        #expect(lines.first?.metadata["bytes"] == "5")
        #expect(lines.first?.metadata["duration_ms"] != nil)
        #expect(lines.first?.metadata["remote"] == "127.0.0.1")
        #expect(lines.last?.message == "GET /missing 404")
    }

    @Test func stalledBodyGets408() async throws {
        let app = try TestServer(configure: { $0.bodyTimeout = 0.5 })
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab")
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(client.isClosedByPeer())
        }
        await app.server.shutdown()
    }
}
