// swift-tools-version:6.0
// The service is on top: the `ocr-server` executable starts OCRService, which uses the HTTP
// engine (HTTPServer, which knows nothing of OCR) and recognition (Recognition → Preprocessing →
// Imaging, and Recognition → NeuralNetwork → the kernel modules). Dependencies only point down:
// OCRService imports HTTPServer, never the reverse. The module graph, and a request's path through
// the files from the socket to the answer: docs/ARCHITECTURE.md.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// The CNN kernels are unusably slow unoptimized: debug builds (and `swift test`) optimize them too.
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

// Kernel dispatch: the flags of the KernelsAVX2 and KernelsAVX512 copies of the kernels. Why the
// kernels are compiled three times, and how one copy is chosen at run time:
// Sources/NeuralNetwork/KernelChoice.swift.
#if arch(x86_64)
let avx2Kernels: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]), .define("FUSED_MULTIPLY_ADD"), .define("AVX2_TILES"),
]
let avx512Kernels: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("FUSED_MULTIPLY_ADD"), .define("WIDE_VECTORS"),
]
#else
let avx2Kernels: [SwiftSetting] = []
let avx512Kernels: [SwiftSetting] = []
#endif

let package = Package(
    name: "ocr-server",
    products: [
        .executable(name: "ocr-server", targets: ["ocr-server"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Preprocessing", targets: ["Preprocessing"]),
        .library(name: "OCRService", targets: ["OCRService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
    ],
    targets: [
        // zlib, for gzip of static files (and hand-built PNG streams in the Imaging tests).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The HTTP/1.1 engine: sockets, parser, connection state machine, router, static files.
        // Knows nothing about OCR.
        .target(
            name: "HTTPServer",
            dependencies: ["CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // C shims: setjmp/longjmp error handling for libpng and libjpeg stays on the C side.
        // CPNGShim also holds the PNG fast path (chunk parsing with libdeflate's CRC-32, an
        // inflater that keeps zlib's rules, unfiltering); libpng decodes everything else.
        .target(name: "CPNGShim", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z"), .linkedLibrary("deflate")]),
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),

        // Decoded images, decoders/encoders, stroke rasteriser, glyph segmentation.
        .target(name: "Imaging", dependencies: ["CPNGShim", "CJPEGShim"], swiftSettings: strict),

        // The preprocessing recipe of docs/preprocessing.md: decoded image or strokes → 28x28 inputs.
        .target(name: "Preprocessing", dependencies: ["Imaging"], swiftSettings: strict),

        // The CNN engine's compiled plan (step shapes, packed weights) and the kernel-set interface.
        .target(name: "LayerPlan", swiftSettings: strict + optimized),
        // cpuid/xgetbv for choosing a kernel set.
        .target(name: "CCPUFeatures"),
        // One set of kernel sources, three compilations (the kernel-dispatch note above).
        .target(name: "KernelsPortable", dependencies: ["LayerPlan"], path: "Sources/Kernels", swiftSettings: strict + optimized),
        .target(name: "KernelsAVX2", dependencies: ["LayerPlan"], swiftSettings: strict + optimized + avx2Kernels),
        .target(name: "KernelsAVX512", dependencies: ["LayerPlan"], swiftSettings: strict + optimized + avx512Kernels),
        // The CNN engine: safetensors + manifest loader, layer planner, kernel choice. Sees only tensors.
        .target(
            name: "NeuralNetwork",
            dependencies: ["LayerPlan", "CCPUFeatures", "KernelsPortable", "KernelsAVX2", "KernelsAVX512"],
            swiftSettings: strict + optimized
        ),

        // Worker pool with dynamic batching, and the Recognizer facade (input → answer).
        .target(
            name: "Recognition",
            dependencies: ["Imaging", "Preprocessing", "NeuralNetwork", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strict
        ),

        // The service: configuration, routes, JSON shapes, metrics.
        .target(
            name: "OCRService",
            dependencies: [
                "HTTPServer", "Recognition",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ocr-server",
            dependencies: [
                "OCRService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks of the in-process stages (decode, preprocess, engine); see bench/README.md.
        .executableTarget(
            name: "ocr-bench",
            dependencies: ["Recognition", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // Helpers the test targets share (a seeded random generator); never part of a product.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CZlib", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "PreprocessingTests", dependencies: ["Preprocessing", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "RecognitionTests", dependencies: ["Recognition"], swiftSettings: strict),
        .testTarget(name: "OCRServiceTests", dependencies: ["OCRService", "Imaging", "Recognition", "TestSupport", .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
