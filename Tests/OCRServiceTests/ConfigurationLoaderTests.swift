import Foundation
import Testing
@testable import OCRService

@Suite struct ConfigurationLoaderTests {
    func load(_ yaml: String, env: [String: String] = [:], flags: [String: String] = [:]) throws(ConfigurationError) -> Configuration {
        var config = Configuration()
        try ConfigurationLoader.apply(yaml: yaml, name: "test.yaml", to: &config)
        try ConfigurationLoader.apply(environment: env, to: &config)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data(yaml.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let full = try ConfigurationLoader.load(file: file.path, environment: env, overrides: flags)
        #expect(full == config || !flags.isEmpty)
        return full
    }

    func error(_ yaml: String, env: [String: String] = [:], flags: [String: String] = [:]) -> ConfigurationError? {
        do {
            _ = try load(yaml, env: env, flags: flags)
            return nil
        } catch {
            return error
        }
    }

    /// The shipped config.yaml is the documented defaults.
    @Test func shippedFileMatchesDefaults() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config.yaml")
        let config = try ConfigurationLoader.load(file: url.standardized.path, environment: [:])
        #expect(config == Configuration())
    }

    @Test func everyKeyIsRead() throws {
        let config = try load("""
        server:
          host: 0.0.0.0
          port: 9000
          backlog: 64
          max_connections: 10
          max_body_bytes: 1000
          public_dir: web
          timeouts: {head_seconds: 1.5, idle_seconds: 2, body_seconds: 3, write_seconds: 4, drain_seconds: 0}
        model: {path: m.json}
        images: {max_width: 100, max_height: 200, max_pixels: 20000}
        inference: {workers: 3, queue_depth: 7, max_batch: 8, max_batch_delay_us: 500, deadline_ms: 99, caller_runs: false}
        api:
          cors_origins: ["https://example.org", "*"]
          api_keys: [k1, k2]
          rate_limit: {requests_per_second: 2.5, burst: 5}
        log: {level: debug}
        """)
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.port == 9000)
        #expect(config.server.backlog == 64)
        #expect(config.server.maxConnections == 10)
        #expect(config.server.maxBodyBytes == 1000)
        #expect(config.server.publicDir == "web")
        #expect(config.server.timeouts.headSeconds == 1.5)
        #expect(config.server.timeouts.drainSeconds == 0)
        #expect(config.model.path == "m.json")
        #expect(config.images.maxPixels == 20000)
        #expect(config.inference.workers == 3)
        #expect(config.inference.maxBatchDelayMicroseconds == 500)
        #expect(config.inference.callerRuns == false)
        #expect(config.api.corsOrigins == ["https://example.org", "*"])
        #expect(config.api.apiKeys == ["k1", "k2"])
        #expect(config.api.rateLimit.requestsPerSecond == 2.5)
        #expect(config.api.rateLimit.burst == 5)
        #expect(config.log.level == "debug")
    }

    @Test func environmentOverridesFileAndFlagsOverrideBoth() throws {
        let yaml = "server: {port: 8000, host: 127.0.0.1}\ninference: {workers: 2}\n"
        let env = ["OCR_PORT": "9090", "OCR_INFERENCE_WORKERS": "4", "OCR_SERVER_TIMEOUTS_HEAD_SECONDS": "2",
                   "OCR_API_API_KEYS": "a, b,c", "OCR_UNRELATED": "ignored"]
        let fromEnv = try load(yaml, env: env)
        #expect(fromEnv.server.port == 9090)
        #expect(fromEnv.inference.workers == 4)
        #expect(fromEnv.server.timeouts.headSeconds == 2)
        #expect(fromEnv.api.apiKeys == ["a", "b", "c"])
        let fromFlags = try load(yaml, env: env, flags: ["server.port": "7070", "server.host": "::1"])
        #expect(fromFlags.server.port == 7070)
        #expect(fromFlags.server.host == "::1")
        #expect(fromFlags.inference.workers == 4)
    }

    @Test func fullEnvironmentNameWinsOverAlias() throws {
        let config = try load("", env: ["OCR_PORT": "1000", "OCR_SERVER_PORT": "2000"])
        #expect(config.server.port == 2000)
    }

    @Test func unknownKeysAreRefused() {
        #expect(error("server: {prot: 80}")?.description == "configuration: unknown key 'server.prot' (test.yaml)")
        #expect(error("extra: 1")?.description == "configuration: unknown key 'extra' (test.yaml)")
        #expect(error("", flags: ["server.nope": "1"])?.description == "configuration: unknown key 'server.nope' (command line)")
    }

    @Test func wrongTypesAreRefused() {
        #expect(error("server: {port: eighty}")?.description
            == "configuration: 'server.port' must be an integer, got 'eighty' (test.yaml)")
        #expect(error("api: {api_keys: abc}")?.description
            == "configuration: 'api.api_keys' must be a list of strings, got 'abc' (test.yaml)")
        #expect(error("server: 5")?.description == "configuration: 'server' must be a mapping, got '5' (test.yaml)")
        #expect(error("server: {port: [1, 2]}")?.description
            == "configuration: 'server.port' must be an integer, got '[1, 2]' (test.yaml)")
        #expect(error("inference: {caller_runs: 1}")?.description
            == "configuration: 'inference.caller_runs' must be true or false, got '1' (test.yaml)")
        #expect(error("", env: ["OCR_SERVER_TIMEOUTS_IDLE_SECONDS": "soon"])?.description
            == "configuration: 'server.timeouts.idle_seconds' must be a number, got 'soon' (environment OCR_SERVER_TIMEOUTS_IDLE_SECONDS)")
    }

    @Test func outOfRangeValuesAreRefused() {
        #expect(error("server: {port: 70000}")?.description
            == "configuration: 'server.port' must be between 0 and 65535, got '70000' (test.yaml)")
        #expect(error("inference: {max_batch: 0}")?.description
            == "configuration: 'inference.max_batch' must be between 1 and 1024, got '0' (test.yaml)")
        #expect(error("log: {level: loud}")?.description.hasPrefix("configuration: 'log.level' must be one of trace, debug") == true)
        #expect(error("server: {host: example.org}")?.description.hasPrefix("configuration: 'server.host' must be") == true)
        #expect(error("api: {cors_origins: [example.org]}")?.description.hasPrefix("configuration: 'api.cors_origins' must be") == true)
        #expect(error("server: {timeouts: {head_seconds: 0}}")?.description.hasPrefix("configuration: 'server.timeouts.head_seconds' must be between") == true)
    }

    @Test func malformedAndMissingFiles() {
        #expect(error("server: {port: 1")?.description.hasPrefix("configuration: 'test.yaml' is not valid YAML") == true
            || error("server: {port: 1")?.description.contains("is not valid YAML") == true)
        #expect(throws: ConfigurationError.unreadableFile(path: "/nonexistent/ocr.yaml")) {
            try ConfigurationLoader.load(file: "/nonexistent/ocr.yaml", environment: [:])
        }
    }

    @Test func everyKeyHasAnEnvironmentName() {
        let names = ConfigurationKeys.all.map(\.environmentName)
        #expect(names.contains("OCR_SERVER_TIMEOUTS_HEAD_SECONDS"))
        #expect(names.contains("OCR_INFERENCE_WORKERS"))
        #expect(Set(names).count == names.count)
    }
}
