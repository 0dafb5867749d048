// Value types shared by the parser, the router and the response writer.

/// The protocol version of a request. Only 1.0 and 1.1 are accepted.
public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11

    var text: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// A status code with its reason phrase.
public struct HTTPStatus: Sendable, Equatable, Hashable {
    public let code: Int
    public let reason: String

    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    public static let `continue` = HTTPStatus(code: 100, reason: "Continue")
    public static let ok = HTTPStatus(code: 200, reason: "OK")
    public static let created = HTTPStatus(code: 201, reason: "Created")
    public static let noContent = HTTPStatus(code: 204, reason: "No Content")
    public static let notModified = HTTPStatus(code: 304, reason: "Not Modified")
    public static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
    public static let unauthorized = HTTPStatus(code: 401, reason: "Unauthorized")
    public static let forbidden = HTTPStatus(code: 403, reason: "Forbidden")
    public static let notFound = HTTPStatus(code: 404, reason: "Not Found")
    public static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
    public static let requestTimeout = HTTPStatus(code: 408, reason: "Request Timeout")
    public static let contentTooLarge = HTTPStatus(code: 413, reason: "Content Too Large")
    public static let uriTooLong = HTTPStatus(code: 414, reason: "URI Too Long")
    public static let unsupportedMediaType = HTTPStatus(code: 415, reason: "Unsupported Media Type")
    public static let expectationFailed = HTTPStatus(code: 417, reason: "Expectation Failed")
    public static let unprocessableContent = HTTPStatus(code: 422, reason: "Unprocessable Content")
    public static let tooManyRequests = HTTPStatus(code: 429, reason: "Too Many Requests")
    public static let headerFieldsTooLarge = HTTPStatus(code: 431, reason: "Request Header Fields Too Large")
    public static let internalServerError = HTTPStatus(code: 500, reason: "Internal Server Error")
    public static let notImplemented = HTTPStatus(code: 501, reason: "Not Implemented")
    public static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
    public static let gatewayTimeout = HTTPStatus(code: 504, reason: "Gateway Timeout")
    public static let versionNotSupported = HTTPStatus(code: 505, reason: "HTTP Version Not Supported")

    /// Statuses whose responses never carry content (RFC 9110 §15).
    var forbidsBody: Bool { code < 200 || code == 204 || code == 304 }
}

/// Header fields in arrival order; lookups ignore ASCII case.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field with this name by one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// The first value with this name.
    public subscript(name: String) -> String? {
        fields.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// Every value with this name, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// True when a comma-separated header (e.g. `Connection`) lists `token`.
    public func hasToken(_ name: String, _ token: String) -> Bool {
        for value in values(name) {
            for part in value.split(separator: ",") where asciiCaseInsensitiveEquals(trimOWS(part), token) {
                return true
            }
        }
        return false
    }
}

/// A parsed request, handed to handlers.
public struct Request: Sendable {
    public var method: String
    /// The request-target as received, less any `#fragment`.
    public var target: String
    /// The path part of the target (no query), still percent-encoded.
    public var path: String
    /// The query without its leading `?`, if any.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's IP address as text ("127.0.0.1", "::1").
    public var remoteAddress: String
    /// The client's `X-Request-Id` when it sent a usable one, else one made up
    /// by the server; echoed on the response and in the request's log line.
    public var requestID: String = ""
    /// When the read that brought the request's first byte returned (set by the connection;
    /// for a request made in code, when it was made). A handler's own timings start later, so
    /// this is what lets it count the time spent reading, parsing and dispatching too.
    public var receivedAt: ContinuousClock.Instant = .now

    public init(
        method: String, target: String, version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        (self.path, self.query) = splitTarget(target)
    }

    /// Whether the client asked to keep the connection open after this request.
    public var wantsKeepAlive: Bool {
        switch version {
        case .http11: return !headers.hasToken("Connection", "close")
        case .http10: return headers.hasToken("Connection", "keep-alive")
        }
    }

    /// The value of one query parameter (not percent-decoded).
    public func queryValue(_ key: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first.map(String.init) == key { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }
}

/// A response built by a handler. `Content-Length`, `Date` and `Server` are
/// added by the writer; handlers set everything else.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus = .ok, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: body)
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// A JSON body that the caller has already serialised.
    public static func json(_ json: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, contentType: "application/json", body: Array(json.utf8))
    }
}

func splitTarget(_ target: String) -> (path: String, query: String?) {
    // absolute-form ("http://host/p?q"): route on the path, as for origin-form.
    for scheme in ["http://", "https://"] where target.utf8.count > scheme.utf8.count
        && asciiCaseInsensitiveEquals(target.prefix(scheme.count), scheme) {
        let rest = target.dropFirst(scheme.count)
        guard let start = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return ("/", nil) }
        let (path, query) = splitTarget(String(rest[start...]))
        return (path.isEmpty ? "/" : path, query)
    }
    guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
    return (String(target[..<mark]), String(target[target.index(after: mark)...]))
}

func asciiCaseInsensitiveEquals<A: StringProtocol, B: StringProtocol>(_ lhs: A, _ rhs: B) -> Bool {
    let left = lhs.utf8, right = rhs.utf8
    guard left.count == right.count else { return false }
    for (l, r) in zip(left, right) where l != r {
        if (l | 0x20) != (r | 0x20) || !((l | 0x20) >= 0x61 && (l | 0x20) <= 0x7A) { return false }
    }
    return true
}

/// Strips optional whitespace (SP / HTAB) from both ends.
func trimOWS<S: StringProtocol>(_ text: S) -> Substring {
    var sub = Substring(text)
    while let first = sub.first, first == " " || first == "\t" { sub.removeFirst() }
    while let last = sub.last, last == " " || last == "\t" { sub.removeLast() }
    return sub
}
