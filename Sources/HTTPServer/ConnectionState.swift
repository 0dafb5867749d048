// The states of one connection and what its single timer is currently guarding.

enum ConnectionState: Equatable {
    /// Reading (and parsing) the next request; the parser knows whether it is
    /// idle, inside a head or inside a body.
    case reading
    /// A handler task owns the current request; reading is paused, so
    /// pipelined requests wait in the parser's buffer and are answered in order.
    case awaitingHandler
    /// Writing a response; afterwards either back to `.reading` or closed.
    case writing(closeAfter: Bool)
    /// Our side is shut for writing after a final response; unread input is
    /// drained briefly so the peer sees the response rather than a reset.
    case lingering
    case closed
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
