import ArgumentParser

struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine", abstract: "CNN engine latency and throughput.")
    func run() throws { throw ValidationError("not implemented yet") }
}
