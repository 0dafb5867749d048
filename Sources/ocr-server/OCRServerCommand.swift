// The `ocr-server` executable: parses flags, loads configuration and hands
// over to OCRService. Nothing else lives here.

import ArgumentParser
import Foundation
import HTTPServer
import Logging
import OCRService
import Recognition

@main
struct OCRServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocr-server",
        abstract: "HTTP OCR service for hand-drawn glyphs.",
        discussion: ConfigurationHelp.text,
        subcommands: [Serve.self, Read.self, HealthCheck.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server (the default).",
        discussion: ConfigurationHelp.text
    )

    @Option(name: .long, help: "Configuration file (YAML). Default: config.yaml if present.")
    var config: String?

    @Option(name: .long, help: "Listen address (server.host).")
    var host: String?

    @Option(name: .long, help: "Listen port (server.port).")
    var port: String?

    @Option(name: .long, help: "Static files folder (server.public_dir).")
    var publicDir: String?

    @Option(name: .long, help: "Model manifest (model.path).")
    var model: String?

    @Option(name: .long, help: "Log level (log.level).")
    var logLevel: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override any key, e.g. --set inference.workers=4.", valueName: "key=value"))
    var settings: [String] = []

    func run() async throws {
        MemoryTuning.keepFreedMemory()
        let configuration = try Self.loadOrExit(
            file: config, host: host, port: port, publicDir: publicDir, model: model, logLevel: logLevel, settings: settings
        )
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let recognizer: Recognizer
        do {
            recognizer = try Application.makeRecognizer(configuration)
        } catch {
            Self.fail("ocr-server: cannot load model \(configuration.model.path): \(error)")
        }
        let app = Application(configuration: configuration, recognizer: recognizer)
        do {
            try await app.run()
        } catch {
            FileHandle.standardError.write(Data("ocr-server: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Loads the configuration, or prints the one-line reason and exits with status 2.
    static func loadOrExit(
        file: String?, host: String?, port: String?, publicDir: String?, model: String?, logLevel: String?, settings: [String]
    ) throws -> Configuration {
        var overrides: [String: String] = [:]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { fail("configuration: --set expects key=value, got '\(setting)'") }
            overrides[String(parts[0])] = String(parts[1])
        }
        for (key, value) in [("server.host", host), ("server.port", port), ("server.public_dir", publicDir),
                             ("model.path", model), ("log.level", logLevel)] {
            if let value { overrides[key] = value }
        }
        let path = file ?? (FileManager.default.fileExists(atPath: "config.yaml") ? "config.yaml" : nil)
        do {
            return try ConfigurationLoader.load(file: path, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            fail(error.description)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(2)
    }
}

struct HealthCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "GET /healthz on 127.0.0.1; exit 0 when healthy, 1 otherwise."
    )

    @Option(name: .long, help: "Port to probe (default: server.port from configuration).")
    var port: Int?

    @Option(name: .long, help: "Configuration file, to find the port.")
    var config: String?

    func run() throws {
        let target: Int
        if let port {
            target = port
        } else {
            target = try Serve.loadOrExit(
                file: config, host: nil, port: nil, publicDir: nil, model: nil, logLevel: nil, settings: []
            ).server.port
        }
        guard HealthProbe.check(port: target) else { throw ExitCode(1) }
    }
}
