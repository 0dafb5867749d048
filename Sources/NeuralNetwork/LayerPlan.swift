/// The compiled form of a model: a sequence of steps whose shapes are fixed
/// and whose weights are folded and packed for the kernels. Built once at
/// load; an inference only walks this list.

/// The shape of one glyph's activation between two steps.
enum ActivationShape: Equatable, Sendable, CustomStringConvertible {
    case spatial(channels: Int, height: Int, width: Int)
    case flat(features: Int)

    var elements: Int {
        switch self {
        case .spatial(let c, let h, let w): return c * h * w
        case .flat(let f): return f
        }
    }

    var description: String {
        switch self {
        case .spatial(let c, let h, let w): return "[\(c), \(h), \(w)]"
        case .flat(let f): return "[\(f)]"
        }
    }
}

/// A weight matrix `[rows][depth]` stored as row panels of `Kernels.mr` rows:
/// panel p holds, for each k, the `mr` values of rows p·mr ..< p·mr+mr
/// (zero past the last row). This is the order the micro-kernel reads them.
struct PackedMatrix: Sendable {
    let rows: Int
    let depth: Int
    let values: [Float]

    init(rows: Int, depth: Int, rowMajor: [Float]) {
        precondition(rowMajor.count == rows * depth)
        let mr = Kernels.mr
        let panels = (rows + mr - 1) / mr
        var packed = [Float](repeating: 0, count: panels * mr * depth)
        for row in 0 ..< rows {
            let panel = row / mr, lane = row % mr
            for k in 0 ..< depth {
                packed[(panel * depth + k) * mr + lane] = rowMajor[row * depth + k]
            }
        }
        self.rows = rows
        self.depth = depth
        self.values = packed
    }
}

struct ConvStep: Sendable {
    var name: String
    var inChannels: Int, outChannels: Int
    var inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
    var weights: PackedMatrix
    var bias: [Float]
    var relu: Bool

    var flops: Int { 2 * outChannels * outHeight * outWidth * inChannels * kernelH * kernelW }
}

struct PoolStep: Sendable {
    enum Kind: Sendable { case max, average(countIncludePad: Bool) }
    var kind: Kind
    var channels: Int
    var inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
}

struct DenseStep: Sendable {
    var name: String
    var inFeatures: Int, outFeatures: Int
    var weights: PackedMatrix
    var bias: [Float]
    var relu: Bool

    var flops: Int { 2 * inFeatures * outFeatures }
}

/// Activations live in "CNHW" order: channel-major, then glyph, then row and
/// column. A convolution over a whole batch is then one GEMM whose output
/// columns are (glyph, y, x), and a dense layer's input is `[feature][glyph]`.
enum Step: Sendable {
    case conv(ConvStep)
    case pool(PoolStep)
    /// `[C][N][plane]` → `[C][N]`.
    case globalAveragePool(channels: Int, plane: Int)
    /// `[C][N][plane]` → `[C·plane][N]` (PyTorch's NCHW flatten order per glyph).
    case flatten(channels: Int, plane: Int)
    case dense(DenseStep)
    case relu

    /// Output floats per glyph.
    func outputElements(input: Int) -> Int {
        switch self {
        case .conv(let c): return c.outChannels * c.outHeight * c.outWidth
        case .pool(let p): return p.channels * p.outHeight * p.outWidth
        case .globalAveragePool(let channels, _): return channels
        case .flatten, .relu: return input
        case .dense(let d): return d.outFeatures
        }
    }
}
