import Imaging

extension Preprocessor {
    /// Step 1: samples to [0, 1] (8-bit /255, 16-bit /65535), alpha composited over white
    /// (`c·a + (1 − a)`, so a transparent canvas export reads as paper), then Rec. 601 luminance.
    public static func desaturate(_ image: DecodedImage) -> GreyImage {
        switch image.samples {
        case .eight(let samples):
            // A true division (not a multiply by 1/255), exactly as the contract says; the loop
            // still vectorizes.
            if image.layout == .rgba { return samples.withUnsafeBufferPointer { rgba8(image, $0) } }
            return samples.withUnsafeBufferPointer { luminance(image, $0) { Float($0) / 255 } }
        case .sixteen(let samples):
            return samples.withUnsafeBufferPointer { luminance(image, $0) { Float($0) / 65535 } }
        }
    }

    @inline(__always)
    private static func luminance<S>(
        _ image: DecodedImage, _ samples: UnsafeBufferPointer<S>, _ unit: (S) -> Float
    ) -> GreyImage {
        let count = image.width * image.height
        let pixels = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch image.layout {
            case .grey:
                for i in 0..<count { out[i] = unit(samples[i]) }
            case .greyAlpha:
                for i in 0..<count {
                    let a = unit(samples[2 * i + 1])
                    out[i] = unit(samples[2 * i]) * a + (1 - a)
                }
            case .rgb:
                for i in 0..<count {
                    let r = unit(samples[3 * i]), g = unit(samples[3 * i + 1]), b = unit(samples[3 * i + 2])
                    out[i] = 0.299 * r + 0.587 * g + 0.114 * b
                }
            case .rgba:
                for i in 0..<count {
                    let a = unit(samples[4 * i + 3])
                    let r = unit(samples[4 * i]) * a + (1 - a)
                    let g = unit(samples[4 * i + 1]) * a + (1 - a)
                    let b = unit(samples[4 * i + 2]) * a + (1 - a)
                    out[i] = 0.299 * r + 0.587 * g + 0.114 * b
                }
            }
            initialized = count
        }
        return GreyImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// The canvas-export case on its own: the same arithmetic as `luminance`, written so that
    /// the compiler can vectorize it (eight pixels per step, channels de-interleaved by lane).
    private static func rgba8(_ image: DecodedImage, _ samples: UnsafeBufferPointer<UInt8>) -> GreyImage {
        let count = image.width * image.height
        let pixels = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            var i = 0
            let words = UnsafeRawPointer(samples.baseAddress)
            while i + 8 <= count {
                // Eight equal pixels (a canvas's transparent background, solid ink): one pixel's
                // value, computed by the same expression as the tail below, eight times.
                if let words {
                    let block = words.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<UInt32>.self)
                    if block == SIMD8(repeating: block[0]) {
                        let l = rgba8Pixel(UInt32(littleEndian: block[0]))
                        for lane in 0..<8 { out[i + lane] = l }
                        i += 8
                        continue
                    }
                }
                var r = SIMD8<Float>(), g = SIMD8<Float>(), b = SIMD8<Float>(), a = SIMD8<Float>()
                for lane in 0..<8 {
                    let base = 4 * (i + lane)
                    r[lane] = Float(samples[base])
                    g[lane] = Float(samples[base + 1])
                    b[lane] = Float(samples[base + 2])
                    a[lane] = Float(samples[base + 3])
                }
                a /= 255
                let paper = 1 - a
                let red = r / 255 * a + paper
                let green = g / 255 * a + paper
                let blue = b / 255 * a + paper
                let l = 0.299 * red + 0.587 * green + 0.114 * blue
                for lane in 0..<8 { out[i + lane] = l[lane] }
                i += 8
            }
            while i < count {
                out[i] = rgba8Pixel(
                    UInt32(samples[4 * i]) | UInt32(samples[4 * i + 1]) << 8 | UInt32(samples[4 * i + 2]) << 16
                        | UInt32(samples[4 * i + 3]) << 24)
                i += 1
            }
            initialized = count
        }
        return GreyImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// One RGBA pixel packed little-endian (red in the low byte): the same operations, in the
    /// same order, as each lane of the eight-pixel path.
    @inline(__always)
    private static func rgba8Pixel(_ pixel: UInt32) -> Float {
        let a = Float(pixel >> 24) / 255
        let r = Float(pixel & 0xFF) / 255 * a + (1 - a)
        let g = Float((pixel >> 8) & 0xFF) / 255 * a + (1 - a)
        let b = Float((pixel >> 16) & 0xFF) / 255 * a + (1 - a)
        return 0.299 * r + 0.587 * g + 0.114 * b
    }
}
