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

    /// (what is sent in one write before the half-close, the bodies that must come back).
    static let cases: [(name: String, requests: String, expected: [String])] = [
        ("three pipelined GETs are all answered",
         (1...3).map { "GET /id?v=\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined(), ["1", "2", "3"]),
        ("a chunked POST and the GET after it are both answered",
         "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            + "GET /id?v=after HTTP/1.1\r\nHost: t\r\n\r\n", ["hello", "after"]),
        // The second request asks to close: nothing after it is answered, everything before it is.
        ("requests after Connection: close are not answered",
         "GET /id?v=1 HTTP/1.1\r\nHost: t\r\n\r\n"
            + "GET /id?v=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            + "GET /id?v=3 HTTP/1.1\r\nHost: t\r\n\r\n", ["1", "2"]),
        // A request cut short by the end of input is dropped; the complete ones before it are answered.
        ("a truncated last request does not cost the others",
         "GET /id?v=1 HTTP/1.1\r\nHost: t\r\n\r\nGET /id?v=2 HTTP/1.1\r\nHost: t\r\n\r\nGET /id?v=3 HTTP/1.1\r\nHo",
         ["1", "2"]),
    ]

    @Test(arguments: 0..<cases.count)
    func everyCompleteRequestBeforeTheHalfCloseIsAnswered(_ index: Int) async throws {
        let (name, requests, expected) = Self.cases[index]
        let app = try TestServer()
        let port = app.port
        let failed = try await offPool { try Self.failures(port: port, requests: requests, expected: expected) }
        #expect(failed.count == 0, "\(name): \(failed.count) of \(Self.rounds) rounds differ, e.g. \(failed.prefix(3))")
        await app.server.shutdown()
    }
}
