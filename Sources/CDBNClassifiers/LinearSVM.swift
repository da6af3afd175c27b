import CDBNStorage

/// A linear SVM trained by LIBLINEAR (L2-regularised, L2-loss, dual coordinate descent; one-vs-rest
/// over the classes) and applied in Swift.
///
/// Training minimises ½‖w‖² + C Σ max(0, 1 − y·(w·x + b))² per class against the rest, with the
/// bias as the weight of a constant feature 1 (so, as in LIBLINEAR, the bias is regularised too).
/// After training the weights are copied out and LIBLINEAR's model freed: a saved model is just
/// `weights` [K, D], `bias` [K] and `classes` [K], and the score of class c is w_c·x + b_c.
public struct LinearSVM: Classifier {
  public var c: Double
  /// LIBLINEAR's stopping tolerance; 0.1 is its default for this solver.
  public var eps: Double
  public var kind: ClassifierKind { .linearSVM }
  public var defaultGrid: [GridPoint] { GridPoint.powersOfTwo(c: -7...7) }

  public func configured(_ point: GridPoint) throws -> LinearSVM {
    try point.requireNoGamma(kind)
    return LinearSVM(c: point.c, eps: eps)
  }
  public private(set) var classes: [Int] = []
  /// [K, D], row c for `classes[c]`.
  public private(set) var weights: [Float] = []
  /// [K].
  public private(set) var bias: [Float] = []
  /// Platt sigmoids per class (`calibrateProbabilities`), nil until calibrated; fitting again
  /// drops them.
  public internal(set) var calibration: [PlattSigmoid]?

  public init(c: Double = 1, eps: Double = 0.1) {
    self.c = c
    self.eps = eps
  }

  public var featureCount: Int { classes.isEmpty ? 0 : weights.count / classes.count }

  public mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws {
    _ = try fit(x, labels: labels, probe: nil)
  }

  /// Fits and, when `probe` is given, returns LIBLINEAR's own predictions for it (labels), made
  /// before its model is freed: the reference the Swift predictions are tested against.
  mutating func fit(_ x: FeatureMatrix, labels: [Int], probe: FeatureMatrix?) throws -> [Int]? {
    try validatePenalty(c, kind)
    guard eps > 0, eps.isFinite else {
      throw ClassifierError.invalidParameter("linear-svm: eps must be positive, got \(eps)")
    }
    let encoded = try ClassLabels(validating: x, labels: labels)
    if let probe { try probe.requireFinite("probe features") }
    let trained = try LIBLINEAR.train(
      x, classIndices: encoded.indices, classCount: encoded.classes.count, c: c, eps: eps,
      bias: true, probe: probe)
    classes = encoded.classes
    weights = trained.weights
    bias = trained.bias
    calibration = nil
    return trained.probePredictions?.map { encoded.classes[$0] }
  }

  /// w_c·x + b_c for every row and class: [N, K] row-major, columns in `classes` order.
  public func decisionValues(_ x: FeatureMatrix) throws -> [Float] {
    try validatePrediction(x, featureCount: featureCount, kind: kind)
    return LinearScores.compute(x, weights: weights, bias: bias)
  }

  /// `decisionValues`.
  public func scores(_ x: FeatureMatrix) throws -> [Float] { try decisionValues(x) }

  /// With `calibration`, each class's Platt probability, normalised over the classes; nil else
  /// (the scores are margins, not probabilities).
  public func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]? {
    guard let calibration else { return nil }
    let values = try decisionValues(x)
    let k = classes.count
    var out = [Float](repeating: 0, count: values.count)
    for r in 0..<x.rows {
      let p = (0..<k).map { calibration[$0].probability(Double(values[r * k + $0])) }
      let total = p.reduce(0, +)
      for c in 0..<k { out[r * k + c] = Float(total > 0 ? p[c] / total : 1 / Double(k)) }
    }
    return out
  }

  /// The class with the highest score. An exact tie goes to the first in `classes` order, where
  /// LIBLINEAR would pick the first in its order of appearance in the training data: the only
  /// case in which the two can differ.
  public func predict(_ x: FeatureMatrix) throws -> [Int] {
    let scores = try decisionValues(x)
    return LinearScores.argmax(scores, classes: classes.count).map { classes[$0] }
  }

  /// Attributes `kind` = "linear-svm", `C`, `eps`; datasets `weights` [K, D] float32, `bias` [K]
  /// float32, `classes` [K] int64; when calibrated, `platt_a` and `platt_b` [K] float64.
  public func save(to group: HDF5Group) throws {
    guard !classes.isEmpty else {
      throw ClassifierError.notFitted("linear-svm: nothing to save before fitting")
    }
    try group.setAttribute("kind", kind.rawValue)
    try group.setAttribute("C", c)
    try group.setAttribute("eps", eps)
    try LinearScores.write(to: group, classes: classes, weights: weights, bias: bias)
    if let calibration { try calibration.save(to: group) }
  }

  public static func load(from group: HDF5Group) throws -> LinearSVM {
    try ClassifierKind.linearSVM.requireSaved(in: group)
    let reader = ModelGroupReader(group)
    var model = LinearSVM(c: try reader.positive("C"), eps: try reader.positive("eps"))
    (model.classes, model.weights, model.bias) = try LinearScores.read(reader, group: group)
    model.calibration = try [PlattSigmoid].load(reader, count: model.classes.count)
    return model
  }
}
