import ArgumentParser

/// In-process benchmarks of the stages that run inside the service.
/// The scripts in `bench/` call these and compare against peer tools.
@main
struct OCRBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocr-bench",
        abstract: "Benchmarks for decoding, preprocessing and the CNN engine.",
        subcommands: [ImagingBench.self, EngineBench.self]
    )
}
