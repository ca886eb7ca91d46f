import RaftCore
@testable import RaftSim
import Testing
@testable import RaftStepCLI

/// Issue 15 §6: the checker derives each node's configuration from its own log and snapshot, so a
/// node acting on a stale configuration is caught where it goes wrong, before any other rule breaks.
@Suite struct ConfigurationCheckTests {
    /// The choreography of issue 15 §1 (CoreBugScriptTests) up to the heal: with the knob, n1 keeps
    /// the configuration of the entry it replaced, and the checker says so at once; fixed, nothing.
    @Test(arguments: [false, true])
    func staleConfigurationIsCaughtWhenTheEntryIsReplaced(knobOn: Bool) {
        let session = CoreBugScriptTests.staleConfigurationSession(knob: knobOn ? .configEntryByIndexOnly : [])
        let lines = Array(CoreBugScriptTests.staleConfigurationChoreography.prefix(while: { $0 != "partition n1 n2 | n3 n4 n5" }))
        var transcript: [String] = []
        for line in lines { transcript += session.execute(line).lines }
        let found = session.cluster.violations.map(\.invariant)
        if knobOn {
            #expect(found.first == "Configuration In Effect", "\(transcript.joined(separator: "\n"))")
        } else {
            #expect(found.isEmpty, "\(found)")
        }
    }
}
