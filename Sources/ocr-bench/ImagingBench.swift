import ArgumentParser
import Foundation
import Imaging
import Preprocessing

/// `ocr-bench imaging`: decode + preprocess latency on generated inputs (a canvas export PNG,
/// a photo-like JPEG, a stroke drawing). Prints medians and p99; bench/imaging/compare.sh runs
/// a peer on the same files and prints the ratio.
struct ImagingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "imaging", abstract: "Decode + preprocess timings.")

    @Option(help: "Runs for the canvas PNG and the strokes.") var runs = 2000
    @Option(help: "Runs for the 1024x768 JPEG.") var photoRuns = 200
    @Flag(help: "Also time each preprocessing step on the canvas PNG (step 2b on the photo).") var steps = false
    @Option(help: "Write the generated inputs into this folder (for peer comparisons) and exit.")
    var writeInputs: String?

    func run() throws {
        let canvas = try Self.canvasPNG()
        let photo = try Self.photoJPEG()
        if let folder = writeInputs {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(canvas).write(to: URL(fileURLWithPath: folder).appendingPathComponent("canvas.png"))
            try Data(photo).write(to: URL(fileURLWithPath: folder).appendingPathComponent("photo.jpg"))
            // The 28x28 inputs as little-endian float32, for a peer implementation to compare.
            for (name, bytes) in [("canvas", canvas), ("photo", photo)] {
                let input = try glyphs(fromImageBytes: bytes, mode: .single)[0].input.pixels
                let raw = input.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
                try Data(raw).write(to: URL(fileURLWithPath: folder).appendingPathComponent("\(name).f32"))
            }
            print("wrote canvas.png (\(canvas.count) bytes), photo.jpg (\(photo.count) bytes) and their inputs to \(folder)")
            return
        }
        let strokes = Self.strokeDrawing()
        print("imaging bench: \(ProcessInfo.processInfo.activeProcessorCount) cores visible, single thread")
        try report("canvas PNG 280x280 RGBA  decode+preprocess", runs: runs) {
            _ = try glyphs(fromImageBytes: canvas, mode: .single)
        }
        let decodedCanvas = try ImageDecoder.decode(canvas)
        try report("canvas PNG 280x280 RGBA  decode only      ", runs: runs) { _ = try ImageDecoder.decode(canvas) }
        try report("canvas PNG 280x280 RGBA  preprocess only  ", runs: runs) {
            _ = try glyphs(from: decodedCanvas, mode: .single)
        }
        if steps { try reportSteps(decodedCanvas, photo: try ImageDecoder.decode(photo)) }
        try report("photo JPEG 1024x768 grey decode+preprocess", runs: photoRuns) {
            _ = try glyphs(fromImageBytes: photo, mode: .single)
        }
        try report("strokes ~300 points      rasterise+preprocess", runs: runs) {
            _ = try glyphs(fromStrokes: strokes, mode: .single)
        }
    }

    private func reportSteps(_ image: DecodedImage, photo: DecodedImage) throws {
        let grey = Preprocessor.desaturate(image)
        let oriented = Preprocessor.normalizePolarity(grey)
        let paper = Preprocessor.levelPaper(oriented)
        let clean = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
        let (cropped, _) = try Preprocessor.cropToInk(clean)
        let scaled = Preprocessor.scaleToBox(cropped)
        try report("  step 1 desaturate       ", runs: runs) { _ = Preprocessor.desaturate(image) }
        try report("  step 2 polarity         ", runs: runs) { _ = Preprocessor.normalizePolarity(grey) }
        // The canvas's frame is uniform, so 2b is timed on the photo, whose paper has a gradient.
        let photoOriented = Preprocessor.normalizePolarity(Preprocessor.desaturate(photo))
        try report("  step 2b level (photo)   ", runs: photoRuns) { _ = Preprocessor.levelPaper(photoOriented) }
        try report("  step 3 noise            ", runs: runs) {
            _ = try Preprocessor.suppressNoise(paper.image, background: paper.background, spread: paper.spread)
        }
        try report("  step 4 crop             ", runs: runs) { _ = try Preprocessor.cropToInk(clean) }
        try report("  step 5 scale            ", runs: runs) { _ = Preprocessor.scaleToBox(cropped) }
        try report("  step 6 centre           ", runs: runs) { _ = Preprocessor.centre(scaled) }
        try report("  steps 2-6 (prepare)     ", runs: runs) { _ = try Preprocessor.prepare(grey) }
    }

    private func report(_ name: String, runs: Int, _ body: () throws -> Void) throws {
        for _ in 0..<max(10, runs / 20) { try body() }  // warm caches and the allocator
        var samples: [Double] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        print(String(format: "%@  median %.4f ms  p99 %.4f ms  (%d runs)", name, median, p99, runs))
    }

    /// A 280x280 canvas export: transparent background, a dark "3"-like polyline, anti-aliased.
    static func canvasPNG() throws -> [UInt8] {
        let side = 280
        let ink = StrokeRasterizerInk.render(side: side)
        let rgba = ink.flatMap { coverage -> [UInt8] in
            coverage == 0 ? [0, 0, 0, 0] : [17, 17, 17, UInt8((coverage * 255).rounded())]
        }
        return try PNGEncoder.encode(samples: rgba, width: side, height: side, colorType: .rgba)
    }

    /// 1024x768 grey paper with sensor-like noise, a gradient and a dark digit, JPEG quality 85.
    static func photoJPEG() throws -> [UInt8] {
        let width = 1024, height = 768
        var random = SplitMix(state: 42)
        let ink = StrokeRasterizerInk.render(side: 500)
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var value = 190.0 + 20.0 * Double(x) / Double(width) + Double(random.next() % 17) - 8
                let ix = x - 262, iy = y - 134
                if ix >= 0, iy >= 0, ix < 500, iy < 500 { value -= 150 * Double(ink[iy * 500 + ix]) }
                pixels[y * width + x] = UInt8(clamping: Int(value))
            }
        }
        return try JPEGEncoder.encode(pixels: pixels, width: width, height: height, channels: 1, quality: 85)
    }

    /// A "3" as a canvas would report it: ~300 points in 3 strokes, in 280-unit canvas space.
    static func strokeDrawing() -> [[Point]] {
        StrokeRasterizerInk.polylines(scale: 280).map { line in
            var points: [Point] = []
            for (a, b) in zip(line, line.dropFirst()) {
                for step in 0..<25 {
                    let t = Double(step) / 25
                    points.append(Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t))
                }
            }
            if let last = line.last { points.append(last) }
            return points
        }
    }
}

/// Deterministic noise for the generated photo.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The benchmark's drawing, shared by the canvas PNG, the photo and the stroke input.
enum StrokeRasterizerInk {
    static func polylines(scale: Double) -> [[Point]] {
        let unit: [[(Double, Double)]] = [
            [(0.30, 0.20), (0.45, 0.12), (0.62, 0.14), (0.70, 0.25), (0.62, 0.40), (0.48, 0.47)],
            [(0.48, 0.47), (0.66, 0.55), (0.72, 0.70), (0.62, 0.84), (0.45, 0.88), (0.30, 0.80)],
            [(0.40, 0.47), (0.50, 0.47)],
        ]
        return unit.map { $0.map { Point(x: $0.0 * scale, y: $0.1 * scale) } }
    }

    /// Coverage in [0, 1] of a `side` x `side` square, lines 4 % of the side wide.
    static func render(side: Int) -> [Float] {
        let lines = polylines(scale: Double(side))
        let half = 0.02 * Double(side)
        var coverage = [Float](repeating: 0, count: side * side)
        for line in lines {
            for (a, b) in zip(line, line.dropFirst()) {
                let x0 = max(0, Int(min(a.x, b.x) - half - 1)), x1 = min(side - 1, Int(max(a.x, b.x) + half + 1))
                let y0 = max(0, Int(min(a.y, b.y) - half - 1)), y1 = min(side - 1, Int(max(a.y, b.y) + half + 1))
                let dx = b.x - a.x, dy = b.y - a.y
                let length = dx * dx + dy * dy
                for y in y0...y1 {
                    for x in x0...x1 {
                        let px = Double(x) + 0.5 - a.x, py = Double(y) + 0.5 - a.y
                        let t = length > 0 ? min(max((px * dx + py * dy) / length, 0), 1) : 0
                        let d = ((px - t * dx) * (px - t * dx) + (py - t * dy) * (py - t * dy)).squareRoot()
                        let c = Float(min(max(half + 0.5 - d, 0), 1))
                        coverage[y * side + x] = max(coverage[y * side + x], c)
                    }
                }
            }
        }
        return coverage
    }
}
