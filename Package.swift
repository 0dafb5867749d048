// swift-tools-version:6.0
// The package is laid out in the order a request's data flows:
// HTTPServer → Imaging → Preprocessing → NeuralNetwork → Recognition → OCRService.
// Each module depends only on what lies downstream of it.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ocr-server",
    platforms: [.macOS(.v14)],
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
        // zlib, for gzip of static files and PNG encoding support.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The HTTP/1.1 engine: sockets, parser, connection state machine, router, static files.
        // Knows nothing about OCR.
        .target(
            name: "HTTPServer",
            dependencies: ["CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // C shims: setjmp/longjmp error handling for libpng and libjpeg stays on the C side.
        // CPNGShim also holds the PNG fast path (chunk parsing, a zlib-rules check of the
        // stream, libdeflate to inflate it, unfiltering); libpng decodes everything else.
        .target(name: "CPNGShim", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z"), .linkedLibrary("deflate")]),
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),

        // Decoded images, decoders/encoders, stroke rasteriser, glyph segmentation.
        .target(name: "Imaging", dependencies: ["CPNGShim", "CJPEGShim"], swiftSettings: strict),

        // Desaturate → polarity → denoise → crop → scale → centre → normalize.
        .target(name: "Preprocessing", dependencies: ["Imaging"], swiftSettings: strict),

        // The CNN engine: safetensors + manifest loader, layers, kernels. Sees only tensors.
        .target(
            name: "NeuralNetwork",
            swiftSettings: strict + [
                .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
                // The kernels are unusably slow unoptimized; debug builds (and `swift test`) optimize them too.
                .unsafeFlags(["-O"], .when(configuration: .debug)),
            ]
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

        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CZlib"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "PreprocessingTests", dependencies: ["Preprocessing"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "RecognitionTests", dependencies: ["Recognition"], swiftSettings: strict),
        .testTarget(name: "OCRServiceTests", dependencies: ["OCRService", "Imaging", "Recognition", .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
