// The incremental HTTP/1.1 request parser (RFC 9112), strict by default.
//
// Bytes go in with `append`, events come out of `next()`. A request may arrive
// split at any byte boundary, and several pipelined requests may arrive in one
// read; `next()` yields them one at a time, in order. Once an error is
// returned the parser stays failed: the connection must answer and close,
// because after a framing error the next request's start cannot be trusted.
//
// Line endings: only CRLF ends a line. A bare LF, or a CR not followed by LF,
// is a 400 (accepting either would let two parsers on a path disagree about
// where a message ends).

/// Size limits that bound the memory a single client can make us hold.
public struct ParserLimits: Sendable, Equatable {
    public var maxRequestLineBytes = 8 * 1024
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    public var maxBodyBytes = 8 * 1024 * 1024
    /// The longest chunk-size line (size plus extensions) accepted.
    public var maxChunkLineBytes = 4 * 1024

    public init() {}
}

/// What the parser found in the bytes so far.
public enum ParseEvent: Sendable {
    /// Not enough bytes for the next step.
    case needMore
    /// The head asked for `Expect: 100-continue` and its body has not arrived;
    /// the caller should send an interim 100 response (yielded once per request).
    case expectsContinue
    /// A complete request. `remoteAddress` is left empty for the caller to fill.
    case request(Request)
    /// The request is invalid; answer with this status and close.
    case error(HTTPStatus, String)
}

public struct RequestParser: Sendable {
    private enum State: Sendable {
        case head(HeadProgress)
        case fixedBody(Head, remaining: Int)
        case chunkSize(Head)
        case chunkData(Head, remaining: Int)
        case chunkDataEnd(Head)
        case trailers(Head, bytes: Int, count: Int)
        case failed(HTTPStatus, String)
    }

    /// A parsed head waiting for its body.
    struct Head: Sendable {
        var method: String
        var target: String
        var version: HTTPVersion
        var headers: HTTPHeaders
        var expectsContinue: Bool
    }

    struct HeadProgress: Sendable {
        var requestLine: (method: String, target: String, version: HTTPVersion)?
        var headers = HTTPHeaders()
        var headerBytes = 0
    }

    public let limits: ParserLimits
    private var buffer: [UInt8] = []
    private var start = 0
    private var state: State = .head(HeadProgress())
    private var body: [UInt8] = []
    private var continueSent = false

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
        buffer.reserveCapacity(4096)
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// True while the parser has not seen any byte of the next request.
    public var isIdle: Bool {
        if case .head(let progress) = state, progress.requestLine == nil, bufferedByteCount == 0 { return true }
        return false
    }

    /// True once the head of the current request is complete and its body is being read.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        case .head, .failed: return false
        }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096, start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Advances as far as the buffered bytes allow and reports what happened.
    public mutating func next() -> ParseEvent {
        while true {
            switch state {
            case .failed(let status, let reason):
                return .error(status, reason)
            case .head(var progress):
                guard let lineEnd = findLineEnd() else {
                    if let failure = headLimitFailure(progress) { return fail(failure.0, failure.1) }
                    state = .head(progress)
                    return .needMore
                }
                let line: ArraySlice<UInt8>
                switch takeLine(upTo: lineEnd) {
                case .success(let taken): line = taken
                case .failure(let error): return fail(error.status, error.reason)
                }
                if progress.requestLine == nil {
                    if line.isEmpty { continue }  // RFC 9112 §2.2: ignore empty lines before a request.
                    guard line.count <= limits.maxRequestLineBytes else { return fail(.uriTooLong, "request line too long") }
                    switch Self.parseRequestLine(line) {
                    case .success(let parsed): progress.requestLine = parsed
                    case .failure(let error): return fail(error.status, error.reason)
                    }
                    state = .head(progress)
                    continue
                }
                if line.isEmpty {
                    switch finishHead(progress) {
                    case .failure(let error): return fail(error.status, error.reason)
                    case .success(let event): return event
                    }
                }
                progress.headerBytes += line.count + 2
                guard progress.headerBytes <= limits.maxHeaderBytes else {
                    return fail(.headerFieldsTooLarge, "header section too large")
                }
                guard progress.headers.count < limits.maxHeaderCount else {
                    return fail(.headerFieldsTooLarge, "too many header fields")
                }
                switch Self.parseField(line) {
                case .success(let field): progress.headers.add(field.0, field.1)
                case .failure(let error): return fail(error.status, error.reason)
                }
                state = .head(progress)
            case .fixedBody(let head, let remaining):
                guard bufferedByteCount >= remaining else { return continueOrNeedMore(head) }
                body.append(contentsOf: buffer[start..<(start + remaining)])
                start += remaining
                return complete(head)
            case .chunkSize(let head):
                guard let lineEnd = findLineEnd(limit: limits.maxChunkLineBytes) else {
                    if bufferedByteCount > limits.maxChunkLineBytes { return fail(.badRequest, "chunk size line too long") }
                    return continueOrNeedMore(head)
                }
                guard lineEnd - start <= limits.maxChunkLineBytes else { return fail(.badRequest, "chunk size line too long") }
                let line: ArraySlice<UInt8>
                switch takeLine(upTo: lineEnd) {
                case .success(let taken): line = taken
                case .failure(let error): return fail(error.status, error.reason)
                }
                switch Self.parseChunkSize(line) {
                case .failure(let error): return fail(error.status, error.reason)
                case .success(0): state = .trailers(head, bytes: 0, count: 0)
                case .success(let size):
                    guard size <= limits.maxBodyBytes - body.count else {
                        return fail(.contentTooLarge, "body larger than \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(head, remaining: size)
                }
            case .chunkData(let head, let remaining):
                let available = min(remaining, bufferedByteCount)
                guard available > 0 else { return continueOrNeedMore(head) }
                body.append(contentsOf: buffer[start..<(start + available)])
                start += available
                state = available == remaining ? .chunkDataEnd(head) : .chunkData(head, remaining: remaining - available)
            case .chunkDataEnd(let head):
                guard bufferedByteCount >= 2 else {
                    if bufferedByteCount == 1, buffer[start] != UInt8(ascii: "\r") {
                        return fail(.badRequest, "chunk data not followed by CRLF")
                    }
                    return .needMore
                }
                guard buffer[start] == UInt8(ascii: "\r"), buffer[start + 1] == UInt8(ascii: "\n") else {
                    return fail(.badRequest, "chunk data not followed by CRLF")
                }
                start += 2
                state = .chunkSize(head)
            case .trailers(let head, let bytes, let count):
                guard let lineEnd = findLineEnd() else {
                    if bytes + bufferedByteCount > limits.maxHeaderBytes { return fail(.headerFieldsTooLarge, "trailer section too large") }
                    return .needMore
                }
                let line: ArraySlice<UInt8>
                switch takeLine(upTo: lineEnd) {
                case .success(let taken): line = taken
                case .failure(let error): return fail(error.status, error.reason)
                }
                if line.isEmpty { return complete(head) }
                // Trailers are validated like header fields, then dropped: nothing here
                // may change how the request is framed or routed.
                guard bytes + line.count + 2 <= limits.maxHeaderBytes, count < limits.maxHeaderCount else {
                    return fail(.headerFieldsTooLarge, "trailer section too large")
                }
                if case .failure(let error) = Self.parseField(line) { return fail(error.status, error.reason) }
                state = .trailers(head, bytes: bytes + line.count + 2, count: count + 1)
            }
        }
    }

    // MARK: - Steps

    private mutating func fail(_ status: HTTPStatus, _ reason: String) -> ParseEvent {
        state = .failed(status, reason)
        return .error(status, reason)
    }

    private mutating func continueOrNeedMore(_ head: Head) -> ParseEvent {
        if head.expectsContinue, !continueSent {
            continueSent = true
            return .expectsContinue
        }
        return .needMore
    }

    private mutating func complete(_ head: Head) -> ParseEvent {
        let request = Request(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body
        )
        body = []
        continueSent = false
        state = .head(HeadProgress())
        return .request(request)
    }

    /// The index of the next LF at or after `start`, if any (searching at most `limit` bytes past it).
    private func findLineEnd(limit: Int = .max) -> Int? {
        let end = limit == .max ? buffer.count : min(buffer.count, start + limit + 2)
        var index = start
        while index < end {
            if buffer[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    /// Takes the line ending at the LF at `lineEnd`, demanding CRLF and no other CR.
    private mutating func takeLine(upTo lineEnd: Int) -> Result<ArraySlice<UInt8>, ParseFailure> {
        guard lineEnd > start, buffer[lineEnd - 1] == 0x0D else {
            return .failure(ParseFailure(.badRequest, "bare LF"))
        }
        let line = buffer[start..<(lineEnd - 1)]
        if line.contains(0x0D) { return .failure(ParseFailure(.badRequest, "CR not followed by LF")) }
        start = lineEnd + 1
        return .success(line)
    }

    /// Limits on a head whose current line has not ended yet.
    private func headLimitFailure(_ progress: HeadProgress) -> (HTTPStatus, String)? {
        let pending = bufferedByteCount
        if let crIndex = buffer[start...].firstIndex(of: 0x0D), crIndex + 1 < buffer.count {
            return (.badRequest, "CR not followed by LF")
        }
        if progress.requestLine == nil {
            return pending > limits.maxRequestLineBytes + 2 ? (.uriTooLong, "request line too long") : nil
        }
        return progress.headerBytes + pending > limits.maxHeaderBytes ? (.headerFieldsTooLarge, "header section too large") : nil
    }

    private mutating func finishHead(_ progress: HeadProgress) -> Result<ParseEvent, ParseFailure> {
        guard let line = progress.requestLine else { return .failure(ParseFailure(.badRequest, "no request line")) }
        let framing: BodyFraming
        let expectsContinue: Bool
        switch HeadValidator.validate(method: line.method, version: line.version, headers: progress.headers, limits: limits) {
        case .failure(let error): return .failure(error)
        case .success(let result): (framing, expectsContinue) = result
        }
        let head = Head(
            method: line.method, target: line.target, version: line.version,
            headers: progress.headers, expectsContinue: expectsContinue
        )
        body = []
        continueSent = false
        switch framing {
        case .none:
            return .success(complete(head))
        case .length(let length):
            body.reserveCapacity(length)
            state = .fixedBody(head, remaining: length)
        case .chunked:
            state = .chunkSize(head)
        }
        return .success(next())
    }
}

/// A parse error with the status to answer.
struct ParseFailure: Error {
    let status: HTTPStatus
    let reason: String

    init(_ status: HTTPStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }
}

enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
}
