// The built `ocr-server` binary: exit codes and messages a container or an
// operator relies on.

import Foundation
import Testing

@Suite(.serialized) struct ExecutableTests {
    /// The binary sits next to the test bundle in the build folder.
    static var binary: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ocr-server"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ocr-server"),
            Bundle.main.bundleURL.appendingPathComponent("ocr-server"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], until: ((Process) -> Void)? = nil) throws -> Outcome {
        let binary = try #require(Self.binary, "ocr-server binary not built next to the tests")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OCR_") }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        until?(process)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func badValuesExitWith2AndOneLine() throws {
        let outOfRange = try Self.run(["--port", "70000"])
        #expect(outOfRange.status == 2)
        #expect(outOfRange.stderr == "configuration: 'server.port' must be between 0 and 65535, got '70000' (command line)\n")
        let wrongType = try Self.run([], environment: ["OCR_INFERENCE_WORKERS": "many"])
        #expect(wrongType.status == 2)
        #expect(wrongType.stderr == "configuration: 'inference.workers' must be an integer, got 'many' (environment OCR_INFERENCE_WORKERS)\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try Data("server:\n  colour: blue\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let unknown = try Self.run(["--config", file.path])
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "configuration: unknown key 'server.colour' (\(file.path))\n")
    }

    @Test func helpListsEveryKey() throws {
        let help = try Self.run(["serve", "--help"])
        #expect(help.status == 0)
        for key in ["server.timeouts.head_seconds", "OCR_INFERENCE_WORKERS", "api.rate_limit.burst", "--port", "--host", "--config"] {
            #expect(help.stdout.contains(key), "help lacks \(key)")
        }
    }

    /// A port nothing listens on now, from the kernel (bound to 0, read back, closed): a random
    /// pick could fall in the ephemeral range and be taken by another suite's connection.
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func servesThenExitsZeroOnSIGTERM() throws {
        let port = try Self.unusedPort()
        var healthy = false
        var unhealthyStatus: Int32 = -1
        let outcome = try Self.run(["--port", "\(port)", "--log-level", "warning"]) { process in
            for _ in 0..<100 where !healthy {
                Thread.sleep(forTimeInterval: 0.1)
                healthy = (try? Self.run(["healthcheck", "--port", "\(port)"]).status) == 0
            }
            process.terminate()  // SIGTERM
            // A server that ignores SIGTERM must fail this test, not hang it.
            for _ in 0..<150 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            unhealthyStatus = (try? Self.run(["healthcheck", "--port", "\(port + 1)"]).status) ?? -1
        }
        #expect(healthy)
        #expect(unhealthyStatus == 1)
        #expect(outcome.status == 0)
    }
}
