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
    let response = try await send(port: port, method: "GET", path: path)
    return (response.head, response.text)
}
