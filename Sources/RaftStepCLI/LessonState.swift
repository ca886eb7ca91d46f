import RaftSim

/// Where a learner is in a lesson, and the rules for moving on.
///
/// A step is done when its expectations hold **and** the learner has typed its suggested commands
/// in order (other commands may come between them) — or typed `skip`. Checking only the
/// expectations moved on too early: in lesson 6 they hold after `deliver n1->n2`, before the
/// `drop all` that the next step relies on. A step may also accept other outcomes (`raftstep or`
/// blocks) that the learner reaches by experiments of their own.
///
/// After a command of the learner's own changes the cluster, the state tries the step's remaining
/// suggestions on a copy of the cluster; when they could no longer meet any accepted outcome it
/// says so once, and offers `undo`, `back` and `restart`.
struct LessonState {
    let lesson: Lesson
    var session: Session
    let color: Bool
    let markdown: MarkdownRender
    var stepIndex = 0
    /// How many of the step's suggested commands the learner has typed, in order.
    var typed = 0
    /// Whether the learner changed the cluster, during this step, with something other than the
    /// next suggested command.
    var experimented = false
    /// Per alternative: whether it already held when the step began (then it does not count).
    var alternativesHeldAtStart: [Bool] = []
    /// Whether the learner has been told that the step can no longer end as written.
    var toldOffPath = false

    init(lesson: Lesson, color: Bool = false, markdown: MarkdownRender = MarkdownRender(color: false)) throws(SimError) {
        self.lesson = lesson
        self.color = color
        self.markdown = markdown
        session = try lesson.makeSession(color: color)
    }

    var isFinished: Bool { stepIndex >= lesson.steps.count }
    var step: Lesson.Step { lesson.steps[stepIndex] }

    // MARK: Outcomes

    /// Whether every line holds in `session` (each checked without side effects).
    static func holds(_ expectations: [String], in session: Session) -> Bool {
        expectations.allSatisfy { session.execute($0).status == .ok }
    }

    /// The alternative's lines with `any` bound to the first node that makes all of them hold;
    /// nil when no node does. Lines without `any` are returned as they are.
    static func satisfied(_ alternative: Lesson.Alternative, in session: Session) -> [String]? {
        let mentionsAny = alternative.expectations.contains { Session.tokenize($0).contains("any") }
        guard mentionsAny else { return holds(alternative.expectations, in: session) ? alternative.expectations : nil }
        for id in session.cluster.ids {
            let bound = alternative.expectations.map { line in
                Session.tokenize(line).map { $0 == "any" ? "n\(id)" : $0 }.joined(separator: " ")
            }
            if holds(bound, in: session) { return bound }
        }
        return nil
    }

    // MARK: Steps

    mutating func announce(write: (String) -> Void) {
        typed = 0
        experimented = false
        toldOffPath = false
        alternativesHeldAtStart = step.alternatives.map { Self.satisfied($0, in: session) != nil }
        write("")
        write(paint("1", "── step \(stepIndex + 1) of \(lesson.steps.count) ──"))
        var text = step.text
        if stepIndex == 0, text.hasPrefix("# ") {
            // The lesson's own title: the header above already shows it.
            text = String(text.drop(while: { $0 != "\n" }).dropFirst())
        }
        if !text.isEmpty { markdown.render(text).forEach(write) }
        if !step.commands.isEmpty { suggestedLines().forEach(write) }
    }

    /// `Suggested: a · b · c`, broken between commands (never inside one) to fit the width.
    func suggestedLines() -> [String] {
        let label = "Suggested: "
        var lines: [String] = []
        var current = ""
        for command in step.commands {
            // The first line starts with the label; the others with as many spaces and "· ".
            let prefix = label.count + (lines.isEmpty ? 0 : 2)
            if current.isEmpty {
                current = command
            } else if let width = markdown.widthColumns, prefix + current.count + 3 + command.count > width {
                lines.append(current)
                current = command
            } else {
                current += " · " + command
            }
        }
        lines.append(current)
        let indent = String(repeating: " ", count: label.count)
        return lines.enumerated().map { $0 == 0 ? paint("1", "Suggested:") + " " + $1 : indent + "· " + $1 }
    }

    /// Runs a line the learner typed, counts it if it is the next suggestion, and moves on when the step is done.
    mutating func execute(_ line: String, write: (String) -> Void) {
        let historyBefore = session.history
        let result = session.execute(line)
        for output in result.lines {
            // At a terminal (the display has a width), long lines are cut between words.
            if let width = markdown.widthColumns { Wrap.lines(output, widthColumns: width).forEach(write) } else { write(output) }
        }
        if result.status == .quit || isFinished { return }
        let isNextSuggestion =
            typed < step.commands.count
            && Session.normalized(Session.tokenize(line)) == Session.normalized(Session.tokenize(step.commands[typed]))
        let changedCluster = session.history != historyBefore
        if isNextSuggestion {
            typed += 1
        } else if changedCluster {
            experimented = true
            if session.history.count < historyBefore.count { forgetUndone(historyBefore[session.history.count...]) }
        }
        if finishIfDone(explaining: isNextSuggestion || changedCluster, write: write) { return }
        if changedCluster && experimented { reportPath(write: write) }
    }

    /// After `undo`: a suggestion whose effect was taken back counts as not typed, and neither
    /// do the ones typed after it.
    mutating func forgetUndone(_ undone: ArraySlice<String>) {
        for line in undone {
            if let index = step.commands.prefix(typed).lastIndex(where: { Session.normalized(Session.tokenize($0)) == line }) {
                typed = index
            }
        }
    }

    /// Moves on when the step is done; returns whether it did.
    @discardableResult
    mutating func finishIfDone(afterSkip: Bool = false, explaining: Bool = true, write: (String) -> Void) -> Bool {
        let allTyped = afterSkip || typed >= step.commands.count
        if step.expectations.isEmpty && step.alternatives.isEmpty {
            guard allTyped else { return false }
            advance(write: write)
            return true
        }
        if allTyped && Self.holds(step.expectations, in: session) {
            if !step.expectations.isEmpty {
                for line in wrapped("✓ " + step.expectations.map { String($0.dropFirst("expect ".count)) }.joined(separator: "; ")) {
                    write(paint("32", line))
                }
            }
            advance(write: write)
            return true
        }
        // Another outcome counts once the learner reached it: by the suggestions, or by their own way.
        if allTyped || experimented {
            for (index, alternative) in step.alternatives.enumerated() where !alternativesHeldAtStart[index] {
                guard let bound = Self.satisfied(alternative, in: session) else { continue }
                let what = bound.map { String($0.dropFirst("expect ".count)) }.joined(separator: "; ")
                for line in wrapped("✓ another outcome this step allows" + (alternative.note.isEmpty ? "" : " — \(alternative.note)") + ": " + what) {
                    write(paint("32", line))
                }
                advance(write: write)
                return true
            }
        }
        if allTyped && explaining { explainUnmet(write: write) }
        return false
    }

    mutating func advance(write: (String) -> Void) {
        stepIndex += 1
        if !isFinished { announce(write: write) }
    }

    func explainUnmet(write: (String) -> Void) {
        write("Not yet — this step expects:")
        for line in step.expectations {
            let result = session.execute(line)
            wrapped("  \(result.status == .ok ? "✓" : "✗") " + (result.lines.last ?? line)).forEach(write)
        }
        for alternative in step.alternatives {
            wrapped("  or: " + (alternative.note.isEmpty ? "" : alternative.note + ": ") + alternative.expectations.joined(separator: " · ")).forEach(
                write)
        }
        markdown.render("(`undo` takes back your last command, `back` redoes the previous step, `restart` the lesson)").forEach(write)
    }

    /// After an experiment: tries the remaining suggestions on a copy of the cluster and says,
    /// when the answer changes, whether the step can still end as written.
    mutating func reportPath(write: (String) -> Void) {
        switch lookahead() {
        case .unknown:
            return
        case .onPath:
            if toldOffPath {
                write("Back on track: following the lesson from here works again.")
                toldOffPath = false
            }
        case .off(let index, let failing):
            guard !toldOffPath else { return }
            toldOffPath = true
            let left = step.commands.dropFirst(typed)
            let warning: String
            if index == stepIndex {
                warning =
                    "Your experiment took the cluster off this step's path: "
                    + (left.isEmpty ? "from here" : "after " + left.joined(separator: " · "))
                    + ", it would not hold that:"
            } else {
                warning = "Your experiment changes what comes later: following the lesson from here, step \(index + 1) would not hold that:"
            }
            for line in MarkdownRender(color: false, widthColumns: markdown.widthColumns).render(warning) { write(paint("33", line)) }
            for line in failing { wrapped("  ✗ " + line).forEach(write) }
            markdown.render(
                "Explore on if you like; `undo` takes back your last command, `back` redoes the previous step, `restart` starts the lesson over, `skip` runs the suggestions anyway."
            ).forEach(write)
        }
    }

    /// Where following the lesson from here would lead.
    enum PathVerdict: Equatable {
        /// Every step would end as written (as far as a trial can tell).
        case onPath
        /// No trial: it cannot be replayed, or it works on real files (`disk`, `logdump`).
        case unknown
        /// Step `step` (0-based) would end with these expectations unmet.
        case off(step: Int, failing: [String])
    }

    /// Tries the rest of the lesson on a replay of the session: the current step's remaining
    /// suggestions, then every later step's, checking each step's outcomes. A step that ends on
    /// one of its other outcomes, or after simply delivering what is in flight (the way a
    /// learner's own experiment usually ends), counts as on the path, and the trial stops there:
    /// what follows such an outcome is not the lesson's to predict.
    func lookahead() -> PathVerdict {
        guard !Self.touchesFiles(step), let trial = replay() else { return .unknown }
        for command in step.commands.dropFirst(typed) { _ = trial.execute(command) }
        if !Self.holds(step.expectations, in: trial) {
            if step.alternatives.contains(where: { Self.satisfied($0, in: trial) != nil }) { return .onPath }
            if !step.alternatives.isEmpty, let settled = replay() {
                _ = settled.execute("stabilize")
                if step.alternatives.contains(where: { Self.satisfied($0, in: settled) != nil }) { return .onPath }
            }
            return .off(step: stepIndex, failing: Self.failing(step.expectations, in: trial))
        }
        for index in lesson.steps.indices.dropFirst(stepIndex + 1) {
            let later = lesson.steps[index]
            if Self.touchesFiles(later) { return .onPath }
            for command in later.commands { _ = trial.execute(command) }
            if Self.holds(later.expectations, in: trial) { continue }
            if later.alternatives.contains(where: { Self.satisfied($0, in: trial) != nil }) { return .onPath }
            return .off(step: index, failing: Self.failing(later.expectations, in: trial))
        }
        return .onPath
    }

    /// Whether a step works on real files, which a trial must not touch.
    static func touchesFiles(_ step: Lesson.Step) -> Bool {
        (step.commands + step.expectations).contains { line in
            ["disk", "logdump"].contains(Session.tokenize(line).first ?? "") || line.hasPrefix("expect exit")
        }
    }

    /// What each unmet expectation says in `session`.
    static func failing(_ expectations: [String], in session: Session) -> [String] {
        expectations.compactMap { line in
            let result = session.execute(line)
            return result.status == .ok ? nil : (result.lines.last ?? line)
        }
    }

    /// A copy of the lesson's cluster, made by replaying the session's history; nil if that fails.
    func replay() -> Session? {
        guard let copy = try? Session(options: session.initialOptions) else { return nil }
        for line in session.history where copy.execute(line).status == .error { return nil }
        return copy
    }

    // MARK: Verbs

    func hint(write: (String) -> Void) {
        let left = step.commands.dropFirst(typed)
        wrapped(left.isEmpty ? "Every suggested command of this step is typed." : "Next: " + left.joined(separator: " · ")).forEach(write)
        if !step.expectations.isEmpty { wrapped("Done when: " + step.expectations.joined(separator: " · ")).forEach(write) }
        for alternative in step.alternatives {
            wrapped("Or: " + (alternative.note.isEmpty ? "" : alternative.note + ": ") + alternative.expectations.joined(separator: " · ")).forEach(
                write)
        }
    }

    mutating func skip(write: (String) -> Void) {
        for command in step.commands.dropFirst(typed) {
            write("> " + command)
            session.execute(command).lines.forEach(write)
            typed += 1
        }
        finishIfDone(afterSkip: true, write: write)
    }

    /// Starts over and replays the suggested commands of the steps before `target`.
    mutating func rewind(to target: Int, write: (String) -> Void) {
        precondition(target >= 0 && target < lesson.steps.count, "rewinding to a step that does not exist")
        do { session = try lesson.makeSession(color: color) } catch {
            write("cannot restart the cluster: \(error)")
            return
        }
        for step in lesson.steps[..<target] {
            for command in step.commands { _ = session.execute(command) }
        }
        stepIndex = target
        announce(write: write)
    }

    /// A line of the runner's own, cut between words to the display's width; its leading spaces
    /// indent the first line, and the others two more.
    func wrapped(_ text: String) -> [String] {
        guard let width = markdown.widthColumns, text.count > width else { return [text] }
        let indent = String(text.prefix(while: { $0 == " " }))
        let body = MarkdownRender.Run(text: String(text.dropFirst(indent.count)), style: nil)
        let lines = markdown.fill([body], width: width - indent.count, hangingIndent: "  ")
        return lines.map { indent + $0 }
    }

    func paint(_ code: String, _ text: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
