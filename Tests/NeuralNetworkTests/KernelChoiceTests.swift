import Foundation
import Testing
@testable import NeuralNetwork

/// Choosing a kernel set: CPU detection and the `OCR_KERNELS` override.
@Suite struct KernelChoiceTests {
    @Test func portableIsAlwaysSupportedAndBestIsTheLastSupported() {
        #expect(KernelChoice.supported.first == .portable)
        #expect(KernelChoice.best == KernelChoice.supported.last)
        // Listed slowest first, each at most once.
        let order = KernelChoice.supported.map { KernelChoice.allCases.firstIndex(of: $0)! }
        #expect(order == order.sorted() && Set(order).count == order.count)
    }

    #if arch(x86_64) && os(Linux)
    /// cpuid agrees with the kernel's view of the CPU (the flags Linux lists in /proc/cpuinfo).
    @Test func detectionAgreesWithProcCPUInfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let v3 = ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe"].allSatisfy(flags.contains)
        let v4 = v3 && ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        #expect(KernelChoice.supported.contains(.avx2) == v3)
        #expect(KernelChoice.supported.contains(.avx512) == v4)
    }
    #endif

    @Test func environmentOverridesTheChoice() throws {
        #expect(try KernelChoice.fromEnvironment([:]) == KernelChoice.best)
        #expect(try KernelChoice.fromEnvironment(["OCR_KERNELS": ""]) == KernelChoice.best)
        for choice in KernelChoice.supported {
            #expect(try KernelChoice.fromEnvironment(["OCR_KERNELS": choice.rawValue]) == choice)
            #expect(try KernelChoice.fromEnvironment(["OCR_KERNELS": choice.rawValue.uppercased()]) == choice)
        }
    }

    @Test func anUnknownNameIsRefusedWithTheValidNames() throws {
        let error = try #require(throws: ModelError.self) { try KernelChoice.fromEnvironment(["OCR_KERNELS": "sse9"]) }
        #expect(error.description.contains("OCR_KERNELS=sse9"))
        #expect(error.description.contains("portable, avx2, avx512"))
    }

    @Test func anUnsupportedSetIsRefusedAtLoad() throws {
        var m = TestModel(classes: 1, height: 1, width: 1)
        m.layer("flatten")
        m.linear("fc", in: 1, out: 1, weight: [2], bias: nil)
        for choice in KernelChoice.allCases {
            if KernelChoice.supported.contains(choice) {
                #expect(try m.build(kernels: choice).kernelChoice == choice)
            } else {
                let error = try #require(throws: ModelError.self) { try m.build(kernels: choice) }
                #expect(error.description.contains(choice.rawValue))
                #expect(throws: ModelError.self) { try KernelChoice.fromEnvironment(["OCR_KERNELS": choice.rawValue]) }
            }
        }
    }
}
