import CCPUFeatures
import Foundation
import KernelsAVX2
import KernelsAVX512
import KernelsPortable
import LayerPlan

/// Which compiled copy of the kernels runs a model.
///
/// Swift has no per-function target attribute, so the kernels are built
/// three times from one set of sources (Sources/Kernels; see Package.swift):
/// portable (no CPU flags: SSE2 on x86-64, the baseline elsewhere), `avx2`
/// (x86-64-v3: AVX2 + FMA, 8-float vectors) and `avx512` (x86-64-v4: 16-float
/// vectors, 16 × 16 GEMM tile, 32-channel direct tile). A model is packed
/// for one of them at load: the best the CPU and the OS support (cpuid and
/// XCR0, through the CCPUFeatures shim), unless `OCR_KERNELS` names another.
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
