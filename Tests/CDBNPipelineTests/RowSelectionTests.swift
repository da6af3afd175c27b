import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@Suite struct RowSelectionTests {
  @Test func parsesRangesAndRejectsNonsense() {
    #expect(RowSelection.parseRange("10:20") == 10..<20)
    #expect(RowSelection.parseRange(":20") == 0..<20)
    #expect(RowSelection.parseRange("10:") == 10..<Int.max)
    for bad in ["20:10", "5:5", "-1:4", "a:b", "10", "1:2:3", ""] {
      #expect(RowSelection.parseRange(bad) == nil, "\(bad)")
    }
  }

  @Test func choosesRowsInsideTheRangeOnly() throws {
    #expect(try RowSelection(range: 3..<7).rows(of: 10, path: "f") == [3, 4, 5, 6])
    #expect(try RowSelection(range: 6..<Int.max).rows(of: 10, path: "f") == [6, 7, 8, 9])
    let subset = try RowSelection(range: 100..<200, limit: 30, seed: 4).rows(of: 500, path: "f")
    #expect(subset.count == 30 && Set(subset).count == 30)
    #expect(subset.allSatisfy { (100..<200).contains($0) })
    // Same seed, same rows; another seed, other rows.
    #expect(
      try RowSelection(range: 100..<200, limit: 30, seed: 4).rows(of: 500, path: "f") == subset)
    #expect(
      try RowSelection(range: 100..<200, limit: 30, seed: 5).rows(of: 500, path: "f") != subset)
    // Without a range the subset is the one `--train-limit` always chose.
    #expect(
      try RowSelection(limit: 5, seed: 2).rows(of: 50, path: "f")
        == RowSelection(range: 0..<50, limit: 5, seed: 2).rows(of: 50, path: "f"))
  }

  @Test func rowsBeyondTheFileAreAnErrorNamingIt() {
    #expect(throws: PipelineError.self) { try RowSelection(range: 5..<20).rows(of: 10, path: "f") }
    #expect(throws: PipelineError.self) {
      try RowSelection(range: 10..<Int.max).rows(of: 10, path: "f")
    }
    #expect(throws: PipelineError.self) {
      try RowSelection(range: 0..<5, limit: 6).rows(of: 10, path: "f")
    }
    do {
      _ = try RowSelection(range: 5..<20).rows(of: 10, path: "train.h5")
    } catch {
      #expect("\(error)".contains("train.h5") && "\(error)".contains("5:20"), "\(error)")
    }
  }

  /// `classify --train-rows --test-rows` fits on one part of a file and tests on another.
  @Test func classifyOnAValidationSplitOfOneFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = dir.file("all.h5")
    try SupervisedCLITests.writeBlobs(data, count: 90, seed: 3)
    let out = dir.file("r.h5")
    let r = try CLITests.cdbn(
      [
        "classify", "--train", data, "--test", data, "--train-rows", "0:60", "--test-rows", "60:",
        "--c", "1", "--out", out,
      ], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stdout.contains("error 0.00%"), "\(r.stdout)")
    let file = try HDF5File(path: out, mode: .readOnly)
    #expect(try file.root.readInts("predictions").values.count == 30)
    file.close()
    let bad = try CLITests.cdbn(
      ["classify", "--train", data, "--test", data, "--train-rows", "60:30", "--c", "1"], in: dir)
    #expect(bad.status != 0 && bad.stderr.contains("train-rows"), "\(CLITests.describe(bad))")
  }
}
