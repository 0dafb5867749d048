import Imaging
import Testing

/// The error a body throws, or nil if it returned. (Closures do not infer typed throws yet, so
/// the body is untyped; anything but an ImagingError is recorded as a failure.)
func caught<T>(_ body: () throws -> T) -> ImagingError? {
    do {
        _ = try body()
        return nil
    } catch let error as ImagingError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}


/// Interleaved 8-bit samples where every sample differs from its neighbours: a pattern a
/// decoder cannot get right by accident.
func patternSamples(width: Int, height: Int, channels: Int, modulo: Int = 256) -> [UInt8] {
    (0..<(width * height * channels)).map { UInt8((($0 * 37) ^ ($0 >> 3)) % modulo) }
}

/// A grey image (0 paper … 255 ink inverted: dark ring on white) for lossy round trips.
func ringImage(width: Int, height: Int) -> [UInt8] {
    var pixels = [UInt8](repeating: 255, count: width * height)
    let cx = Double(width) / 2, cy = Double(height) / 2
    let radius = Double(min(width, height)) * 0.3
    for y in 0..<height {
        for x in 0..<width {
            let d = ((Double(x) + 0.5 - cx) * (Double(x) + 0.5 - cx) + (Double(y) + 0.5 - cy) * (Double(y) + 0.5 - cy)).squareRoot()
            if abs(d - radius) < Double(min(width, height)) * 0.06 { pixels[y * width + x] = 20 }
        }
    }
    return pixels
}

/// CRC-32 (ISO-HDLC, as PNG chunks use), for hand-built chunks.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return crc ^ 0xFFFF_FFFF
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
}
