import Foundation
import NeuralNetwork

/// The pool's shared state and its threads' loops.
///
/// `condition` guards every `var` below and every `PendingRequest` field.
/// Workers sleep on it while the queue is empty; the reaper sleeps on it
/// until the oldest queued glyph's deadline. No caller code ever runs while
/// the lock is held: continuations are collected and resumed after unlock.
///
/// A batch runs in an `Arena` (a session and its buffers), one per worker. A
/// worker needs one to run a batch; so does a caller that runs its own request
/// (`runAlone`): when nothing is queued or running, a request of up to
/// `maxBatch` glyphs runs at once on the caller's thread, which is awake already,
/// instead of waking a worker and then being woken by it (two thread hand-offs,
/// most of a lone request's time outside the engine). The arenas bound how many
/// batches run at once, wherever they run, to `workers`.
final class PoolCore: @unchecked Sendable {
    let model: Model
    let configuration: PoolConfiguration
    let metrics = PoolMetrics()
    let condition = NSCondition()

    /// Where the pool is in its life; it only ever moves forward, in this order.
    enum Lifecycle: Comparable {
        /// Taking work; not yet reported ready (the warm-up inference has not passed).
        case warmingUp
        case ready
        /// Shutdown began: no new work; workers finish what is queued.
        case draining
        /// Threads are told to exit once the queue is empty.
        case stopping
    }

    var queue: RingQueue
    private(set) var lifecycle: Lifecycle = .warmingUp
    /// Arenas not in use; whoever takes one owns it until it is put back.
    private var arenas: [Arena]
    /// Batches running now, on a worker or on a caller's thread.
    var busyWorkers = 0
    /// Batches run on their caller's thread (`runAlone`).
    var callerBatches = 0
    /// How many requests in a row found the pool idle (`runAlone`).
    private var idleArrivals = 0
    /// Callers run their own batch only once this many requests in a row found the pool idle:
    /// a request alone now but among others a moment ago is part of a load (`runAlone`).
    static let idleArrivalsBeforeCallerRuns = 8
    var liveThreads = 0
    var acceptedGlyphs = 0
    var completedGlyphs = 0
    var batches = 0
    var largestBatch = 0
    var rejectedOverloaded = 0
    var rejectedDeadline = 0
    var rejectedShuttingDown = 0

    init(model: Model, configuration: PoolConfiguration) {
        self.model = model
        self.configuration = configuration
        self.queue = RingQueue(capacity: configuration.queueDepth)
        self.arenas = (0 ..< configuration.workers).map { _ in Arena(model: model, maxBatch: configuration.maxBatch) }
    }

    /// Whether new work is taken.
    var accepting: Bool { lifecycle <= .ready }
    var stopping: Bool { lifecycle == .stopping }
    /// Ready: warmed up and not shutting down (so also accepting).
    var ready: Bool { lifecycle == .ready }

    /// The warm-up is done. It only leaves `.warmingUp`: a warm-up that ends after shutdown
    /// began changes nothing.
    func markReady() { advance(to: .ready) }

    private func advance(to next: Lifecycle) {
        if lifecycle < next { lifecycle = next }
    }

    func start() {
        condition.lock()
        liveThreads = configuration.workers + 1
        condition.unlock()
        for index in 0 ..< configuration.workers {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "inference-\(index)"
            thread.start()
        }
        let reaper = Thread { [self] in reaperLoop() }
        reaper.name = "inference-deadlines"
        reaper.start()
    }

    // MARK: Shutdown steps (synchronous so that the lock is never held across an await)

    func stopAccepting() {
        condition.lock()
        advance(to: .draining)
        condition.unlock()
    }

    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.isEmpty && busyWorkers == 0
    }

    var liveThreadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return liveThreads
    }

    /// Fails whatever is still queued and tells every thread to exit.
    func abandonQueuedAndStop() -> [Resumption] {
        var resumptions: [Resumption] = []
        condition.lock()
        while let item = queue.popFirst() {
            if let resumption = item.request.finish(.failure(.shuttingDown)) {
                rejectedShuttingDown += 1
                metrics.rejectedShuttingDown.increment()
                resumptions.append(resumption)
            }
        }
        advance(to: .stopping)
        condition.broadcast()
        condition.unlock()
        return resumptions
    }

    // MARK: Workers

    private func workerLoop() {
        var batch: [QueueItem] = []
        batch.reserveCapacity(configuration.maxBatch)
        let clock = ContinuousClock()

        condition.lock()
        while true {
            while (queue.isEmpty || arenas.isEmpty) && !stopping { condition.wait() }
            if queue.isEmpty && stopping { break }
            guard let arena = arenas.popLast() else {
                condition.wait()  // Stopping, with work left, while callers hold every arena.
                continue
            }
            var resumptions: [Resumption] = []
            takeBatch(into: &batch, resumptions: &resumptions, clock: clock)
            if batch.isEmpty {
                arenas.append(arena)
                condition.unlock()
                runResumptions(resumptions)
                condition.lock()
                continue
            }
            busyWorkers += 1
            metrics.queueDepth.record(queue.count)
            condition.unlock()
            runResumptions(resumptions)
            resumptions.removeAll()  // each continuation is resumed exactly once

            for (slot, item) in batch.enumerated() { arena.load(item.request.inputs[item.index], into: slot) }
            let start = clock.now
            let count = batch.count
            arena.run(count: count)
            let end = clock.now
            metrics.inference.recordNanoseconds((end - start).nanoseconds)
            metrics.batchSize.record(count)

            condition.lock()
            busyWorkers -= 1
            batches += 1
            largestBatch = max(largestBatch, count)
            completedGlyphs += count
            for (slot, item) in batch.enumerated() {
                let request = item.request
                request.logits[item.index] = arena.logits(ofSlot: slot)
                request.remaining -= 1
                if request.remaining == 0, let first = request.firstStart {
                    let result = PoolResult(outputs: request.logits, classCount: model.classes.count,
                                            queueWait: first - request.enqueued, inference: end - first)
                    if let resumption = request.finish(.success(result)) { resumptions.append(resumption) }
                }
            }
            batch.removeAll(keepingCapacity: true)
            arenas.append(arena)
            if stopping && queue.isEmpty { condition.broadcast() }  // a draining shutdown may be waiting
            condition.unlock()
            runResumptions(resumptions)
            condition.lock()
        }
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
    }

    // MARK: A lone request on its caller's thread

    /// Runs `inputs` at once on the calling thread when the request is alone: nothing is
    /// queued (so the queue's order is kept) and no batch is running, nor was when each of the
    /// last `idleArrivalsBeforeCallerRuns` requests came; the request fits one batch,
    /// `callerRuns` is on and no batch delay is configured (a delay asks for requests to be
    /// grouped). Returns nil, having done nothing, otherwise. Only alone: under load the
    /// callers are the threads that read and answer every connection, and a batch run on one
    /// of them holds up the answers of the batches the workers finish meanwhile. Running
    /// whenever an arena was free doubled the median latency at 64 connections; whenever the
    /// pool was idle still cost a third of the throughput at 8 (bench/README.md, "Latency").
    func runAlone(_ inputs: [[Float]]) -> PoolResult? {
        guard configuration.callerRuns, configuration.maxBatchDelay == .zero, inputs.count <= configuration.maxBatch else {
            return nil
        }
        condition.lock()
        guard queue.isEmpty, busyWorkers == 0 else {
            idleArrivals = 0
            condition.unlock()
            return nil
        }
        idleArrivals = min(idleArrivals + 1, Self.idleArrivalsBeforeCallerRuns)
        guard accepting, idleArrivals >= Self.idleArrivalsBeforeCallerRuns, let arena = arenas.popLast() else {
            condition.unlock()
            return nil
        }
        acceptedGlyphs += inputs.count
        busyWorkers += 1
        condition.unlock()

        // Timed as a worker's batch is: from before the inputs are loaded, and no queue wait.
        let clock = ContinuousClock()
        let start = clock.now
        for (slot, input) in inputs.enumerated() { arena.load(input, into: slot) }
        let loaded = clock.now
        arena.run(count: inputs.count)
        let end = clock.now
        let logits = (0 ..< inputs.count).map { arena.logits(ofSlot: $0) }
        metrics.queueWait.recordNanoseconds(0)
        metrics.inference.recordNanoseconds((end - loaded).nanoseconds)
        metrics.batchSize.record(inputs.count)

        condition.lock()
        arenas.append(arena)
        busyWorkers -= 1
        batches += 1
        callerBatches += 1
        largestBatch = max(largestBatch, inputs.count)
        completedGlyphs += inputs.count
        // A worker may be waiting for this arena, or a shutdown for the pool to be idle.
        if !queue.isEmpty || lifecycle >= .draining { condition.broadcast() }
        condition.unlock()
        return PoolResult(outputs: logits, classCount: model.classes.count, queueWait: .zero, inference: end - start)
    }

    /// Called with the lock held. Takes up to `maxBatch` live glyphs; if the
    /// batch is short and a delay is configured, waits (releasing the lock)
    /// until the delay since the first glyph passes or the batch is full.
    private func takeBatch(into batch: inout [QueueItem], resumptions: inout [Resumption], clock: ContinuousClock) {
        let maxBatch = configuration.maxBatch
        let now = clock.now
        drain(upTo: maxBatch, into: &batch, resumptions: &resumptions, now: now)
        guard configuration.maxBatchDelay > .zero, !batch.isEmpty, batch.count < maxBatch else { return }
        let until = now + configuration.maxBatchDelay
        let wallDeadline = Date(timeIntervalSinceNow: Double(configuration.maxBatchDelay.nanoseconds) / 1e9)
        while batch.count < maxBatch && !stopping && clock.now < until {
            if queue.isEmpty && !condition.wait(until: wallDeadline) { break }
            drain(upTo: maxBatch, into: &batch, resumptions: &resumptions, now: clock.now)
        }
    }

    private func drain(upTo maxBatch: Int, into batch: inout [QueueItem], resumptions: inout [Resumption], now: ContinuousClock.Instant) {
        while batch.count < maxBatch, let item = queue.popFirst() {
            let request = item.request
            if request.finished { continue }
            if now >= request.deadline {
                expire(request, resumptions: &resumptions)
                continue
            }
            if request.firstStart == nil {
                request.firstStart = now
                metrics.queueWait.recordNanoseconds((now - request.enqueued).nanoseconds)
            }
            batch.append(item)
        }
    }

    private func expire(_ request: PendingRequest, resumptions: inout [Resumption]) {
        if let resumption = request.finish(.failure(.deadlineExceeded)) {
            rejectedDeadline += 1
            metrics.rejectedDeadline.increment()
            resumptions.append(resumption)
        }
    }

    private func runResumptions(_ resumptions: [Resumption]) {
        for resumption in resumptions { resumption.resume() }
    }

    // MARK: Deadlines

    /// Fails queued requests whose deadline passes even when every worker is
    /// busy (a worker only checks deadlines when it dequeues). The queue is
    /// FIFO with one deadline for all, so only its head needs watching.
    private func reaperLoop() {
        let clock = ContinuousClock()
        condition.lock()
        while !(stopping && queue.isEmpty) {
            var resumptions: [Resumption] = []
            let now = clock.now
            while let head = queue.first, head.request.finished || now >= head.request.deadline {
                _ = queue.popFirst()
                if !head.request.finished { expire(head.request, resumptions: &resumptions) }
            }
            if !resumptions.isEmpty {
                metrics.queueDepth.record(queue.count)
                condition.unlock()
                runResumptions(resumptions)
                condition.lock()
                continue
            }
            if let head = queue.first {
                let wait = head.request.deadline - now
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wait.nanoseconds) / 1e9 + 0.0005))
            } else {
                condition.wait()
            }
        }
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
    }
}
