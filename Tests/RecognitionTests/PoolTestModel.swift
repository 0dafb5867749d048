import Foundation
import NeuralNetwork

/// Builds a random-weight 28×28 → 13-class model in memory: conv(1→width,
/// 3×3, pad 1) + ReLU + conv(width→width) + ReLU + global average pool +
/// linear. `width` sets how long one glyph takes, which the queueing tests
/// use to keep a worker busy.
enum PoolTestModel {
    static func make(width: Int, seed: UInt64 = 1) throws -> Model {
        var rng = Seeded(state: seed)
        var tensors: [(String, [Int], [Float])] = []
        func add(_ name: String, _ shape: [Int], scale: Float) {
            tensors.append((name, shape, (0 ..< shape.reduce(1, *)).map { _ in Float.random(in: -scale ... scale, using: &rng) }))
        }
        add("c1.weight", [width, 1, 3, 3], scale: 0.5)
        add("c1.bias", [width], scale: 0.1)
        add("c2.weight", [width, width, 3, 3], scale: 0.2)
        add("c2.bias", [width], scale: 0.1)
        add("fc.weight", [13, width], scale: 1)
        add("fc.bias", [13], scale: 0.1)
        let layers: [[String: Any]] = [
            ["type": "conv2d", "name": "c1", "in_channels": 1, "out_channels": width, "kernel": [3, 3], "padding": [1, 1],
             "stride": [1, 1], "weight": "c1.weight", "bias": "c1.bias"],
            ["type": "relu"],
            ["type": "conv2d", "name": "c2", "in_channels": width, "out_channels": width, "kernel": [3, 3], "padding": [1, 1],
             "stride": [1, 1], "weight": "c2.weight", "bias": "c2.bias"],
            ["type": "relu"],
            ["type": "global_avgpool"],
            ["type": "linear", "name": "fc", "in_features": width, "out_features": 13, "weight": "fc.weight", "bias": "fc.bias"],
        ]
        let manifest: [String: Any] = [
            "format": 1, "name": "pool-test", "version": "0", "weights": "w.safetensors",
            "classes": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "smiley", "scribble"],
            "input": ["channels": 1, "height": 28, "width": 28], "normalization": ["mean": 0, "std": 1],
            "layers": layers, "metrics": [:] as [String: Any],
        ]
        var header: [String: Any] = [:]
        var offset = 0
        var payload = Data()
        for (name, shape, values) in tensors {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + values.count * 4]]
            offset += values.count * 4
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        }
        let json = try JSONSerialization.data(withJSONObject: header)
        var weights = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { weights.append(contentsOf: $0) }
        weights.append(json)
        weights.append(payload)
        let decoded = try JSONDecoder().decode(Manifest.self, from: try JSONSerialization.data(withJSONObject: manifest))
        return try Model(manifest: decoded, weights: weights)
    }

    static func glyphs(_ count: Int, seed: UInt64) -> [[Float]] {
        var rng = Seeded(state: seed)
        return (0 ..< count).map { _ in (0 ..< 784).map { _ in Float.random(in: -1 ... 3, using: &rng) } }
    }

    /// What one glyph gives when run alone, outside the pool.
    static func expected(_ model: Model, _ glyph: [Float]) throws -> [Float] {
        softmax(try InferenceSession(model: model, maxBatch: 1).logits([glyph])[0])
    }
}

struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
