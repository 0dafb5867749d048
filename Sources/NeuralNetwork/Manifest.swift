import Foundation

/// The JSON manifest beside the weights, as written by the training export
/// (docs/model-format.md). Decoding only checks JSON types; meaning is
/// checked when the layer plan is built.
public struct Manifest: Decodable, Sendable {
    public struct Input: Decodable, Sendable {
        public var channels: Int
        public var height: Int
        public var width: Int
    }

    public struct Normalization: Decodable, Sendable {
        public var mean: Float
        public var std: Float
    }

    public var format: Int
    public var name: String
    public var version: String
    public var weights: String
    public var classes: [String]
    /// The open-set reject, as written; `RejectionRule` checks its meaning. Absent in older manifests.
    public struct Rejection: Decodable, Sendable {
        public var score: String
        public var threshold: Double
        public var temperature: Double?
    }

    public var input: Input
    public var normalization: Normalization
    public var layers: [LayerSpec]
    public var parameters: Int?
    public var flopsPerGlyph: Int?
    /// Accuracy figures the training run measured, by name. Non-numeric entries are dropped.
    public var metrics: [String: Double]
    public var rejection: Rejection?
    /// The outputs after the classes', for the page reader (docs/model-format.md, "Page
    /// head"): the extent ones, then the piece digits. Absent in older manifests.
    public struct PageHead: Decodable, Sendable, Equatable {
        public var extent: [String]
        public var pieceDigits: [String]

        public init(extent: [String], pieceDigits: [String]) {
            self.extent = extent
            self.pieceDigits = pieceDigits
        }

        enum CodingKeys: String, CodingKey {
            case extent
            case pieceDigits = "piece_digits"
        }

        public var outputCount: Int { extent.count + pieceDigits.count }
    }

    public var pageHead: PageHead?

    enum CodingKeys: String, CodingKey {
        case format, name, version, weights, classes, input, normalization, layers, parameters, metrics, rejection
        case flopsPerGlyph = "flops_per_glyph"
        case pageHead = "page_head"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(Int.self, forKey: .format)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        weights = try c.decode(String.self, forKey: .weights)
        classes = try c.decode([String].self, forKey: .classes)
        input = try c.decode(Input.self, forKey: .input)
        normalization = try c.decode(Normalization.self, forKey: .normalization)
        layers = try c.decode([LayerSpec].self, forKey: .layers)
        parameters = try c.decodeIfPresent(Int.self, forKey: .parameters)
        flopsPerGlyph = try c.decodeIfPresent(Int.self, forKey: .flopsPerGlyph)
        let loose = try c.decodeIfPresent([String: LooseNumber].self, forKey: .metrics) ?? [:]
        metrics = loose.compactMapValues(\.value)
        rejection = try c.decodeIfPresent(Rejection.self, forKey: .rejection)
        pageHead = try c.decodeIfPresent(PageHead.self, forKey: .pageHead)
    }
}

/// A metrics value that may be a number or anything else (kept only if numeric).
struct LooseNumber: Decodable {
    var value: Double?
    init(from decoder: any Decoder) throws {
        value = try? decoder.singleValueContainer().decode(Double.self)
    }
}

/// One entry of the manifest's layer list: every field any layer type may
/// carry, all optional; `LayerPlanner` decides which ones a type requires.
public struct LayerSpec: Decodable, Sendable {
    public var type: String
    public var name: String?
    public var inChannels: Int?
    public var outChannels: Int?
    public var inFeatures: Int?
    public var outFeatures: Int?
    public var numFeatures: Int?
    public var kernel: [Int]?
    public var stride: [Int]?
    public var padding: [Int]?
    public var eps: Float?
    public var countIncludePad: Bool?
    public var ceilMode: Bool?
    public var groups: Int?
    public var dilation: [Int]?
    public var weight: String?
    public var bias: String?
    public var runningMean: String?
    public var runningVar: String?

    enum CodingKeys: String, CodingKey {
        case type, name, kernel, stride, padding, eps, weight, bias, groups, dilation
        case inChannels = "in_channels", outChannels = "out_channels"
        case inFeatures = "in_features", outFeatures = "out_features"
        case numFeatures = "num_features"
        case countIncludePad = "count_include_pad", ceilMode = "ceil_mode"
        case runningMean = "running_mean", runningVar = "running_var"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels)
        outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels)
        inFeatures = try c.decodeIfPresent(Int.self, forKey: .inFeatures)
        outFeatures = try c.decodeIfPresent(Int.self, forKey: .outFeatures)
        numFeatures = try c.decodeIfPresent(Int.self, forKey: .numFeatures)
        kernel = try Self.pair(c, .kernel)
        stride = try Self.pair(c, .stride)
        padding = try Self.pair(c, .padding)
        eps = try c.decodeIfPresent(Float.self, forKey: .eps)
        countIncludePad = try c.decodeIfPresent(Bool.self, forKey: .countIncludePad)
        ceilMode = try c.decodeIfPresent(Bool.self, forKey: .ceilMode)
        groups = try c.decodeIfPresent(Int.self, forKey: .groups)
        dilation = try Self.pair(c, .dilation)
        weight = try c.decodeIfPresent(String.self, forKey: .weight)
        bias = try c.decodeIfPresent(String.self, forKey: .bias)
        runningMean = try c.decodeIfPresent(String.self, forKey: .runningMean)
        runningVar = try c.decodeIfPresent(String.self, forKey: .runningVar)
    }

    /// PyTorch accepts `3` as shorthand for `[3, 3]`; so does the manifest.
    private static func pair(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [Int]? {
        if let single = try? c.decodeIfPresent(Int.self, forKey: key) { return [single, single] }
        return try c.decodeIfPresent([Int].self, forKey: key)
    }
}
