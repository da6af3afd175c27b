import CDBNNumerics

/// Which examples of a file a run uses: a contiguous range of rows (a validation split cut from a
/// training file, say), then optionally a random subset of that range keyed by a seed.
///
/// Feature files and image files select through this one type, so `cdbn classify --train-limit 1000
/// --seed 3` on CDBN features and `cdbn train-cnn --train-limit 1000 --seed 3` on the images use the
/// very same 1,000 examples.
public struct RowSelection: Sendable, Equatable {
  /// Rows start..<end of the file (all when nil).
  public var range: Range<Int>?
  /// Take this many rows of the range at random (all when nil).
  public var limit: Int?
  public var seed: UInt64

  public init(range: Range<Int>? = nil, limit: Int? = nil, seed: UInt64 = 1) {
    self.range = range
    self.limit = limit
    self.seed = seed
  }

  /// All rows.
  public static let all = RowSelection()

  /// Parses "A:B" (rows A..<B, either end may be omitted: ":B", "A:").
  public static func parseRange(_ text: String) -> Range<Int>? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return nil }
    let start = parts[0].isEmpty ? 0 : Int(parts[0])
    let end = parts[1].isEmpty ? Int.max : Int(parts[1])
    guard let start, let end, start >= 0, start < end else { return nil }
    return start..<end
  }

  /// The chosen row indices of a file of `count` rows, in the order they are used; `path` names
  /// the file in errors. An open-ended range ("A:") stops at the end of the file.
  public func rows(of count: Int, path: String) throws -> [Int] {
    let chosen = range.map { $0.lowerBound..<min($0.upperBound, count) } ?? 0..<count
    if let range {
      guard range.lowerBound < count, range.upperBound == Int.max || range.upperBound <= count
      else {
        throw PipelineError(
          path, "has \(count) examples; rows \(range.lowerBound):\(range.upperBound) do not exist")
      }
    }
    guard let limit else { return Array(chosen) }
    guard limit >= 1, limit <= chosen.count else {
      throw PipelineError(path, "has \(chosen.count) examples to choose from; cannot take \(limit)")
    }
    var rng = RandomStream(seed: seed, stream: 0x5EB)
    return rng.permutation(chosen.count).prefix(limit).map { chosen.lowerBound + $0 }
  }
}
