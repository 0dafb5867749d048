// Static files through a real server, against a temporary folder.

import Foundation
import Testing
@testable import HTTPServer

@Suite(.serialized) struct StaticFilesTests {
    /// A root with index.html, a stylesheet, a binary file, and a symlink
    /// pointing outside the root next to a secret file.
    static func makeSite() throws -> (root: String, cleanup: () -> Void) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID().uuidString)")
        let root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("css"), withIntermediateDirectories: true)
        try Data(("<html>" + String(repeating: "glyphs ", count: 200) + "</html>").utf8).write(to: root.appendingPathComponent("index.html"))
        try Data(("body { color: red; }\n" + String(repeating: "p { margin: 0 }\n", count: 50)).utf8).write(to: root.appendingPathComponent("css/site.css"))
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: root.appendingPathComponent("logo.png"))
        try Data("secret".utf8).write(to: base.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("escape.txt").path, withDestinationPath: base.appendingPathComponent("secret.txt").path
        )
        return (root.path, { try? FileManager.default.removeItem(at: base) })
    }

    static func server(root: String) throws -> TestServer {
        let files = StaticFiles(root: root)
        return try TestServer(routes: { $0.onPrefix("GET", "/", files.handler) })
    }

    @Test func indexContentTypeAndCaching() async throws {
        let site = try Self.makeSite()
        defer { site.cleanup() }
        let app = try Self.server(root: site.root)
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            let index = try client.get("/")
            #expect(index.status == 200)
            #expect(index.headers["Content-Type"] == "text/html; charset=utf-8")
            #expect(index.headers["Cache-Control"] == "no-cache")
            #expect(index.text.hasPrefix("<html>"))
            let css = try client.get("/css/site.css")
            #expect(css.headers["Content-Type"] == "text/css; charset=utf-8")
            #expect(css.headers["Cache-Control"] == "public, max-age=3600")
            let png = try client.get("/logo.png")
            #expect(png.headers["Content-Type"] == "image/png")
            #expect(png.body == [0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
        }
        await app.server.shutdown()
    }

    @Test func etagGives304() async throws {
        let site = try Self.makeSite()
        defer { site.cleanup() }
        let app = try Self.server(root: site.root)
        let port = app.port
        try await offPool {
            let client = try TestClient(port: port)
            let first = try client.get("/css/site.css")
            let etag = try #require(first.headers["ETag"])
            let second = try client.get("/css/site.css", headers: "If-None-Match: \"other\", \(etag)\r\n")
            #expect(second.status == 304)
            #expect(second.body.isEmpty)
            #expect(second.headers["ETag"] == etag)
            #expect(second.headers["Content-Length"] == "\(first.body.count)")
            let changed = try client.get("/css/site.css", headers: "If-None-Match: \"other\"\r\n")
            #expect(changed.status == 200)
        }
        await app.server.shutdown()
    }

    @Test func gzipWhenAcceptedAndHeadWithout() async throws {
        let site = try Self.makeSite()
        defer { site.cleanup() }
        let app = try Self.server(root: site.root)
        let port = app.port
        let gzipped = try await offPool {
            let client = try TestClient(port: port)
            let plain = try client.get("/index.html")
            #expect(plain.headers["Content-Encoding"] == nil)
            let zipped = try client.get("/index.html", headers: "Accept-Encoding: br, gzip;q=0.8\r\n")
            #expect(zipped.headers["Content-Encoding"] == "gzip")
            #expect(zipped.headers["Vary"] == "Accept-Encoding")
            #expect(zipped.body.count < plain.body.count)
            #expect(zipped.headers["ETag"] != plain.headers["ETag"])
            let refused = try client.get("/index.html", headers: "Accept-Encoding: gzip;q=0\r\n")
            #expect(refused.headers["Content-Encoding"] == nil)
            try client.send("HEAD /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.headers["Content-Length"] == "\(plain.body.count)")
            #expect(try client.get("/hello").status == 200)
            return (zipped.body, plain.body)
        }
        #expect(try gunzip(gzipped.0) == gzipped.1)
        await app.server.shutdown()
    }

    @Test(arguments: [
        "/../secret.txt", "/css/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/css/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "//etc/passwd", "/escape.txt", "/css/..%5c..%5csecret.txt", "/index.html%00.png", "/css",
    ])
    func nothingEscapesTheRoot(_ path: String) async throws {
        let site = try Self.makeSite()
        defer { site.cleanup() }
        let app = try Self.server(root: site.root)
        let port = app.port
        let response = try await offPool {
            let client = try TestClient(port: port)
            try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
            return try client.readResponse()
        }
        #expect(response.status == 404 || response.status == 400)
        #expect(!response.text.contains("secret"))
        await app.server.shutdown()
    }

    @Test func safeRelativePathDecodesAndRejects() {
        #expect(StaticFiles.safeRelativePath("/") == "index.html")
        #expect(StaticFiles.safeRelativePath("/a%20b.txt") == "a b.txt")
        #expect(StaticFiles.safeRelativePath("/docs/") == "docs/index.html")
        #expect(StaticFiles.safeRelativePath("/a/%2e%2e/b") == nil)
        #expect(StaticFiles.safeRelativePath("/a/./b") == nil)
        #expect(StaticFiles.safeRelativePath("/a%5cb") == nil)
    }

    /// Inflates with the system's gzip, independent of our zlib wrapper.
    func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString).gz")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return [UInt8](data)
    }
}
