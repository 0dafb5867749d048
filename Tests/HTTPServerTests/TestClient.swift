// A blocking raw-socket HTTP client for the integration tests, so they see
// exactly the bytes the server sends.

import Foundation
import Glibc
@testable import HTTPServer

struct ParsedResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum ClientError: Error {
    case connectFailed(Int32)
    case closed
    case malformed(String)
}

// Used by one test thread at a time; handed between threads only while idle.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ClientError.connectFailed(code)
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw ClientError.closed }
            offset += count
        }
    }

    /// Shuts the sending side (what `printf ... | nc` does once its input ends).
    func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads until `predicate` holds for the buffer or the peer closes; false on close/timeout.
    private func fill(until predicate: ([UInt8]) -> Bool) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !predicate(buffer) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
        }
        return true
    }

    /// True when the server has closed the connection (EOF) with nothing more to read.
    func isClosedByPeer() -> Bool {
        buffer.isEmpty && !fill { !$0.isEmpty }
    }

    /// Reads one response. `head` tells it the body is absent despite Content-Length.
    func readResponse(head: Bool = false) throws -> ParsedResponse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard fill(until: { $0.firstRange(of: terminator) != nil }), let end = buffer.firstRange(of: terminator) else {
            throw ClientError.closed
        }
        let headText = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<end.upperBound)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw ClientError.malformed(headText)
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed(line) }
            headers.add(String(line[..<colon]), String(trimOWS(line[line.index(after: colon)...])))
        }
        if status < 200 || status == 204 || status == 304 || head {
            return ParsedResponse(status: status, headers: headers, body: [])
        }
        guard let lengthText = headers["Content-Length"], let length = Int(lengthText) else {
            throw ClientError.malformed("no Content-Length: \(headText)")
        }
        guard fill(until: { $0.count >= length }) else { throw ClientError.closed }
        let body = Array(buffer[..<length])
        buffer.removeSubrange(..<length)
        return ParsedResponse(status: status, headers: headers, body: body)
    }

    func get(_ path: String, headers: String = "") throws -> ParsedResponse {
        try send("GET \(path) HTTP/1.1\r\nHost: t\r\n\(headers)\r\n")
        return try readResponse()
    }
}

/// A server on 127.0.0.1 with an ephemeral port and a small test router.
struct TestServer {
    let server: Server
    var port: Int { server.port }

    init(configure: (inout ServerConfiguration) -> Void = { _ in }, routes: (inout Router) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        var router = Router()
        router.on("GET", "/hello") { _ in .text("hello") }
        router.on("POST", "/echo") { request in
            Response(status: .ok, contentType: "application/octet-stream", body: request.body)
        }
        router.on("GET", "/id") { request in .text(request.queryValue("v") ?? "") }
        router.on("GET", "/ip") { request in .text(request.remoteAddress) }
        router.on("GET", "/slow") { request in
            let millis = Int(request.queryValue("ms") ?? "") ?? 500
            try await Task.sleep(for: .milliseconds(millis))
            return .text("slow done")
        }
        routes(&router)
        server = Server(configuration: configuration, router: router)
        try server.start()
    }
}

/// Runs blocking socket work on a thread of its own: never on the cooperative pool that the
/// server's handler tasks need, nor on Dispatch's shared pool that its I/O sources run on
/// (hundreds of blocked test clients there would starve the server under test).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
