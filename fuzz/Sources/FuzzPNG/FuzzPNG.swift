// Fuzz target for the PNG path: `ImageDecoder.decode` with small limits, then both
// preprocessing modes on whatever decodes. The seed corpus is PNG, so mutations stay mostly
// in the PNG decoders; any input may fail with a typed error, none may crash.
//
// Every input is also decoded differentially: the fast path against libpng alone, once as it
// is and once with every chunk CRC repaired, so that mutated pixel data gets past the
// checksums into the fast path's inflater and unfilter.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    decodeAndPrepare(bytes)
    comparePNGPaths(bytes)
    repairingPNGChecksums(bytes).withUnsafeBytes { comparePNGPaths($0) }
    return 0
}
