// Fuzz target for the multipart/form-data reader on its own: `FuzzRequestBody` reaches it
// through one Content-Type in eight, and spends most of each run decoding whatever image
// comes out; here every input goes to the part search.
//
// Layout: the input up to its first LF is the Content-Type header value (so the boundary
// parameter's parsing is fuzzed: quotes, case, length), the rest is the body. Inputs without
// an LF use a fixed boundary, so mutations of a valid body stay useful.
import OCRService

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let contentType: String
    let body: [UInt8]
    if let newline = bytes.firstIndex(of: 0x0A) {
        contentType = String(decoding: bytes[..<newline], as: UTF8.self)
        body = Array(bytes[(newline + 1)...])
    } else {
        contentType = "multipart/form-data; boundary=fuzzboundary"
        body = bytes
    }
    guard let boundary = try? Multipart.boundary(fromContentType: contentType) else { return 0 }
    // RFC 2046: a boundary is 1 to 70 characters; anything else must have been refused.
    precondition(!boundary.isEmpty && boundary.utf8.count <= 70, "boundary out of range: \(boundary.utf8.count)")
    for name in ["image", "file", ""] {
        if let part = try? Multipart.part(named: name, in: body, boundary: boundary) {
            // A part is a slice of the body between two delimiters: it can never outgrow it.
            precondition(part.count + boundary.utf8.count + 4 <= body.count, "part larger than its body")
        }
    }
    return 0
}
