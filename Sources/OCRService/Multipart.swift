// multipart/form-data (RFC 7578), just enough to take one named file part out of a form
// upload such as `curl -F image=@digit.png`. Works on bytes: parts may be binary.

/// Why a multipart body could not be read.
public enum MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingBoundary
    case malformed(String)
    case partMissing(String)

    public var description: String {
        switch self {
        case .missingBoundary: return "the multipart Content-Type has no boundary parameter"
        case .malformed(let why): return "the multipart body is malformed: \(why)"
        case .partMissing(let name): return "the multipart body has no part named '\(name)'"
        }
    }
}

public enum Multipart {
    /// The boundary parameter of a `multipart/form-data; boundary=…` content type.
    public static func boundary(fromContentType contentType: String) throws(MultipartError) -> String {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2,
                  pair[0].trimmingSpaces.lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { break }
            return value
        }
        throw .missingBoundary
    }

    /// The body of the part whose `Content-Disposition` names `name`.
    public static func part(named name: String, in body: [UInt8], boundary: String) throws(MultipartError) -> [UInt8] {
        let delimiter = Array("--\(boundary)".utf8)
        guard var cursor = firstIndex(of: delimiter, in: body, from: 0) else {
            throw .malformed("no boundary line found")
        }
        while true {
            cursor += delimiter.count
            // "--" after a delimiter closes the body.
            if body.count >= cursor + 2, body[cursor] == UInt8(ascii: "-"), body[cursor + 1] == UInt8(ascii: "-") {
                throw .partMissing(name)
            }
            guard let lineEnd = firstIndex(of: crlf, in: body, from: cursor) else {
                throw .malformed("a boundary line does not end")
            }
            let headStart = lineEnd + 2
            guard let headEnd = firstIndex(of: crlf + crlf, in: body, from: headStart) else {
                throw .malformed("a part's headers do not end with an empty line")
            }
            let contentStart = headEnd + 4
            guard let next = firstIndex(of: crlf + delimiter, in: body, from: headEnd + 2) else {
                throw .malformed("a part is not closed by a boundary")
            }
            let contentEnd = max(contentStart, next)
            if partName(Array(body[headStart..<headEnd])) == name {
                return Array(body[contentStart..<contentEnd])
            }
            cursor = next + 2
        }
    }

    private static let crlf: [UInt8] = [13, 10]

    /// The `name` parameter of the part's Content-Disposition header, if any.
    static func partName(_ head: [UInt8]) -> String? {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let field = line.split(separator: ":", maxSplits: 1)
            guard field.count == 2, field[0].trimmingSpaces.lowercased() == "content-disposition" else { continue }
            for parameter in field[1].split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "name" else { continue }
                var value = pair[1].trimmingSpaces
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                return value
            }
        }
        return nil
    }

    /// First occurrence of `needle` in `haystack` at or after `start` (plain scan; the
    /// body is bounded by the server's body limit).
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
