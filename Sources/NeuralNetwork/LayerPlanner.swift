import LayerPlan

/// Turns the manifest's layer list into `Step`s: checks every layer's
/// hyper-parameters and tensor shapes against the running activation shape,
/// folds BatchNorm into the preceding conv/linear, fuses ReLU into it, and
/// drops Dropout. Every refusal names the layer (and tensor) at fault.
struct LayerPlanner {
    let weights: SafeTensors
    /// The kernel copy the plan is packed for (its panel sizes).
    let kernels: any KernelSet.Type
    private(set) var steps: [Step] = []
    private(set) var shape: ActivationShape

    init(weights: SafeTensors, input: ActivationShape, kernels: any KernelSet.Type) {
        self.weights = weights
        self.shape = input
        self.kernels = kernels
    }

    mutating func add(_ spec: LayerSpec, index: Int) throws(ModelError) {
        let name = spec.name ?? "\(spec.type)#\(index)"
        switch spec.type {
        case "conv2d": try addConv(spec, name: name)
        case "linear": try addDense(spec, name: name)
        case "batchnorm2d", "batchnorm1d": try foldBatchNorm(spec, name: name)
        case "relu": addReLU()
        case "maxpool2d": try addPool(spec, name: name, kind: .max)
        case "avgpool2d": try addPool(spec, name: name, kind: .average(countIncludePad: spec.countIncludePad ?? true))
        case "global_avgpool":
            guard case .spatial(let c, let h, let w) = shape else {
                throw .layer(name: name, reason: "needs a [C, H, W] input, got \(shape)")
            }
            steps.append(.globalAveragePool(channels: c, plane: h * w))
            shape = .flat(features: c)
        case "flatten":
            if case .spatial(let c, let h, let w) = shape {
                if h * w > 1 { steps.append(.flatten(channels: c, plane: h * w)) }
                shape = .flat(features: c * h * w)
            }
        case "dropout":
            break  // identity at inference
        default:
            throw .layer(name: name, reason: "unsupported layer type '\(spec.type)'")
        }
    }

    private func require(_ value: Int?, _ field: String, _ name: String) throws(ModelError) -> Int {
        guard let value else { throw .layer(name: name, reason: "missing '\(field)'") }
        guard value > 0 else { throw .layer(name: name, reason: "'\(field)' must be positive, got \(value)") }
        return value
    }

    private func pair(_ value: [Int]?, _ field: String, _ name: String, default fallback: [Int]?, minimum: Int) throws(ModelError) -> (Int, Int) {
        guard let value = value ?? fallback else { throw .layer(name: name, reason: "missing '\(field)'") }
        guard value.count == 2, value.allSatisfy({ $0 >= minimum }) else {
            throw .layer(name: name, reason: "'\(field)' must be two integers ≥ \(minimum), got \(value)")
        }
        return (value[0], value[1])
    }

    private func tensor(_ tensorName: String?, field: String, layer: String, shape expected: [Int]) throws(ModelError) -> [Float] {
        guard let tensorName else { throw .layer(name: layer, reason: "missing '\(field)' tensor name") }
        let (actual, values) = try weights.floats(tensorName, layer: layer)
        guard actual == expected else {
            throw .tensorShape(tensor: tensorName, layer: layer, expected: expected, actual: actual)
        }
        return values
    }

    private mutating func addConv(_ spec: LayerSpec, name: String) throws(ModelError) {
        guard case .spatial(let channels, let height, let width) = shape else {
            throw .layer(name: name, reason: "needs a [C, H, W] input, got \(shape)")
        }
        let inC = try require(spec.inChannels, "in_channels", name)
        let outC = try require(spec.outChannels, "out_channels", name)
        guard inC == channels else {
            throw .layer(name: name, reason: "in_channels is \(inC) but the input has \(channels) channels")
        }
        guard (spec.groups ?? 1) == 1, (spec.dilation ?? [1, 1]) == [1, 1] else {
            throw .layer(name: name, reason: "grouped or dilated convolutions are not supported")
        }
        let (kh, kw) = try pair(spec.kernel, "kernel", name, default: nil, minimum: 1)
        let (sh, sw) = try pair(spec.stride, "stride", name, default: [1, 1], minimum: 1)
        let (ph, pw) = try pair(spec.padding, "padding", name, default: [0, 0], minimum: 0)
        let outH = (height + 2 * ph - kh) / sh + 1, outW = (width + 2 * pw - kw) / sw + 1
        guard height + 2 * ph >= kh, width + 2 * pw >= kw else {
            throw .layer(name: name, reason: "kernel \(kh)x\(kw) is larger than the padded input \(height)x\(width)")
        }
        let depth = inC * kh * kw
        let weight = try tensor(spec.weight, field: "weight", layer: name, shape: [outC, inC, kh, kw])
        let bias = try spec.bias.map { b throws(ModelError) in try tensor(b, field: "bias", layer: name, shape: [outC]) }
        steps.append(.conv(ConvStep(
            name: name, inChannels: inC, outChannels: outC,
            inHeight: height, inWidth: width, outHeight: outH, outWidth: outW,
            kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padH: ph, padW: pw,
            weights: PackedMatrix(rows: outC, depth: depth, rowMajor: weight, panelRows: kernels.gemmRows),
            bias: bias ?? [Float](repeating: 0, count: outC), relu: false)))
        shape = .spatial(channels: outC, height: outH, width: outW)
    }

    private mutating func addDense(_ spec: LayerSpec, name: String) throws(ModelError) {
        guard case .flat(let features) = shape else {
            throw .layer(name: name, reason: "needs a flat input (add 'flatten' first), got \(shape)")
        }
        let inF = try require(spec.inFeatures, "in_features", name)
        let outF = try require(spec.outFeatures, "out_features", name)
        guard inF == features else {
            throw .layer(name: name, reason: "in_features is \(inF) but the input has \(features) features")
        }
        let weight = try tensor(spec.weight, field: "weight", layer: name, shape: [outF, inF])
        let bias = try spec.bias.map { b throws(ModelError) in try tensor(b, field: "bias", layer: name, shape: [outF]) }
        steps.append(.dense(DenseStep(
            name: name, inFeatures: inF, outFeatures: outF,
            weights: PackedMatrix(rows: outF, depth: inF, rowMajor: weight, panelRows: kernels.gemmRows),
            bias: bias ?? [Float](repeating: 0, count: outF), relu: false)))
        shape = .flat(features: outF)
    }

    /// y = (x − mean) · γ/√(var+ε) + β is affine per channel, so it folds into
    /// the producing layer's weight rows and bias: no BatchNorm step at run time.
    private mutating func foldBatchNorm(_ spec: LayerSpec, name: String) throws(ModelError) {
        let features = try require(spec.numFeatures, "num_features", name)
        let channels: Int
        switch (spec.type, shape) {
        case ("batchnorm2d", .spatial(let c, _, _)), ("batchnorm1d", .flat(let c)): channels = c
        default: throw .layer(name: name, reason: "\(spec.type) does not apply to an input of shape \(shape)")
        }
        guard features == channels else {
            throw .layer(name: name, reason: "num_features is \(features) but the input has \(channels)")
        }
        let gamma = try tensor(spec.weight, field: "weight", layer: name, shape: [features])
        let beta = try tensor(spec.bias, field: "bias", layer: name, shape: [features])
        let mean = try tensor(spec.runningMean, field: "running_mean", layer: name, shape: [features])
        let variance = try tensor(spec.runningVar, field: "running_var", layer: name, shape: [features])
        let eps = Double(spec.eps ?? 1e-5)
        guard variance.allSatisfy({ Double($0) + eps > 0 }) else {
            throw .layer(name: name, reason: "running_var + eps must be positive")
        }
        let scale = (0 ..< features).map { Double(gamma[$0]) / (Double(variance[$0]) + eps).squareRoot() }
        func fold(_ matrix: PackedMatrix, _ bias: [Float]) -> (PackedMatrix, [Float]) {
            var rowMajor = matrix.rowMajor
            for row in 0 ..< matrix.rows {
                for k in 0 ..< matrix.depth {
                    rowMajor[row * matrix.depth + k] = Float(Double(rowMajor[row * matrix.depth + k]) * scale[row])
                }
            }
            let folded = (0 ..< features).map { Float((Double(bias[$0]) - Double(mean[$0])) * scale[$0] + Double(beta[$0])) }
            return (PackedMatrix(rows: matrix.rows, depth: matrix.depth, rowMajor: rowMajor, panelRows: matrix.panelRows), folded)
        }
        switch steps.last {
        case .conv(var conv) where !conv.relu:
            (conv.weights, conv.bias) = fold(conv.weights, conv.bias)
            steps[steps.count - 1] = .conv(conv)
        case .dense(var dense) where !dense.relu:
            (dense.weights, dense.bias) = fold(dense.weights, dense.bias)
            steps[steps.count - 1] = .dense(dense)
        default:
            throw .layer(name: name, reason: "batchnorm must directly follow a conv2d or linear layer to be folded")
        }
    }

    /// The plan after the last layer: turns the convolutions that qualify into Winograd
    /// steps (`winograd`: tests switch it off to compare the two), adds the direct
    /// kernel's channel packing to every other convolution, and packs dense layers with
    /// their output features in the lanes. Winograd first, so that no convolution is
    /// packed for a kernel that will not run it.
    func finalSteps(winograd: Bool = true) -> [Step] {
        let lanes = kernels.channelLanes
        let planned = winograd ? WinogradPlanning.rewrite(steps, lanes: lanes) : steps
        return planned.map { step in
            switch step {
            case .conv(var conv):
                conv.channelWeights = conv.weights.repacked(panelRows: lanes)
                conv.paddedBias = Self.padded(conv.bias, lanes: lanes)
                return .conv(conv)
            case .dense(var dense):
                dense.weights = dense.weights.repacked(panelRows: lanes)
                dense.paddedBias = Self.padded(dense.bias, lanes: lanes)
                return .dense(dense)
            default:
                return step
            }
        }
    }

    /// `bias` with zeros up to whole panels of `lanes`.
    static func padded(_ bias: [Float], lanes: Int) -> [Float] {
        bias + [Float](repeating: 0, count: (bias.count + lanes - 1) / lanes * lanes - bias.count)
    }

    private mutating func addReLU() {
        switch steps.last {
        case .conv(var conv) where !conv.relu:
            conv.relu = true
            steps[steps.count - 1] = .conv(conv)
        case .dense(var dense) where !dense.relu:
            dense.relu = true
            steps[steps.count - 1] = .dense(dense)
        case .relu:
            break  // relu∘relu = relu
        default:
            steps.append(.relu)
        }
    }

    private mutating func addPool(_ spec: LayerSpec, name: String, kind: PoolStep.Kind) throws(ModelError) {
        guard case .spatial(let c, let height, let width) = shape else {
            throw .layer(name: name, reason: "needs a [C, H, W] input, got \(shape)")
        }
        guard spec.ceilMode != true else { throw .layer(name: name, reason: "ceil_mode is not supported") }
        let (kh, kw) = try pair(spec.kernel, "kernel", name, default: nil, minimum: 1)
        let (sh, sw) = try pair(spec.stride, "stride", name, default: [kh, kw], minimum: 1)
        let (ph, pw) = try pair(spec.padding, "padding", name, default: [0, 0], minimum: 0)
        guard ph * 2 <= kh, pw * 2 <= kw else {
            throw .layer(name: name, reason: "padding must be at most half the kernel size")
        }
        guard height + 2 * ph >= kh, width + 2 * pw >= kw else {
            throw .layer(name: name, reason: "kernel \(kh)x\(kw) is larger than the padded input \(height)x\(width)")
        }
        let outH = (height + 2 * ph - kh) / sh + 1, outW = (width + 2 * pw - kw) / sw + 1
        steps.append(.pool(PoolStep(
            kind: kind, channels: c, inHeight: height, inWidth: width, outHeight: outH, outWidth: outW,
            kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padH: ph, padW: pw)))
        shape = .spatial(channels: c, height: outH, width: outW)
    }
}
