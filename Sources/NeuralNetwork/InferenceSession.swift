import LayerPlan

/// Runs a `Model` on batches of up to `maxBatch` glyphs.
///
/// A session owns every byte of scratch an inference needs (two ping-pong
/// activation buffers sized for the largest step of one slice of glyphs,
/// the packed im2col chunk, the padded input, the shifted form's raw
/// output, the tap offsets, the Winograd tiles), allocated once here: `run` allocates nothing. It is deliberately not `Sendable`: one worker thread owns one
/// session, and sessions share only the immutable `Model`.
public final class InferenceSession {
    public let model: Model
    public let maxBatch: Int
    private let front: UnsafeMutablePointer<Float>
    private let back: UnsafeMutablePointer<Float>
    private let panel: UnsafeMutablePointer<Float>
    private let padded: UnsafeMutablePointer<Float>
    private let raw: UnsafeMutablePointer<Float>
    private let offsets: UnsafeMutablePointer<Int>
    private let tiles: UnsafeMutablePointer<Float>
    private let activationCapacity: Int

    public init(model: Model, maxBatch: Int) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.model = model
        self.maxBatch = maxBatch
        let slice = min(maxBatch, Self.sliceSize)
        activationCapacity = model.maxActivation * slice
        front = Self.allocate(Float.self, activationCapacity)
        back = Self.allocate(Float.self, activationCapacity)
        let sizes = model.kernels.scratchSizes(steps: model.steps, slice: slice, maxDepth: model.maxDepth)
        panel = Self.allocate(Float.self, sizes.panel)
        padded = Self.allocate(Float.self, sizes.padded)
        raw = Self.allocate(Float.self, sizes.raw)
        offsets = Self.allocate(Int.self, sizes.offsets)
        tiles = Self.allocate(Float.self, sizes.tiles)
    }

    deinit {
        front.deallocate()
        back.deallocate()
        panel.deallocate()
        padded.deallocate()
        raw.deallocate()
        offsets.deallocate()
        tiles.deallocate()
    }

    /// Cache-line aligned so that panel rows and vector stores never straddle lines needlessly.
    private static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// Classifies `count` glyphs. `inputs` holds them one after another, each
    /// `model.inputSize` floats in `[channel][y][x]` order (already normalized);
    /// `logits` receives `count × model.outputCount` floats, glyph-major (a glyph's class
    /// logits, then its page head's if the model has one).
    public func run(inputs: UnsafeBufferPointer<Float>, count: Int, logits: UnsafeMutableBufferPointer<Float>) throws(InferenceError) {
        let inputSize = model.inputSize, outputs = model.outputCount
        guard count <= maxBatch else { throw .batchTooLarge(count: count, maxBatch: maxBatch) }
        guard inputs.count == count * inputSize else { throw .inputSize(expected: count * inputSize, actual: inputs.count) }
        guard logits.count == count * outputs else { throw .outputSize(expected: count * outputs, actual: logits.count) }
        guard count > 0, let source = inputs.baseAddress, let destination = logits.baseAddress else { return }
        // Large batches run as slices of `sliceSize` glyphs: a slice's activations
        // stay in L2, which measured faster than one GEMM over the whole batch.
        var first = 0
        while first < count {
            let slice = min(Self.sliceSize, count - first)
            runSlice(source + first * inputSize, count: slice, logits: destination + first * outputs)
            first += slice
        }
    }

    /// Glyphs per pass through the network: a slice's activations stay in L2 (measured in
    /// bench/HISTORY.md, engine section, "What got it there").
    static let sliceSize = 8

    private func runSlice(_ source: UnsafePointer<Float>, count: Int, logits destination: UnsafeMutablePointer<Float>) {
        let inputSize = model.inputSize, outputs = model.outputCount
        // [N][C][plane] → [C][N][plane]; for one channel the two are the same bytes.
        let channels = model.manifest.input.channels
        let plane = inputSize / channels
        for n in 0 ..< count {
            for c in 0 ..< channels {
                (front + (c * count + n) * plane).update(from: source + (n * channels + c) * plane, count: plane)
            }
        }

        let scratch = KernelScratch(front: front, back: back, panel: panel, padded: padded, raw: raw, offsets: offsets,
                                    tiles: tiles)
        let current = model.kernels.forward(steps: model.steps, count: count, inputElements: inputSize, scratch: scratch)

        // [outputs][N] → [N][outputs]
        for n in 0 ..< count {
            for k in 0 ..< outputs { destination[n * outputs + k] = current[k * count + n] }
        }
    }

    /// Convenience for tests and tools: allocates its input and output arrays.
    public func logits(_ inputs: [[Float]]) throws(InferenceError) -> [[Float]] {
        let inputSize = model.inputSize, outputs = model.outputCount
        var flat: [Float] = []
        flat.reserveCapacity(inputs.count * inputSize)
        for input in inputs {
            guard input.count == inputSize else { throw .inputSize(expected: inputSize, actual: input.count) }
            flat.append(contentsOf: input)
        }
        var output = [Float](repeating: 0, count: inputs.count * outputs)
        let count = inputs.count
        try flat.withUnsafeBufferPointer { (i: UnsafeBufferPointer<Float>) throws(InferenceError) in
            try output.withUnsafeMutableBufferPointer { (o: inout UnsafeMutableBufferPointer<Float>) throws(InferenceError) in
                try run(inputs: i, count: count, logits: o)
            }
        }
        return (0 ..< count).map { Array(output[$0 * outputs ..< ($0 + 1) * outputs]) }
    }
}
