// One client connection: the I/O that performs what its state machine
// (`ConnectionStateMachine.swift`) decides, driven by Dispatch sources on the
// connection's own serial queue. Every decision is the machine's; this file
// reads, writes, suspends and resumes sources, programs the timer and closes.
//
// Ownership: every mutable property is touched only by blocks running on
// `queue` (source handlers, the timer, and a handler task's answer, sent to the
// queue or run on it with `queue.sync`), which is why the class can be
// `@unchecked Sendable`.

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class Connection: @unchecked Sendable {
    typealias Action = ConnectionStateMachine.Action

    let id: Int
    let fd: Int32
    let remoteAddress: String
    let queue: DispatchQueue
    private let context: ServerContext

    private var machine: ConnectionStateMachine
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var timer: (any DispatchSourceTimer)?
    /// When the armed timer expires, and when the Dispatch timer is set to
    /// fire (nil: not set). Re-programming a Dispatch timer costs a wake-up of
    /// Dispatch's timer thread, so a later deadline only moves `deadline`;
    /// an early firing re-schedules itself once.
    private var deadline: DispatchTime = .distantFuture
    private var scheduledFire: DispatchTime?
    /// Output not yet accepted by the kernel; `pendingOffset` bytes of the first buffer are gone.
    private var pending: [[UInt8]] = []
    private var pendingOffset = 0
    /// Sources not yet cancelled; the descriptor closes when none is left.
    private var openSources = 0

    init(id: Int, fd: Int32, remoteAddress: String, context: ServerContext) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.context = context
        self.queue = DispatchQueue(label: "http.connection", target: context.ioQueue)
        self.machine = ConnectionStateMachine(configuration: context.configuration)
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
                perform(machine.startRejecting(with: rejection))
            } else {
                perform(machine.start())
            }
        }
    }

    /// Shutdown: close now if idle, else after the current response.
    func beginDrain() {
        queue.async { [self] in perform(machine.drain()) }
    }

    func forceClose() {
        queue.async { [self] in perform(machine.forceClose()) }
    }

    // MARK: - Performing actions

    /// Performs `actions` in order; bytes to write are queued and flushed once
    /// at the end, so the events a write produces never interleave with a list
    /// still being performed.
    private func perform(_ actions: [Action]) {
        var wrote = false
        for action in actions {
            switch action {
            case .armTimer(_, let seconds): arm(seconds)
            case .cancelTimer: deadline = .distantFuture
            case .pauseReading: readSource?.suspend()
            case .resumeReading: readSource?.resume()
            case .handle(let request): handle(request)
            case .write(let outgoing):
                enqueue(outgoing)
                wrote = true
            case .awaitWritable: watchWritable()
            case .stopAwaitingWritable: writeSource?.suspend()
            case .linger: shutdown(fd, Int32(SHUT_WR))
            case .close: close()
            case .logParseError(let status, let reason):
                context.logParseError(status: status, reason: reason, remoteAddress: remoteAddress)
            }
        }
        if wrote { flush() }
    }

    /// Runs the handler at once, on this queue, up to its first suspension: a handler that
    /// never suspends (`/healthz`, static files) costs no thread hop. A route that offloads
    /// (recognition, whose decoding can take milliseconds) starts its task elsewhere and its
    /// answer comes back with `queue.async`. The answer is performed in a new block on this
    /// queue, which runs right after the current one, so performing never nests. A handler
    /// that did suspend finishes on some other thread and writes from there
    /// (`queue.sync` runs on the calling thread while the queue is idle, as it is while a
    /// handler runs, apart from reads), instead of waking a thread for the queue.
    private func handle(_ request: Request) {
        var request = request
        request.remoteAddress = remoteAddress
        let context = self.context
        if context.router.offloads(request) {
            Task {
                let response = await context.respond(to: request)
                self.queue.async { self.perform(self.machine.handlerFinished(response)) }
            }
            return
        }
        let window = SynchronousWindow()
        Task.immediate {
            let response = await context.respond(to: request)
            if window.isOpen {
                self.queue.async { self.perform(self.machine.handlerFinished(response)) }
            } else {
                self.queue.sync { self.perform(self.machine.handlerFinished(response)) }
            }
        }
        window.close()
    }

    // MARK: - Reading

    private func readAvailable() {
        guard machine.state != .closed else { return }
        let now = ContinuousClock.now
        let actions = withUnsafeTemporaryAllocation(byteCount: 32 * 1024, alignment: 16) { buffer -> [Action] in
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count > 0 { return machine.bytesRead(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: now) }
                if count == 0 { return machine.inputEnded() }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return [] }
                return machine.readFailed()
            }
        }
        perform(actions)
    }

    // MARK: - Writing

    private func enqueue(_ outgoing: ConnectionStateMachine.Outgoing) {
        switch outgoing {
        case .continueResponse:
            pending.append(ResponseSerializer.continueBytes)
        case .response(let response, let method, let version, let keepAlive):
            pending.append(ResponseSerializer.head(
                for: response, requestMethod: method, requestVersion: version,
                keepAlive: keepAlive, serverName: context.configuration.serverName
            ))
            if ResponseSerializer.sendsBody(response, requestMethod: method), !response.body.isEmpty {
                pending.append(response.body)
            }
        }
    }

    private func flush() {
        guard machine.state != .closed else { return }
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
                perform(machine.writeBlocked(progressed: progressed))
                return
            }
            perform(machine.writeFailed())
            return
        }
        perform(machine.writeCompleted())
    }

    /// One `writev` over the first two pending buffers (head and body), so a
    /// body is never copied just to be sent with its head.
    private func writePending() -> Int {
        let offset = pendingOffset
        return pending[0].withUnsafeBytes { first -> Int in
            let firstBase = UnsafeMutableRawPointer(mutating: first.baseAddress.map { $0 + offset })
            guard pending.count > 1 else { return write(fd, firstBase, first.count - offset) }
            return pending[1].withUnsafeBytes { second -> Int in
                var vectors = [
                    iovec(iov_base: firstBase, iov_len: first.count - offset),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
                ]
                return writev(fd, &vectors, 2)
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

    /// The write source is made on the first write that blocks (most
    /// connections never need one) and starts suspended.
    private func watchWritable() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in flush() }
            source.setCancelHandler { [self] in sourceCancelled() }
            openSources += 1
            writeSource = source
        }
        writeSource?.resume()
    }

    // MARK: - Closing

    /// Cancels every source; a suspended source must be resumed first or its
    /// cancel handler, which closes the descriptor, would never run.
    private func close() {
        pending = []
        timer?.cancel()
        if let writeSource {
            if !machine.awaitingWritable { writeSource.resume() }
            writeSource.cancel()
        }
        if let readSource {
            if machine.isReadSuspended { readSource.resume() }
            readSource.cancel()
        }
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

    // MARK: - The timer

    private func arm(_ seconds: Double) {
        deadline = .now() + seconds
        if let scheduledFire, scheduledFire <= deadline { return }
        scheduledFire = deadline
        timer?.schedule(deadline: deadline, leeway: .milliseconds(20))
    }

    private func timerFired() {
        scheduledFire = nil
        guard deadline != .distantFuture else { return }
        if DispatchTime.now() < deadline {
            scheduledFire = deadline
            timer?.schedule(deadline: deadline, leeway: .milliseconds(20))
            return
        }
        deadline = .distantFuture
        perform(machine.timerExpired())
    }
}

/// Whether `Connection.handle` is still running the handler it started: until it closes the
/// window, a finished handler may be on the connection's own queue, where `queue.sync`
/// would deadlock. After that, the handler's task runs on some other thread.
private final class SynchronousWindow: Sendable {
    private let open = Mutex(true)

    var isOpen: Bool { open.withLock { $0 } }
    func close() { open.withLock { $0 = false } }
}
