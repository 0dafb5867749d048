// The one place where the service's typed errors become HTTP statuses and problem
// documents. Each kind has a stable `type` URI that clients can switch on.

import HTTPServer
import Imaging
import Recognition

enum Problems {
    static let base = "urn:ocr-server:problem:"

    static func problem(_ error: BodyError) -> Problem {
        switch error {
        case .unsupportedMediaType:
            return Problem(.unsupportedMediaType, detail: error.description, type: base + "unsupported-media-type")
        case .malformedJSON:
            return Problem(.badRequest, detail: error.description, type: base + "malformed-json")
        case .malformedBase64:
            return Problem(.badRequest, detail: error.description, type: base + "malformed-base64")
        case .malformedMultipart:
            return Problem(.badRequest, detail: error.description, type: base + "malformed-multipart")
        case .invalidStrokes:
            return Problem(.badRequest, detail: error.description, type: base + "invalid-strokes")
        }
    }

    static func problem(_ error: RecognitionError) -> Problem {
        switch error {
        case .input(let imaging): return problem(imaging)
        case .pool(let pool): return problem(pool)
        }
    }

    static func problem(_ error: ImagingError) -> Problem {
        let detail = error.description
        switch error {
        case .unsupportedFormat:
            return Problem(.badRequest, detail: detail, type: base + "unsupported-image")
        case .corrupt:
            return Problem(.badRequest, detail: detail, type: base + "corrupt-image")
        case .tooLarge:
            // 422, not 413: the body may be small (a PNG of blank paper compresses well); its pixels are what is over the limit.
            return Problem(.unprocessableContent, detail: detail, type: base + "image-too-large")
        case .empty:
            return Problem(.unprocessableContent, detail: detail, type: base + "no-ink")
        case .tooManyStrokes, .tooManyPoints:
            return Problem(.unprocessableContent, detail: detail, type: base + "too-many-strokes")
        case .tooManyGlyphs:
            return Problem(.unprocessableContent, detail: detail, type: base + "too-many-glyphs")
        case .nonFiniteCoordinate:
            return Problem(.badRequest, detail: detail, type: base + "invalid-strokes")
        }
    }

    static func problem(_ error: PoolError) -> Problem {
        switch error {
        case .overloaded:
            return Problem(.serviceUnavailable, detail: "The server is busy; retry in a second.",
                           type: base + "overloaded", headers: [("Retry-After", "1")])
        case .shuttingDown:
            return Problem(.serviceUnavailable, detail: "The server is shutting down; retry on another replica.",
                           type: base + "shutting-down", headers: [("Retry-After", "1")])
        case .deadlineExceeded:
            return Problem(.gatewayTimeout, detail: "The request waited too long for the network; retry later.",
                           type: base + "deadline-exceeded")
        case .invalidInput, .warmUpFailed:
            // Never caused by a client: the preprocessor always produces the model's input size.
            return Problem(.internalServerError, detail: "The server could not complete the request.")
        }
    }

    static func badParameter(_ detail: String) -> Problem {
        Problem(.badRequest, detail: detail, type: base + "invalid-parameter")
    }
}
