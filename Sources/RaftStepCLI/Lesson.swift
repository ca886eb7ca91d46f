import RaftSim

/// A guided lesson: a Markdown file in `lessons/` with a front matter, narrative text, and fenced
/// `raftstep` blocks. Each block is one step: its command lines are what the learner is asked to
/// type, its `expect` lines are what must hold before the lesson moves on (the learner must also
/// have typed the commands, or `skip`). A ```` ```raftstep or ```` block right after a step's
/// block names another outcome that step accepts when the learner goes their own way: only
/// `expect` lines and `#` comments (the comment says what the outcome is), and the word `any`
/// stands for one node, the same in every line. `--check-all` checks the commands' own outcome.
/// After editing a lesson, regenerate the built-in copy (`EmbeddedLessonsSource.path`).
public struct Lesson: Sendable, Equatable {
    /// One step: the text before its block, the suggested commands and the checks.
    public struct Step: Sendable, Equatable {
        /// Narrative shown before the step.
        public var text: String
        /// Commands the learner is asked to type, in order.
        public var commands: [String]
        /// `expect …` lines that must hold for the step to be done.
        public var expectations: [String]
        /// 1-based line in the file where the block starts (for error messages).
        public var line: Int
        /// Other outcomes the text allows when the learner goes their own way (```raftstep or```
        /// blocks after the step's block); `--check-all` checks only `expectations`.
        public var alternatives: [Alternative] = []
    }

    /// An outcome a step accepts besides its own expectations, e.g. "any node wins the next term".
    /// In its `expect` lines the word `any` stands for one node, the same in every line.
    public struct Alternative: Sendable, Equatable {
        /// The block's `#` comments: what this outcome is, in words.
        public var note: String
        /// Its `expect …` lines.
        public var expectations: [String]
        /// 1-based line in the file where the block starts.
        public var line: Int
    }

    /// File name without `.md`, e.g. `01-first-election`.
    public var slug: String
    /// The number at the start of the file name.
    public var number: Int
    /// Title from the front matter.
    public var title: String
    /// One-line summary for the list.
    public var summary: String
    /// Rules the lesson teaches.
    public var teaches: String
    /// The consensus property at stake.
    public var property: String
    /// Cluster size to start with.
    public var nodes: Int
    /// Seed to start with.
    public var seed: UInt64
    /// Voters at the start (n1…nK, front matter `voters:`); nil: every node.
    public var voters: Int? = nil
    /// The steps in order.
    public var steps: [Step]
    /// Text after the last step.
    public var conclusion: String

    /// Why a lesson file could not be read.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What is wrong, with the file and line.
        public var description: String
    }

    /// Parses a lesson file's text; `slug` is its file name without `.md`.
    public static func parse(_ text: String, slug: String) throws(ParseError) -> Lesson {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let (front, position) = try parseFrontMatter(lines, slug: slug)
        guard let title = front["title"], !title.isEmpty else { throw ParseError(description: "\(slug).md: no title in the front matter") }
        let nodes = Int(front["nodes"] ?? "3") ?? 0
        guard (1...25).contains(nodes) else { throw ParseError(description: "\(slug).md: nodes must be a number from 1 to 25") }
        guard let seed = UInt64(front["seed"] ?? "1") else { throw ParseError(description: "\(slug).md: seed must be a number") }
        let voters = front["voters"].map { Int($0) ?? 0 }
        if let voters, !(1...nodes).contains(voters) { throw ParseError(description: "\(slug).md: voters must be a number from 1 to nodes") }
        let (steps, trailing) = try parseSteps(lines, from: position, slug: slug)
        let number = Int(slug.prefix(while: { $0.isNumber })) ?? 0
        var lesson = Lesson(
            slug: slug, number: number, title: title, summary: front["summary"] ?? "",
            teaches: front["teaches"] ?? "", property: front["property"] ?? "", nodes: nodes, seed: seed,
            steps: steps, conclusion: trimmedParagraphs(trailing))
        lesson.voters = voters
        return lesson
    }

    /// The `key: value` lines between the opening and closing `---`, and the index of the first
    /// line after them (0 when the file has no front matter).
    private static func parseFrontMatter(_ lines: [String], slug: String) throws(ParseError) -> (front: [String: String], next: Int) {
        guard lines.first == "---" else { return ([:], 0) }
        var front: [String: String] = [:]
        var position = 1
        while position < lines.count && lines[position] != "---" {
            let line = lines[position]
            if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon]).trimmingSpaces()
                front[key] = String(line[line.index(after: colon)...]).trimmingSpaces()
            }
            position += 1
        }
        guard position < lines.count else { throw ParseError(description: "\(slug).md: the front matter is not closed by ---") }
        return (front, position + 1)
    }

    /// The steps: prose, then a ```` ```raftstep ```` block (its commands and expectations), each
    /// optionally followed by ```` ```raftstep or ```` blocks (other outcomes); and the prose after
    /// the last block.
    private static func parseSteps(_ lines: [String], from position: Int, slug: String) throws(ParseError) -> (steps: [Step], trailing: [String]) {
        var steps: [Step] = []
        var text: [String] = []
        var block: [String]?
        var blockLine = 0
        var isAlternative = false
        for (offset, line) in lines[position...].enumerated() {
            let number = position + offset + 1
            if var current = block {
                if line.hasPrefix("```") {
                    if isAlternative {
                        steps[steps.count - 1].alternatives.append(try makeAlternative(current, line: blockLine, slug: slug))
                    } else {
                        steps.append(makeStep(text: text, block: current, line: blockLine))
                        text = []
                    }
                    block = nil
                    continue
                }
                if !isAlternative { try checkNoCommandAfterExpectations(current, line, at: number, slug: slug) }
                current.append(line)
                block = current
            } else if line.hasPrefix("```raftstep or") {
                // Another outcome of the step just before it: nothing may come between them.
                guard !steps.isEmpty, text.allSatisfy({ $0.trimmingSpaces().isEmpty }) else {
                    throw ParseError(description: "\(slug).md:\(number): a `raftstep or` block must follow a step's block directly")
                }
                (block, blockLine, isAlternative) = ([], number, true)
            } else if line.hasPrefix("```raftstep") {
                (block, blockLine, isAlternative) = ([], number, false)
            } else {
                text.append(line)
            }
        }
        if block != nil { throw ParseError(description: "\(slug).md:\(blockLine): a raftstep block is not closed") }
        guard !steps.isEmpty else { throw ParseError(description: "\(slug).md: no raftstep blocks") }
        return (steps, text)
    }

    /// A step's expectations describe the state when the step is done; a command after them would
    /// make the interactive and the checked runs disagree.
    private static func checkNoCommandAfterExpectations(_ block: [String], _ line: String, at number: Int, slug: String) throws(ParseError) {
        let trimmed = line.trimmingSpaces()
        guard !trimmed.isEmpty && !trimmed.hasPrefix("#") && !trimmed.hasPrefix("expect ") && !trimmed.hasPrefix("```") else { return }
        if block.contains(where: { $0.trimmingSpaces().hasPrefix("expect ") }) {
            throw ParseError(description: "\(slug).md:\(number): a command after the step's expect lines; start a new block")
        }
    }

    private static func makeStep(text: [String], block: [String], line: Int) -> Step {
        var commands: [String] = []
        var expectations: [String] = []
        for raw in block {
            let command = raw.trimmingSpaces()
            if command.isEmpty || command.hasPrefix("#") { continue }
            if command.hasPrefix("expect ") { expectations.append(command) } else { commands.append(command) }
        }
        return Step(text: trimmedParagraphs(text), commands: commands, expectations: expectations, line: line)
    }

    private static func makeAlternative(_ block: [String], line: Int, slug: String) throws(ParseError) -> Alternative {
        var notes: [String] = []
        var expectations: [String] = []
        for (offset, raw) in block.enumerated() {
            let text = raw.trimmingSpaces()
            if text.isEmpty { continue }
            if text.hasPrefix("#") {
                notes.append(String(text.drop(while: { $0 == "#" })).trimmingSpaces())
            } else if text.hasPrefix("expect ") {
                expectations.append(text)
            } else {
                throw ParseError(description: "\(slug).md:\(line + offset + 1): a `raftstep or` block holds only expect lines and # comments")
            }
        }
        guard !expectations.isEmpty else { throw ParseError(description: "\(slug).md:\(line): a `raftstep or` block without expect lines") }
        return Alternative(note: notes.joined(separator: " "), expectations: expectations, line: line)
    }

    /// Drops leading and trailing blank lines.
    private static func trimmedParagraphs(_ lines: [String]) -> String {
        var slice = lines[...]
        while let first = slice.first, first.trimmingSpaces().isEmpty { slice = slice.dropFirst() }
        while let last = slice.last, last.trimmingSpaces().isEmpty { slice = slice.dropLast() }
        return slice.joined(separator: "\n")
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var chars = Substring(self)
        while let first = chars.first, first == " " || first == "\t" { chars = chars.dropFirst() }
        while let last = chars.last, last == " " || last == "\t" || last == "\r" { chars = chars.dropLast() }
        return String(chars)
    }
}

extension Lesson {
    /// A session on the lesson's cluster (its nodes, seed and voters); outside `LessonRunner`, so
    /// that builds without readline (the fuzz target) have it too.
    func makeSession(color: Bool = false) throws(SimError) -> Session {
        var options = SessionOptions()
        options.cluster.nodeCount = nodes
        options.cluster.seed = seed
        options.cluster.voterCount = voters
        options.color = color
        return try Session(options: options)
    }
}
