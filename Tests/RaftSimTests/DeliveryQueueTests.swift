import RaftCore
import RaftSim
import Testing

/// Issue 16 §7: the delivery queue (a deque) and the cap on `duplicate`.
@Suite struct DeliveryQueueTests {
    @Test func duplicateAllIsCappedAndCopiesNothingWhenTheCapBites() throws {
        let cluster = try ClusterTests.cluster(5)
        try cluster.campaign(1)
        #expect(cluster.inFlight.count == 4)
        // Doubling: 4, 8, …, 1024 in flight after eight duplicates of everything.
        for _ in 1...8 { try cluster.duplicate(.all) }
        #expect(cluster.inFlight.count == 1024)
        let before = cluster.inFlight.map(\.id)
        do {
            try cluster.duplicate(.all)
            Issue.record("1024 messages were duplicated past the cap")
        } catch {
            #expect(
                error.message
                    == "that would duplicate 1024 messages; one duplicate copies at most 1000 (choose fewer: ids, FROM->TO, to NODE, from NODE)")
        }
        #expect(cluster.inFlight.map(\.id) == before)
        // A selection at the cap is still copied.
        let toTwo = cluster.inFlight.filter { $0.message.to == 2 }.count
        #expect(toTwo == 256)
        try cluster.duplicate(.to(2))
        #expect(cluster.inFlight.count == 1024 + 256)
    }

    @Test func idsStillFindTheirMessagesAfterDeliveriesFromTheFront() throws {
        let cluster = try ClusterTests.cluster(5)
        try cluster.campaign(1)
        for _ in 1...4 { try cluster.duplicate(.all) }
        // 64 in flight, ids 1...4 and 5...64 (copies); take the oldest half off the front.
        for _ in 1...32 { try cluster.drop(.oldest) }
        let ids = cluster.inFlight.map(\.id)
        #expect(ids == Array(33...64))
        try cluster.drop(.ids([64, 40, 33]))
        #expect(cluster.inFlight.map(\.id) == Array(34...39) + Array(41...63))
        #expect(throws: SimError.self) { try cluster.drop(.ids([40])) }
    }
}
