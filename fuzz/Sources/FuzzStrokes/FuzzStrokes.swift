// Fuzz target for drawings: bytes become a stroke list, which goes through
// `Strokes.validate`, `StrokeRasterizer.render` and `glyphs(fromStrokes:mode:)` in both modes.
//
// Layout, repeated until the bytes run out: one header byte per stroke, whose low 6 bits are
// the point count and whose top bit picks the coordinate form: raw Float32 bit patterns
// (NaN, infinities, huge and subnormal values) or signed 16-bit integers (ordinary canvas
// drawings, so the renderer and segmentation see realistic shapes too).
import FuzzSupport
import Imaging

struct ByteReader {
    var bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func word(_ count: Int) -> UInt32? {
        guard bytes.count - offset >= count else { return nil }
        var value: UInt32 = 0
        for index in 0..<count { value |= UInt32(bytes[offset + index]) << (8 * index) }
        offset += count
        return value
    }
}

func strokes(from bytes: UnsafeBufferPointer<UInt8>) -> [[Point]] {
    var reader = ByteReader(bytes: bytes)
    var result: [[Point]] = []
    while let header = reader.byte() {
        let count = Int(header & 0x3F)
        let raw = header & 0x80 != 0
        var stroke: [Point] = []
        for _ in 0..<count {
            if raw {
                guard let x = reader.word(4), let y = reader.word(4) else { break }
                stroke.append(Point(x: Double(Float(bitPattern: x)), y: Double(Float(bitPattern: y))))
            } else {
                guard let x = reader.word(2), let y = reader.word(2) else { break }
                stroke.append(Point(x: Double(Int16(truncatingIfNeeded: x)), y: Double(Int16(truncatingIfNeeded: y))))
            }
        }
        result.append(stroke)
    }
    return result
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    renderAndPrepare(strokes(from: UnsafeBufferPointer(start: data, count: size)), limits: StrokeLimits(maxStrokes: 64, maxPoints: 2048))
    return 0
}
