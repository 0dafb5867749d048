import ArgumentParser
import Foundation
import NeuralNetwork

/// Single-thread latency and throughput of the CNN engine on one model.
/// Prints `key=value` lines that `bench/engine/run.sh` sets beside ONNX Runtime's.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine", abstract: "CNN engine latency and throughput.")

    @Option(help: "Path to the model manifest (.json).")
    var model: String

    @Option(help: "Batch-1 runs to time.")
    var iterations = 2000

    @Option(help: "Batch size for the throughput run.")
    var batch = 64

    @Option(help: "Batches to time in the throughput run.")
    var batches = 100

    @Option(help: "Kernel set: portable, avx2 or avx512 (default: OCR_KERNELS, else the best this CPU supports).")
    var kernels: String?

    @Option(help: "Optional {inputs, logits} file: report the largest logit difference before timing.")
    var check: String?

    @Option(help: "Pause this many microseconds before each batch-1 run, as a service idles between requests.")
    var pauseUs = 0

    @Flag(help: "Pause by spinning instead of sleeping (the core stays busy between runs).")
    var spin = false

    @Flag(help: "Run every convolution on the direct and GEMM kernels, none as Winograd (for comparison).")
    var noWinograd = false

    func run() throws {
        let loaded: Model
        let choice: KernelChoice?
        if let kernels {
            guard let named = KernelChoice(rawValue: kernels) else { throw ValidationError("unknown kernel set '\(kernels)'") }
            choice = named
        } else {
            choice = nil
        }
        do { loaded = try Model.load(manifestPath: model, kernels: choice, winograd: !noWinograd) } catch { throw ValidationError(error.description) }
        let session = InferenceSession(model: loaded, maxBatch: max(batch, 1))
        let inputSize = loaded.inputSize, outputs = loaded.outputCount

        if let check { try compare(session, path: check) }

        var rng = SystemRandomNumberGenerator()
        let inputs = (0 ..< batch * inputSize).map { _ in Float.random(in: -0.4 ... 3, using: &rng) }
        var logits = [Float](repeating: 0, count: batch * outputs)
        let clock = ContinuousClock()

        func timeOnce(_ count: Int) throws -> Double {
            let start = clock.now
            try inputs.withUnsafeBufferPointer { i in
                try logits.withUnsafeMutableBufferPointer { o in
                    try session.run(inputs: UnsafeBufferPointer(rebasing: i[0 ..< count * inputSize]), count: count,
                                    logits: UnsafeMutableBufferPointer(rebasing: o[0 ..< count * outputs]))
                }
            }
            let elapsed = clock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        for _ in 0 ..< 50 { _ = try timeOnce(1) }
        var single = try (0 ..< iterations).map { _ in
            // A request finds the core idle since the previous one: the weights have left its
            // caches and, on a virtual machine, the vCPU may have been handed to another guest.
            if pauseUs > 0 && spin {
                let end = clock.now + .microseconds(pauseUs)
                while clock.now < end {}
            } else if pauseUs > 0 {
                usleep(UInt32(pauseUs))
            }
            return try timeOnce(1)
        }
        single.sort()
        for _ in 0 ..< 3 { _ = try timeOnce(batch) }
        var batched = try (0 ..< batches).map { _ in try timeOnce(batch) }
        batched.sort()

        let flops = Double(loaded.flopsPerGlyph)
        let median1 = percentile(single, 0.5), p99 = percentile(single, 0.99)
        let medianBatch = percentile(batched, 0.5)
        print("engine=swift")
        print("kernels=\(loaded.kernelChoice)")
        print("winograd=\(loaded.runsWinograd)")
        print("kernels_supported=\(KernelChoice.supported.map(\.rawValue).joined(separator: ","))")
        print("flops_per_glyph=\(loaded.flopsPerGlyph)")
        print("batch1_median_us=\(format(median1 * 1e6))")
        print("batch1_p99_us=\(format(p99 * 1e6))")
        print("batch1_gflops=\(format(flops / median1 / 1e9))")
        print("batch\(batch)_median_ms=\(format(medianBatch * 1e3))")
        print("batch\(batch)_glyphs_per_s=\(format(Double(batch) / medianBatch))")
        print("batch\(batch)_gflops=\(format(flops * Double(batch) / medianBatch / 1e9))")
    }

    private func compare(_ session: InferenceSession, path: String) throws {
        struct Golden: Decodable { var inputs: [[Float]]; var logits: [[Float]] }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        var worst: Float = 0
        for start in stride(from: 0, to: golden.inputs.count, by: session.maxBatch) {
            let end = min(start + session.maxBatch, golden.inputs.count)
            let got = try session.logits(Array(golden.inputs[start ..< end]))
            for (g, want) in zip(got, golden.logits[start ..< end]) {
                worst = max(worst, zip(g, want).map { abs($0 - $1) }.max() ?? 0)
            }
        }
        print("check_max_abs_diff=\(worst)")
    }

    private func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
