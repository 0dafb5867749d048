// Turns a recognize request's body (by its Content-Type) into a RecognitionInput, or a
// precise client error. Pure: no I/O, no model; the fuzz target calls it directly.

import Foundation
import Imaging
import Recognition

/// Why a body was refused; each maps to one HTTP status in `Problems`.
public enum BodyError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedMediaType(String?)
    case malformedJSON(String)
    case malformedBase64
    case malformedMultipart(MultipartError)
    case invalidStrokes(String)

    public var description: String {
        switch self {
        case .unsupportedMediaType(let type):
            let what = type.map { "'\($0)' is not accepted" } ?? "the request has no Content-Type"
            return "\(what); send image/png, image/jpeg, multipart/form-data with an 'image' part, or application/json"
        case .malformedJSON(let why): return "the JSON body is invalid: \(why)"
        case .malformedBase64: return "the 'image' field is not valid base64 (or a base64 data: URL)"
        case .malformedMultipart(let error): return error.description
        case .invalidStrokes(let why): return "the strokes are invalid: \(why)"
        }
    }
}

public enum RequestBody {
    /// The media type without parameters, lower-cased.
    static func mediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";", maxSplits: 1).first ?? "")
            .trimmingCharacters(in: .whitespaces).lowercased()
    }

    public static func decode(contentType: String?, body: [UInt8]) throws(BodyError) -> RecognitionInput {
        guard let contentType else { throw .unsupportedMediaType(nil) }
        switch mediaType(contentType) {
        case "image/png", "image/jpeg", "image/jpg":
            return .image(body)
        case "multipart/form-data":
            do {
                let boundary = try Multipart.boundary(fromContentType: contentType)
                return .image(try Multipart.part(named: "image", in: body, boundary: boundary))
            } catch {
                throw .malformedMultipart(error)
            }
        case "application/json":
            return try decodeJSON(body)
        default:
            throw .unsupportedMediaType(mediaType(contentType))
        }
    }

    static func decodeJSON(_ body: [UInt8]) throws(BodyError) -> RecognitionInput {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw .malformedJSON("not parseable as JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw .malformedJSON("expected an object with 'image', 'strokes' or 'drawing'")
        }
        if let image = object["image"] {
            guard let text = image as? String else { throw .malformedJSON("'image' must be a string") }
            return .image(try base64Image(text))
        }
        if let strokes = object["strokes"] {
            for key in ["width", "height"] {
                if let value = object[key] {
                    guard let number = number(value), number.isFinite, number > 0 else {
                        throw .invalidStrokes("'\(key)' must be a positive number")
                    }
                }
            }
            let nested = try numbers3(strokes, name: "strokes")
            guard let points = Strokes.fromPairs(nested) else {
                throw .invalidStrokes("every point must be a pair [x, y]")
            }
            return .strokes(points)
        }
        if let drawing = object["drawing"] {
            let nested = try numbers3(drawing, name: "drawing")
            for (index, stroke) in nested.enumerated() where stroke.count < 2 {
                throw .invalidStrokes("drawing stroke \(index) must be [[x...], [y...]]")
            }
            return .strokes(Strokes.fromQuickDraw(nested))
        }
        throw .malformedJSON("expected one of 'image', 'strokes' or 'drawing'")
    }

    /// Base64, or a `data:<type>;base64,<payload>` URL.
    static func base64Image(_ text: String) throws(BodyError) -> [UInt8] {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ","),
                  payload[..<comma].hasSuffix(";base64") else { throw .malformedBase64 }
            payload = payload[payload.index(after: comma)...]
        }
        let compact = payload.filter { !$0.isWhitespace }
        guard !compact.isEmpty, let data = Data(base64Encoded: compact) else { throw .malformedBase64 }
        return [UInt8](data)
    }

    /// A JSON number (not a boolean) as Double.
    static func number(_ value: Any) -> Double? {
        if let number = value as? NSNumber {
            // JSONSerialization gives booleans as NSNumber too; tell them apart by type code.
            if String(cString: number.objCType) == "c" { return nil }
            return number.doubleValue
        }
        return nil
    }

    /// A three-level array of numbers: strokes → lists → numbers.
    static func numbers3(_ value: Any, name: String) throws(BodyError) -> [[[Double]]] {
        guard let strokes = value as? [Any] else { throw .invalidStrokes("'\(name)' must be an array of strokes") }
        var result: [[[Double]]] = []
        result.reserveCapacity(strokes.count)
        for (s, stroke) in strokes.enumerated() {
            guard let lists = stroke as? [Any] else { throw .invalidStrokes("\(name)[\(s)] must be an array") }
            var converted: [[Double]] = []
            converted.reserveCapacity(lists.count)
            for (l, list) in lists.enumerated() {
                guard let items = list as? [Any] else { throw .invalidStrokes("\(name)[\(s)][\(l)] must be an array of numbers") }
                var numbers: [Double] = []
                numbers.reserveCapacity(items.count)
                for item in items {
                    guard let number = number(item) else {
                        throw .invalidStrokes("\(name)[\(s)][\(l)] holds something that is not a number")
                    }
                    numbers.append(number)
                }
                converted.append(numbers)
            }
            result.append(converted)
        }
        return result
    }
}
