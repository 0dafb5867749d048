// The server end to end over real sockets on 127.0.0.1.

import Foundation
import Testing
@testable import HTTPServer

@Suite(.serialized) struct ServerTests {
    @Test func keepAliveReusesOneConnection() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            for index in 0..<3 {
                let response = try client.get("/id?v=\(index)", headers: "X-Request-Id: req-\(index)\r\n")
                #expect(response.status == 200)
                #expect(response.text == "\(index)")
                #expect(response.headers["Content-Length"] == "\(response.body.count)")
                #expect(response.headers["Date"]?.hasSuffix(" GMT") == true)
                #expect(response.headers["Server"] == "ocr-server")
                #expect(response.headers["X-Request-Id"] == "req-\(index)")
                #expect(response.headers["Connection"] == nil)
            }
            let generated = try client.get("/hello")
            #expect(generated.headers["X-Request-Id"]?.count == 16)
        }
        await app.server.shutdown()
    }

    @Test func handlersSeeTheClientAddress() async throws {
        let app = try TestServer()
        let port = app.port
        let text = try await offPool { try TestClient(port: port).get("/ip").text }
        #expect(text == "127.0.0.1")
        await app.server.shutdown()
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let plain = try TestClient(port: port)
            try plain.send("GET /hello HTTP/1.0\r\n\r\n")
            let first = try plain.readResponse()
            #expect(first.status == 200)
            #expect(first.headers["Connection"] == "close")
            #expect(plain.isClosedByPeer())

            let kept = try TestClient(port: port)
            for _ in 0..<2 {
                try kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let response = try kept.readResponse()
                #expect(response.status == 200)
                #expect(response.headers["Connection"] == "keep-alive")
            }
        }
        await app.server.shutdown()
    }

    @Test func connectionCloseIsHonoured() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            let response = try client.get("/hello", headers: "Connection: close\r\n")
            #expect(response.headers["Connection"] == "close")
            #expect(client.isClosedByPeer())
        }
        await app.server.shutdown()
    }

    @Test func headHasLengthButNoBody() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == "5")
            // If a body had been sent, it would be read here as the next status line.
            let next = try client.get("/id?v=after")
            #expect(next.status == 200)
            #expect(next.text == "after")
        }
        await app.server.shutdown()
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("payload")
            let final = try client.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "payload")
        }
        await app.server.shutdown()
    }

    @Test func chunkedBodyIsDecoded() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "abcd0123456789")
        }
        await app.server.shutdown()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send(
                "GET /slow?ms=300 HTTP/1.1\r\nHost: t\r\n\r\nGET /id?v=2 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n3"
            )
            #expect(try client.readResponse().text == "slow done")
            #expect(try client.readResponse().text == "2")
            #expect(try client.readResponse().text == "3")
        }
        await app.server.shutdown()
    }

    /// Handlers that answer before any suspension run on the connection's queue, the others
    /// finish on another thread; mixed in one pipeline, every answer still comes in order.
    @Test func pipelinedImmediateAndSuspendingHandlersAnswerInOrder() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            let paths = (0 ..< 40).map { $0 % 3 == 1 ? "/slow?ms=1" : "/id?v=\($0)" }
            try client.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
            for (index, path) in paths.enumerated() {
                #expect(try client.readResponse().text == (path.hasPrefix("/slow") ? "slow done" : "\(index)"))
            }
        }
        await app.server.shutdown()
    }

    @Test func parseErrorsAnswerProblemJSONAndClose() async throws {
        let app = try TestServer()
        let port = app.port
        try await offPool {
            for (request, status) in [
                ("GET / HTTP/1.1\r\n\r\n", 400),
                ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
                ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: br\r\n\r\n", 501),
                ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
                // Nothing follows the size line: the 400 must not wait for the chunk (or a timeout).
                ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"x\r\n", 400),
            ] {
                let client = try TestClient(port: port)
                try client.send(request)
                let response = try client.readResponse()
                #expect(response.status == status)
                #expect(response.headers["Content-Type"] == "application/problem+json")
                #expect(response.headers["Connection"] == "close")
                let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                #expect(json?["status"] as? Int == status)
                #expect(json?["title"] is String && json?["type"] is String && json?["detail"] is String)
                #expect(client.isClosedByPeer())
            }
        }
        await app.server.shutdown()
    }

    @Test func oversizedBodyIsRefusedBeforeItIsSent() async throws {
        let app = try TestServer(configure: { $0.limits.maxBodyBytes = 1000 })
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(client.isClosedByPeer())
        }
        await app.server.shutdown()
    }

    @Test func slowlorisIsCutOffWhileOthersAreServed() async throws {
        let app = try TestServer(configure: { $0.headTimeout = 1.5 })
        let port = app.port
        async let slow: (Int, Bool) = offPool {
            let client = try TestClient(port: port)
            let head = Array("GET /hello HTTP/1.1\r\nHost: t\r\nX-Drip: aaaaaaaaaaaaaaaa\r\n\r\n".utf8)
            // One byte every 300 ms would need ~15 s for this head.
            for byte in head {
                guard (try? client.send([byte])) != nil else { break }
                Thread.sleep(forTimeInterval: 0.3)
                if poll(client: client) { break }
            }
            let response = try client.readResponse()
            return (response.status, client.isClosedByPeer())
        }
        let normal = try await offPool {
            Thread.sleep(forTimeInterval: 0.5)
            return try TestClient(port: port).get("/hello").status
        }
        let (slowStatus, slowClosed) = try await slow
        #expect(normal == 200)
        #expect(slowStatus == 408)
        #expect(slowClosed)
        await app.server.shutdown()
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        let app = try TestServer(configure: { $0.idleTimeout = 0.5 })
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            #expect(try client.get("/hello").status == 200)
            Thread.sleep(forTimeInterval: 1.2)
            #expect(client.isClosedByPeer())
        }
        await app.server.shutdown()
    }

    @Test func twoHundredConnectionsFiftyRequestsEach() async throws {
        let app = try TestServer()
        let port = app.port
        let server = app.server
        let (failures, open) = try await offPool {
            let clients = try (0..<200).map { _ in try TestClient(port: port) }
            var failures = 0
            for round in 0..<50 {
                for (index, client) in clients.enumerated() {
                    try client.send("GET /id?v=\(index)-\(round) HTTP/1.1\r\nHost: t\r\n\r\n")
                }
                for (index, client) in clients.enumerated() {
                    let response = try client.readResponse()
                    if response.status != 200 || response.text != "\(index)-\(round)" { failures += 1 }
                }
            }
            return (failures, server.connectionCount)
        }
        #expect(failures == 0)
        #expect(open == 200)
        await app.server.shutdown()
    }

    @Test func shutdownLetsInFlightRequestsFinish() async throws {
        let app = try TestServer()
        let port = app.port
        async let inFlight: ParsedResponse = offPool {
            try TestClient(port: port).get("/slow?ms=800")
        }
        let idle = try await offPool {
            let client = try TestClient(port: port)
            _ = try client.get("/hello")
            return client
        }
        try await Task.sleep(for: .milliseconds(300))
        await app.server.shutdown()
        let response = try await inFlight
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(response.headers["Connection"] == "close")
        let idleClosed = try await offPool { idle.isClosedByPeer() }
        #expect(idleClosed)
        await #expect(throws: ClientError.self) {
            try await offPool { _ = try TestClient(port: port) }
        }
    }

    @Test func connectionsOverTheCapGet503() async throws {
        let app = try TestServer(configure: { $0.maxConnections = 2 })
        let port = app.port
        try await offPool {
            let first = try TestClient(port: port)
            let second = try TestClient(port: port)
            #expect(try first.get("/hello").status == 200)
            #expect(try second.get("/hello").status == 200)
            let third = try TestClient(port: port)
            let rejected = try third.readResponse()
            #expect(rejected.status == 503)
            #expect(rejected.headers["Retry-After"] == "1")
            #expect(rejected.headers["Content-Type"] == "application/problem+json")
            #expect(third.isClosedByPeer())
            // The served connections are unaffected.
            #expect(try first.get("/hello").status == 200)
        }
        await app.server.shutdown()
    }

    /// Clients that hold their rejected sockets open keep the lingering budget
    /// (64 rejections waiting for a FIN) spent; every one past it must still
    /// read the 503 before the close, not a bare close.
    @Test func everyConnectionPastTheCapGets503EvenWhenRejectedClientsHoldOn() async throws {
        let app = try TestServer(configure: { $0.maxConnections = 2 })
        let port = app.port
        try await offPool {
            let served = try (0..<2).map { _ in try TestClient(port: port) }
            for client in served { #expect(try client.get("/hello").status == 200) }
            // 64 lingering + 36 answered on the spot; none of them reads until all are open.
            let excess = try (0..<100).map { _ in try TestClient(port: port) }
            var statuses: [Int: Int] = [:]
            for client in excess {
                let response = try client.readResponse()
                statuses[response.status, default: 0] += 1
                #expect(response.headers["Retry-After"] == "1")
                #expect(client.isClosedByPeer())
            }
            #expect(statuses == [503: 100])
            #expect(try served[0].get("/hello").status == 200)
        }
        await app.server.shutdown()
    }
}

/// True when the server has already answered (the slow client can stop dripping).
private func poll(client: TestClient) -> Bool {
    var pending = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
    return Glibc.poll(&pending, 1, 0) > 0
}
