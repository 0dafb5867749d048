import ArgumentParser

struct ImagingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "imaging", abstract: "Decode + preprocess timings.")
    func run() throws { throw ValidationError("not implemented yet") }
}
