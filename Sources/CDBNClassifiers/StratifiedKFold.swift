import CDBNNumerics

/// A seeded stratified K-fold split: every class is spread over the folds in proportion, so each
/// held-out fold has about the class mix of the whole set.
///
/// Each class's examples are shuffled with their own stream of `RandomStream(seed:)` and dealt
/// round-robin to the folds, the deal continuing where the previous class stopped so fold sizes
/// differ by at most one. The split depends only on the labels and the seed.
public struct StratifiedKFold: Sendable, Equatable {
  public let folds: Int
  public let seed: UInt64

  public init(folds: Int = 5, seed: UInt64 = 1) throws {
    guard folds >= 2 else {
      throw ClassifierError.invalidParameter(
        "cross-validation needs at least 2 folds, got \(folds)")
    }
    self.folds = folds
    self.seed = seed
  }

  /// The held-out row indices of each fold, ascending; together they cover every row once.
  public func heldOut(labels: [Int]) throws -> [[Int]] {
    guard labels.count >= folds else {
      throw ClassifierError.invalidParameter(
        "\(folds)-fold cross-validation needs at least \(folds) examples, got \(labels.count)")
    }
    var byClass: [Int: [Int]] = [:]
    for (i, label) in labels.enumerated() { byClass[label, default: []].append(i) }
    var out = [[Int]](repeating: [], count: folds)
    var next = 0
    for (classIndex, label) in byClass.keys.sorted().enumerated() {
      let members = byClass[label]!
      var rng = RandomStream(seed: seed, stream: UInt64(classIndex))
      for i in rng.permutation(members.count) {
        out[next].append(members[i])
        next = (next + 1) % folds
      }
    }
    return out.map { $0.sorted() }
  }
}
