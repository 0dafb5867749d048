import LayerPlan

/// Which convolutions run as Winograd F(2×2, 3×3) (`WinogradStep`), and
/// their weight transform.
enum WinogradPlanning {
    /// 3×3, stride 1, and enough input channels that the 16 small products
    /// have some depth: with one input channel (a first layer on grey pixels)
    /// each product is a single multiply-add per tile, and the transforms
    /// would cost more than they save.
    static func applies(to conv: ConvStep) -> Bool {
        conv.kernelH == 3 && conv.kernelW == 3 && conv.strideH == 1 && conv.strideW == 1
            && conv.inChannels >= minimumInputChannels && conv.outHeight >= 2 && conv.outWidth >= 2
    }

    static let minimumInputChannels = 8

    /// A 2×2, stride-2, unpadded max pool over the convolution's own output,
    /// which the Winograd step can take over.
    static func fuses(_ pool: PoolStep, after conv: ConvStep) -> Bool {
        guard case .max = pool.kind else { return false }
        return pool.kernelH == 2 && pool.kernelW == 2 && pool.strideH == 2 && pool.strideW == 2
            && pool.padH == 0 && pool.padW == 0 && pool.channels == conv.outChannels
            && pool.inHeight == conv.outHeight && pool.inWidth == conv.outWidth
    }

    /// `U = G·g·Gᵀ` per (output, input) channel pair, with
    /// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`, computed in Double
    /// and packed as `WinogradStep.transformed` describes.
    static func step(_ conv: ConvStep, pooled: Bool, lanes: Int) -> WinogradStep {
        let inC = conv.inChannels, outC = conv.outChannels
        let panels = (outC + lanes - 1) / lanes
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        let weights = conv.weights.rowMajor  // [out][in·3·3], BatchNorm already folded
        var transformed = [Float](repeating: 0, count: 16 * panels * inC * lanes)
        for o in 0 ..< outC {
            for c in 0 ..< inC {
                let kernel = (0 ..< 9).map { Double(weights[o * inC * 9 + c * 9 + $0]) }
                // G·g: 4 × 3.
                var left = [[Double]](repeating: [0, 0, 0], count: 4)
                for i in 0 ..< 4 {
                    for j in 0 ..< 3 {
                        left[i][j] = (0 ..< 3).reduce(0) { $0 + g[i][$1] * kernel[$1 * 3 + j] }
                    }
                }
                // (G·g)·Gᵀ: 4 × 4.
                for i in 0 ..< 4 {
                    for j in 0 ..< 4 {
                        let value = (0 ..< 3).reduce(0) { $0 + left[i][$1] * g[j][$1] }
                        let xi = i * 4 + j
                        transformed[((xi * panels + o / lanes) * inC + c) * lanes + o % lanes] = Float(value)
                    }
                }
            }
        }
        return WinogradStep(conv: conv, pooled: pooled, transformed: transformed,
                            paddedBias: LayerPlanner.padded(conv.bias, lanes: lanes))
    }

    /// Replaces every eligible convolution, with the max pool that follows it when it can fuse.
    static func rewrite(_ steps: [Step], lanes: Int) -> [Step] {
        var result: [Step] = []
        var index = 0
        while index < steps.count {
            if case .conv(let conv) = steps[index], applies(to: conv) {
                if index + 1 < steps.count, case .pool(let pool) = steps[index + 1], fuses(pool, after: conv) {
                    result.append(.winograd(step(conv, pooled: true, lanes: lanes)))
                    index += 2
                } else {
                    result.append(.winograd(step(conv, pooled: false, lanes: lanes)))
                    index += 1
                }
                continue
            }
            result.append(steps[index])
            index += 1
        }
        // Adjacent Winograd steps hand over the padded, channels-innermost input directly.
        for i in result.indices.dropLast() {
            guard case .winograd(var producer) = result[i], case .winograd(var consumer) = result[i + 1] else { continue }
            producer.handOff = consumer.receivingEnd
            consumer.inputPrepared = true
            result[i] = .winograd(producer)
            result[i + 1] = .winograd(consumer)
        }
        return result
    }
}
