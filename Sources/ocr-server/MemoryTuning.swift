// How the process's allocator treats the large buffers of an image request.

#if canImport(Glibc)
import Glibc
#endif

enum MemoryTuning {
    /// A page's working images are a few MB each (a 1200x800 page is 3.8 MB of floats per
    /// step), above glibc's threshold for serving an allocation with its own mmap, and freed
    /// memory at the top of the heap goes back to the kernel past 128 KB. Either way every
    /// request faulted its buffers in afresh: clearing and mapping pages took about a tenth of a
    /// page reading's server time (bench/README.md, "Page reading"). With these settings
    /// buffers up to 64 MB (a 4096x4096 image of floats) come from the heap, and up to 256 MB of
    /// freed memory stays mapped for the next request.
    static func keepFreedMemory() {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not include; its
        // parameter numbers are glibc's (M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 64 << 20)
        _ = mallopt(-1, 256 << 20)
        #endif
    }
}
