// Fuzz target for the PNG path: `ImageDecoder.decode` with small limits, then both
// preprocessing modes on whatever decodes. The seed corpus is PNG, so mutations stay mostly
// in libpng and the shim; any input may fail with a typed error, none may crash.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeAndPrepare(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
