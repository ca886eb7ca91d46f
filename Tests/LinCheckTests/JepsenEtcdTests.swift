import Foundation
import Testing
import LinCheck

/// Real Jepsen histories of etcd (Data/jepsen-etcd, see its NOTICE.md): every verdict of verdicts.csv.
@Suite("Jepsen etcd histories")
struct JepsenEtcdTests {
    static func verdicts() throws -> [(file: String, linearizable: Bool)] {
        let csv = try String(contentsOf: jepsenDirectory.appendingPathComponent("verdicts.csv"), encoding: .utf8)
        var rows: [(String, Bool)] = []
        for line in csv.split(separator: "\n").dropFirst() {  // header: file,verdict
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard fields.count == 2, ["linearizable", "not-linearizable"].contains(fields[1]) else {
                throw CSVError(line: String(line))
            }
            rows.append((fields[0], fields[1] == "linearizable"))
        }
        return rows
    }

    struct CSVError: Error { let line: String }

    @Test("verdicts.csv names every vendored log, once, and both verdicts occur")
    func verdictsCoverTheData() throws {
        let rows = try Self.verdicts()
        let logs = try FileManager.default.contentsOfDirectory(atPath: jepsenDirectory.path).filter { $0.hasSuffix(".log") }
        #expect(Set(rows.map(\.file)) == Set(logs))
        #expect(rows.count == logs.count)
        #expect(rows.contains { $0.linearizable } && rows.contains { !$0.linearizable })
    }

    @Test("every vendored history gets its verdict, each within a few seconds")
    func everyVerdict() throws {
        let checker = Checker(model: .register)
        var slowest = (file: "", seconds: 0.0)
        for (file, expected) in try Self.verdicts() {
            let text = try String(contentsOf: jepsenDirectory.appendingPathComponent(file), encoding: .utf8)
            let clock = ContinuousClock()
            let start = clock.now
            let history = try parseJepsenLog(text)
            let (verdict, states) = checker.check(history)
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if seconds > slowest.seconds { slowest = (file, seconds) }
            #expect(verdict.isUnknown == false, "\(file): \(verdict)")
            #expect(
                verdict.isLinearizable == expected,
                "\(file): expected \(expected ? "linearizable" : "not linearizable"), got \(verdict) after \(states) states")
            // "A few seconds" in a debug build on a shared 2-core machine; typical runs take milliseconds.
            #expect(seconds < 5, "\(file) took \(seconds) s")
        }
        print("jepsen-etcd: slowest file \(slowest.file), \(slowest.seconds) s")
    }

    @Test("timed-out operations do not blow up the search: etcd_002 (19 of them) takes under 1,000 states")
    func unknownOutcomesStayCheap() throws {
        // Taking every timed-out write or CAS as early as possible, each copy of the same write on its
        // own, explored 179,126 states here; trying them last, only when they change the state, and one
        // of identical ones at a time, 70.
        let text = try String(contentsOf: jepsenDirectory.appendingPathComponent("etcd_002.log"), encoding: .utf8)
        let history = try parseJepsenLog(text)
        #expect(history.operations.filter(\.isUnknown).count == 19)
        let (verdict, states) = Checker(model: .register).check(history)
        #expect(verdict == .linearizable)
        #expect(states < 1_000, "explored \(states) states")
    }

    @Test("the Jepsen parser reads :info and unfinished operations as unknown and drops failed reads")
    func parserOutcomes() throws {
        let log = """
            INFO  jepsen.core - nemesis starts
            INFO  jepsen.util - 0\t:invoke\t:write\t1
            INFO  jepsen.util - 1   :invoke :read   nil
            INFO  jepsen.util - :nemesis\t:info\t:start\tnil
            INFO  jepsen.util - 0\t:info\t:write\t:timed-out
            INFO  jepsen.util - 1   :fail   :read   :timed-out
            INFO  jepsen.util - 2\t:invoke\t:cas\t[1 2]
            INFO  jepsen.util - 2\t:fail\t:cas\t[1 2]
            INFO  jepsen.util - 3\t:invoke\t:read\tnil
            INFO  jepsen.util - 3\t:ok\t:read\t1
            INFO  jepsen.util - 4\t:invoke\t:cas\t[1 3]
            """
        let history = try parseJepsenLog(log)
        #expect(history.operations.count == 4)
        #expect(history.operations[0].action == .write(.integer(1)) && history.operations[0].isUnknown)
        #expect(history.operations[1].action == .cas(expected: .integer(1), new: .integer(2), swapped: false))
        #expect(history.operations[1].callTime == 7 && history.operations[1].returnTime == 8)
        #expect(history.operations[2].action == .read(observed: .integer(1)))
        #expect(history.operations[3].isUnknown, "never completed")
        // The failed CAS on lines 7-8 saw something other than 1, yet the write of 1 is the only write:
        // it took effect after line 8 and before the read returned on line 10. Linearizable.
        #expect(Checker(model: .register).check(history).verdict == .linearizable)
    }

    @Test("malformed Jepsen logs are errors with their line, not guesses")
    func parserErrors() {
        let cases: [(String, String)] = [
            ("INFO  jepsen.util - 0\t:ok\t:read\t1", "line 1: process 0 completes :read without an invocation"),
            (
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil",
                "line 2: process 0 invokes again while its :read of line 1 is outstanding"
            ),
            ("INFO  jepsen.util - 0\t:invoke\t:add\t1", "line 1: unsupported operation :add (a register has :read, :write, :cas)"),
            ("INFO  jepsen.util - 0\t:invoke\t:write\tx", "line 1: expected nil or an integer, not \"x\""),
            ("INFO  jepsen.util - 0\t:invoke\t:cas\t[1]", "line 1: expected [FROM TO], not \"[1]\""),
            (
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1",
                "line 2: process 0 completes :write but invoked :read on line 1"
            ),
            (
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:done\t:read\t1",
                "line 2: unknown event type :done (:invoke, :ok, :fail, :info)"
            ),
            // Another file named by mistake (the data folder's NOTICE.md, say), or only the nemesis.
            (
                "# Notice\n\nThese logs come from Jepsen.\n",
                "no client events (lines like `jepsen.util - 3 :invoke :read nil`): not a Jepsen log"
            ),
            (
                "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n",
                "no client events (lines like `jepsen.util - 3 :invoke :read nil`): not a Jepsen log"
            ),
        ]
        for (log, message) in cases {
            #expect(throws: InputError.self) { try parseJepsenLog(log) }
            do {
                _ = try parseJepsenLog(log)
            } catch {
                #expect(error.description == message)
            }
        }
    }
}
