import CDBNDatasets
import CDBNNumerics
import CDBNStorage
import Foundation

/// `cdbn split`: divides the rows of a feature file into a training file and a test file by a
/// seeded random draw within each label or each speaker, so experiments like "n training
/// utterances per speaker, tested on the rest" need one feature extraction, not one per draw.
///
/// The outputs have the input's layout for rows ([N, D] `/features`, `/labels`, `/ids`,
/// `/speakers`) and its `/label_names` and root attributes, plus `split_from`, `split_rule`,
/// `split_seed` and `split_part` ("train" or "test"). Rows keep their input order.
public struct FeatureSplit: Sendable {
  public enum Rule: Sendable, Equatable, CustomStringConvertible {
    /// `n` random rows of each label value to training, the rest to test.
    case perLabel(Int)
    /// `n` random rows of each speaker (`/speakers`) to training, the rest to test.
    case perSpeaker(Int)

    public var description: String {
      switch self {
      case .perLabel(let n): return "per-label \(n)"
      case .perSpeaker(let n): return "per-speaker \(n)"
      }
    }
  }

  public var rule: Rule
  public var seed: UInt64

  public init(rule: Rule, seed: UInt64 = 1) {
    self.rule = rule
    self.seed = seed
  }

  /// Splits `input`; writes `trainOutput` and, when given, `testOutput` (each to a temporary file
  /// renamed into place). Returns the rows of each part.
  @discardableResult
  public func run(input: String, trainOutput: String, testOutput: String?) throws -> (
    train: Int, test: Int
  ) {
    let source = try FeatureFile.read(input)
    let speakers: [String]? = try PipelineError.naming(input) {
      let file = try HDF5File(path: input, mode: .readOnly)
      defer { file.close() }
      guard file.root.contains("speakers") else { return nil }
      let values = try file.root.readStrings("speakers")
      guard values.count == source.features.rows else {
        throw PipelineError(
          input,
          "/speakers has \(values.count) entries but /features has \(source.features.rows) rows")
      }
      return values
    }
    let groups: [String]
    var describe: (String) -> String = { "speaker \($0)" }
    let what: String
    let n: Int
    switch rule {
    case .perLabel(let count):
      // Grouped by label value; messages name the class when the file has names.
      let names = source.labelNames
      groups = try source.requireLabels().map(String.init)
      describe = { value in names.map { "class \"\($0[Int(value)!])\"" } ?? "label \(value)" }
      (what, n) = ("label", count)
    case .perSpeaker(let count):
      guard let speakers else {
        throw PipelineError(input, "has no /speakers dataset to split by speaker")
      }
      groups = speakers
      (what, n) = ("speaker", count)
    }
    guard n >= 1 else {
      throw PipelineError(input, "cannot put \(n) rows of each \(what) in training")
    }
    var members: [String: [Int]] = [:]
    for (row, group) in groups.enumerated() { members[group, default: []].append(row) }
    var training: [Int] = []
    for (index, group) in members.keys.sorted().enumerated() {
      let rows = members[group]!
      guard rows.count >= n else {
        throw PipelineError(
          input,
          "\(describe(group)) has \(rows.count) row(s), fewer than the \(n) asked for training")
      }
      var rng = RandomStream(seed: seed, stream: 0x5_9117 ^ UInt64(index))
      training += rng.permutation(rows.count).prefix(n).map { rows[$0] }
    }
    training.sort()
    let chosen = Set(training)
    let test = (0..<source.features.rows).filter { !chosen.contains($0) }
    if testOutput != nil && test.isEmpty {
      throw PipelineError(input, "\(rule) puts every row in training and leaves none to test")
    }
    try write(source, speakers: speakers, rows: training, part: "train", to: trainOutput)
    if let testOutput {
      try write(source, speakers: speakers, rows: test, part: "test", to: testOutput)
    }
    return (training.count, test.count)
  }

  private func write(
    _ source: FeatureFile, speakers: [String]?, rows: [Int], part: String, to path: String
  ) throws {
    let input = source.path
    let inputFile = try PipelineError.naming(input) { try HDF5File(path: input, mode: .readOnly) }
    defer { inputFile.close() }
    let inputRoot = inputFile.root
    try PipelineError.naming(path) {
      try HDF5File.atomicWrite(to: path) { file in
        let d = source.features.columns
        var writer = try FeatureFile.Writer(
          root: file.root, rows: rows.count, rowShape: [d], rowsPerWrite: rows.count,
          blocks: try FeatureFile.blocks(in: input))
        let root = writer.root
        // The input's descriptive attributes (summary, representations, model, ...).
        for name in try inputRoot.attributeNames() where !root.hasAttribute(name) {
          if let text = try? inputRoot.stringAttribute(name) {
            try root.setAttribute(name, text)
          } else if let values = try? inputRoot.intArrayAttribute(name) {
            try root.setAttribute(name, values)
          }
        }
        try root.setAttribute("split_from", input)
        try root.setAttribute("split_rule", rule.description)
        try root.setAttribute("split_seed", Int(Int64(bitPattern: seed)))
        try root.setAttribute("split_part", part)
        try writer.append(source.features.selecting(rows: rows).values)
        try writer.finish(
          labels: source.labels.map { labels in rows.map { labels[$0] } },
          labelNames: inputRoot.contains(LabelNames.member)
            ? try inputRoot.readStrings(LabelNames.member) : nil,
          ids: source.ids.map { ids in rows.map { ids[$0] } },
          speakers: speakers.map { speakers in rows.map { speakers[$0] } })
      }
    }
  }
}
