import NeuralNetwork

/// One batch's working memory: a session and its input and logit buffers, sized for
/// `maxBatch` glyphs. Not safe to share: it belongs to whoever took it from
/// `PoolCore`'s free list (under the pool's lock) until it is put back, which is why it
/// can be `@unchecked Sendable`.
final class Arena: @unchecked Sendable {
    private let session: InferenceSession
    private let inputSize: Int
    private let outputs: Int
    private var inputs: [Float]
    private(set) var logits: [Float]

    init(model: Model, maxBatch: Int) {
        session = InferenceSession(model: model, maxBatch: maxBatch)
        inputSize = model.inputSize
        outputs = model.outputCount
        inputs = [Float](repeating: 0, count: maxBatch * model.inputSize)
        logits = [Float](repeating: 0, count: maxBatch * model.outputCount)
    }

    /// Copies one glyph's normalized input into batch slot `slot`.
    func load(_ input: [Float], into slot: Int) {
        let inputSize = self.inputSize
        inputs.withUnsafeMutableBufferPointer { destination in
            input.withUnsafeBufferPointer { source in
                guard let d = destination.baseAddress, let s = source.baseAddress else { return }
                (d + slot * inputSize).update(from: s, count: inputSize)
            }
        }
    }

    /// One slot's logits after `run`.
    func logits(ofSlot slot: Int) -> [Float] { Array(logits[slot * outputs ..< (slot + 1) * outputs]) }

    /// Runs the first `count` slots; their logits are then in `logits`, glyph-major.
    func run(count: Int) {
        let inputSize = self.inputSize, outputs = self.outputs
        inputs.withUnsafeBufferPointer { i in
            logits.withUnsafeMutableBufferPointer { o in
                // Sizes are fixed by construction (count ≤ maxBatch, buffers sized for maxBatch).
                try? session.run(inputs: UnsafeBufferPointer(rebasing: i[0 ..< count * inputSize]), count: count,
                                 logits: UnsafeMutableBufferPointer(rebasing: o[0 ..< count * outputs]))
            }
        }
    }
}
