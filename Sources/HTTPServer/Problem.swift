// RFC 9457 problem details: the one error shape of the whole service.

/// An error a handler can throw (or return as a response) that clients can parse.
public struct Problem: Error, Sendable, Equatable {
    public var status: HTTPStatus
    public var title: String
    public var detail: String
    /// A URI naming the kind of problem; "about:blank" means "see the status code".
    public var type: String
    /// Extra response headers, e.g. `Allow` on a 405 or `Retry-After` on a 503.
    public var headers: [(String, String)]

    public init(
        _ status: HTTPStatus, detail: String, title: String? = nil, type: String = "about:blank",
        headers: [(String, String)] = []
    ) {
        self.status = status
        self.title = title ?? status.reason
        self.detail = detail
        self.type = type
        self.headers = headers
    }

    public static func == (lhs: Problem, rhs: Problem) -> Bool {
        lhs.status == rhs.status && lhs.title == rhs.title && lhs.detail == rhs.detail && lhs.type == rhs.type
    }

    public var json: String {
        "{\"type\":\(JSON.quote(type)),\"title\":\(JSON.quote(title)),\"status\":\(status.code),\"detail\":\(JSON.quote(detail))}"
    }

    public var response: Response {
        var headers = HTTPHeaders([("Content-Type", "application/problem+json")])
        for (name, value) in self.headers { headers.add(name, value) }
        return Response(status: status, headers: headers, body: Array(json.utf8))
    }
}

/// Minimal JSON text building, so hot paths need no encoder.
public enum JSON {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
