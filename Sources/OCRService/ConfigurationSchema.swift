// Every configuration key: its dotted name, its type and range, and where it
// lands in `Configuration`. File, environment and flags all go through this
// one table, so a key is validated the same way wherever it comes from.

/// A raw value before type checking: a scalar's text or a list of them.
enum RawConfigValue: Equatable {
    case scalar(String)
    case list([String])

    var text: String {
        switch self {
        case .scalar(let text): return text
        case .list(let items): return "[" + items.joined(separator: ", ") + "]"
        }
    }
}

struct ConfigKey: Sendable {
    typealias Apply = @Sendable (inout Configuration, RawConfigValue, _ source: String) throws(ConfigurationError) -> Void

    let path: String
    let summary: String
    let apply: Apply

    /// The environment variable that overrides this key: OCR_<SECTION>_<KEY>.
    var environmentName: String {
        "OCR_" + path.replacingOccurrences(of: ".", with: "_").uppercased()
    }

    static func int(
        _ path: String, _ keyPath: any WritableKeyPath<Configuration, Int> & Sendable, _ range: ClosedRange<Int>, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, summary: summary) { (config: inout Configuration, raw: RawConfigValue, source: String) throws(ConfigurationError) in
            guard case .scalar(let text) = raw, let value = Int(text) else {
                throw .wrongType(key: path, expected: "an integer", got: raw.text, source: source)
            }
            guard range.contains(value) else {
                throw .outOfRange(key: path, requirement: "between \(range.lowerBound) and \(range.upperBound)", got: text, source: source)
            }
            config[keyPath: keyPath] = value
        }
    }

    static func bool(
        _ path: String, _ keyPath: any WritableKeyPath<Configuration, Bool> & Sendable, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, summary: summary) { (config: inout Configuration, raw: RawConfigValue, source: String) throws(ConfigurationError) in
            guard case .scalar(let text) = raw, let value = Bool(text) else {
                throw .wrongType(key: path, expected: "true or false", got: raw.text, source: source)
            }
            config[keyPath: keyPath] = value
        }
    }

    static func seconds(
        _ path: String, _ keyPath: any WritableKeyPath<Configuration, Double> & Sendable, _ range: ClosedRange<Double>, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, summary: summary) { (config: inout Configuration, raw: RawConfigValue, source: String) throws(ConfigurationError) in
            guard case .scalar(let text) = raw, let value = Double(text), value.isFinite else {
                throw .wrongType(key: path, expected: "a number", got: raw.text, source: source)
            }
            guard range.contains(value) else {
                throw .outOfRange(key: path, requirement: "between \(format(range.lowerBound)) and \(format(range.upperBound))", got: text, source: source)
            }
            config[keyPath: keyPath] = value
        }
    }

    static func string(
        _ path: String, _ keyPath: any WritableKeyPath<Configuration, String> & Sendable,
        _ requirement: String, _ summary: String, valid: @escaping @Sendable (String) -> Bool
    ) -> ConfigKey {
        ConfigKey(path: path, summary: summary) { (config: inout Configuration, raw: RawConfigValue, source: String) throws(ConfigurationError) in
            guard case .scalar(let text) = raw else {
                throw .wrongType(key: path, expected: "a string", got: raw.text, source: source)
            }
            guard valid(text) else { throw .outOfRange(key: path, requirement: requirement, got: text, source: source) }
            config[keyPath: keyPath] = text
        }
    }

    static func list(
        _ path: String, _ keyPath: any WritableKeyPath<Configuration, [String]> & Sendable,
        _ requirement: String, _ summary: String, valid: @escaping @Sendable (String) -> Bool
    ) -> ConfigKey {
        ConfigKey(path: path, summary: summary) { (config: inout Configuration, raw: RawConfigValue, source: String) throws(ConfigurationError) in
            guard case .list(let items) = raw else {
                throw .wrongType(key: path, expected: "a list of strings", got: raw.text, source: source)
            }
            if let bad = items.first(where: { !valid($0) }) {
                throw .outOfRange(key: path, requirement: requirement, got: bad, source: source)
            }
            config[keyPath: keyPath] = items
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

enum ConfigurationSchema {
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Sections that hold other keys; anything else with children is unknown.
    static let sections: Set<String> = ["server", "server.timeouts", "model", "images", "inference", "api", "api.rate_limit", "log"]

    static let keys: [ConfigKey] = [
        .string("server.host", \.server.host, "an IPv4 or IPv6 address or 'localhost'", "address to listen on", valid: isListenAddress),
        .int("server.port", \.server.port, 0...65535, "TCP port (0 = any free port)"),
        .int("server.backlog", \.server.backlog, 1...65535, "listen(2) backlog"),
        .int("server.max_connections", \.server.maxConnections, 1...1_000_000, "open connections before new ones get 503"),
        .int("server.max_body_bytes", \.server.maxBodyBytes, 1...1_073_741_824, "largest request body; larger gets 413"),
        .string("server.public_dir", \.server.publicDir, "a non-empty path", "folder of static files", valid: { !$0.isEmpty }),
        .seconds("server.timeouts.head_seconds", \.server.timeouts.headSeconds, 0.1...3600, "time to receive a request head (408)"),
        .seconds("server.timeouts.idle_seconds", \.server.timeouts.idleSeconds, 0.1...3600, "idle keep-alive time"),
        .seconds("server.timeouts.body_seconds", \.server.timeouts.bodySeconds, 0.1...3600, "longest pause while receiving a body (408)"),
        .seconds("server.timeouts.write_seconds", \.server.timeouts.writeSeconds, 0.1...3600, "longest pause while the client takes a response"),
        .seconds("server.timeouts.drain_seconds", \.server.timeouts.drainSeconds, 0...3600, "shutdown grace for in-flight requests"),
        .string("model.path", \.model.path, "a non-empty path", "model manifest", valid: { !$0.isEmpty }),
        .int("images.max_width", \.images.maxWidth, 1...65535, "widest accepted image"),
        .int("images.max_height", \.images.maxHeight, 1...65535, "tallest accepted image"),
        .int("images.max_pixels", \.images.maxPixels, 1...268_435_456, "most pixels in an accepted image"),
        .int("inference.workers", \.inference.workers, 0...256, "inference workers (0 = one per core)"),
        .int("inference.queue_depth", \.inference.queueDepth, 1...100_000, "queued requests before 503"),
        .int("inference.max_batch", \.inference.maxBatch, 1...1024, "largest dynamic batch"),
        .int("inference.max_batch_delay_us", \.inference.maxBatchDelayMicroseconds, 0...1_000_000, "wait to fill a batch"),
        .int("inference.deadline_ms", \.inference.deadlineMilliseconds, 1...600_000, "per-request inference deadline"),
        .bool("inference.caller_runs", \.inference.callerRuns, "run a lone request on its caller's thread"),
        .list("api.cors_origins", \.api.corsOrigins, "'*' or http(s)://host[:port] origins", "origins allowed by CORS", valid: isOrigin),
        .list("api.api_keys", \.api.apiKeys, "non-empty keys without spaces or commas", "accepted API keys (empty = open)", valid: isAPIKey),
        .seconds("api.rate_limit.requests_per_second", \.api.rateLimit.requestsPerSecond, 0...1_000_000, "per-client rate (0 = off)"),
        .int("api.rate_limit.burst", \.api.rateLimit.burst, 0...1_000_000, "per-client burst (0 = off)"),
        .string("log.level", \.log.level, "one of " + logLevels.joined(separator: ", "), "log level", valid: { logLevels.contains($0) }),
    ]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    /// Short environment names kept for convenience, e.g. in a container.
    static let environmentAliases = ["OCR_PORT": "server.port", "OCR_HOST": "server.host"]

    static func isListenAddress(_ text: String) -> Bool {
        if text == "localhost" { return true }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && (UInt8($0) != nil) }) { return true }
        return text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    static func isOrigin(_ text: String) -> Bool {
        if text == "*" { return true }
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            return !rest.isEmpty && !rest.contains("/") && !rest.contains(" ")
        }
        return false
    }

    static func isAPIKey(_ text: String) -> Bool {
        !text.isEmpty && !text.contains(where: { $0 == " " || $0 == "," || $0.isNewline })
    }
}

/// The schema as seen from outside the module (for help text and docs).
public enum ConfigurationKeys {
    public struct Key: Sendable {
        public let path: String
        public let environmentName: String
        public let summary: String
    }

    public static var all: [Key] {
        ConfigurationSchema.keys.map { Key(path: $0.path, environmentName: $0.environmentName, summary: $0.summary) }
    }
}
