import Foundation
import TestSupport
import Testing
@testable import NeuralNetwork

/// Winograd F(2×2, 3×3) against the reference convolution, on the shapes
/// that exercise its edges: odd and even output sizes (a last tile half
/// outside the map), padding 0, 1 and 2, the fused max pool (which drops a
/// ragged last row and column), channel counts that leave partial panels,
/// tile counts that leave every size of partial tile group (1 to 5 tiles),
/// and batches of several slices. Each runs on every kernel set this CPU supports.
@Suite struct WinogradTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var inC: Int, outC: Int, height: Int, width: Int, padding: Int, pool: Bool, batch: Int
        var testDescription: String {
            "\(inC)→\(outC) \(height)×\(width) pad \(padding)\(pool ? " + maxpool" : "") ×\(batch)"
        }
    }

    static let shapes: [Shape] = [
        Shape(inC: 8, outC: 16, height: 6, width: 6, padding: 1, pool: false, batch: 1),
        Shape(inC: 8, outC: 13, height: 7, width: 7, padding: 1, pool: false, batch: 2),
        Shape(inC: 9, outC: 40, height: 5, width: 9, padding: 0, pool: false, batch: 3),
        Shape(inC: 16, outC: 32, height: 14, width: 14, padding: 1, pool: true, batch: 1),
        Shape(inC: 8, outC: 48, height: 7, width: 7, padding: 1, pool: true, batch: 11),
        Shape(inC: 32, outC: 64, height: 9, width: 6, padding: 2, pool: true, batch: 1),
        Shape(inC: 8, outC: 8, height: 4, width: 5, padding: 0, pool: true, batch: 9),
        // One row of five tiles: a group of 5 (and of 5 + 5 → 7 + 3 or 6 + 4 for two glyphs).
        Shape(inC: 8, outC: 24, height: 4, width: 12, padding: 0, pool: false, batch: 1),
        Shape(inC: 8, outC: 24, height: 4, width: 12, padding: 0, pool: false, batch: 2),
    ]

    /// Parameterised by shape only: the reference (slow in a debug build) is
    /// computed once and compared with every kernel set, so the suite does not
    /// hold the test runner's threads long enough to starve the socket tests.
    @Test(arguments: shapes)
    func matchesTheReferenceConvolution(shape s: Shape) throws {
        var rng = SeededGenerator(seed: UInt64(s.inC * 1000 + s.outC * 10 + s.batch))
        let w = rng.floats(s.outC * s.inC * 9), b = rng.floats(s.outC)
        let convH = s.height + 2 * s.padding - 2, convW = s.width + 2 * s.padding - 2
        let (outH, outW) = s.pool ? (convH / 2, convW / 2) : (convH, convW)
        let features = s.outC * outH * outW
        // A head of a few random projections rather than an identity layer as wide as the
        // map (which made this suite slow in a debug build): a wrong output anywhere moves
        // every projection by far more than the tolerance.
        let projections = 6, head = rng.floats(projections * features)
        var m = TestModel(classes: projections, channels: s.inC, height: s.height, width: s.width)
        m.conv("conv", in: s.inC, out: s.outC, kernel: [3, 3], padding: [s.padding, s.padding], weight: w, bias: b)
        m.layer("relu")
        if s.pool { m.layer("maxpool2d", ["kernel": [2, 2], "stride": [2, 2]]) }
        m.layer("flatten")
        m.linear("head", in: features, out: projections, weight: head, bias: nil)

        let inputs = (0 ..< s.batch).map { _ in rng.floats(s.inC * s.height * s.width) }
        let expected = inputs.map { input in
            var x = Reference.Tensor(values: input, channels: s.inC, height: s.height, width: s.width)
            x = Reference.relu(Reference.conv(x, weight: w, bias: b, outChannels: s.outC, kernel: (3, 3), stride: (1, 1),
                                              padding: (s.padding, s.padding)))
            if s.pool { x = Reference.pool(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0), max: true) }
            #expect(x.values.count == features)
            return x.values
        }
        let logits = expected.map { Reference.linear($0, weight: head, bias: nil, outFeatures: projections) }
        // Σ|w·x| reaches ~300 here: the bound is 1e-6 of it.
        let tolerance = expected.map { 1e-6 * Self.largestTermSum(head, $0, projections: projections) }
        for kernels in KernelChoice.supported {
            let model = try m.build(kernels: kernels)
            #expect(model.runsWinograd)
            let out = try InferenceSession(model: model, maxBatch: s.batch).logits(inputs)
            for n in 0 ..< s.batch {
                #expect(maxAbsDifference(out[n], logits[n]) <= tolerance[n], "\(kernels), glyph \(n)")
            }
        }
    }

    /// Adjacent Winograd steps hand the next one its padded, channels-innermost
    /// input directly: odd channel counts (lanes past the last channel must stay
    /// zero), padding 1, 0 and 2, pooled and not, several slices.
    @Test(arguments: [1, 3, 11])
    func adjacentStepsHandOverTheirOutput(batch: Int) throws {
        var rng = SeededGenerator(seed: UInt64(100 + batch))
        let w1 = rng.floats(13 * 8 * 9), b1 = rng.floats(13)
        let w2 = rng.floats(24 * 13 * 9), b2 = rng.floats(24)
        let w3 = rng.floats(16 * 24 * 9), b3 = rng.floats(16)
        // 9×9 → conv pad 1 → 9×9 → conv pad 0 → 7×7 → pool → 3×3 → conv pad 2 → 5×5.
        let features = 16 * 25, projections = 5, head = rng.floats(projections * features)
        var m = TestModel(classes: projections, channels: 8, height: 9, width: 9)
        m.conv("a", in: 8, out: 13, kernel: [3, 3], padding: [1, 1], weight: w1, bias: b1)
        m.layer("relu")
        m.conv("b", in: 13, out: 24, kernel: [3, 3], padding: [0, 0], weight: w2, bias: b2)
        m.layer("relu")
        m.layer("maxpool2d", ["kernel": [2, 2], "stride": [2, 2]])
        m.conv("c", in: 24, out: 16, kernel: [3, 3], padding: [2, 2], weight: w3, bias: b3)
        m.layer("flatten")
        m.linear("head", in: features, out: projections, weight: head, bias: nil)
        let inputs = (0 ..< batch).map { _ in rng.floats(8 * 81) }
        var expected: [[Float]] = [], tolerance: [Float] = []
        for input in inputs {
            var x = Reference.Tensor(values: input, channels: 8, height: 9, width: 9)
            x = Reference.relu(Reference.conv(x, weight: w1, bias: b1, outChannels: 13, kernel: (3, 3), stride: (1, 1), padding: (1, 1)))
            x = Reference.relu(Reference.conv(x, weight: w2, bias: b2, outChannels: 24, kernel: (3, 3), stride: (1, 1), padding: (0, 0)))
            x = Reference.pool(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0), max: true)
            x = Reference.conv(x, weight: w3, bias: b3, outChannels: 16, kernel: (3, 3), stride: (1, 1), padding: (2, 2))
            expected.append(Reference.linear(x.values, weight: head, bias: nil, outFeatures: projections))
            // Three layers deep, rounding compounds: 1e-5 of the head's Σ|w·x|.
            tolerance.append(1e-5 * Self.largestTermSum(head, x.values, projections: projections))
        }
        for kernels in KernelChoice.supported {
            let model = try m.build(kernels: kernels)
            let handOffs = model.steps.compactMap { step -> (Bool, Bool)? in
                if case .winograd(let w) = step { (w.handOff != nil, w.inputPrepared) } else { nil }
            }
            #expect(handOffs.map(\.0) == [true, true, false], "\(kernels)")
            #expect(handOffs.map(\.1) == [false, true, true], "\(kernels)")
            let out = try InferenceSession(model: model, maxBatch: batch).logits(inputs)
            for n in 0 ..< batch {
                #expect(maxAbsDifference(out[n], expected[n]) <= tolerance[n], "\(kernels), glyph \(n)")
            }
        }
    }

    /// Float32 rounding of a dot product grows with the sum of its terms' magnitudes
    /// (Σ|w·x|), not with the result: the largest such sum over the head's projections
    /// of `x`, which the tolerances are a fraction of.
    static func largestTermSum(_ head: [Float], _ x: [Float], projections: Int) -> Float {
        var largest: Float = 0
        for p in 0 ..< projections {
            var sum: Float = 0
            for k in 0 ..< x.count { sum += abs(head[p * x.count + k] * x[k]) }
            largest = max(largest, sum)
        }
        return largest
    }

    /// The plan: which convolutions become Winograd steps, and which pools fuse.
    @Test func planFusesOnlyAnAdjacentTwoByTwoMaxPool() throws {
        var rng = SeededGenerator(seed: 3)
        var m = TestModel(classes: 2, channels: 1, height: 12, width: 12)
        m.conv("first", in: 1, out: 8, kernel: [3, 3], padding: [1, 1], weight: rng.floats(8 * 9), bias: nil)  // one input channel: not Winograd
        m.conv("second", in: 8, out: 8, kernel: [3, 3], padding: [1, 1], weight: rng.floats(8 * 8 * 9), bias: nil)
        m.layer("maxpool2d", ["kernel": [2, 2], "stride": [2, 2]])  // fused
        m.conv("strided", in: 8, out: 8, kernel: [3, 3], stride: [2, 2], padding: [1, 1], weight: rng.floats(8 * 8 * 9), bias: nil)
        m.conv("third", in: 8, out: 8, kernel: [3, 3], padding: [1, 1], weight: rng.floats(8 * 8 * 9), bias: nil)
        m.layer("maxpool2d", ["kernel": [3, 3], "stride": [3, 3]])  // not 2×2: stays a pool step
        m.layer("flatten")
        m.linear("fc", in: 8, out: 2, weight: rng.floats(16), bias: nil)
        let model = try m.build(kernels: .portable)
        let kinds = model.steps.map { step -> String in
            switch step {
            case .conv(let c): return "conv \(c.name)"
            case .winograd(let w): return "winograd \(w.conv.name)\(w.pooled ? " + pool" : "")"
            case .pool: return "pool"
            case .flatten: return "flatten"
            case .dense: return "dense"
            default: return "other"
            }
        }
        #expect(kinds == ["conv first", "winograd second + pool", "conv strided", "winograd third", "pool", "dense"])
        // The nominal FLOP count is the convolutions' own, whatever kernel runs them.
        let plain = try m.build(kernels: .portable, winograd: false)
        #expect(model.flopsPerGlyph == plain.flopsPerGlyph)
        #expect(model.parameterCount == plain.parameterCount)
    }
}
