// One client connection: a state machine driven by Dispatch sources on the
// connection's own serial queue.
//
// Ownership: every mutable property is touched only by blocks running on
// `queue` (source handlers, the timer, and the hop back from a handler task),
// which is why the class can be `@unchecked Sendable`.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class Connection: @unchecked Sendable {
    let id: Int
    let fd: Int32
    let remoteAddress: String
    let queue: DispatchQueue
    private let context: ServerContext

    private var state: ConnectionState = .reading
    private var parser: RequestParser
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var timer: (any DispatchSourceTimer)?
    private var readPaused = false
    private var writeActive = false
    private var timerPurpose: TimerPurpose = .none
    /// When the current purpose expires, and when the timer is set to fire
    /// (nil: not set). Re-programming a Dispatch timer costs a wake-up of
    /// Dispatch's timer thread, so a later deadline only moves `deadline`;
    /// an early firing re-schedules itself once.
    private var deadline: DispatchTime = .distantFuture
    private var scheduledFire: DispatchTime?
    /// Output not yet accepted by the kernel; `pendingOffset` bytes of the first buffer are gone.
    private var pending: [[UInt8]] = []
    private var pendingOffset = 0
    private var peerClosed = false
    private var draining = false
    private var openSources = 0
    private var requestsServed = 0

    init(id: Int, fd: Int32, remoteAddress: String, context: ServerContext) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.context = context
        self.queue = DispatchQueue(label: "http.connection", target: context.ioQueue)
        self.parser = RequestParser(limits: context.configuration.limits)
    }

    /// Starts reading; `rejectWith` answers at once (the connection cap) and closes.
    func start(rejectWith rejection: Response? = nil) {
        queue.async { [self] in
            let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            read.setEventHandler { [self] in readAvailable() }
            read.setCancelHandler { [self] in sourceCancelled() }
            openSources += 1
            readSource = read
            let clock = DispatchSource.makeTimerSource(queue: queue)
            clock.setEventHandler { [self] in timerFired() }
            clock.schedule(deadline: .distantFuture)
            timer = clock
            clock.resume()
            read.resume()
            if let rejection {
                send(rejection, method: "GET", version: .http11, keepAlive: false)
            } else {
                arm(.head, context.configuration.headTimeout)
            }
        }
    }

    /// Shutdown: close now if idle, else after the current response.
    func beginDrain() {
        queue.async { [self] in
            draining = true
            if state == .reading, parser.isIdle { close() }
        }
    }

    func forceClose() {
        queue.async { [self] in close() }
    }

    // MARK: - Reading

    /// Reading continues while a handler runs or a response is written
    /// (suspending and resuming a Dispatch source per request costs a wake-up
    /// of Dispatch's manager thread); bytes that arrive meanwhile wait in the
    /// parser, and reading pauses only once this much is waiting.
    private static let maxBufferedWhileBusy = 64 * 1024

    private func readAvailable() {
        guard state != .closed else { return }
        let count = withUnsafeTemporaryAllocation(byteCount: 32 * 1024, alignment: 16) { buffer -> Int in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count < 0, errno == EINTR { continue }
                if count > 0, state != .lingering {
                    parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                }
                return count
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            close()
            return
        }
        if count == 0 {
            // Level-triggered: an EOF would fire forever, so stop listening.
            peerClosed = true
            pauseReading()
            if state == .lingering || (state == .reading && parser.isIdle) { close(); return }
        }
        switch state {
        case .reading:
            processBuffered(progress: count > 0)
        case .awaitingHandler, .writing:
            if parser.bufferedByteCount > Self.maxBufferedWhileBusy { pauseReading() }
        case .lingering, .closed:
            break
        }
    }

    /// Parses as many requests as are buffered, stopping at the first that
    /// goes to a handler (answers stay in request order).
    private func processBuffered(progress: Bool) {
        while state == .reading {
            switch parser.next() {
            case .needMore:
                if peerClosed { close(); return }
                updateReadTimer(progress: progress)
                return
            case .expectsContinue:
                pending.append(ResponseSerializer.continueBytes)
                flush()
            case .request(var request):
                request.remoteAddress = remoteAddress
                beginHandling(request)
                return
            case .error(let status, let reason):
                context.logParseError(status: status, reason: reason, remoteAddress: remoteAddress)
                let problem = Problem(status, detail: "The request could not be parsed: \(reason).")
                send(problem.response, method: "GET", version: .http11, keepAlive: false)
                return
            }
        }
    }

    private func updateReadTimer(progress: Bool) {
        let timeouts = context.configuration
        if parser.isReadingBody {
            if progress || timerPurpose != .body { arm(.body, timeouts.bodyTimeout) }
        } else if parser.isIdle {
            if timerPurpose != .idle, timerPurpose != .head { arm(.idle, timeouts.idleTimeout) }
        } else if timerPurpose != .head {
            arm(.head, timeouts.headTimeout)
        }
    }

    private func beginHandling(_ request: Request) {
        state = .awaitingHandler
        arm(.none, 0)
        let context = self.context
        Task {
            let response = await context.respond(to: request)
            self.queue.async {
                guard self.state == .awaitingHandler else { return }
                let keepAlive = request.wantsKeepAlive && !self.draining && !self.peerClosed
                self.send(response, method: request.method, version: request.version, keepAlive: keepAlive)
            }
        }
    }

    // MARK: - Writing

    private func send(_ response: Response, method: String, version: HTTPVersion, keepAlive: Bool) {
        let head = ResponseSerializer.head(
            for: response, requestMethod: method, requestVersion: version,
            keepAlive: keepAlive, serverName: context.configuration.serverName
        )
        pending.append(head)
        if ResponseSerializer.sendsBody(response, requestMethod: method), !response.body.isEmpty {
            pending.append(response.body)
        }
        state = .writing(closeAfter: !keepAlive)
        flush()
    }

    private func flush() {
        var progressed = false
        while !pending.isEmpty {
            let written = writePending()
            if written > 0 {
                progressed = true
                consume(written)
                continue
            }
            if written < 0, errno == EINTR { continue }
            if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                enableWriting()
                if progressed || timerPurpose != .write { arm(.write, context.configuration.writeTimeout) }
                return
            }
            close()
            return
        }
        disableWriting()
        switch state {
        case .writing(closeAfter: true):
            linger()
        case .writing(closeAfter: false):
            state = .reading
            requestsServed += 1
            arm(.none, 0)
            if draining, parser.isIdle { close(); return }
            resumeReading()
            processBuffered(progress: false)
        case .reading:
            if timerPurpose == .write { updateReadTimer(progress: true) }
        case .awaitingHandler, .lingering, .closed:
            break
        }
    }

    /// One `writev` over the first two pending buffers (head and body), so a
    /// body is never copied just to be sent with its head.
    private func writePending() -> Int {
        let offset = pendingOffset
        return pending[0].withUnsafeBytes { first -> Int in
            let firstBase = UnsafeMutableRawPointer(mutating: first.baseAddress.map { $0 + offset })
            guard pending.count > 1 else { return Glibc.write(fd, firstBase, first.count - offset) }
            return pending[1].withUnsafeBytes { second -> Int in
                var vectors = [
                    iovec(iov_base: firstBase, iov_len: first.count - offset),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
                ]
                return Glibc.writev(fd, &vectors, 2)
            }
        }
    }

    private func consume(_ written: Int) {
        var remaining = written
        while remaining > 0, let first = pending.first {
            let left = first.count - pendingOffset
            if remaining >= left {
                remaining -= left
                pending.removeFirst()
                pendingOffset = 0
            } else {
                pendingOffset += remaining
                remaining = 0
            }
        }
    }

    // MARK: - Closing

    /// Half-close, then wait briefly for the peer's FIN so unread input does
    /// not turn into a reset that destroys the response we just sent.
    private func linger() {
        state = .lingering
        shutdown(fd, Int32(SHUT_WR))
        if peerClosed { close(); return }
        arm(.linger, 2)
        resumeReading()
    }

    private func close() {
        guard state != .closed else { return }
        state = .closed
        pending = []
        timer?.cancel()
        if let writeSource {
            if !writeActive { writeSource.resume() }
            writeSource.cancel()
        }
        if let readSource {
            if readPaused { readSource.resume() }
            readSource.cancel()
        }
        readPaused = false
        writeActive = true
    }

    /// The descriptor is closed only after every source watching it is cancelled.
    private func sourceCancelled() {
        openSources -= 1
        guard openSources == 0 else { return }
        Glibc.close(fd)
        readSource = nil
        writeSource = nil
        timer = nil
        context.registry.remove(id)
    }

    // MARK: - Sources and the timer

    private func pauseReading() {
        guard !readPaused, let readSource, state != .closed else { return }
        readSource.suspend()
        readPaused = true
    }

    private func resumeReading() {
        guard readPaused, !peerClosed, let readSource else { return }
        readSource.resume()
        readPaused = false
    }

    private func enableWriting() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in flush() }
            source.setCancelHandler { [self] in sourceCancelled() }
            openSources += 1
            writeSource = source
            writeActive = false
        }
        guard !writeActive, let writeSource else { return }
        writeSource.resume()
        writeActive = true
    }

    private func disableWriting() {
        guard writeActive, let writeSource, state != .closed else { return }
        writeSource.suspend()
        writeActive = false
    }

    private func arm(_ purpose: TimerPurpose, _ seconds: Double) {
        timerPurpose = purpose
        guard purpose != .none else {
            deadline = .distantFuture
            return
        }
        deadline = .now() + seconds
        if let scheduledFire, scheduledFire <= deadline { return }
        schedule(deadline)
    }

    private func schedule(_ time: DispatchTime) {
        scheduledFire = time
        timer?.schedule(deadline: time, leeway: .milliseconds(20))
    }

    private func timerFired() {
        scheduledFire = nil
        guard timerPurpose != .none else { return }
        if DispatchTime.now() < deadline {
            schedule(deadline)
            return
        }
        let purpose = timerPurpose
        timerPurpose = .none
        switch purpose {
        case .none:
            return
        case .idle, .write, .linger:
            close()
        case .head, .body:
            guard state == .reading else { return }
            if parser.isIdle, parser.bufferedByteCount == 0, purpose == .head {
                close()  // Nothing was sent at all: no one to tell.
                return
            }
            context.logParseError(status: .requestTimeout, reason: "timed out", remoteAddress: remoteAddress)
            let problem = Problem(.requestTimeout, detail: "The request did not arrive in time.")
            send(problem.response, method: "GET", version: .http11, keepAlive: false)
        }
    }
}
