// Fuzz target for `RequestBody.decode`: the step that turns a recognize request's
// Content-Type and body into an image or a drawing (raw image, multipart, JSON with strokes,
// a Quick, Draw! drawing or a base64 image). What it yields is then decoded and preprocessed
// like a real request would be, so malformed parts travel all the way down the pipeline.
//
// Layout: the first byte picks the Content-Type from `contentTypes`; past the end of that list
// the Content-Type is read from the input up to its first LF, so the parameter parsing
// (boundary, quotes, case) is fuzzed too. The rest is the body.
import FuzzSupport
import Imaging
import OCRService

let contentTypes = [
    "application/json",
    "image/png",
    "multipart/form-data; boundary=fuzzboundary",
    "image/jpeg",
    "text/plain",
    "multipart/form-data; boundary=\"quoted boundary\"",
    "Application/JSON; charset=utf-8",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let choice = Int(data[0]) % (contentTypes.count + 1)
    let contentType: String
    if choice < contentTypes.count {
        contentType = contentTypes[choice]
    } else {
        let end = rest.firstIndex(of: 0x0A) ?? rest.count
        contentType = String(decoding: rest[..<end], as: UTF8.self)
        rest = Array(rest[min(end + 1, rest.count)...])
    }
    guard let input = try? RequestBody.decode(contentType: contentType, body: rest) else { return 0 }
    switch input {
    case .image(let bytes):
        // Whatever was extracted (a multipart part, decoded base64) cannot outgrow the body.
        precondition(bytes.count <= rest.count, "extracted image larger than the body")
        bytes.withUnsafeBytes { decodeAndPrepare($0) }
    case .strokes(let drawing):
        renderAndPrepare(drawing, limits: StrokeLimits(maxStrokes: 64, maxPoints: 2048))
    }
    return 0
}
