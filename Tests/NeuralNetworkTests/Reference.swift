/// Straightforward, unblocked implementations of each layer on one glyph in
/// NCHW order, written from the PyTorch definitions: the oracle the blocked
/// kernels are compared against on random shapes.
enum Reference {
    struct Tensor { var values: [Float]; var channels: Int; var height: Int; var width: Int }

    static func conv(_ x: Tensor, weight: [Float], bias: [Float]?, outChannels: Int, kernel: (Int, Int),
                     stride: (Int, Int), padding: (Int, Int)) -> Tensor {
        let oh = (x.height + 2 * padding.0 - kernel.0) / stride.0 + 1
        let ow = (x.width + 2 * padding.1 - kernel.1) / stride.1 + 1
        var out = [Float](repeating: 0, count: outChannels * oh * ow)
        for o in 0 ..< outChannels {
            for oy in 0 ..< oh {
                for ox in 0 ..< ow {
                    var sum: Float = bias?[o] ?? 0
                    for c in 0 ..< x.channels {
                        for ky in 0 ..< kernel.0 {
                            for kx in 0 ..< kernel.1 {
                                let y = oy * stride.0 - padding.0 + ky, xx = ox * stride.1 - padding.1 + kx
                                guard y >= 0, y < x.height, xx >= 0, xx < x.width else { continue }
                                let w = weight[((o * x.channels + c) * kernel.0 + ky) * kernel.1 + kx]
                                sum += w * x.values[(c * x.height + y) * x.width + xx]
                            }
                        }
                    }
                    out[(o * oh + oy) * ow + ox] = sum
                }
            }
        }
        return Tensor(values: out, channels: outChannels, height: oh, width: ow)
    }

    static func batchNorm(_ x: Tensor, gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float = 1e-5) -> Tensor {
        var out = x
        let plane = x.height * x.width
        for c in 0 ..< x.channels {
            for i in 0 ..< plane {
                let v = x.values[c * plane + i]
                out.values[c * plane + i] = (v - mean[c]) / (variance[c] + eps).squareRoot() * gamma[c] + beta[c]
            }
        }
        return out
    }

    static func relu(_ x: Tensor) -> Tensor {
        var out = x
        out.values = x.values.map { max($0, 0) }
        return out
    }

    static func pool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), max isMax: Bool) -> Tensor {
        let oh = (x.height + 2 * padding.0 - kernel.0) / stride.0 + 1
        let ow = (x.width + 2 * padding.1 - kernel.1) / stride.1 + 1
        var out = [Float](repeating: 0, count: x.channels * oh * ow)
        for c in 0 ..< x.channels {
            for oy in 0 ..< oh {
                for ox in 0 ..< ow {
                    var best = -Float.infinity, sum: Float = 0
                    for ky in 0 ..< kernel.0 {
                        for kx in 0 ..< kernel.1 {
                            let y = oy * stride.0 - padding.0 + ky, xx = ox * stride.1 - padding.1 + kx
                            guard y >= 0, y < x.height, xx >= 0, xx < x.width else { continue }
                            let v = x.values[(c * x.height + y) * x.width + xx]
                            best = max(best, v)
                            sum += v
                        }
                    }
                    out[(c * oh + oy) * ow + ox] = isMax ? best : sum / Float(kernel.0 * kernel.1)
                }
            }
        }
        return Tensor(values: out, channels: x.channels, height: oh, width: ow)
    }

    static func globalAveragePool(_ x: Tensor) -> [Float] {
        let plane = x.height * x.width
        return (0 ..< x.channels).map { c in x.values[c * plane ..< (c + 1) * plane].reduce(0, +) / Float(plane) }
    }

    static func linear(_ x: [Float], weight: [Float], bias: [Float]?, outFeatures: Int) -> [Float] {
        (0 ..< outFeatures).map { o in
            var sum: Float = bias?[o] ?? 0
            for i in x.indices { sum += weight[o * x.count + i] * x[i] }
            return sum
        }
    }

    static func identity(_ n: Int) -> [Float] {
        (0 ..< n * n).map { $0 / n == $0 % n ? 1 : 0 }
    }
}
