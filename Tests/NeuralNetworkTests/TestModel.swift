import Foundation
@testable import NeuralNetwork

/// Builds small models in memory or on disk: safetensors bytes written by
/// hand (so the loader is tested against the format, not against itself)
/// plus a manifest from a layer list.
struct TestModel {
    var classes: [String]
    var input: (channels: Int, height: Int, width: Int)
    var layers: [[String: Any]] = []
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    /// Further top-level manifest fields (e.g. `rejection`), written as they are.
    var extra: [String: Any] = [:]

    init(classes: Int, channels: Int = 1, height: Int, width: Int) {
        self.classes = (0 ..< classes).map { "c\($0)" }
        self.input = (channels, height, width)
    }

    mutating func tensor(_ name: String, _ shape: [Int], _ values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape/value mismatch")
        tensors.append((name, shape, values))
    }

    mutating func conv(_ name: String, in inC: Int, out outC: Int, kernel: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                       weight: [Float], bias: [Float]?) {
        tensor("\(name).weight", [outC, inC, kernel[0], kernel[1]], weight)
        if let bias { tensor("\(name).bias", [outC], bias) }
        layers.append(["type": "conv2d", "name": name, "in_channels": inC, "out_channels": outC, "kernel": kernel,
                       "stride": stride, "padding": padding, "weight": "\(name).weight",
                       "bias": bias == nil ? NSNull() : "\(name).bias" as Any])
    }

    mutating func linear(_ name: String, in inF: Int, out outF: Int, weight: [Float], bias: [Float]?) {
        tensor("\(name).weight", [outF, inF], weight)
        if let bias { tensor("\(name).bias", [outF], bias) }
        layers.append(["type": "linear", "name": name, "in_features": inF, "out_features": outF,
                       "weight": "\(name).weight", "bias": bias == nil ? NSNull() : "\(name).bias" as Any])
    }

    mutating func batchNorm(_ name: String, type: String = "batchnorm2d", gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float = 1e-5) {
        let n = gamma.count
        tensor("\(name).weight", [n], gamma)
        tensor("\(name).bias", [n], beta)
        tensor("\(name).running_mean", [n], mean)
        tensor("\(name).running_var", [n], variance)
        layers.append(["type": type, "name": name, "num_features": n, "eps": eps, "weight": "\(name).weight",
                       "bias": "\(name).bias", "running_mean": "\(name).running_mean", "running_var": "\(name).running_var"])
    }

    mutating func layer(_ type: String, _ fields: [String: Any] = [:]) {
        layers.append(fields.merging(["type": type]) { a, _ in a })
    }

    var safetensors: Data {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.values.count * 4]]
            offset += t.values.count * 4
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in tensors {
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    func manifestObject(weights: String = "model.safetensors") -> [String: Any] {
        ["format": 1, "name": "test", "version": "0.0.1", "weights": weights, "classes": classes,
         "input": ["channels": input.channels, "height": input.height, "width": input.width],
         "normalization": ["mean": 0.5, "std": 0.25], "layers": layers,
         "parameters": 0, "flops_per_glyph": 0, "metrics": ["accuracy": 0.5, "note": "text"]]
            .merging(extra) { _, added in added }
    }

    var manifestJSON: Data {
        (try? JSONSerialization.data(withJSONObject: manifestObject(), options: [.sortedKeys])) ?? Data()
    }

    func build(kernels: KernelChoice? = nil, winograd: Bool = true) throws -> Model {
        let manifest = try JSONDecoder().decode(Manifest.self, from: manifestJSON)
        return try Model(manifest: manifest, weights: safetensors, kernels: kernels, winograd: winograd)
    }

    /// Writes `model.json` + `model.safetensors` into a fresh temporary folder; returns the manifest path.
    func write() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nn-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try safetensors.write(to: folder.appendingPathComponent("model.safetensors"))
        let manifest = folder.appendingPathComponent("model.json")
        try manifestJSON.write(to: manifest)
        return manifest.path
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
