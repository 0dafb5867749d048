// The values `ConnectionStateMachine` is made of: where the connection is in
// its request/response cycle, what its read side is doing, and what its
// single timer is currently guarding.

enum ConnectionState: Equatable {
    /// Reading (and parsing) the next request; the parser knows whether it is
    /// idle, inside a head or inside a body.
    case reading
    /// A handler task owns the current request. Reading goes on, so an end of
    /// input is seen early; pipelined requests wait in the parser's buffer and
    /// are answered in order.
    case awaitingHandler(PendingAnswer)
    /// Writing a response; afterwards either back to `.reading` or lingering.
    case writing(closeAfter: Bool)
    /// Our side is shut for writing after a final response; unread input is
    /// drained briefly so the peer sees the response rather than a reset.
    case lingering
    case closed
}

/// What the answer to the request a handler is working on must say about the
/// connection, decided only once the handler is done: the input may end or a
/// drain may begin meanwhile.
struct PendingAnswer: Equatable {
    var method: String
    var version: HTTPVersion
    var wantsKeepAlive: Bool

    init(_ request: Request) {
        method = request.method
        version = request.version
        wantsKeepAlive = request.wantsKeepAlive
    }
}

/// The read side. An end of input stops reading for good but cancels
/// nothing: requests already received are still answered.
enum InputState: Equatable {
    case open
    /// Too many bytes wait while a request is answered (back-pressure).
    case paused
    /// The peer shut its sending side (or the descriptor hit end of file).
    case ended
}

/// What the connection's timer means when it fires.
enum TimerPurpose: Equatable {
    case none
    /// Waiting for the first byte of the next request on a reused connection.
    case idle
    /// Waiting for the rest of a request head; a deadline from its first byte, never extended.
    case head
    /// Waiting for body bytes; extended whenever some arrive.
    case body
    /// Waiting for the peer to take response bytes; extended on progress.
    case write
    /// Bounding how long a lingering close waits for the peer's FIN.
    case linger
}
