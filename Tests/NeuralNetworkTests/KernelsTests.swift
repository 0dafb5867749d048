import Foundation
import TestSupport
import Testing
@testable import NeuralNetwork

/// Layer-by-layer checks: small cases with answers worked out by hand, then
/// random shapes (ragged tiles, several channels) against `Reference`.
/// Every test runs once per kernel set this CPU supports (`KernelChoice.supported`),
/// not only on the one a server would choose.
@Suite struct KernelsTests {
    /// 5×5 input holding 1…25 row by row.
    let ramp: [Float] = (1 ... 25).map(Float.init)

    /// Runs `model` (whose head is an identity linear layer) on one glyph.
    func run(_ kernels: KernelChoice, _ model: TestModel, _ input: [Float]) throws -> [Float] {
        let session = InferenceSession(model: try model.build(kernels: kernels), maxBatch: 4)
        return try session.logits([input])[0]
    }

    func convModel(kernel: [Float], stride: Int, padding: Int, outputs: Int) -> TestModel {
        var m = TestModel(classes: outputs, height: 5, width: 5)
        m.conv("conv", in: 1, out: 1, kernel: [3, 3], stride: [stride, stride], padding: [padding, padding], weight: kernel, bias: nil)
        m.layer("flatten")
        m.linear("head", in: outputs, out: outputs, weight: Reference.identity(outputs), bias: nil)
        return m
    }

    @Test(arguments: KernelChoice.supported)
    func conv3x3OnA5x5InputWithoutPadding(kernels: KernelChoice) throws {
        let out = try run(kernels, convModel(kernel: .init(repeating: 1, count: 9), stride: 1, padding: 0, outputs: 9), ramp)
        #expect(out == [63, 72, 81, 108, 117, 126, 153, 162, 171])
    }

    @Test(arguments: KernelChoice.supported)
    func conv3x3WithPaddingSumsOnlyTheTapsInsideTheImage(kernels: KernelChoice) throws {
        let out = try run(kernels, convModel(kernel: .init(repeating: 1, count: 9), stride: 1, padding: 1, outputs: 25), ramp)
        #expect(out[0] == 1 + 2 + 6 + 7)
        #expect(out[1] == 1 + 2 + 3 + 6 + 7 + 8)
        #expect(out[4] == 4 + 5 + 9 + 10)
        #expect(out[20] == 16 + 17 + 21 + 22)
        #expect(out[24] == 19 + 20 + 24 + 25)
        #expect(out[12] == 117)
    }

    @Test(arguments: KernelChoice.supported)
    func conv3x3WithStrideTwoAndPadding(kernels: KernelChoice) throws {
        let out = try run(kernels, convModel(kernel: .init(repeating: 1, count: 9), stride: 2, padding: 1, outputs: 9), ramp)
        #expect(out == [16, 33, 28, 69, 117, 87, 76, 123, 88])
    }

    @Test(arguments: KernelChoice.supported)
    func convWeightLayoutIsRowMajorKernel(kernels: KernelChoice) throws {
        // A single tap at kernel (row 0, column 2): out(y, x) = in(y − 1, x + 1) with padding 1.
        var kernel = [Float](repeating: 0, count: 9)
        kernel[2] = 1
        let out = try run(kernels, convModel(kernel: kernel, stride: 1, padding: 1, outputs: 25), ramp)
        var expected = [Float](repeating: 0, count: 25)
        for y in 0 ..< 5 {
            for x in 0 ..< 5 where y - 1 >= 0 && x + 1 < 5 { expected[y * 5 + x] = ramp[(y - 1) * 5 + x + 1] }
        }
        #expect(out == expected)
    }

    @Test(arguments: KernelChoice.supported)
    func convBiasAndFusedReLU(kernels: KernelChoice) throws {
        var m = TestModel(classes: 9, height: 5, width: 5)
        m.conv("conv", in: 1, out: 1, kernel: [3, 3], weight: .init(repeating: 1, count: 9), bias: [-117])
        m.layer("relu")
        m.layer("flatten")
        m.linear("head", in: 9, out: 9, weight: Reference.identity(9), bias: nil)
        #expect(try run(kernels, m, ramp) == [0, 0, 0, 0, 0, 9, 36, 45, 54])
    }

    @Test(arguments: KernelChoice.supported)
    func maxPoolWithPaddingIgnoresThePaddedTaps(kernels: KernelChoice) throws {
        // 3×3 windows, stride 2, padding 1 over -1…-25: padding must not win as a 0.
        var m = TestModel(classes: 9, height: 5, width: 5)
        m.layer("maxpool2d", ["kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]])
        m.layer("flatten")
        m.linear("head", in: 9, out: 9, weight: Reference.identity(9), bias: nil)
        let out = try run(kernels, m, ramp.map { -$0 })
        #expect(out == [-1, -2, -4, -6, -7, -9, -16, -17, -19])
    }

    @Test(arguments: KernelChoice.supported)
    func maxPoolDropsTheRaggedEdge(kernels: KernelChoice) throws {
        // 2×2 stride 2 on 5×5 → 2×2; the last row and column are never read (floor mode).
        var m = TestModel(classes: 4, height: 5, width: 5)
        m.layer("maxpool2d", ["kernel": [2, 2]])
        m.layer("flatten")
        m.linear("head", in: 4, out: 4, weight: Reference.identity(4), bias: nil)
        #expect(try run(kernels, m, ramp) == [7, 9, 17, 19])
    }

    @Test(arguments: KernelChoice.supported)
    func averagePoolCountsPaddingByDefault(kernels: KernelChoice) throws {
        var m = TestModel(classes: 9, height: 5, width: 5)
        m.layer("avgpool2d", ["kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]])
        m.layer("flatten")
        m.linear("head", in: 9, out: 9, weight: Reference.identity(9), bias: nil)
        let out = try run(kernels, m, ramp)
        #expect(out[0] == Float(1 + 2 + 6 + 7) / 9)
        #expect(out[4] == 117 / 9)
        var excluding = m
        excluding.layers[0]["count_include_pad"] = false
        #expect(try run(kernels, excluding, ramp)[0] == Float(1 + 2 + 6 + 7) / 4)
    }

    @Test(arguments: KernelChoice.supported)
    func globalAveragePoolThenLinear(kernels: KernelChoice) throws {
        var m = TestModel(classes: 2, channels: 2, height: 2, width: 2)
        m.layer("global_avgpool")
        m.layer("flatten")
        m.linear("fc", in: 2, out: 2, weight: [1, 0, 1, -1], bias: [0.5, 0])
        let out = try run(kernels, m, [1, 2, 3, 4, 10, 20, 30, 40])
        #expect(out == [2.5 + 0.5, 2.5 - 25])
    }

    @Test(arguments: KernelChoice.supported)
    func flattenUsesChannelMajorOrder(kernels: KernelChoice) throws {
        var m = TestModel(classes: 8, channels: 2, height: 2, width: 2)
        m.layer("flatten")
        m.linear("head", in: 8, out: 8, weight: Reference.identity(8), bias: nil)
        let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let session = InferenceSession(model: try m.build(kernels: kernels), maxBatch: 3)
        let out = try session.logits([input, input.map { -$0 }, input.map { $0 * 10 }])
        #expect(out == [input, input.map { -$0 }, input.map { $0 * 10 }])
    }

    @Test(arguments: KernelChoice.supported)
    func batchNormFoldsIntoConvAndLinear(kernels: KernelChoice) throws {
        var m = TestModel(classes: 2, height: 3, width: 3)
        m.conv("conv", in: 1, out: 2, kernel: [3, 3], weight: .init(repeating: 1, count: 18), bias: [1, 2])
        m.batchNorm("bn", gamma: [2, 0.5], beta: [1, -1], mean: [10, 20], variance: [4 - 1e-5, 16 - 1e-5])
        m.layer("flatten")
        m.linear("fc", in: 2, out: 2, weight: Reference.identity(2), bias: [0, 0])
        m.batchNorm("bn1d", type: "batchnorm1d", gamma: [1, 1], beta: [0, 100], mean: [0, 0], variance: [1 - 1e-5, 1 - 1e-5])
        let out = try run(kernels, m, .init(repeating: 1, count: 9))
        // conv gives 9 + bias = [10, 11]; bn: (10−10)/2·2+1 = 1, (11−20)/4·0.5−1 = −2.125; bn1d adds 100 to the second.
        #expect(abs(out[0] - 1) < 1e-5)
        #expect(abs(out[1] - 97.875) < 1e-4)
    }

    @Test(arguments: KernelChoice.supported, [1, 2, 3, 7, 17])
    func randomNetworkMatchesReferenceAtEveryBatchSize(kernels: KernelChoice, batch: Int) throws {
        var rng = SeededGenerator(seed: 42)
        let (c1, c2, classes) = (5, 7, 3)
        let w1 = rng.floats(c1 * 2 * 9), b1 = rng.floats(c1)
        let w2 = rng.floats(c2 * c1 * 4), b2 = rng.floats(c2)
        let g = rng.floats(c2, in: 0.5 ... 2), beta = rng.floats(c2), mean = rng.floats(c2), variance = rng.floats(c2, in: 0.1 ... 2)
        let fcIn = c2 * 1 * 2  // 9×11 → pool 4×5 → conv 3×4 → pool 1×2
        let wf = rng.floats(classes * fcIn), bf = rng.floats(classes)
        var m = TestModel(classes: classes, channels: 2, height: 9, width: 11)
        m.conv("conv1", in: 2, out: c1, kernel: [3, 3], padding: [1, 1], weight: w1, bias: b1)
        m.layer("relu")
        m.layer("maxpool2d", ["kernel": [2, 2], "stride": [2, 2]])
        m.conv("conv2", in: c1, out: c2, kernel: [2, 2], stride: [2, 1], padding: [1, 0], weight: w2, bias: b2)
        m.batchNorm("bn2", gamma: g, beta: beta, mean: mean, variance: variance)
        m.layer("relu")
        m.layer("avgpool2d", ["kernel": [2, 2], "stride": [2, 2]])
        m.layer("dropout", ["p": 0.5])
        m.layer("flatten")
        m.linear("fc", in: fcIn, out: classes, weight: wf, bias: bf)

        let inputs = (0 ..< batch).map { _ in rng.floats(2 * 9 * 11) }
        let session = InferenceSession(model: try m.build(kernels: kernels), maxBatch: batch)
        let batched = try session.logits(inputs)
        for (n, input) in inputs.enumerated() {
            var x = Reference.Tensor(values: input, channels: 2, height: 9, width: 11)
            x = Reference.relu(Reference.conv(x, weight: w1, bias: b1, outChannels: c1, kernel: (3, 3), stride: (1, 1), padding: (1, 1)))
            x = Reference.pool(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0), max: true)
            x = Reference.conv(x, weight: w2, bias: b2, outChannels: c2, kernel: (2, 2), stride: (2, 1), padding: (1, 0))
            x = Reference.relu(Reference.batchNorm(x, gamma: g, beta: beta, mean: mean, variance: variance))
            x = Reference.pool(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0), max: false)
            #expect(x.values.count == fcIn)
            let expected = Reference.linear(x.values, weight: wf, bias: bf, outFeatures: classes)
            #expect(maxAbsDifference(batched[n], expected) < 1e-5, "glyph \(n) of \(batch)")
            // The same glyph alone gives the same answer as inside the batch.
            let alone = try session.logits([input])[0]
            #expect(maxAbsDifference(alone, batched[n]) <= 1e-6)
        }
    }

    @Test(arguments: KernelChoice.supported)
    func wideLayersWithRaggedTilesMatchReference(kernels: KernelChoice) throws {
        // 13 output channels (not a multiple of the 6-row tile) and 7×7 = 49
        // pixels (not a multiple of the column tile), then global pooling.
        var rng = SeededGenerator(seed: 7)
        let w = rng.floats(13 * 3 * 9), b = rng.floats(13), wf = rng.floats(13 * 13)
        var m = TestModel(classes: 13, channels: 3, height: 7, width: 7)
        m.conv("conv", in: 3, out: 13, kernel: [3, 3], padding: [1, 1], weight: w, bias: b)
        m.layer("relu")
        m.layer("global_avgpool")
        m.linear("fc", in: 13, out: 13, weight: wf, bias: nil)
        let inputs = (0 ..< 5).map { _ in rng.floats(3 * 49) }
        let out = try InferenceSession(model: try m.build(kernels: kernels), maxBatch: 8).logits(inputs)
        for (n, input) in inputs.enumerated() {
            let x = Reference.relu(Reference.conv(.init(values: input, channels: 3, height: 7, width: 7), weight: w, bias: b,
                                                  outChannels: 13, kernel: (3, 3), stride: (1, 1), padding: (1, 1)))
            let expected = Reference.linear(Reference.globalAveragePool(x), weight: wf, bias: nil, outFeatures: 13)
            #expect(maxAbsDifference(out[n], expected) < 1e-5)
        }
    }

    /// Deep layers (K ≥ 64) with few pixels take the direct, channel-vector
    /// path (with Winograd off, or at stride 2); 44 channels leave a partial
    /// (at most half-full) channel panel in both builds and 7 pixels a partial
    /// pixel tile. Batches above the slice size run as several slices.
    @Test(arguments: KernelChoice.supported, [(1, 1), (2, 1), (1, 2), (3, 2), (11, 1)])
    func deepConvolutionsMatchReference(kernels: KernelChoice, shape: (batch: Int, stride: Int)) throws {
        try deepConvolution(kernels: kernels, batch: shape.batch, stride: shape.stride, winograd: false)
        try deepConvolution(kernels: kernels, batch: shape.batch, stride: shape.stride, winograd: true)
    }

    func deepConvolution(kernels: KernelChoice, batch: Int, stride: Int, winograd: Bool) throws {
        var rng = SeededGenerator(seed: UInt64(batch * 10 + stride))
        let (inC, outC) = (8, 44)
        let w = rng.floats(outC * inC * 9), b = rng.floats(outC)
        let outSide = stride == 1 ? 7 : 4
        let features = outC * outSide * outSide
        let wf = rng.floats(3 * features)
        var m = TestModel(classes: 3, channels: inC, height: 7, width: 7)
        m.conv("deep", in: inC, out: outC, kernel: [3, 3], stride: [stride, stride], padding: [1, 1], weight: w, bias: b)
        m.layer("relu")
        m.layer("flatten")
        m.linear("fc", in: features, out: 3, weight: wf, bias: nil)
        let inputs = (0 ..< batch).map { _ in rng.floats(inC * 49) }
        let model = try m.build(kernels: kernels, winograd: winograd)
        #expect(model.runsWinograd == (winograd && stride == 1))
        let out = try InferenceSession(model: model, maxBatch: batch).logits(inputs)
        for (n, input) in inputs.enumerated() {
            let x = Reference.relu(Reference.conv(.init(values: input, channels: inC, height: 7, width: 7), weight: w, bias: b,
                                                  outChannels: outC, kernel: (3, 3), stride: (stride, stride), padding: (1, 1)))
            let expected = Reference.linear(x.values, weight: wf, bias: nil, outFeatures: 3)
            #expect(maxAbsDifference(out[n], expected) < 1e-3, "glyph \(n), winograd \(winograd)")
        }
    }

    /// Dense layers with features in the lanes: full, ragged and at most
    /// half-full feature panels, at every glyph-tile width (1, 2, 4, 8 and
    /// ragged ones), two layers deep so the hidden one is fused with ReLU.
    @Test(arguments: KernelChoice.supported, [(37, 1), (130, 2), (5, 40), (64, 13), (9, 17)])
    func denseLayersMatchReference(kernels: KernelChoice, shape: (inputs: Int, hidden: Int)) throws {
        var rng = SeededGenerator(seed: UInt64(shape.inputs * 1000 + shape.hidden))
        let (inF, hidden, classes) = (shape.inputs, shape.hidden, 13)
        let w1 = rng.floats(hidden * inF), b1 = rng.floats(hidden), w2 = rng.floats(classes * hidden), b2 = rng.floats(classes)
        var m = TestModel(classes: classes, channels: inF, height: 1, width: 1)
        m.layer("flatten")
        m.linear("fc1", in: inF, out: hidden, weight: w1, bias: b1)
        m.layer("relu")
        m.linear("fc2", in: hidden, out: classes, weight: w2, bias: b2)
        let model = try m.build(kernels: kernels)
        for batch in [1, 2, 3, 4, 5, 8, 11] {
            let inputs = (0 ..< batch).map { _ in rng.floats(inF) }
            let out = try InferenceSession(model: model, maxBatch: batch).logits(inputs)
            for (n, input) in inputs.enumerated() {
                let h = Reference.linear(input, weight: w1, bias: b1, outFeatures: hidden).map { max($0, 0) }
                let expected = Reference.linear(h, weight: w2, bias: b2, outFeatures: classes)
                #expect(maxAbsDifference(out[n], expected) < 1e-4, "glyph \(n) of \(batch)")
            }
        }
    }
}
