import ArgumentParser

struct CoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "core", abstract: "Committed proposals per second through a 3-node cluster of the core alone.")
    func run() throws { print("todo") }
}
