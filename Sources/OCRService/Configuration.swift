// The whole service configuration as plain values with defaults. Every
// feature reads its keys from here; nothing reads configuration elsewhere.

public struct Configuration: Sendable, Equatable {
    public struct Timeouts: Sendable, Equatable {
        public var headSeconds = 10.0
        public var idleSeconds = 15.0
        public var bodySeconds = 30.0
        public var writeSeconds = 30.0
        public var drainSeconds = 10.0
    }

    public struct Server: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var backlog = 512
        public var maxConnections = 1024
        public var maxBodyBytes = 8_388_608
        public var publicDir = "Public"
        public var timeouts = Timeouts()
    }

    public struct Model: Sendable, Equatable {
        public var path = "Models/glyphnet.json"
    }

    public struct Images: Sendable, Equatable {
        public var maxWidth = 4096
        public var maxHeight = 4096
        public var maxPixels = 16_777_216
    }

    public struct Inference: Sendable, Equatable {
        /// 0 means one worker per core.
        public var workers = 0
        public var queueDepth = 256
        public var maxBatch = 8
        public var maxBatchDelayMicroseconds = 0
        public var deadlineMilliseconds = 2000
        /// A request that finds nothing queued and no batch running runs on its caller's
        /// thread (`PoolConfiguration.callerRuns`).
        public var callerRuns = true
    }

    public struct RateLimit: Sendable, Equatable {
        /// 0 turns rate limiting off.
        public var requestsPerSecond = 0.0
        public var burst = 0
    }

    public struct API: Sendable, Equatable {
        public var corsOrigins: [String] = []
        public var apiKeys: [String] = []
        public var rateLimit = RateLimit()
    }

    public struct Log: Sendable, Equatable {
        public var level = "info"
    }

    public var server = Server()
    public var model = Model()
    public var images = Images()
    public var inference = Inference()
    public var api = API()
    public var log = Log()

    public init() {}
}

/// Why a configuration was refused. `description` is the one-line message
/// printed at start-up, always naming the key.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String)
    case malformedFile(path: String, reason: String)
    case unknownKey(String, source: String)
    case wrongType(key: String, expected: String, got: String, source: String)
    case outOfRange(key: String, requirement: String, got: String, source: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path):
            return "configuration: cannot read file '\(path)'"
        case .malformedFile(let path, let reason):
            return "configuration: '\(path)' is not valid YAML: \(reason)"
        case .unknownKey(let key, let source):
            return "configuration: unknown key '\(key)' (\(source))"
        case .wrongType(let key, let expected, let got, let source):
            return "configuration: '\(key)' must be \(expected), got '\(got)' (\(source))"
        case .outOfRange(let key, let requirement, let got, let source):
            return "configuration: '\(key)' must be \(requirement), got '\(got)' (\(source))"
        }
    }
}
