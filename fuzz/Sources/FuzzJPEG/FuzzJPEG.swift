// Fuzz target for the JPEG path: `ImageDecoder.decode` with small limits, then both
// preprocessing modes on whatever decodes. The seed corpus is JPEG, so mutations stay mostly
// in libjpeg and the shim; any input may fail with a typed error, none may crash.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeAndPrepare(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
