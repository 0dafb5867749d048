/// One `classify` call in flight. Its glyphs are queued as separate items so
/// that a request counts against the queue by glyphs and may be split over
/// batches; results are written back by index, so order is kept.
///
/// Every mutable field is guarded by the pool's lock (`PoolCore.condition`);
/// that is why the class can be `@unchecked Sendable`.
final class PendingRequest: @unchecked Sendable {
    let inputs: [[Float]]
    let enqueued: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    private let continuation: CheckedContinuation<Result<PoolResult, PoolError>, Never>
    var logits: [[Float]]
    var remaining: Int
    var firstStart: ContinuousClock.Instant?
    /// Set once the continuation has been resumed; later items of this request are dropped.
    private(set) var finished = false

    init(inputs: [[Float]], now: ContinuousClock.Instant, deadline: Duration,
         continuation: CheckedContinuation<Result<PoolResult, PoolError>, Never>) {
        self.inputs = inputs
        self.enqueued = now
        self.deadline = now + deadline
        self.continuation = continuation
        self.logits = Array(repeating: [], count: inputs.count)
        self.remaining = inputs.count
    }

    /// Marks the request finished and returns the resumption to perform once
    /// the lock is released (resuming under the lock would run caller code there).
    func finish(_ result: Result<PoolResult, PoolError>) -> Resumption? {
        guard !finished else { return nil }
        finished = true
        return Resumption(continuation: continuation, result: result)
    }
}

struct Resumption: Sendable {
    let continuation: CheckedContinuation<Result<PoolResult, PoolError>, Never>
    let result: Result<PoolResult, PoolError>
    func resume() { continuation.resume(returning: result) }
}

/// One glyph of a request.
struct QueueItem {
    let request: PendingRequest
    let index: Int
}

/// A fixed-capacity FIFO ring buffer: the queue never grows past the
/// configured depth, so memory is bounded by construction.
struct RingQueue {
    private var storage: [QueueItem?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { storage = Array(repeating: nil, count: capacity) }

    var capacity: Int { storage.count }
    var isEmpty: Bool { count == 0 }
    var first: QueueItem? { count == 0 ? nil : storage[head] }

    mutating func append(_ item: QueueItem) {
        precondition(count < storage.count, "caller checks capacity before appending")
        storage[(head + count) % storage.count] = item
        count += 1
    }

    mutating func popFirst() -> QueueItem? {
        guard count > 0 else { return nil }
        let item = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return item
    }
}
