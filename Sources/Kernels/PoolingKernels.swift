import LayerPlan

/// Pooling, reshaping and activation steps: memory-bound loops over the
/// `[channel][glyph][y][x]` activations, no arithmetic worth blocking.
extension Kernels {
    /// Max or average pooling of every (channel, glyph) plane. Padding taps
    /// are ignored by max (PyTorch pads with −∞) and count as zeros for
    /// average when `countIncludePad` (PyTorch's default).
    static func pool(_ s: PoolStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
        let inPlane = s.inHeight * s.inWidth, outPlane = s.outHeight * s.outWidth
        if case .max = s.kind, s.kernelH == 2, s.kernelW == 2, s.strideH == 2, s.strideW == 2, s.padH == 0, s.padW == 0 {
            // The common 2×2/2 case: no bounds logic, two rows at a time.
            for plane in 0 ..< s.channels * batch {
                let source = input + plane * inPlane, destination = output + plane * outPlane
                for oy in 0 ..< s.outHeight {
                    let top = source + 2 * oy * s.inWidth, bottom = top + s.inWidth, out = destination + oy * s.outWidth
                    for ox in 0 ..< s.outWidth {
                        out[ox] = max(max(top[2 * ox], top[2 * ox + 1]), max(bottom[2 * ox], bottom[2 * ox + 1]))
                    }
                }
            }
            return
        }
        for plane in 0 ..< s.channels * batch {
            let source = input + plane * inPlane
            let destination = output + plane * outPlane
            for oy in 0 ..< s.outHeight {
                let y0 = oy * s.strideH - s.padH
                let yStart = max(y0, 0), yEnd = min(y0 + s.kernelH, s.inHeight)
                for ox in 0 ..< s.outWidth {
                    let x0 = ox * s.strideW - s.padW
                    let xStart = max(x0, 0), xEnd = min(x0 + s.kernelW, s.inWidth)
                    switch s.kind {
                    case .max:
                        var best = -Float.infinity
                        for y in yStart ..< yEnd {
                            for x in xStart ..< xEnd { best = max(best, source[y * s.inWidth + x]) }
                        }
                        destination[oy * s.outWidth + ox] = best
                    case .average(let countIncludePad):
                        var sum: Float = 0
                        for y in yStart ..< yEnd {
                            for x in xStart ..< xEnd { sum += source[y * s.inWidth + x] }
                        }
                        let divisor = countIncludePad ? s.kernelH * s.kernelW : (yEnd - yStart) * (xEnd - xStart)
                        destination[oy * s.outWidth + ox] = sum / Float(divisor)
                    }
                }
            }
        }
    }

    /// `[C][N][plane]` → `[C][N]`, the mean of each plane.
    static func globalAveragePool(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, planes: Int, plane: Int) {
        let scale = 1 / Float(plane)
        for p in 0 ..< planes {
            let source = input + p * plane
            var sum: Float = 0
            for i in 0 ..< plane { sum += source[i] }
            output[p] = sum * scale
        }
    }

    /// `[C][N][plane]` → `[C·plane][N]`: each glyph's features in NCHW order.
    static func flatten(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int, batch: Int) {
        for c in 0 ..< channels {
            for n in 0 ..< batch {
                let source = input + (c * batch + n) * plane
                for p in 0 ..< plane { output[(c * plane + p) * batch + n] = source[p] }
            }
        }
    }

    static func relu(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0 ..< count where buffer[i] < 0 { buffer[i] = 0 }
    }
}
