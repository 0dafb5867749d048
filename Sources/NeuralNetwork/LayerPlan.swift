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

/// A weight matrix `[rows][depth]` stored as row panels of `panelRows` rows:
/// panel p holds, for each k, the `panelRows` values of rows
/// p·panelRows ..< (p+1)·panelRows (zero past the last row). This is the
/// order the micro-kernels read them.
struct PackedMatrix: Sendable {
    let rows: Int
    let depth: Int
    let panelRows: Int
    let values: [Float]

    init(rows: Int, depth: Int, rowMajor: [Float], panelRows: Int = Kernels.mr) {
        precondition(rowMajor.count == rows * depth)
        let panels = (rows + panelRows - 1) / panelRows
        var packed = [Float](repeating: 0, count: panels * panelRows * depth)
        for row in 0 ..< rows {
            let panel = row / panelRows, lane = row % panelRows
            for k in 0 ..< depth {
                packed[(panel * depth + k) * panelRows + lane] = rowMajor[row * depth + k]
            }
        }
        self.rows = rows
        self.depth = depth
        self.panelRows = panelRows
        self.values = packed
    }

    /// The matrix back in `[rows][depth]` order.
    var rowMajor: [Float] {
        var result = [Float](repeating: 0, count: rows * depth)
        for row in 0 ..< rows {
            for k in 0 ..< depth {
                result[row * depth + k] = values[((row / panelRows) * depth + k) * panelRows + row % panelRows]
            }
        }
        return result
    }

    func repacked(panelRows: Int) -> PackedMatrix {
        PackedMatrix(rows: rows, depth: depth, rowMajor: rowMajor, panelRows: panelRows)
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
    /// The same weights packed in panels of `Kernels.channelLanes` output
    /// channels for the direct kernel, and the bias padded to whole panels;
    /// filled in once the plan is final (after BatchNorm folding).
    var channelWeights: PackedMatrix? = nil
    var paddedBias: [Float] = []

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
