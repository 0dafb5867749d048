import CCPUFeatures
import Foundation
import KernelsAVX2
import KernelsAVX512
import KernelsPortable
import LayerPlan

/// Which compiled copy of the kernels runs a model, and why there are copies.
///
/// This is the one explanation of the kernel dispatch; Package.swift, the kernel
/// sources, the Dockerfile and the docs point here.
///
/// Why three copies. Swift has no per-function target attribute, and code
/// compiled for AVX2 or AVX-512 may use those instructions anywhere in its
/// module, so it must never run on a CPU without them. The one set of kernel
/// sources in Sources/Kernels is therefore compiled three times, as three
/// modules:
/// - `KernelsPortable` (Sources/Kernels itself): no CPU flags (SSE2 on x86-64,
///   the baseline elsewhere); runs anywhere.
/// - `KernelsAVX2`: `-target-cpu haswell` (x86-64-v3: AVX2 + FMA) and the
///   switches `AVX2_TILES`, `FUSED_MULTIPLY_ADD`.
/// - `KernelsAVX512`: `-target-cpu skylake-avx512` (x86-64-v4) and the
///   switches `WIDE_VECTORS`, `FUSED_MULTIPLY_ADD`.
/// Sources/KernelsAVX2 and Sources/KernelsAVX512 hold only symbolic links to
/// the files of Sources/Kernels, so there is one source to edit. Package.swift
/// sets the flags; what each switch selects (vector width, tile sizes,
/// multiply-add) is said at the top of Sources/Kernels/Kernels.swift. Each
/// module is its own namespace with its own `CompiledKernels` (a `KernelSet`),
/// so the three coexist in one binary; the plan types they all read live in
/// the LayerPlan module below them.
///
/// How one is chosen. At model load (`Model.load`), `fromEnvironment` takes
/// `OCR_KERNELS` if it is set (docs/configuration.md), else `best`: the
/// fastest set that both the CPU and the OS support, as the CCPUFeatures shim
/// reports it (cpuid for the instructions, xgetbv/XCR0 for the OS saving the
/// YMM/ZMM state). The weights are packed in that set's panel sizes, so a
/// model runs on one set for its whole life. The choice is logged at
/// start-up and reported by `GET /api/v1/model` (`kernels`) and by
/// `ocr-bench engine`.
///
/// So a plain `swift build -c release` (the Dockerfile's build) runs the
/// AVX-512 kernels where the CPU has them and still starts on any x86-64.
/// Package.swift is evaluated for the machine that builds: on any other
/// architecture the two x86 modules get no flags, are plain portable copies,
/// and are never chosen (`supported` is `[.portable]`).
public enum KernelChoice: String, CaseIterable, Sendable, CustomStringConvertible {
    case portable
    case avx2
    case avx512

    /// The environment variable that forces a kernel set (`portable`, `avx2`, `avx512`).
    public static let environmentVariable = "OCR_KERNELS"

    public var description: String { rawValue }

    /// Kernel sets this CPU can run, slowest first; `portable` is always there.
    public static let supported: [KernelChoice] = {
        #if arch(x86_64)
        switch ccpu_x86_64_level() {
        case 4...: return [.portable, .avx2, .avx512]
        case 3: return [.portable, .avx2]
        default: return [.portable]
        }
        #else
        return [.portable]
        #endif
    }()

    /// The fastest supported set.
    public static var best: KernelChoice { supported.last ?? .portable }

    /// `OCR_KERNELS` if set (it must name a supported set), else `best`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ModelError) -> KernelChoice
    {
        guard let raw = environment[environmentVariable], !raw.isEmpty else { return best }
        guard let choice = KernelChoice(rawValue: raw.lowercased()) else {
            let names = allCases.map(\.rawValue).joined(separator: ", ")
            throw .kernels("\(environmentVariable)=\(raw) is not one of \(names)")
        }
        guard supported.contains(choice) else {
            let names = supported.map(\.rawValue).joined(separator: ", ")
            throw .kernels("\(environmentVariable)=\(raw): this CPU supports only \(names)")
        }
        return choice
    }

    var kernels: any KernelSet.Type {
        switch self {
        case .portable: return KernelsPortable.CompiledKernels.self
        case .avx2: return KernelsAVX2.CompiledKernels.self
        case .avx512: return KernelsAVX512.CompiledKernels.self
        }
    }
}
