import RaftCore
@testable import RaftSim
import Testing

/// Issue 18 §2: the quiet period requires progress of its own writes and reads (each write
/// acknowledged by the leader that took it, each read answered), not a total that earlier
/// writes can make up.
@Suite struct QuietProgressTests {
    typealias Ack = InvariantChecker.Acknowledgement
    static let write = QuietProgress.Write(node: 1, index: 7, term: 2)

    @Test func everyWriteAndReadOfThePeriodMustFinish() {
        var progress = QuietProgress()
        progress.writes = [Self.write]
        progress.reads = [3]
        let ack = Ack(node: 1, index: 7, term: 2, data: [])
        #expect(progress.missing(acknowledged: [ack][...], served: [(3, "k4", nil)][...]) == nil)
        // An acknowledgement of another write (made before the period, or of another term) does not count.
        let other = Ack(node: 1, index: 6, term: 2, data: [])
        #expect(progress.missing(acknowledged: [other][...], served: [(3, "k4", nil)][...]) == "0 of the period's 1 writes were acknowledged")
        #expect(progress.missing(acknowledged: [Ack(node: 1, index: 7, term: 1, data: [])][...], served: [(3, "k4", nil)][...]) != nil)
        // A read answered before the period does not count.
        #expect(progress.missing(acknowledged: [ack][...], served: [(2, "k4", nil)][...]) == "0 of the period's 1 reads were answered")
    }

    @Test func aPeriodWithoutWritesOrReadsMadeNoProgress() {
        var progress = QuietProgress()
        progress.reads = [1]
        #expect(progress.missing(acknowledged: [][...], served: [(1, "k4", nil)][...]) == "the leader took none of the period's writes")
        progress.writes = [Self.write]
        progress.reads = []
        #expect(
            progress.missing(acknowledged: [Ack(node: 1, index: 7, term: 2, data: [])][...], served: [][...])
                == "the leader took none of the period's reads")
    }

    /// A settled cluster passes the period, with its writes acknowledged and its reads answered.
    @Test func aSettledClusterPasses() throws {
        let cluster = try Cluster(options: ClusterOptions())
        try cluster.campaign(1)
        try cluster.stabilize()
        var driver = Explorer.Driver(cluster: cluster, record: true)
        let passed = driver.probeQuietPeriod(rounds: 50)
        #expect(passed && driver.extra == nil, "\(String(describing: driver.extra))")
        #expect(cluster.clientAcknowledgements.count == 10, "a write every 4 of 40 rounds")
        #expect(cluster.servedReads.count == 10)
        #expect(driver.lines.contains("# quiet period: one stable leader, and writes and reads make progress"))
    }
}
