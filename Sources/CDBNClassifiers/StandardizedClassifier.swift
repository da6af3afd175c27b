import CDBNStorage

/// A classifier with its feature standardisation: `fit` fits the `Standardizer` on the training
/// features, then the classifier on the standardised features; `predict` applies the same scaling.
/// What the command line fits, saves and loads, so the scaling can never be forgotten at test time.
///
/// Saved as the inner classifier's group (attribute `kind`, its parameters and arrays) plus a
/// subgroup `standardizer` with `mean` and `std` when standardisation is on.
public struct StandardizedClassifier: Classifier {
  public private(set) var classifier: any Classifier
  /// Nil when standardisation is off; set by `fit` otherwise.
  public private(set) var standardizer: Standardizer?
  public let standardizes: Bool

  /// Wraps an unfitted (or fitted, to be refitted) classifier.
  public init(_ classifier: any Classifier, standardize: Bool = true) {
    self.classifier = classifier
    self.standardizes = standardize
    self.standardizer = nil
  }

  /// A fitted classifier and the standardizer its training features went through.
  public init(fitted classifier: any Classifier, standardizer: Standardizer?) throws {
    if let standardizer, standardizer.featureCount != classifier.featureCount {
      throw ClassifierError.shapeMismatch(
        "standardizer has \(standardizer.featureCount) columns, classifier \(classifier.featureCount)"
      )
    }
    self.classifier = classifier
    self.standardizer = standardizer
    self.standardizes = standardizer != nil
  }

  public var kind: ClassifierKind { classifier.kind }
  public var defaultGrid: [GridPoint] { classifier.defaultGrid }

  public func configured(_ point: GridPoint) throws -> StandardizedClassifier {
    StandardizedClassifier(try classifier.configured(point), standardize: standardizes)
  }
  public var classes: [Int] { classifier.classes }
  public var featureCount: Int { classifier.featureCount }

  public mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws {
    // Checked before standardising so the errors name the caller's input, not ours.
    _ = try ClassLabels(validating: x, labels: labels)
    var inner = classifier
    if standardizes {
      let s = try Standardizer(fitting: x)
      try inner.fit(try s.transform(x), labels: labels)
      standardizer = s
    } else {
      try inner.fit(x, labels: labels)
      standardizer = nil
    }
    classifier = inner
  }

  public func predict(_ x: FeatureMatrix) throws -> [Int] {
    try classifier.predict(try prepared(x))
  }

  public func scores(_ x: FeatureMatrix) throws -> [Float] {
    try classifier.scores(try prepared(x))
  }

  public func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]? {
    try classifier.probabilityEstimates(try prepared(x))
  }

  /// `x` checked and, when the model was fitted on standardised features, standardised.
  /// Platt-calibrates the classifier inside on `x` standardised as it sees it (`classify
  /// --probability`); an error for kinds without it (softmax has its own probabilities).
  public mutating func calibrateProbabilities(
    _ x: FeatureMatrix, labels: [Int], folds: Int, seed: UInt64
  ) throws {
    guard var inner = classifier as? any ProbabilityCalibrating else {
      throw ClassifierError.invalidParameter(
        "\(kind): Platt scaling is for the SVMs (softmax gives probabilities itself)")
    }
    try inner.calibrateProbabilities(prepared(x), labels: labels, folds: folds, seed: seed)
    classifier = inner
  }

  func prepared(_ x: FeatureMatrix) throws -> FeatureMatrix {
    try validatePrediction(x, featureCount: featureCount, kind: kind)
    guard let standardizer else { return x }
    return try standardizer.transform(x)
  }

  public func save(to group: HDF5Group) throws {
    try classifier.save(to: group)
    if let standardizer {
      let sub =
        group.isGroup("standardizer")
        ? try group.openGroup("standardizer") : try group.createGroup("standardizer")
      try standardizer.save(to: sub)
    }
  }

  /// Loads a classifier of one of this module's kinds saved by `save` (or by a bare classifier's
  /// `save`), with its standardizer when the group has one.
  public static func load(from group: HDF5Group) throws -> StandardizedClassifier {
    try load(from: group, kinds: .standard)
  }

  /// Loads a classifier of any of `kinds`, with its standardizer when the group has one.
  public static func load(
    from group: HDF5Group, kinds: ClassifierKinds
  ) throws -> StandardizedClassifier {
    let inner = try kinds.load(from: group)
    var standardizer: Standardizer? = nil
    if group.contains("standardizer") {
      guard group.isGroup("standardizer") else {
        throw ClassifierError.malformedModel("\(group.name)/standardizer: not a group")
      }
      let s = try Standardizer.load(from: try group.openGroup("standardizer"))
      guard s.featureCount == inner.featureCount else {
        throw ClassifierError.malformedModel(
          "\(group.name)/standardizer: \(s.featureCount) columns, the classifier has \(inner.featureCount)"
        )
      }
      standardizer = s
    }
    return try StandardizedClassifier(fitted: inner, standardizer: standardizer)
  }
}
