import Foundation
import Testing
@testable import RaftStepCLI

/// `lessons/README.md` maps each concept of a Raft course to the lessons that show it. The table
/// must stay true: every concept the course covers is in it, every lesson it names exists and
/// contains the phrase the row says to look for, and every lesson appears in it.
@Suite struct LessonConceptTableTests {
    /// The concepts a course on consensus and Raft covers (issue 14 §5), as the table's rows begin.
    static let requiredConcepts = [
        "Termination", "Agreement", "Validity", "Non-triviality", "Safety versus liveness",
        "Leader: be elected", "Leader: keep the log safe and linearizable", "Leader: detect crashes and re-elect",
        "Leader: repair logs after a change of leader", "Leader: depose stale leaders", "Leader: manage membership",
        "The replicated log", "Pluggable state machines", "The binary log", "Reconfiguration", "Property testing",
    ]

    struct Row {
        var concept: String
        var lessons: [Int]
        var phrase: String
    }

    /// The rows of the table: `| Concept | 3, 1 | phrase |`.
    static func rows() throws -> [Row] {
        let text = try String(contentsOfFile: LessonTests.lessonsDirectory + "/README.md", encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| Concept") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3 else { Issue.record("a row with \(cells.count) cells: \(line)"); continue }
            let lessons = cells[1].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            rows.append(Row(concept: cells[0], lessons: lessons, phrase: cells[2]))
        }
        return rows
    }

    @Test func everyConceptIsInTheTable() throws {
        let rows = try Self.rows()
        for concept in Self.requiredConcepts {
            #expect(rows.contains { $0.concept.hasPrefix(concept) }, "lessons/README.md has no row for \(concept)")
        }
    }

    @Test func everyRowNamesLessonsThatShowIt() throws {
        let catalog = try LessonTests.catalog()
        let rows = try Self.rows()
        #expect(rows.count >= Self.requiredConcepts.count)
        for row in rows {
            #expect(!row.lessons.isEmpty, "\(row.concept) names no lesson")
            for number in row.lessons {
                #expect(catalog.lesson(named: String(number)) != nil, "\(row.concept): no lesson \(number)")
            }
            guard let first = row.lessons.first, let lesson = catalog.lesson(named: String(first)) else { continue }
            let path = LessonTests.lessonsDirectory + "/" + lesson.slug + ".md"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(
                text.lowercased().contains(row.phrase.lowercased()),
                "\(row.concept): lesson \(first) does not contain '\(row.phrase)'")
        }
    }

    @Test func everyLessonIsInTheTable() throws {
        let catalog = try LessonTests.catalog()
        let named = Set(try Self.rows().flatMap(\.lessons))
        for lesson in catalog.lessons {
            #expect(named.contains(lesson.number), "lesson \(lesson.number) (\(lesson.slug)) is in no row of lessons/README.md")
        }
    }
}
