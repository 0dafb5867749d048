// Fuzz target for `RequestParser`: arbitrary bytes as one read, and the same bytes split in
// two reads at a boundary taken from the first byte. Must never crash, and both feeds must
// produce the same requests and the same final error, because the parser promises that where
// a read ends cannot change what it parses. Never touches sockets or the file system.
import HTTPServer

/// One observable outcome; `expectsContinue` and `needMore` are left out because they depend
/// on where the reads end, which is allowed.
enum Outcome: Equatable {
    case request(method: String, target: String, body: [UInt8])
    case error(Int)
}

/// Small limits so that every limit check is reachable from short inputs.
let limits: ParserLimits = {
    var limits = ParserLimits()
    limits.maxRequestLineBytes = 512
    limits.maxHeaderBytes = 1024
    limits.maxHeaderCount = 16
    limits.maxBodyBytes = 4096
    limits.maxChunkLineBytes = 64
    return limits
}()

/// Drains every event the buffered bytes allow, checking each parsed request on the way.
/// Returns false once the parser has failed (it then stays failed).
func drain(_ parser: inout RequestParser, into outcomes: inout [Outcome]) -> Bool {
    while true {
        switch parser.next() {
        case .needMore:
            return true
        case .expectsContinue:
            continue
        case .error(let status, _):
            precondition((400..<600).contains(status.code), "error with a non-error status \(status.code)")
            outcomes.append(.error(status.code))
            return false
        case .request(let request):
            check(request)
            outcomes.append(.request(method: request.method, target: request.target, body: request.body))
        }
    }
}

/// Invariants of a request the parser accepted.
func check(_ request: Request) {
    precondition(!request.method.isEmpty, "empty method")
    precondition(!request.target.isEmpty, "empty target")
    precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
    let chunked = request.headers.contains("Transfer-Encoding")
    if !chunked, let length = request.headers["Content-Length"] {
        // Repeated or listed values must all agree, so the first one is the length.
        let first = length.split(separator: ",").first.map { String($0).filter { $0 != " " && $0 != "\t" } }
        precondition(first.flatMap { Int($0) } == request.body.count, "body length differs from Content-Length")
    }
    if !chunked, !request.headers.contains("Content-Length") {
        precondition(request.body.isEmpty, "body without framing")
    }
}

func parse(_ bytes: UnsafeBufferPointer<UInt8>, splitAt split: Int?) -> [Outcome] {
    var parser = RequestParser(limits: limits)
    var outcomes: [Outcome] = []
    if let split {
        parser.append(UnsafeBufferPointer(rebasing: bytes[..<split]))
        guard drain(&parser, into: &outcomes) else { return outcomes }
        parser.append(UnsafeBufferPointer(rebasing: bytes[split...]))
    } else {
        parser.append(bytes)
    }
    _ = drain(&parser, into: &outcomes)
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let split = input.isEmpty ? 0 : Int(data[0]) % (input.count + 1)
    let whole = parse(input, splitAt: nil)
    let pieces = parse(input, splitAt: split)
    precondition(whole == pieces, "split at \(split) changed the outcome: \(whole) vs \(pieces)")
    return 0
}
