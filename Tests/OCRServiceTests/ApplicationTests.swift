import Foundation
import Glibc
import Testing
@testable import HTTPServer
@testable import OCRService

@Suite(.serialized) struct ApplicationTests {
    func makeApp() -> Application {
        var config = Configuration()
        config.server.port = 0
        let publicDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Public")
        config.server.publicDir = publicDir.standardized.path
        return Application(configuration: config) { router in
            router.on("GET", "/extra") { _ in .text("extra") }
        }
    }

    @Test func healthzAnswersJSON() async throws {
        let app = makeApp()
        try app.server.start()
        let port = app.server.port
        let (healthy, body) = try await fetch(port: port, path: "/healthz")
        #expect(healthy.hasPrefix("HTTP/1.1 200"))
        #expect(healthy.contains("Content-Type: application/json"))
        #expect(body == "{\"status\":\"ok\"}")
        let probe = await Task.detached { HealthProbe.check(port: port) }.value
        #expect(probe)
        await app.server.shutdown()
        let afterShutdown = await Task.detached { HealthProbe.check(port: port) }.value
        #expect(!afterShutdown)
    }

    @Test func pageHasSecurityHeadersAndExtraRoutesWork() async throws {
        let app = makeApp()
        try app.server.start()
        let (head, body) = try await fetch(port: app.server.port, path: "/")
        #expect(head.contains("Content-Security-Policy: default-src 'self'"))
        #expect(head.contains("Cache-Control: no-cache"))
        #expect(body.contains("<html"))
        let (_, extra) = try await fetch(port: app.server.port, path: "/extra")
        #expect(extra == "extra")
        await app.server.shutdown()
    }

    @Test func configurationReachesTheServer() {
        var config = Configuration()
        config.server.timeouts.headSeconds = 2
        config.server.maxBodyBytes = 1234
        config.server.maxConnections = 7
        let server = Application.serverConfiguration(config)
        #expect(server.headTimeout == 2)
        #expect(server.limits.maxBodyBytes == 1234)
        #expect(server.maxConnections == 7)
    }
}

/// GET with Connection: close; returns the head text and the body text.
func fetch(port: Int, path: String) async throws -> (String, String) {
    try await withCheckedThrowingContinuation { continuation in
        // A thread of its own, not Dispatch's shared pool that the server's I/O needs.
        Thread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                continuation.resume(throwing: POSIXError(.ECONNREFUSED))
                return
            }
            let request = Array("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                received += buffer[0..<count]
            }
            let text = String(decoding: received, as: UTF8.self)
            let parts = text.components(separatedBy: "\r\n\r\n")
            continuation.resume(returning: (parts[0], parts.dropFirst().joined(separator: "\r\n\r\n")))
        }.start()
    }
}
