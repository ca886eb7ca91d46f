import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// What `logdump repair` says about the samples' damage is true (issue 14 §6): a refusal names the
/// cut that works and why it costs committed entries, and a plan that loses no entry does not say
/// entries are lost.
@Suite struct RepairWordingTests {
    static let samples = Path.join(Path.directory(of: Path.directory(of: Path.directory(of: #filePath))), "samples")

    @Test func aMissingSegmentNamesTheDurableEndAndTheCommitPastIt() {
        let dir = Path.join(Self.samples, "missing-middle-segment")
        let (status, out, _) = repair(dir)
        #expect(status == .inconsistency)
        #expect(!out.contains("no cut can make this log consistent"), "\(out)")
        #expect(out.contains("the durable log ends at index 17"), "\(out)")
        #expect(out.contains("the hard state's commit index 35 is past that end: committed entries 18…35 would be lost"), "\(out)")
        #expect(out.contains("--accept-data-loss --cut-at 18 "), "\(out)")
        // The cut it names is one the planner accepts (a dry run: nothing is written).
        let (_, plan, err) = repair(dir) {
            $0.acceptDataLoss = true; $0.cutAt = 18
        }
        #expect(err.isEmpty, "\(err)")
        #expect(plan.contains("committed entries that would go: 18…35"), "\(plan)")
    }

    @Test func aPlanThatLosesNoEntryDoesNotSayEntriesAreLost() {
        let (_, out, err) = repair(Path.join(Self.samples, "two-logs-mixed")) {
            $0.acceptDataLoss = true; $0.cutAt = 4
        }
        #expect(err.isEmpty, "\(err)")
        #expect(out.contains("entries that would go: none"), "\(out)")
        #expect(!out.contains("entries that were acknowledged as durable are lost"), "\(out)")
    }
}
