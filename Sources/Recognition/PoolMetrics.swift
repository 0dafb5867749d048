import Metrics

/// The pool's instruments, created once. Whatever metrics backend the
/// service bootstraps receives them; without one they are no-ops.
struct PoolMetrics: Sendable {
    let queueDepth = Gauge(label: "ocr_queue_depth")
    let batchSize = Recorder(label: "ocr_batch_size", aggregate: true)
    let inference = Timer(label: "ocr_inference_seconds")
    let queueWait = Timer(label: "ocr_queue_wait_seconds")
    let rejectedOverloaded = Counter(label: "ocr_rejected_total", dimensions: [("reason", "overloaded")])
    let rejectedDeadline = Counter(label: "ocr_rejected_total", dimensions: [("reason", "deadline")])
    let rejectedShuttingDown = Counter(label: "ocr_rejected_total", dimensions: [("reason", "shutting_down")])
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
