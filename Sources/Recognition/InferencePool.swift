import Foundation
import NeuralNetwork

/// Runs a model on a fixed set of worker threads with dynamic batching.
///
/// Callers `await classify`; their glyphs join a bounded FIFO queue (a full
/// queue is an immediate `.overloaded`, never growth), a worker takes up to
/// `maxBatch` queued glyphs (optionally waiting `maxBatchDelay` for more),
/// runs them as one batch in an `InferenceSession`, and resumes each
/// caller with its own results in order. Glyphs still queued at their
/// deadline fail with `.deadlineExceeded`. A request that finds the pool
/// idle runs at once on its caller's thread, without suspending
/// (`PoolCore.runAlone`).
public final class InferencePool: Sendable {
    public let model: Model
    public let configuration: PoolConfiguration
    private let core: PoolCore

    public init(model: Model, configuration: PoolConfiguration = PoolConfiguration()) throws(PoolError) {
        guard configuration.workers > 0 else { throw .invalidInput("workers must be positive") }
        guard configuration.queueDepth > 0 else { throw .invalidInput("queueDepth must be positive") }
        guard configuration.maxBatch > 0 else { throw .invalidInput("maxBatch must be positive") }
        guard configuration.maxBatchDelay >= .zero else { throw .invalidInput("maxBatchDelay must not be negative") }
        guard configuration.deadline > .zero else { throw .invalidInput("deadline must be positive") }
        self.model = model
        self.configuration = configuration
        core = PoolCore(model: model, configuration: configuration)
        core.start()
    }

    /// Classifies normalized inputs (each `model.inputSize` floats); returns
    /// per-glyph logits in the order given, plus queue and inference times.
    public func classify(_ inputs: [[Float]]) async throws(PoolError) -> PoolResult {
        let inputSize = model.inputSize
        for (index, input) in inputs.enumerated() where input.count != inputSize {
            throw .invalidInput("glyph \(index) has \(input.count) values, expected \(inputSize)")
        }
        guard !inputs.isEmpty else { return PoolResult(outputs: [], classCount: model.classes.count, queueWait: .zero, inference: .zero) }
        let core = self.core
        if let result = core.runAlone(inputs) { return result }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<PoolResult, PoolError>, Never>) in
            core.condition.lock()
            guard core.accepting else {
                core.rejectedShuttingDown += 1
                core.condition.unlock()
                core.metrics.rejectedShuttingDown.increment()
                continuation.resume(returning: .failure(.shuttingDown))
                return
            }
            guard core.queue.count + inputs.count <= core.queue.capacity else {
                core.rejectedOverloaded += 1
                core.condition.unlock()
                core.metrics.rejectedOverloaded.increment()
                continuation.resume(returning: .failure(.overloaded))
                return
            }
            let request = PendingRequest(inputs: inputs, now: ContinuousClock.now, deadline: configuration.deadline,
                                         continuation: continuation)
            for index in inputs.indices { core.queue.append(QueueItem(request: request, index: index)) }
            core.acceptedGlyphs += inputs.count
            let depth = core.queue.count
            // Broadcast, not signal: the deadline thread waits on the same condition and must not swallow the wake-up.
            core.condition.broadcast()
            core.condition.unlock()
            core.metrics.queueDepth.record(depth)
        }
        return try result.get()
    }

    /// Throws `.overloaded` (and counts the rejection) while the queue has no
    /// room for even one glyph. Callers check this before decoding a request, so
    /// that under overload a refusal costs almost nothing and the cores stay on
    /// the work already accepted; `classify` still makes the binding check.
    public func refuseIfSaturated() throws(PoolError) {
        core.condition.lock()
        let saturated = core.accepting && core.queue.count >= core.queue.capacity
        if saturated { core.rejectedOverloaded += 1 }
        core.condition.unlock()
        if saturated {
            core.metrics.rejectedOverloaded.increment()
            throw .overloaded
        }
    }

    /// Runs one inference on a zero input in a private session so that a
    /// broken model or kernel is caught before the service reports ready.
    public func warmUp() throws(PoolError) {
        let session = InferenceSession(model: model, maxBatch: 1)
        let logits: [Float]
        do {
            logits = try session.logits([[Float](repeating: 0, count: model.inputSize)])[0]
        } catch {
            throw .warmUpFailed(error.description)
        }
        guard logits.allSatisfy(\.isFinite) else { throw .warmUpFailed("non-finite logits \(logits)") }
        core.condition.lock()
        core.markReady()
        core.condition.unlock()
    }

    /// True once `warmUp` has succeeded and until shutdown starts.
    public var isReady: Bool {
        core.condition.lock()
        defer { core.condition.unlock() }
        return core.ready
    }

    public var stats: PoolStats {
        core.condition.lock()
        defer { core.condition.unlock() }
        return PoolStats(
            workers: configuration.workers, queueDepth: core.queue.count, queueCapacity: core.queue.capacity,
            busyWorkers: core.busyWorkers, acceptedGlyphs: core.acceptedGlyphs, completedGlyphs: core.completedGlyphs, batches: core.batches,
            callerBatches: core.callerBatches,
            largestBatch: core.largestBatch, rejectedOverloaded: core.rejectedOverloaded,
            rejectedDeadline: core.rejectedDeadline, rejectedShuttingDown: core.rejectedShuttingDown,
            ready: core.ready)
    }

    /// Stops accepting work, lets the workers finish what is queued, and
    /// returns once they have exited. Whatever is still queued after
    /// `drainTimeout` fails with `.shuttingDown`.
    public func shutdown(drainTimeout: Duration) async {
        let core = self.core
        core.stopAccepting()
        let clock = ContinuousClock()
        let end = clock.now + drainTimeout
        while clock.now < end && !core.isIdle {
            try? await Task.sleep(for: .milliseconds(1))
        }
        for resumption in core.abandonQueuedAndStop() { resumption.resume() }
        // Threads exit once the queue is empty and `stopping` is set; a batch in flight finishes first.
        while core.liveThreadCount > 0 {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
