import CDBNTestSupport
import Foundation
import Testing

/// Experiments/timit/{speaker,gender,phoneme}.sh end to end on two speakers per role, with a tiny
/// model (`--quick`) and this build's cdbn (`CDBN=`), writing into a temporary folder: every step
/// of each script (pretrain, features, split, classify, the Markdown table) runs for real.
@Suite struct TIMITScriptTests {
  /// Runs `task`.sh into a fresh folder whose RESULTS.md already holds another section and an old
  /// one of `task`'s.
  static func run(_ task: String) throws -> (ProcessResult, TemporaryDirectory) {
    let directory = try TemporaryDirectory()
    try """
    # earlier results

    <!-- other -->
    keep me
    <!-- /other -->

    <!-- \(task) -->
    stale table
    <!-- /\(task) -->
    """.write(toFile: directory.file("RESULTS.md"), atomically: true, encoding: .utf8)
    let script = packageRoot().appendingPathComponent("Experiments/timit/\(task).sh").path
    var environment = ProcessInfo.processInfo.environment
    environment["CDBN"] = try CLITests.executable()
    let result = try runProcess(
      "/bin/bash", [script, "--quick", "--speakers", "2", "--out", directory.path],
      environment: environment)
    return (result, directory)
  }

  /// The table rows of the results file: the lines starting with "| " and a digit.
  static func rows(_ results: String) -> [[String]] {
    results.split(separator: "\n").filter {
      $0.hasPrefix("| ") && ($0.dropFirst(2).first?.isNumber ?? false)
    }
    .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
  }

  static func check(_ task: String, header: String, rows expected: [String]) throws -> [[String]] {
    let committed = packageRoot().appendingPathComponent("Experiments/timit/RESULTS.md").path
    let before = try? bytes(committed)
    let (result, directory) = try run(task)
    defer { directory.remove() }
    try #require(result.status == 0, "\(task).sh: \(CLITests.describe(result))")
    let results = try String(contentsOfFile: directory.file("RESULTS.md"), encoding: .utf8)
    // Its own section replaced, the others kept.
    #expect(results.components(separatedBy: "<!-- \(task) -->").count == 2)
    #expect(results.contains("<!-- /\(task) -->") && results.contains("keep me"))
    #expect(!results.contains("stale table"))
    #expect(results.contains(header), "\(results)")
    #expect(results.contains("Test speakers: FTLG0, MBGT0."), "\(results)")
    #expect(results.contains("| **whole script** |"), "\(results)")
    let table = rows(results)
    #expect(table.map { $0[0] } == expected, "\(results)")
    // The committed results are not touched by a --quick run.
    #expect((try? bytes(committed)) == before)
    return table
  }

  @Test func speakerIdentification() throws {
    let table = try Self.check(
      "speaker",
      header: "| training utterances per speaker | MFCC | CDBN L1 | CDBN L2 | CDBN L1 + MFCC |",
      rows: ["1", "2"])
    for row in table {
      let accuracies = row.dropFirst().compactMap(Double.init)
      #expect(accuracies.count == 4 && accuracies.allSatisfy { $0 >= 0 && $0 <= 100 }, "\(row)")
    }
  }

  @Test func genderClassification() throws {
    let table = try Self.check(
      "gender",
      header:
        "| training utterances per training speaker | MFCC | CDBN L1 | CDBN L2 | CDBN L1 + MFCC |",
      rows: ["1", "2"])
    #expect(table.allSatisfy { $0.count == 5 })
  }

  @Test func phoneClassification() throws {
    let committed = packageRoot().appendingPathComponent("Experiments/timit/RESULTS.md").path
    let before = try? bytes(committed)
    let (result, directory) = try Self.run("phoneme")
    defer { directory.remove() }
    try #require(result.status == 0, "phoneme.sh: \(CLITests.describe(result))")
    let results = try String(contentsOfFile: directory.file("RESULTS.md"), encoding: .utf8)
    #expect(
      results.contains(
        "| features | accuracy | C | training segments | test segments | dimensions |"))
    let lines = results.split(separator: "\n").filter {
      $0.hasPrefix("| MFCC |") || $0.hasPrefix("| MFCC + CDBN L1 |")
    }
    #expect(lines.count == 2, "\(results)")
    for line in lines {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      let accuracy = Double(cells[1])
      let trainRows = Int(cells[3]) ?? 0
      let testRows = Int(cells[4]) ?? 0
      #expect(accuracy != nil && trainRows > 100 && testRows > 100, "\(line)")
    }
    // 16 bases in --quick: 3 × 16 + 1 columns of layer 1, 3 × 39 + 1 of MFCC.
    let joinedColumns = 167
    #expect(lines.last?.hasSuffix("| \(joinedColumns) |") == true, "\(results)")
    #expect((try? bytes(committed)) == before)
  }

  @Test func badOptionsAreRefused() throws {
    let script = packageRoot().appendingPathComponent("Experiments/timit/speaker.sh").path
    var environment = ProcessInfo.processInfo.environment
    environment["CDBN"] = try CLITests.executable()
    for arguments in [["--bogus"], ["--speakers", "two"], ["--timit", "/nonexistent/timit"]] {
      let r = try runProcess("/bin/bash", [script] + arguments, environment: environment)
      #expect(r.status == 2, "\(arguments): \(CLITests.describe(r))")
    }
  }
}
