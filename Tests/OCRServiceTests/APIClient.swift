import Foundation
import Glibc
@testable import OCRService

/// A minimal HTTP/1.1 client over a real socket on 127.0.0.1, one request per connection.
struct APIResponse {
    var status: Int
    var head: String
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

enum APIClientError: Error { case connect, incomplete }

func send(
    port: Int, method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8] = []
) async throws -> APIResponse {
    // A thread of its own per request: blocking reads on Dispatch's shared pool could starve
    // the server under test, which runs its I/O there too.
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try sendBlocking(port: port, method: method, path: path, headers: headers, body: body))
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
}

func sendBlocking(port: Int, method: String, path: String, headers: [(String, String)], body: [UInt8]) throws -> APIResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 120, tv_usec: 0)  // a loaded debug build on two cores is slow
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw APIClientError.connect }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if method == "POST" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
    let request = Array((head + "\r\n").utf8) + body
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { break }
        sent += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        received += buffer[0..<count]
    }
    guard let split = Multipart.firstIndex(of: [13, 10, 13, 10], in: received, from: 0) else { throw APIClientError.incomplete }
    let headText = String(decoding: received[..<split], as: UTF8.self)
    let status = Int(headText.split(separator: " ").dropFirst().first ?? "") ?? 0
    return APIResponse(status: status, head: headText, body: Array(received[(split + 4)...]))
}
