import RaftCore
@testable import RaftSim
import Testing

/// The liveness phase writes its script lines from `Command` values (not hand-written strings);
/// each spells exactly what the hand-written line did, so scripts stay byte-identical.
@Suite struct ExplorerScriptSpellingTests {
    @Test func commandsSpellTheLinesTheLivenessPhaseWrote() {
        let cases: [(Command, String)] = [
            (.heal, "heal"),
            (.set(.sync(2, true)), "set sync n2 on"),
            (.read(node: 3, key: "k0"), "read n3 k0"),
            (.crash(4), "crash n4"),
            (.restart(5), "restart n5"),
            (.propose(node: nil, text: "live"), "propose live"),
            (.tick(nodes: [], count: nil), "tick"),
            (.stabilize(limit: 10_000), "stabilize 10000"),
            (.expect(.role(.all, "leader")), "expect role all leader"),
            (.expect(.counter(.applied, .node(2), 17)), "expect applied n2 17"),
            (.expect(.role(.node(1), "leader")), "expect role n1 leader"),
            (.drop(.ids([12, 13])), "drop 12 13"),
            (.deliver(.oldest), "deliver"),
            (.drop(.all), "drop all"),
            (.tick(nodes: [2], count: nil), "tick n2"),
            (.deliver(.ids([7, 9])), "deliver 7 9"),
            (.deliver(.ids([7])), "deliver 7"),
            (.propose(node: 1, text: "set k1 before"), "propose n1 set k1 before"),
            (.propose(node: 1, text: "set k0 cut-off"), "propose n1 set k0 cut-off"),
            (.propose(node: 3, text: "set k1 new-side"), "propose n3 set k1 new-side"),
            (.partition([[1]]), "partition n1"),
        ]
        for (command, line) in cases {
            #expect(command.description == line)
            var driver = Explorer.Driver(cluster: try! Cluster(options: ClusterOptions()), record: true)
            driver.line(command)
            #expect(driver.lines == [line])
        }
    }
}
