import TestSupport
import Testing
@testable import Imaging

/// Valid files cut short or with bytes flipped: each must yield an error or a valid image,
/// never a crash, a hang or output from the libraries.
@Suite struct CorruptInputTests {
    static func corpusSources() throws -> [(String, [UInt8])] {
        let w = 40, h = 30
        let rgba = patternSamples(width: w, height: h, channels: 4)
        let grey = ringImage(width: w, height: h)
        return [
            ("png-rgba", try PNGEncoder.encode(samples: rgba, width: w, height: h, colorType: .rgba)),
            ("png-interlaced", try PNGEncoder.encode(samples: grey, width: w, height: h, colorType: .grey, interlaced: true)),
            ("png-16", try PNGEncoder.encode(samples: grey.map { UInt16($0) * 257 }, width: w, height: h, colorType: .grey)),
            ("png-palette", try PNGEncoder.encode(
                samples: grey.map { $0 % 2 }, width: w, height: h, colorType: .palette, palette: [0, 0, 0, 255, 255, 255],
                transparency: .paletteAlpha([0, 255]))),
            ("jpeg-baseline", try JPEGEncoder.encode(pixels: grey, width: w, height: h, channels: 1)),
            ("jpeg-progressive", try JPEGEncoder.encode(
                pixels: patternSamples(width: w, height: h, channels: 3), width: w, height: h, channels: 3, progressive: true)),
        ]
    }

    static func check(_ bytes: [UInt8]) -> Bool {
        do {
            let image = try ImageDecoder.decode(bytes)
            return image.samples.count == image.width * image.height * image.layout.channels
        } catch {
            return !error.description.isEmpty
        }
    }

    @Test func truncatedAtEveryOffset() throws {
        for (name, file) in try Self.corpusSources() {
            var errors = 0
            for length in 0..<file.count {
                let ok = Self.check(Array(file.prefix(length)))
                #expect(ok, "\(name) truncated to \(length) bytes")
                if (try? ImageDecoder.decode(Array(file.prefix(length)))) == nil { errors += 1 }
            }
            // Cutting into the pixel data must be noticed, not papered over.
            #expect(errors >= file.count / 2, "\(name): only \(errors) of \(file.count) truncations failed")
        }
    }

    @Test func seededByteFlips() throws {
        var random = SeededGenerator(seed: 0x5EED_1234)
        for (name, file) in try Self.corpusSources() {
            for round in 0..<300 {
                var bytes = file
                let flips = Int.random(in: 1...8, using: &random)
                for _ in 0..<flips {
                    // Keep the signature so the decoder (not the sniffer) gets the damage.
                    let offset = Int.random(in: 8..<bytes.count, using: &random)
                    bytes[offset] = UInt8.random(in: 0...255, using: &random)
                }
                #expect(Self.check(bytes), "\(name) round \(round)")
            }
        }
    }
}
