// The connection's state machine without sockets: drive events, read the
// actions back as short words ("handle GET /a", "write 200 close", ...).

import Testing
@testable import HTTPServer

/// A machine with distinct timeouts, so each armed timer is recognisable by its seconds too.
private func makeMachine() -> ConnectionStateMachine {
    var configuration = ServerConfiguration()
    configuration.headTimeout = 10
    configuration.idleTimeout = 15
    configuration.bodyTimeout = 30
    configuration.writeTimeout = 31
    return ConnectionStateMachine(configuration: configuration)
}

private func words(_ actions: [ConnectionStateMachine.Action]) -> [String] {
    actions.map { action in
        switch action {
        case .armTimer(let purpose, let seconds): return "arm \(purpose) \(Int(seconds))"
        case .cancelTimer: return "cancel timer"
        case .pauseReading: return "pause reading"
        case .resumeReading: return "resume reading"
        case .handle(let request): return "handle \(request.method) \(request.target)"
        case .write(.continueResponse): return "write 100"
        case .write(.response(let response, _, _, let keepAlive)):
            return "write \(response.status.code) \(keepAlive ? "keep-alive" : "close")"
        case .awaitWritable: return "await writable"
        case .stopAwaitingWritable: return "stop awaiting writable"
        case .linger: return "linger"
        case .close: return "close"
        case .logParseError(let status, _): return "log \(status.code)"
        }
    }
}

extension ConnectionStateMachine {
    mutating func read(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return words(bytes.withUnsafeBytes { bytesRead($0) })
    }

    mutating func answer(_ text: String = "ok") -> [String] { words(handlerFinished(.text(text))) }
    mutating func written() -> [String] { words(writeCompleted()) }
    mutating func blocked(progressed: Bool) -> [String] { words(writeBlocked(progressed: progressed)) }
    mutating func ended() -> [String] { words(inputEnded()) }
    mutating func expired() -> [String] { words(timerExpired()) }
}

private func get(_ path: String, _ headers: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: t\r\n\(headers)\r\n"
}

@Suite struct ConnectionStateMachineTests {
    @Test func keepAliveCycle() {
        var machine = makeMachine()
        #expect(words(machine.start()) == ["arm head 10"])
        #expect(machine.read(get("/a")) == ["cancel timer", "handle GET /a"])
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["arm idle 15"])
        #expect(machine.read(get("/b")) == ["cancel timer", "handle GET /b"])
        #expect(machine.state == .awaitingHandler(PendingAnswer(Request(method: "GET", target: "/b"))))
    }

    @Test func requestSplitAcrossReadsArmsTheHeadDeadlineOnce() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/a"))
        _ = machine.answer()
        #expect(machine.written() == ["arm idle 15"])
        #expect(machine.read("GET /b HT") == ["arm head 10"])
        #expect(machine.read("TP/1.1\r\n") == [])  // never extended: the slowloris defence
        #expect(machine.read("Host: t\r\n\r\n") == ["cancel timer", "handle GET /b"])
    }

    /// The issue's case: three requests in one read, then the end of input
    /// while the first is being handled. All three are answered, then it closes.
    @Test func pipelinedRequestsBeforeTheEndOfInputAreAllAnswered() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(machine.read(get("/1") + get("/2") + get("/3")) == ["cancel timer", "handle GET /1"])
        #expect(machine.ended() == ["pause reading"])
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["handle GET /2"])
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["handle GET /3"])
        // Nothing is left and nothing more can come: the last answer says so.
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "close"])
    }

    @Test func endOfInputWhileTheAnswerIsWrittenStillAnswersTheNext() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1") + get("/2"))
        _ = machine.answer()
        #expect(machine.blocked(progressed: true) == ["await writable", "arm write 31"])
        #expect(machine.ended() == ["pause reading"])
        #expect(machine.written() == ["stop awaiting writable", "cancel timer", "handle GET /2"])
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "close"])
    }

    @Test func chunkedPostThenGetThenEndOfInput() {
        var machine = makeMachine()
        _ = machine.start()
        let post = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        #expect(machine.read(post + get("/after")) == ["cancel timer", "handle POST /echo"])
        #expect(machine.ended() == ["pause reading"])
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["handle GET /after"])
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "close"])
    }

    @Test func endOfInputAfterTheLastAnswerCloses() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1"))
        _ = machine.answer()
        _ = machine.written()
        #expect(machine.ended() == ["pause reading", "close"])
        #expect(machine.state == .closed)
    }

    @Test func requestCutShortByTheEndOfInputIsDroppedAfterTheOthers() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(machine.read(get("/1") + "GET /2 HTTP/1.1\r\nHo") == ["cancel timer", "handle GET /1"])
        #expect(machine.ended() == ["pause reading"])
        // Bytes are left, so this need not be the last answer; the close follows once they prove incomplete.
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["close"])
    }

    @Test func endOfInputInsideAHeadCloses() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(machine.read("GET / HTTP/1.1\r\n") == [])
        #expect(machine.ended() == ["pause reading", "close"])
    }

    @Test func connectionCloseDropsWhatFollows() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1", "Connection: close\r\n") + get("/2"))
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "arm linger 2"])
        #expect(machine.read(get("/3")) == [])  // drained, never parsed
        #expect(machine.ended() == ["pause reading", "close"])
    }

    @Test func lingerEndsAtItsTimer() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1", "Connection: close\r\n"))
        _ = machine.answer()
        _ = machine.written()
        #expect(machine.expired() == ["close"])
    }

    @Test func parseErrorIsAnsweredThenTheConnectionLingers() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(machine.read("GET / HTTP/1.1\r\n\r\n") == ["log 400", "cancel timer", "write 400 close"])
        #expect(machine.written() == ["linger", "arm linger 2"])
    }

    /// A machine busy with `/1` that has then been sent about 75 KiB of further requests.
    private func pausedWhileBusy() -> ConnectionStateMachine {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1"))
        let filler = "X-Filler: " + String(repeating: "a", count: 1000) + "\r\n"
        let big = "GET /2 HTTP/1.1\r\nHost: t\r\n" + String(repeating: filler, count: 15) + "\r\n"
        var actions: [String] = []
        for _ in 0..<5 { actions += machine.read(big) }
        #expect(actions == ["pause reading"])
        return machine
    }

    @Test func manyBytesWhileBusyPauseReadingUntilTheAnswerIsWritten() {
        var machine = pausedWhileBusy()
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["resume reading", "handle GET /2"])
    }

    /// Paused for back-pressure when the input ends: the source stays suspended
    /// for good, and the requests waiting in the buffer are still answered.
    @Test func endOfInputWhilePausedStillAnswersWhatIsBuffered() {
        var machine = pausedWhileBusy()
        #expect(machine.ended() == [])
        #expect(machine.isReadSuspended)
        #expect(machine.answer() == ["write 200 keep-alive"])
        #expect(machine.written() == ["handle GET /2"])  // no "resume reading": the input is over
        for _ in 0..<4 {
            _ = machine.answer()
            _ = machine.written()
        }
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "close"])
    }

    @Test func headTimeoutAnswers408OnlyWhenSomethingWasSent() {
        var silent = makeMachine()
        _ = silent.start()
        #expect(silent.expired() == ["close"])

        var slow = makeMachine()
        _ = slow.start()
        _ = slow.read("GET / HT")
        #expect(slow.expired() == ["log 408", "write 408 close"])
    }

    @Test func bodyTimerIsExtendedByEveryBodyByte() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(machine.read("POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab") == ["arm body 30"])
        #expect(machine.read("c") == ["arm body 30"])
        #expect(machine.read("d") == ["cancel timer", "handle POST /u"])
    }

    @Test func idleTimeoutClosesSilently() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1"))
        _ = machine.answer()
        _ = machine.written()
        #expect(machine.expired() == ["close"])
    }

    @Test func writeTimerIsExtendedOnlyByProgress() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1"))
        _ = machine.answer()
        #expect(machine.blocked(progressed: false) == ["await writable", "arm write 31"])
        #expect(machine.blocked(progressed: false) == [])
        #expect(machine.blocked(progressed: true) == ["arm write 31"])
        #expect(machine.expired() == ["close"])
    }

    @Test func expectContinueGetsTheInterimAnswerOnce() {
        var machine = makeMachine()
        _ = machine.start()
        let head = "POST /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        #expect(machine.read(head) == ["write 100", "arm body 30"])
        #expect(machine.written() == [])
        #expect(machine.read("ok") == ["cancel timer", "handle POST /u"])
    }

    @Test func drainClosesAnIdleConnectionAtOnce() {
        var machine = makeMachine()
        _ = machine.start()
        #expect(words(machine.drain()) == ["close"])
        #expect(machine.read(get("/1")) == [])
    }

    @Test func drainLetsTheCurrentRequestFinishThenCloses() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read(get("/1") + get("/2"))
        #expect(words(machine.drain()) == [])
        #expect(machine.answer() == ["write 200 close"])
        #expect(machine.written() == ["linger", "arm linger 2"])
    }

    @Test func rejectionAnswersAndLingers() {
        var machine = makeMachine()
        #expect(words(machine.startRejecting(with: .text("busy", status: .serviceUnavailable))) == ["write 503 close"])
        #expect(machine.read(get("/1")) == [])
        #expect(machine.written() == ["linger", "arm linger 2"])
    }

    @Test func http10WithoutKeepAliveCloses() {
        var machine = makeMachine()
        _ = machine.start()
        _ = machine.read("GET / HTTP/1.0\r\n\r\n")
        #expect(machine.answer() == ["write 200 close"])
    }

    @Test func eventsAfterCloseDoNothing() {
        var machine = makeMachine()
        _ = machine.start()
        _ = words(machine.forceClose())
        #expect(machine.read(get("/1")) == [])
        #expect(machine.ended() == [])
        #expect(machine.answer() == [])
        #expect(machine.written() == [])
        #expect(machine.expired() == [])
        #expect(words(machine.forceClose()) == [])
    }

    /// `Request.receivedAt` is the instant of the read that brought the request's first byte,
    /// so a handler can count reading and parsing; a pipelined request already buffered is
    /// dated by the read that brought it.
    @Test func requestsAreDatedByTheReadThatBroughtTheirFirstByte() {
        func handled(_ actions: [ConnectionStateMachine.Action]) -> Request? {
            for case .handle(let request) in actions { return request }
            return nil
        }
        func read(_ machine: inout ConnectionStateMachine, _ text: String, at instant: ContinuousClock.Instant) -> Request? {
            handled(Array(text.utf8).withUnsafeBytes { machine.bytesRead($0, at: instant) })
        }
        var machine = makeMachine()
        _ = machine.start()
        let first = ContinuousClock.now, second = first + .milliseconds(5), third = first + .milliseconds(9)
        #expect(read(&machine, "GET /a HTTP/1.1\r\nHo", at: first) == nil)
        let a = read(&machine, "st: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n", at: second)
        #expect(a?.target == "/a")
        #expect(a?.receivedAt == first)
        _ = machine.answer()
        let b = handled(machine.writeCompleted())
        #expect(b?.target == "/b")
        #expect(b?.receivedAt == second)
        _ = machine.answer()
        _ = machine.written()
        let c = read(&machine, get("/c"), at: third)
        #expect(c?.receivedAt == third)
    }
}
