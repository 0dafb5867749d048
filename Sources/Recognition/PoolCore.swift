import Foundation
import NeuralNetwork

/// The pool's shared state and its threads' loops.
///
/// `condition` guards every `var` below and every `PendingRequest` field.
/// Workers sleep on it while the queue is empty; the reaper sleeps on it
/// until the oldest queued glyph's deadline. No caller code ever runs while
/// the lock is held: continuations are collected and resumed after unlock.
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
    var busyWorkers = 0
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
    }

    /// Whether new work is taken.
    var accepting: Bool { lifecycle <= .ready }
    var stopping: Bool { lifecycle == .stopping }
    /// Ready: warmed up and not shutting down. Setting it only leaves
    /// `.warmingUp`: a warm-up that ends after shutdown began changes nothing.
    var ready: Bool {
        get { lifecycle == .ready }
        set { if newValue { advance(to: .ready) } }
    }

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
        let session = InferenceSession(model: model, maxBatch: configuration.maxBatch)
        let inputSize = model.inputSize, classes = model.classes.count
        var inputs = [Float](repeating: 0, count: configuration.maxBatch * inputSize)
        var logits = [Float](repeating: 0, count: configuration.maxBatch * classes)
        var batch: [QueueItem] = []
        batch.reserveCapacity(configuration.maxBatch)
        let clock = ContinuousClock()

        condition.lock()
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping { break }
            var resumptions: [Resumption] = []
            takeBatch(into: &batch, resumptions: &resumptions, clock: clock)
            if batch.isEmpty {
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

            for (slot, item) in batch.enumerated() {
                inputs.withUnsafeMutableBufferPointer { destination in
                    item.request.inputs[item.index].withUnsafeBufferPointer { source in
                        guard let d = destination.baseAddress, let s = source.baseAddress else { return }
                        (d + slot * inputSize).update(from: s, count: inputSize)
                    }
                }
            }
            let start = clock.now
            let count = batch.count
            inputs.withUnsafeBufferPointer { i in
                logits.withUnsafeMutableBufferPointer { o in
                    // Sizes are fixed by construction (count ≤ maxBatch, buffers sized for maxBatch).
                    try? session.run(inputs: UnsafeBufferPointer(rebasing: i[0 ..< count * inputSize]), count: count,
                                     logits: UnsafeMutableBufferPointer(rebasing: o[0 ..< count * classes]))
                }
            }
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
                request.logits[item.index] = Array(logits[slot * classes ..< (slot + 1) * classes])
                request.remaining -= 1
                if request.remaining == 0, let first = request.firstStart {
                    let result = PoolResult(logits: request.logits, queueWait: first - request.enqueued,
                                            inference: end - first)
                    if let resumption = request.finish(.success(result)) { resumptions.append(resumption) }
                }
            }
            batch.removeAll(keepingCapacity: true)
            if stopping && queue.isEmpty { condition.broadcast() }  // a draining shutdown may be waiting
            condition.unlock()
            runResumptions(resumptions)
            condition.lock()
        }
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
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
