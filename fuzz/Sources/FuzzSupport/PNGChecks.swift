// Differential checks between the PNG fast path and libpng, for the PNG fuzz target.
import Imaging

/// Traps unless the decoder answers as libpng alone does (same image, or the same error), and
/// unless a fast-path image is exactly libpng's.
public func comparePNGPaths(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits = fuzzDecodeLimits) {
    let reference = Result { () throws(ImagingError) in try PNGDecoder.decodeWithLibpng(bytes, limits: limits) }
    let combined = Result { () throws(ImagingError) in try PNGDecoder.decode(bytes, limits: limits) }
    switch (reference, combined) {
    case (.success(let a), .success(let b)): precondition(a == b, "decoder and libpng decode different samples")
    case (.failure(let a), .failure(let b)): precondition(a == b, "decoder and libpng fail differently")
    default: preconditionFailure("decoder and libpng disagree on success: \(reference) vs \(combined)")
    }
    if case .success(let image?) = Result(catching: { () throws(ImagingError) in try PNGDecoder.decodeFast(bytes, limits: limits) }) {
        guard case .success(let expected) = reference else { preconditionFailure("fast path decoded a file libpng refuses") }
        precondition(image == expected, "fast path and libpng decode different samples")
    }
}

/// The same bytes with every chunk's CRC recomputed, as far as the chunk lengths can be
/// followed, so that mutations reach the zlib stream check, the inflater and the unfilter
/// instead of stopping at a checksum.
public func repairingPNGChecksums(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var file = Array(bytes)
    var offset = 8
    while offset + 12 <= file.count {
        let length = Int(file[offset]) << 24 | Int(file[offset + 1]) << 16 | Int(file[offset + 2]) << 8 | Int(file[offset + 3])
        guard length <= file.count - offset - 12 else { break }
        var crc: UInt32 = 0xFFFF_FFFF
        for index in (offset + 4)..<(offset + 8 + length) {
            crc = crcTable[Int((crc ^ UInt32(file[index])) & 0xFF)] ^ (crc >> 8)
        }
        crc ^= 0xFFFF_FFFF
        let end = offset + 8 + length
        file[end] = UInt8(crc >> 24)
        file[end + 1] = UInt8((crc >> 16) & 0xFF)
        file[end + 2] = UInt8((crc >> 8) & 0xFF)
        file[end + 3] = UInt8(crc & 0xFF)
        offset += 12 + length
    }
    return file
}

private let crcTable: [UInt32] = (0..<256).map { (index: Int) -> UInt32 in
    var c = UInt32(index)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
