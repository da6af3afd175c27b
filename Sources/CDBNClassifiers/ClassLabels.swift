/// Arbitrary integer labels (0–9, or 3 and 7, or −1 and +1) mapped to class indices 0..<K in
/// ascending label order. The C libraries and the Swift solvers only ever see the indices.
public struct ClassLabels: Sendable, Equatable {
  /// The distinct labels, ascending; class index i stands for `classes[i]`.
  public let classes: [Int]
  /// Each example's class index.
  public let indices: [Int]

  /// Checks that `x` and `labels` can train a classifier: the same number of rows, at least one
  /// feature, finite values and at least two classes.
  public init(validating x: FeatureMatrix, labels: [Int]) throws {
    guard labels.count == x.rows else {
      throw ClassifierError.invalidInput(
        "\(labels.count) labels for \(x.rows) feature rows; they must match")
    }
    guard x.rows > 0 else { throw ClassifierError.invalidInput("no training examples") }
    guard x.columns > 0 else {
      throw ClassifierError.invalidInput("training examples have no features")
    }
    try x.requireFinite("training features")
    let classes = Array(Set(labels)).sorted()
    guard classes.count >= 2 else {
      throw ClassifierError.invalidInput(
        "all \(labels.count) training labels are \(labels[0]); a classifier needs at least two classes"
      )
    }
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    self.classes = classes
    self.indices = labels.map { index[$0]! }
  }
}

/// Checks features handed to a fitted model: it must be fitted, the width must match, values finite.
public func validatePrediction(_ x: FeatureMatrix, featureCount: Int, kind: ClassifierKind) throws {
  guard featureCount > 0 else {
    throw ClassifierError.notFitted("\(kind) classifier has not been fitted or loaded")
  }
  guard x.columns == featureCount else {
    throw ClassifierError.shapeMismatch(
      "features have \(x.columns) columns, the \(kind) classifier was fitted on \(featureCount)"
    )
  }
  try x.requireFinite("features")
}

/// Throws unless C is a positive finite number (both C libraries would reject it less clearly).
func validatePenalty(_ c: Double, _ kind: ClassifierKind) throws {
  guard c > 0, c.isFinite else {
    throw ClassifierError.invalidParameter(
      "\(kind.rawValue): C must be positive and finite, got \(c)")
  }
}
