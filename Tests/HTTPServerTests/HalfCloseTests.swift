// A client that sends its requests and then shuts its sending side must
// still get every answer: the end of the input stops reading, it does not
// cancel requests already received. Each case is repeated because the loss
// depended on whether the end-of-stream was read before or after a handler
// finished.

import Testing
@testable import HTTPServer

@Suite(.serialized) struct HalfCloseTests {
    static let rounds = 300

    /// Sends `requests` in one write, half-closes, reads answers until the
    /// server closes, and returns the rounds whose bodies differ from `expected`.
    private static func failures(port: Int, requests: String, expected: [String]) throws -> [String] {
        var failed: [String] = []
        for round in 0..<Self.rounds {
            let client = try TestClient(port: port)
            try client.send(requests)
            client.finishSending()
            var bodies: [String] = []
            while let response = try? client.readResponse() {
                bodies.append(response.status == 200 ? response.text : "status \(response.status)")
            }
            if bodies != expected || !client.isClosedByPeer() {
                failed.append("round \(round): \(bodies)")
            }
        }
        return failed
    }

    @Test func pipelinedGetsThenHalfCloseAreAllAnswered() async throws {
        let app = try TestServer()
        let port = app.port
        let requests = (1...3).map { "GET /id?v=\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
        let failed = try await offPool { try Self.failures(port: port, requests: requests, expected: ["1", "2", "3"]) }
        #expect(failed.count == 0, "\(failed.count) of \(Self.rounds) rounds lost answers, e.g. \(failed.prefix(3))")
        await app.server.shutdown()
    }

    @Test func chunkedPostThenGetThenHalfCloseAreBothAnswered() async throws {
        let app = try TestServer()
        let port = app.port
        let requests = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            + "GET /id?v=after HTTP/1.1\r\nHost: t\r\n\r\n"
        let failed = try await offPool { try Self.failures(port: port, requests: requests, expected: ["hello", "after"]) }
        #expect(failed.count == 0, "\(failed.count) of \(Self.rounds) rounds lost answers, e.g. \(failed.prefix(3))")
        await app.server.shutdown()
    }

    /// The last request asks to close: nothing after it is answered, everything before it is.
    @Test func requestsAfterConnectionCloseAreNotAnswered() async throws {
        let app = try TestServer()
        let port = app.port
        let requests = "GET /id?v=1 HTTP/1.1\r\nHost: t\r\n\r\n"
            + "GET /id?v=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            + "GET /id?v=3 HTTP/1.1\r\nHost: t\r\n\r\n"
        let failed = try await offPool { try Self.failures(port: port, requests: requests, expected: ["1", "2"]) }
        #expect(failed.count == 0, "\(failed.count) of \(Self.rounds) rounds differ, e.g. \(failed.prefix(3))")
        await app.server.shutdown()
    }

    /// A request cut short by the end of input is dropped; the complete ones before it are answered.
    @Test func truncatedLastRequestDoesNotCostTheOthers() async throws {
        let app = try TestServer()
        let port = app.port
        let requests = "GET /id?v=1 HTTP/1.1\r\nHost: t\r\n\r\nGET /id?v=2 HTTP/1.1\r\nHost: t\r\n\r\nGET /id?v=3 HTTP/1.1\r\nHo"
        let failed = try await offPool { try Self.failures(port: port, requests: requests, expected: ["1", "2"]) }
        #expect(failed.count == 0, "\(failed.count) of \(Self.rounds) rounds differ, e.g. \(failed.prefix(3))")
        await app.server.shutdown()
    }
}
