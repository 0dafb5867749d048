// Parsing and validation of the pieces of a request head: the request line,
// one field line, a chunk-size line, and the framing rules that decide how
// long the body is. These are the request-smuggling defences (RFC 9112 §6).

extension RequestParser {
    typealias RequestLine = (method: String, target: String, version: HTTPVersion)

    /// `method SP request-target SP HTTP-version`, with exactly one SP between parts.
    static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<RequestLine, ParseFailure> {
        let space = UInt8(ascii: " ")
        guard let firstSpace = line.firstIndex(of: space) else {
            return .failure(ParseFailure(.badRequest, "malformed request line"))
        }
        let method = line[line.startIndex..<firstSpace]
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: space) else {
            return .failure(ParseFailure(.badRequest, "malformed request line"))
        }
        var target = rest[rest.startIndex..<secondSpace]
        let versionBytes = rest[(secondSpace + 1)...]
        guard Grammar.isTokenBytes(method) else { return .failure(ParseFailure(.badRequest, "invalid method")) }
        // A fragment is the client's own business (RFC 9110 §7.1): checked like a query, then
        // dropped. Only the URI forms can carry one, not authority-form or "*".
        if let hash = target.firstIndex(of: UInt8(ascii: "#")), target.first != UInt8(ascii: "*"),
           !method.elementsEqual("CONNECT".utf8) {
            guard Grammar.isValidEncoded(target[(hash + 1)...], allowed: Grammar.target) else {
                return .failure(ParseFailure(.badRequest, "invalid request target"))
            }
            target = target[..<hash]
        }
        guard !target.isEmpty else { return .failure(ParseFailure(.badRequest, "empty request target")) }

        let version: HTTPVersion
        switch parseVersion(versionBytes) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): version = parsed
        }
        let methodText = String(decoding: method, as: UTF8.self)
        guard isValidTarget(target, method: methodText) else {
            return .failure(ParseFailure(.badRequest, "invalid request target"))
        }
        return .success((methodText, String(decoding: target, as: UTF8.self), version))
    }

    /// `HTTP/` DIGIT `.` DIGIT; a well-formed version other than 1.0/1.1 is a 505.
    static func parseVersion(_ bytes: ArraySlice<UInt8>) -> Result<HTTPVersion, ParseFailure> {
        let prefix = Array("HTTP/".utf8)
        guard bytes.count == 8, bytes.prefix(5).elementsEqual(prefix) else {
            return .failure(ParseFailure(.badRequest, "malformed HTTP version"))
        }
        let major = bytes[bytes.startIndex + 5], dot = bytes[bytes.startIndex + 6], minor = bytes[bytes.startIndex + 7]
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        guard isDigit(major), dot == UInt8(ascii: "."), isDigit(minor) else {
            return .failure(ParseFailure(.badRequest, "malformed HTTP version"))
        }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .success(.http11)
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .success(.http10)
        default: return .failure(ParseFailure(.versionNotSupported, "HTTP version not supported"))
        }
    }

    /// The four request-target forms of RFC 9112 §3.2.
    static func isValidTarget(_ target: ArraySlice<UInt8>, method: String) -> Bool {
        guard let first = target.first else { return false }
        if method == "CONNECT" {
            // authority-form: host ":" port, nothing else.
            return first != UInt8(ascii: "/") && target.contains(UInt8(ascii: ":"))
                && Grammar.isValidEncoded(target, allowed: Grammar.host)
        }
        if first == UInt8(ascii: "/") {
            return Grammar.isValidEncoded(target, allowed: Grammar.target)
        }
        if target.count == 1, first == UInt8(ascii: "*") {
            return method == "OPTIONS"
        }
        // absolute-form: only http and https URIs, with a non-empty authority.
        let text = String(decoding: target, as: UTF8.self).lowercased()
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let afterScheme = target.dropFirst(scheme.utf8.count)
            let authorityEnd = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterScheme.endIndex
            let authority = afterScheme[afterScheme.startIndex..<authorityEnd]
            return !authority.isEmpty && !authority.contains(UInt8(ascii: "@"))
                && Grammar.isValidEncoded(authority, allowed: Grammar.host)
                && Grammar.isValidEncoded(afterScheme[authorityEnd...], allowed: Grammar.target)
        }
        return false
    }

    /// `field-name ":" OWS field-value OWS`. No whitespace before the colon, no
    /// obs-fold, no control characters in the value.
    static func parseField(_ line: ArraySlice<UInt8>) -> Result<(String, String), ParseFailure> {
        guard let first = line.first else { return .failure(ParseFailure(.badRequest, "empty field line")) }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            return .failure(ParseFailure(.badRequest, "obsolete line folding"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(ParseFailure(.badRequest, "field line without colon"))
        }
        let name = line[line.startIndex..<colon]
        guard Grammar.isTokenBytes(name) else { return .failure(ParseFailure(.badRequest, "invalid field name")) }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == 0x20 || byte == 0x09 { value.removeFirst() }
        while let byte = value.last, byte == 0x20 || byte == 0x09 { value.removeLast() }
        guard value.allSatisfy({ Grammar.fieldValue[Int($0)] }) else {
            return .failure(ParseFailure(.badRequest, "invalid character in field value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// `chunk-size [ chunk-ext ]`; extensions are checked against their grammar and ignored.
    static func parseChunkSize(_ line: ArraySlice<UInt8>) -> Result<Int, ParseFailure> {
        var size = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = Grammar.hexValue(line[index]) {
            guard size <= (Int.max - digit) >> 4 else { return .failure(ParseFailure(.badRequest, "chunk size overflow")) }
            size = size << 4 | digit
            index += 1
        }
        guard index > line.startIndex else { return .failure(ParseFailure(.badRequest, "missing chunk size")) }
        guard isValidChunkExtensions(line[index...]) else {
            return .failure(ParseFailure(.badRequest, "invalid chunk extension"))
        }
        return .success(size)
    }

    /// `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1).
    /// The line has already ended, so an unclosed quote is an error now, not a
    /// reason to wait: a quoted string never spans lines.
    static func isValidChunkExtensions(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        func skipWhitespace() {
            while index < bytes.endIndex, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }
        func skipToken() -> Bool {
            let start = index
            while index < bytes.endIndex, Grammar.token[Int(bytes[index])] { index += 1 }
            return index > start
        }
        while index < bytes.endIndex {
            skipWhitespace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ";") else { return false }
            index += 1
            skipWhitespace()
            guard skipToken() else { return false }
            let afterName = index
            skipWhitespace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else {
                index = afterName  // Whitespace counts only before a ";" or an "=".
                continue
            }
            index += 1
            skipWhitespace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") {
                guard let end = quotedStringEnd(bytes[(index + 1)...]) else { return false }
                index = end
            } else if !skipToken() {
                return false
            }
        }
        return true
    }

    /// The index just past the closing quote of a quoted string whose opening
    /// quote precedes `bytes`; nil when it is unclosed or holds a control byte.
    static func quotedStringEnd(_ bytes: ArraySlice<UInt8>) -> Int? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return index + 1 }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.endIndex, Grammar.fieldValue[Int(bytes[index])] else { return nil }
            } else if !Grammar.fieldValue[Int(byte)] {
                return nil
            }
            index += 1
        }
        return nil
    }
}

/// The whole-head checks that need every field: Host, framing and Expect.
enum HeadValidator {
    static func validate(
        method: String, version: HTTPVersion, headers: HTTPHeaders, limits: ParserLimits
    ) -> Result<(BodyFraming, Bool), ParseFailure> {
        let hosts = headers.values("Host")
        if version == .http11, hosts.count != 1 {
            return .failure(ParseFailure(.badRequest, hosts.isEmpty ? "missing Host" : "more than one Host"))
        }
        if hosts.count > 1 { return .failure(ParseFailure(.badRequest, "more than one Host")) }
        if let host = hosts.first, !Grammar.isValidEncoded(ArraySlice(host.utf8), allowed: Grammar.host) {
            return .failure(ParseFailure(.badRequest, "invalid Host"))
        }

        let codings = headers.values("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        let framing: BodyFraming
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                return .failure(ParseFailure(.badRequest, "both Content-Length and Transfer-Encoding"))
            }
            guard version == .http11 else {
                return .failure(ParseFailure(.badRequest, "Transfer-Encoding in an HTTP/1.0 request"))
            }
            switch transferCoding(codings) {
            case .failure(let error): return .failure(error)
            case .success: framing = .chunked
            }
        } else if !lengths.isEmpty {
            switch contentLength(lengths) {
            case .failure(let error): return .failure(error)
            case .success(let length):
                guard length <= limits.maxBodyBytes else {
                    return .failure(ParseFailure(.contentTooLarge, "body larger than \(limits.maxBodyBytes) bytes"))
                }
                framing = length == 0 ? .none : .length(length)
            }
        } else {
            framing = .none
        }

        var expectsContinue = false
        let expectations = headers.values("Expect")
        if !expectations.isEmpty {
            guard expectations.count == 1, asciiCaseInsensitiveEquals(expectations[0], "100-continue") else {
                return .failure(ParseFailure(.expectationFailed, "unsupported expectation"))
            }
            // HTTP/1.0 clients do not understand 100 (RFC 9110 §10.1.1); a bodiless request needs none.
            expectsContinue = version == .http11 && framing != .none
        }
        return .success((framing, expectsContinue))
    }

    /// Every Content-Length value (repeated fields and comma lists) must be the
    /// same run of digits; anything else is a 400.
    static func contentLength(_ values: [String]) -> Result<Int, ParseFailure> {
        var length: Int?
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = trimOWS(part)
                guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let parsed = Int(digits) else {
                    return .failure(ParseFailure(.badRequest, "malformed Content-Length"))
                }
                if let length, length != parsed { return .failure(ParseFailure(.badRequest, "differing Content-Length")) }
                length = parsed
            }
        }
        guard let length else { return .failure(ParseFailure(.badRequest, "malformed Content-Length")) }
        return .success(length)
    }

    /// Codings we recognise by name; only `chunked` is implemented.
    private static let knownCodings: Set<String> = ["chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress", "identity"]

    /// The only accepted Transfer-Encoding is a single final `chunked`.
    /// Unknown coding names are a 501 (RFC 9112 §6.1); known codings in a
    /// framing we cannot trust (chunked not last, or twice) are a 400; known
    /// codings we do not implement ahead of a final chunked are a 501.
    static func transferCoding(_ values: [String]) -> Result<Void, ParseFailure> {
        var codings: [String] = []
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let element = trimOWS(part)
                // Parameters are rejected along with any other non-token byte: chunked takes none.
                let name = element
                guard Grammar.isTokenBytes(ArraySlice(name.utf8)) else {
                    return .failure(ParseFailure(.badRequest, "malformed Transfer-Encoding"))
                }
                codings.append(name.lowercased())
            }
        }
        if let unknown = codings.first(where: { !knownCodings.contains($0) }) {
            return .failure(ParseFailure(.notImplemented, "unknown transfer coding \(unknown)"))
        }
        guard codings.last == "chunked", codings.filter({ $0 == "chunked" }).count == 1 else {
            return .failure(ParseFailure(.badRequest, "chunked is not the final transfer coding"))
        }
        guard codings.count == 1 else {
            return .failure(ParseFailure(.notImplemented, "unsupported transfer coding"))
        }
        return .success(())
    }
}
