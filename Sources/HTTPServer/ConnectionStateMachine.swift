// One connection's logic as a value: an event goes in (bytes read, end of
// input, a handler's answer, write progress, the timer, a drain), the actions
// for `Connection` to perform come out, in order. It owns the request parser
// and knows every state and timer, but holds no descriptor, source or clock,
// so tests drive it without sockets.
//
// The rule that shapes the end of input: it stops reading, it never drops a
// request already received. Requests complete in the buffer are answered one
// after the other; the connection closes once nothing complete is left.

struct ConnectionStateMachine {
    enum Action {
        /// Program the timer to expire after `seconds` (replacing any deadline).
        case armTimer(TimerPurpose, seconds: Double)
        case cancelTimer
        case pauseReading
        case resumeReading
        /// Run the handler; its answer comes back as `handlerFinished`.
        case handle(Request)
        /// Queue these bytes behind any still unwritten and write.
        case write(Outgoing)
        /// A write would block: watch the descriptor for room.
        case awaitWritable
        case stopAwaitingWritable
        /// Shut our sending side; the read side stays open to drain.
        case linger
        case close
        case logParseError(HTTPStatus, String)
    }

    enum Outgoing {
        /// The interim `100 Continue`.
        case continueResponse
        case response(Response, method: String, version: HTTPVersion, keepAlive: Bool)
    }

    struct Timeouts: Equatable {
        var head: Double
        var idle: Double
        var body: Double
        var write: Double
        /// How long a lingering close waits for the peer's FIN.
        var linger = 2.0

        init(_ configuration: ServerConfiguration) {
            head = configuration.headTimeout
            idle = configuration.idleTimeout
            body = configuration.bodyTimeout
            write = configuration.writeTimeout
        }
    }

    /// Reading continues while a handler runs or a response is written
    /// (suspending and resuming a Dispatch source per request costs a wake-up
    /// of Dispatch's manager thread); bytes that arrive meanwhile wait in the
    /// parser, and reading pauses only once this much is waiting.
    static let maxBufferedWhileBusy = 64 * 1024

    private(set) var state: ConnectionState = .reading
    private(set) var input: InputState = .open
    private(set) var timer: TimerPurpose = .none
    /// Whether the descriptor is being watched for room to write.
    private(set) var awaitingWritable = false
    private var draining = false
    private var parser: RequestParser
    /// When the read that brought the first byte of the request being parsed returned (nil:
    /// none of it is buffered yet), and when the latest read returned. A pipelined request that
    /// is already buffered when its predecessor completes is dated by the latest read, the
    /// earliest instant at which its arrival is certain.
    private var requestStartedAt: ContinuousClock.Instant?
    private var lastReadAt: ContinuousClock.Instant?
    let timeouts: Timeouts

    init(configuration: ServerConfiguration) {
        parser = RequestParser(limits: configuration.limits)
        timeouts = Timeouts(configuration)
    }

    /// Whether the read source is suspended (it must be resumed before it is cancelled).
    var isReadSuspended: Bool { input != .open }

    // MARK: - Events

    mutating func start() -> [Action] {
        arm(.head)
    }

    /// Answers at once and closes (the connection cap).
    mutating func startRejecting(with response: Response) -> [Action] {
        respond(response, method: "GET", version: .http11, keepAlive: false)
    }

    /// `now`: when the read returned, which dates the requests whose first byte it brought.
    mutating func bytesRead(_ bytes: UnsafeRawBufferPointer, at now: ContinuousClock.Instant = .now) -> [Action] {
        switch state {
        case .reading:
            noteRead(at: now)
            parser.append(bytes)
            return parseBuffered(progress: true)
        case .awaitingHandler, .writing(closeAfter: false):
            noteRead(at: now)
            parser.append(bytes)
            guard input == .open, parser.bufferedByteCount > Self.maxBufferedWhileBusy else { return [] }
            input = .paused
            return [.pauseReading]
        case .writing(closeAfter: true), .lingering, .closed:
            return []  // Nothing after a final response is ever parsed.
        }
    }

    /// The peer shut its sending side: stop reading (the source would report
    /// the end forever), answer what is complete, then close.
    mutating func inputEnded() -> [Action] {
        guard state != .closed, input != .ended else { return [] }
        var actions: [Action] = input == .open ? [.pauseReading] : []
        input = .ended
        switch state {
        case .reading: actions += parseBuffered(progress: false)
        case .lingering: actions += close()
        case .awaitingHandler, .writing, .closed: break  // Closes once the answers are written.
        }
        return actions
    }

    mutating func readFailed() -> [Action] { close() }

    mutating func handlerFinished(_ response: Response) -> [Action] {
        guard case .awaitingHandler(let pending) = state else { return [] }
        // With the input over and nothing left in the buffer, this is the last answer.
        let lastAnswer = input == .ended && parser.bufferedByteCount == 0
        let keepAlive = pending.wantsKeepAlive && !draining && !lastAnswer
        return respond(response, method: pending.method, version: pending.version, keepAlive: keepAlive)
    }

    mutating func writeBlocked(progressed: Bool) -> [Action] {
        guard state != .closed else { return [] }
        var actions: [Action] = []
        if !awaitingWritable {
            awaitingWritable = true
            actions.append(.awaitWritable)
        }
        if progressed || timer != .write { actions += arm(.write) }
        return actions
    }

    /// Everything queued has been written.
    mutating func writeCompleted() -> [Action] {
        var actions: [Action] = []
        if awaitingWritable, state != .closed {
            awaitingWritable = false
            actions.append(.stopAwaitingWritable)
        }
        switch state {
        case .writing(closeAfter: true):
            actions += linger()
        case .writing(closeAfter: false):
            state = .reading
            actions += disarm()
            if draining, parser.isIdle { return actions + close() }
            if input == .paused {
                input = .open
                actions.append(.resumeReading)
            }
            actions += parseBuffered(progress: false)
        case .reading:
            // The interim 100 went out; the body's timer takes over from the write's.
            if timer == .write { actions += updateReadTimer(progress: true) }
        case .awaitingHandler, .lingering, .closed:
            break
        }
        return actions
    }

    mutating func writeFailed() -> [Action] { close() }

    /// The timer reached the deadline of the purpose it was last armed for.
    mutating func timerExpired() -> [Action] {
        let purpose = timer
        timer = .none
        switch purpose {
        case .none:
            return []
        case .idle, .write, .linger:
            return close()
        case .head, .body:
            guard state == .reading else { return [] }
            if purpose == .head, parser.isIdle { return close() }  // Nothing was sent at all: no one to tell.
            let problem = Problem(.requestTimeout, detail: "The request did not arrive in time.")
            return [.logParseError(.requestTimeout, "timed out")]
                + respond(problem.response, method: "GET", version: .http11, keepAlive: false)
        }
    }

    /// Shutdown: close now if idle, else after the current response.
    mutating func drain() -> [Action] {
        draining = true
        return state == .reading && parser.isIdle ? close() : []
    }

    mutating func forceClose() -> [Action] { close() }

    // MARK: - Steps

    /// Parses as many requests as are buffered, stopping at the first that
    /// goes to a handler (answers stay in request order).
    private mutating func parseBuffered(progress: Bool) -> [Action] {
        var actions: [Action] = []
        while state == .reading {
            switch parser.next() {
            case .needMore:
                // A request that is still incomplete when the input is over never will be.
                if input == .ended { return actions + close() }
                return actions + updateReadTimer(progress: progress)
            case .expectsContinue:
                if input != .ended { actions.append(.write(.continueResponse)) }
            case .request(var request):
                if let started = requestStartedAt ?? lastReadAt { request.receivedAt = started }
                requestStartedAt = parser.bufferedByteCount > 0 ? lastReadAt : nil
                state = .awaitingHandler(PendingAnswer(request))
                return actions + disarm() + [.handle(request)]
            case .error(let status, let reason):
                let problem = Problem(status, detail: "The request could not be parsed: \(reason).")
                actions.append(.logParseError(status, reason))
                return actions + respond(problem.response, method: "GET", version: .http11, keepAlive: false)
            }
        }
        return actions
    }

    private mutating func noteRead(at now: ContinuousClock.Instant) {
        lastReadAt = now
        if requestStartedAt == nil { requestStartedAt = now }
    }

    private mutating func updateReadTimer(progress: Bool) -> [Action] {
        if parser.isReadingBody {
            if progress || timer != .body { return arm(.body) }
        } else if parser.isIdle {
            if timer != .idle, timer != .head { return arm(.idle) }
        } else if timer != .head {
            return arm(.head)
        }
        return []
    }

    private mutating func respond(_ response: Response, method: String, version: HTTPVersion, keepAlive: Bool) -> [Action] {
        state = .writing(closeAfter: !keepAlive)
        return disarm() + [.write(.response(response, method: method, version: version, keepAlive: keepAlive))]
    }

    private mutating func linger() -> [Action] {
        state = .lingering
        // The peer has shut its side already: there is nothing to drain.
        if input == .ended { return [.linger] + close() }
        var actions: [Action] = [.linger]
        if input == .paused {
            input = .open
            actions.append(.resumeReading)
        }
        return actions + arm(.linger)
    }

    private mutating func close() -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        timer = .none
        return [.close]
    }

    private mutating func arm(_ purpose: TimerPurpose) -> [Action] {
        guard purpose != .none else { return disarm() }
        timer = purpose
        let seconds: Double
        switch purpose {
        case .none: seconds = 0
        case .idle: seconds = timeouts.idle
        case .head: seconds = timeouts.head
        case .body: seconds = timeouts.body
        case .write: seconds = timeouts.write
        case .linger: seconds = timeouts.linger
        }
        return [.armTimer(purpose, seconds: seconds)]
    }

    private mutating func disarm() -> [Action] {
        guard timer != .none else { return [] }
        timer = .none
        return [.cancelTimer]
    }
}
