import JSONText

/// The summary as the JSON object `raftstep explore --json` prints, and back.
extension ExploreSummary {
    /// One line of JSON; the field order is fixed, so equal summaries print equal text.
    public var json: String {
        var fields: [String] = []
        fields.append("\"seeds\": {\"first\": \(seeds.lowerBound), \"last\": \(seeds.upperBound), \"run\": \(seedsRun)}")
        if let shard {
            fields.append(
                "\"shard\": {\"index\": \(shard.index), \"count\": \(shard.count), \"first\": \(shard.seeds.lowerBound), \"last\": \(shard.seeds.upperBound)}"
            )
        }
        fields.append("\"nodes\": \(nodes)")
        fields.append("\"steps\": \(steps)")
        fields.append("\"faults\": [\(faults.map(jsonQuoted).joined(separator: ", "))]")
        fields.append("\"unsafe\": [\(unsafe.map(jsonQuoted).joined(separator: ", "))]")
        fields.append("\"actions\": \(totals.actions)")
        fields.append("\"events\": \(totals.events)")
        fields.append("\"faultsInjected\": \(totals.faults)")
        fields.append("\"acknowledgedProposals\": \(totals.acknowledged)")
        fields.append("\"reads\": \(totals.reads)")
        fields.append("\"configChanges\": \(totals.configChanges)")
        fields.append("\"compactions\": \(totals.compactions)")
        fields.append("\"highestCommit\": \(highestCommit)")
        fields.append("\"elapsedSeconds\": \(Self.oneDecimal(elapsedSeconds))")
        fields.append("\"eventsPerSecond\": \(eventsPerSecond)")
        let list = failures.map { f in
            "{\"seed\": \(f.seed), \"invariant\": \(jsonQuoted(f.invariant)), \"evidence\": \(jsonQuoted(f.evidence))"
                + (f.script.map { ", \"script\": \(jsonQuoted($0))" } ?? "") + "}"
        }
        fields.append("\"failures\": [\(list.joined(separator: ", "))]")
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Reads a summary back from `json`'s text; the error names the first field that is missing or malformed.
    /// (`eventsPerSecond` is not read: it follows from the events and the seconds.)
    public static func parse(json text: String) -> Result<ExploreSummary, SimError> {
        let value: JSON
        do { value = try parseJSON(text[...]) } catch {
            return .failure(SimError("bad JSON at byte \(error.column - 1): \(error.message)"))
        }
        do throws(SimError) {
            let reader = FieldReader(value: value)
            let seeds = try reader.range(value["seeds"], "seeds")
            var summary = ExploreSummary(
                seeds: seeds, nodes: try reader.int("nodes"), steps: try reader.int("steps"),
                faults: try reader.strings("faults"), unsafe: try reader.strings("unsafe"))
            summary.seedsRun = try reader.uint(value["seeds"]?["run"], "seeds.run")
            if let shard = value["shard"] {
                summary.shard = Shard(
                    index: Int(try reader.uint(shard["index"], "shard.index")),
                    count: Int(try reader.uint(shard["count"], "shard.count")),
                    seeds: try reader.range(shard, "shard"))
            }
            summary.totals.actions = try reader.int("actions")
            summary.totals.events = try reader.int("events")
            summary.totals.faults = try reader.int("faultsInjected")
            summary.totals.acknowledged = try reader.int("acknowledgedProposals")
            summary.totals.reads = try reader.int("reads")
            summary.totals.configChanges = try reader.int("configChanges")
            summary.totals.compactions = try reader.int("compactions")
            summary.highestCommit = try reader.uint(value["highestCommit"], "highestCommit")
            guard case .number(let seconds)? = value["elapsedSeconds"], let elapsed = Double(seconds), elapsed >= 0 else {
                throw SimError("elapsedSeconds: expected a number of seconds")
            }
            summary.elapsedSeconds = elapsed
            guard case .array(let items)? = value["failures"] else { throw SimError("failures: expected a list") }
            for item in items { summary.failures.append(try reader.failure(item)) }
            return .success(summary)
        } catch {
            return .failure(SimError("not an explore summary: \(error.message)"))
        }
    }

    /// Seconds with one decimal, as the summaries print them.
    public static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Typed access to the fields of a parsed summary, with errors that name the field.
private struct FieldReader {
    var value: JSON

    func uint(_ field: JSON?, _ name: String) throws(SimError) -> UInt64 {
        guard case .number(let text)? = field, let number = UInt64(text) else { throw SimError("\(name): expected a whole number") }
        return number
    }

    func int(_ name: String) throws(SimError) -> Int {
        guard case .number(let text)? = value[name], let number = Int(text), number >= 0 else { throw SimError("\(name): expected a whole number") }
        return number
    }

    func strings(_ name: String) throws(SimError) -> [String] {
        guard case .array(let items)? = value[name] else { throw SimError("\(name): expected a list of names") }
        return try items.map { item throws(SimError) -> String in
            guard case .string(let text) = item else { throw SimError("\(name): expected a list of names") }
            return text
        }
    }

    func range(_ object: JSON?, _ name: String) throws(SimError) -> ClosedRange<UInt64> {
        let first = try uint(object?["first"], name + ".first"), last = try uint(object?["last"], name + ".last")
        guard first <= last else { throw SimError("\(name): first \(first) is after last \(last)") }
        return first...last
    }

    func failure(_ item: JSON) throws(SimError) -> ExploreSummary.Failure {
        guard case .string(let invariant)? = item["invariant"], case .string(let evidence)? = item["evidence"] else {
            throw SimError("failures: each needs an invariant and evidence")
        }
        var script: String?
        if case .string(let path)? = item["script"] { script = path }
        return ExploreSummary.Failure(seed: try uint(item["seed"], "failures.seed"), invariant: invariant, evidence: evidence, script: script)
    }
}
