import Foundation
import NeuralNetwork

/// How the inference pool is sized and how it batches.
public struct PoolConfiguration: Sendable, Equatable {
    /// Dedicated inference threads, and as many scratch arenas: at most this many
    /// batches run at once, on the workers or on callers' threads.
    public var workers: Int
    /// Most glyphs waiting at once; one more is refused as `overloaded`.
    public var queueDepth: Int
    /// Most glyphs one worker runs as a single batch. The engine's per-glyph
    /// cost is flat from batch 1 to 64 (bench/README.md), so batching here
    /// saves queue hand-offs, not arithmetic; 8 keeps a batch under a
    /// millisecond so the last glyph of a batch is not held up for long.
    public var maxBatch: Int
    /// How long a worker holding fewer than `maxBatch` glyphs waits for more.
    /// Zero (the default) never delays a lone request: the worker takes
    /// whatever is queued and starts at once, and a request that finds nothing
    /// queued may run on its caller's thread (`callerRuns`). Positive values
    /// trade latency for throughput under load, and send every request through
    /// the queue.
    public var maxBatchDelay: Duration
    /// How long a glyph may wait in the queue before its request fails with `deadlineExceeded`.
    public var deadline: Duration
    /// Whether a request that finds nothing queued and no batch running runs on its caller's
    /// thread instead of waking a worker (`PoolCore.runAlone`; never with a batch delay).
    /// Off, every request goes through the queue.
    public var callerRuns: Bool

    public init(
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        queueDepth: Int = 256,
        maxBatch: Int = 8,
        maxBatchDelay: Duration = .zero,
        deadline: Duration = .seconds(2),
        callerRuns: Bool = true
    ) {
        self.workers = workers
        self.queueDepth = queueDepth
        self.maxBatch = maxBatch
        self.maxBatchDelay = maxBatchDelay
        self.deadline = deadline
        self.callerRuns = callerRuns
    }
}

public enum PoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue is full: retry later (HTTP 503 with Retry-After).
    case overloaded
    /// The request waited in the queue past its deadline.
    case deadlineExceeded
    /// The pool is stopping and takes no new work.
    case shuttingDown
    /// A glyph does not have the model's input size, or the configuration is unusable.
    case invalidInput(String)
    /// The start-up inference produced non-finite output.
    case warmUpFailed(String)

    public var description: String {
        switch self {
        case .overloaded: return "inference queue is full"
        case .deadlineExceeded: return "request waited in the inference queue past its deadline"
        case .shuttingDown: return "inference pool is shutting down"
        case .invalidInput(let reason): return "invalid input: \(reason)"
        case .warmUpFailed(let reason): return "warm-up inference failed: \(reason)"
        }
    }
}

/// The answer to one `classify` call, glyphs in the order they were given.
public struct PoolResult: Sendable {
    /// Each glyph's outputs as the network produced them: the class logits in the model's
    /// class order, then the page head's logits if the model has one.
    public var outputs: [[Float]]
    /// How many of each glyph's outputs are class logits (the model's class count).
    public var classCount: Int
    /// From submission until the first of the request's glyphs started running.
    public var queueWait: Duration
    /// From the first of its glyphs starting to the last finishing.
    public var inference: Duration

    /// Each glyph's class logits.
    public var logits: [[Float]] { outputs.map { Array($0.prefix(classCount)) } }

    /// Softmax of each glyph's class logits: the one place probabilities are derived from them.
    /// Computed on every access, on the caller's task rather than under the pool's lock.
    public var probabilities: [[Float]] { outputs.map { softmax($0.prefix(classCount)) } }

    /// Each glyph's page head logits (empty for a model without the head).
    public var headLogits: [[Float]] { outputs.map { Array($0.dropFirst(classCount)) } }
}

/// A cheap snapshot of the pool's counters (for /metrics and tests).
public struct PoolStats: Sendable, Equatable {
    public var workers: Int
    public var queueDepth: Int
    public var queueCapacity: Int
    /// Batches running now, on a worker or on a caller's thread.
    public var busyWorkers: Int
    /// Glyphs admitted to the queue since start.
    public var acceptedGlyphs: Int
    public var completedGlyphs: Int
    public var batches: Int
    /// Of `batches`, those run on their caller's thread (a lone request, nothing queued).
    public var callerBatches: Int
    public var largestBatch: Int
    public var rejectedOverloaded: Int
    public var rejectedDeadline: Int
    public var rejectedShuttingDown: Int
    public var ready: Bool
}
