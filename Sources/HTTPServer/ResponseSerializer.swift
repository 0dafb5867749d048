// Turns a `Response` into the bytes of a status line and header section.
// The body is written separately (see `Connection`) so large bodies are never copied.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum ResponseSerializer {
    /// Fields the connection owns; a handler's values for these are replaced.
    private static let managedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Date", "Server"]

    /// The head for `response`. `contentLengthOverride` keeps a handler's own
    /// Content-Length where the body is not sent (HEAD, 304).
    static func head(
        for response: Response, requestMethod: String, requestVersion: HTTPVersion,
        keepAlive: Bool, serverName: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + response.headers.count * 40)
        append(&bytes, "HTTP/1.1 \(response.status.code) \(response.status.reason)\r\n")
        append(&bytes, "Date: ")
        bytes.append(contentsOf: DateCache.shared.current())
        append(&bytes, "\r\nServer: \(serverName)\r\n")

        let handlerLength = response.headers["Content-Length"]
        for field in response.headers.fields where !managedFields.contains(where: { asciiCaseInsensitiveEquals($0, field.name) }) {
            append(&bytes, field.name)
            append(&bytes, ": ")
            append(&bytes, field.value)
            append(&bytes, "\r\n")
        }
        if let length = contentLength(for: response, requestMethod: requestMethod, handlerLength: handlerLength) {
            append(&bytes, "Content-Length: \(length)\r\n")
        }
        if !keepAlive {
            append(&bytes, "Connection: close\r\n")
        } else if requestVersion == .http10 {
            append(&bytes, "Connection: keep-alive\r\n")
        }
        append(&bytes, "\r\n")
        return bytes
    }

    /// Whether the body bytes go on the wire for this request.
    static func sendsBody(_ response: Response, requestMethod: String) -> Bool {
        requestMethod != "HEAD" && !response.status.forbidsBody
    }

    private static func contentLength(for response: Response, requestMethod: String, handlerLength: String?) -> String? {
        let code = response.status.code
        if code < 200 || code == 204 { return nil }  // RFC 9110 §8.6: never on 1xx or 204.
        if code == 304 { return handlerLength.flatMap { Int($0) }.map(String.init) }
        if requestMethod == "HEAD", let handlerLength, let value = Int(handlerLength), value >= 0 {
            return String(value)
        }
        return String(response.body.count)
    }

    @inline(__always)
    private static func append(_ bytes: inout [UInt8], _ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// The interim response sent for `Expect: 100-continue`.
    static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

/// The IMF-fixdate for the current second, formatted at most once per second
/// and shared by every connection.
final class DateCache: @unchecked Sendable {
    static let shared = DateCache()

    private let lock = NSLock()
    // Guarded by `lock`.
    private var second: time_t = 0
    private var formatted: [UInt8] = []

    func current() -> [UInt8] {
        let now = time(nil)
        lock.lock()
        defer { lock.unlock() }
        if now != second {
            second = now
            formatted = Array(Self.format(now).utf8)
        }
        return formatted
    }

    static func format(_ seconds: time_t) -> String {
        var parts = tm()
        var value = seconds
        gmtime_r(&value, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
