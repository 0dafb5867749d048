// swift-tools-version:5.4
// (5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point to `<Module>_main`
// and links `main` to it, which fails for a target that has no entry point of its own.)
// libFuzzer targets for the code that reads client bytes. Kept out of the root package:
// each target defines `LLVMFuzzerTestOneInput` instead of a `main`, so it only links when
// built with `-sanitize=fuzzer`. Build and run with `scripts/fuzz.sh TARGET SECONDS`.
import PackageDescription

let imagePath: [Target.Dependency] = [
    "FuzzSupport",
    .product(name: "Imaging", package: "ocr-server"),
    .product(name: "Preprocessing", package: "ocr-server"),
]

/// No `main`: libFuzzer's own `main` drives `LLVMFuzzerTestOneInput`.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "ocr-server-fuzz",
    dependencies: [
        .package(name: "ocr-server", path: ".."),
    ],
    targets: [
        // Invariant checks shared by the image and stroke targets.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Imaging", package: "ocr-server"),
                .product(name: "Preprocessing", package: "ocr-server"),
            ]
        ),
        .executableTarget(
            name: "FuzzHTTPParser",
            dependencies: [.product(name: "HTTPServer", package: "ocr-server")],
            swiftSettings: fuzzer
        ),
        .executableTarget(name: "FuzzPNG", dependencies: imagePath, swiftSettings: fuzzer),
        .executableTarget(name: "FuzzJPEG", dependencies: imagePath, swiftSettings: fuzzer),
        .executableTarget(name: "FuzzStrokes", dependencies: imagePath, swiftSettings: fuzzer),
        .executableTarget(
            name: "FuzzMultipart",
            dependencies: [.product(name: "OCRService", package: "ocr-server")],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzRequestBody",
            dependencies: imagePath + [.product(name: "OCRService", package: "ocr-server")],
            swiftSettings: fuzzer
        ),
    ]
)
