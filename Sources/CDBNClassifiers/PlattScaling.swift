import CDBNStorage
import RealModule

/// Platt's (1999) sigmoid from an SVM's decision value f to a probability,
/// P(positive | f) = 1 / (1 + exp(A·f + B)), fitted as LIBSVM's `-b 1` fits it: Platt's smoothed
/// targets and the Newton method with backtracking of Lin, Lin & Weng (2007), on decision values
/// the model did not train on (cross-validated).
public struct PlattSigmoid: Sendable, Equatable {
  public var a: Double
  public var b: Double

  public init(a: Double, b: Double) {
    self.a = a
    self.b = b
  }

  /// P(positive | f), without overflow for large |A·f + B|.
  public func probability(_ f: Double) -> Double {
    let z = a * f + b
    return z >= 0 ? Double.exp(-z) / (1 + Double.exp(-z)) : 1 / (1 + Double.exp(z))
  }

  /// The negative log-likelihood of Platt's smoothed targets that the fit minimises.
  static func loss(a: Double, b: Double, values: [Double], targets: [Double]) -> Double {
    zip(values, targets).reduce(0) { sum, pair in
      let (f, t) = pair
      let z = f * a + b
      return sum
        + (z >= 0
          ? t * z + Double.log(1 + Double.exp(-z)) : (t - 1) * z + Double.log(1 + Double.exp(z)))
    }
  }

  /// Fits A and B to `values` with `positive[i]` telling whether example i is of the positive
  /// class (LIBSVM's `sigmoid_train`).
  public static func fit(values: [Double], positive: [Bool]) -> PlattSigmoid {
    let positives = Double(positive.filter { $0 }.count)
    let negatives = Double(positive.count) - positives
    let high = (positives + 1) / (positives + 2)
    let low = 1 / (negatives + 2)
    let targets = positive.map { $0 ? high : low }
    var a = 0.0
    var b = Double.log((negatives + 1) / (positives + 1))
    var value = loss(a: a, b: b, values: values, targets: targets)
    for _ in 0..<100 {
      var (h11, h22, h21, g1, g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0)
      for (f, t) in zip(values, targets) {
        let z = f * a + b
        let (p, q) =
          z >= 0
          ? (Double.exp(-z) / (1 + Double.exp(-z)), 1 / (1 + Double.exp(-z)))
          : (1 / (1 + Double.exp(z)), Double.exp(z) / (1 + Double.exp(z)))
        let d2 = p * q
        h11 += f * f * d2
        h22 += d2
        h21 += f * d2
        let d1 = t - p
        g1 += f * d1
        g2 += d1
      }
      if abs(g1) < 1e-5 && abs(g2) < 1e-5 { break }
      let det = h11 * h22 - h21 * h21
      let da = -(h22 * g1 - h21 * g2) / det
      let db = -(-h21 * g1 + h11 * g2) / det
      let descent = g1 * da + g2 * db
      var step = 1.0
      while step >= 1e-10 {
        let (na, nb) = (a + step * da, b + step * db)
        let candidate = loss(a: na, b: nb, values: values, targets: targets)
        if candidate < value + 0.0001 * step * descent {
          (a, b, value) = (na, nb, candidate)
          break
        }
        step /= 2
      }
      if step < 1e-10 { break }
    }
    return PlattSigmoid(a: a, b: b)
  }
}

/// Multi-class probabilities from pairwise ones (Wu, Lin & Weng 2004, their second method, as
/// LIBSVM's `multiclass_probability`): the p minimising Σ_i Σ_{j≠i} (r_ji p_i − r_ij p_j)² with
/// Σ p = 1, where r_ij estimates P(i | i or j).
///
/// `pairwise[i][j]` is r_ij (only i ≠ j is read; r_ji = 1 − r_ij is expected).
func coupledProbabilities(_ pairwise: [[Double]]) -> [Double] {
  let k = pairwise.count
  var q = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
  for t in 0..<k {
    for j in 0..<k where j != t {
      q[t][t] += pairwise[j][t] * pairwise[j][t]
      q[t][j] = -pairwise[j][t] * pairwise[t][j]
    }
  }
  var p = [Double](repeating: 1 / Double(k), count: k)
  var qp = [Double](repeating: 0, count: k)
  let tolerance = 0.005 / Double(k)
  for _ in 0..<max(100, k) {
    var pqp = 0.0
    for t in 0..<k {
      qp[t] = (0..<k).reduce(0) { $0 + q[t][$1] * p[$1] }
      pqp += p[t] * qp[t]
    }
    if (0..<k).allSatisfy({ abs(qp[$0] - pqp) < tolerance }) { break }
    for t in 0..<k {
      let diff = (-qp[t] + pqp) / q[t][t]
      p[t] += diff
      pqp = (pqp + diff * (diff * q[t][t] + 2 * qp[t])) / ((1 + diff) * (1 + diff))
      for j in 0..<k {
        qp[j] = (qp[j] + diff * q[t][j]) / (1 + diff)
        p[j] /= 1 + diff
      }
    }
  }
  return p
}

/// The decision values of each training row from a model fitted without it: `folds`-fold
/// stratified cross-validation (deterministic in `seed`), each fold's model made by `fitted`,
/// `values` giving its [rows, width] decision values. Every class needs `folds` rows, so that each
/// fold's model knows every class.
func crossValidatedDecisionValues(
  _ x: FeatureMatrix, labels: [Int], folds: Int, seed: UInt64, width: Int,
  fitted: (FeatureMatrix, [Int]) throws -> (FeatureMatrix) throws -> [Double]
) throws -> [Double] {
  var counts: [Int: Int] = [:]
  for label in labels { counts[label, default: 0] += 1 }
  if let (label, count) = counts.min(by: { $0.value < $1.value }), count < folds {
    throw ClassifierError.invalidInput(
      "probability calibration needs \(folds) training rows of every class; class \(label) has \(count)"
    )
  }
  var out = [Double](repeating: 0, count: x.rows * width)
  for held in try StratifiedKFold(folds: folds, seed: seed).heldOut(labels: labels) {
    let heldSet = Set(held)
    let kept = (0..<x.rows).filter { !heldSet.contains($0) }
    let values = try fitted(x.selecting(rows: kept), kept.map { labels[$0] })(
      x.selecting(rows: held))
    for (r, row) in held.enumerated() {
      out.replaceSubrange(
        (row * width)..<((row + 1) * width), with: values[(r * width)..<((r + 1) * width)])
    }
  }
  return out
}

/// A classifier whose decision values Platt scaling turns into class probabilities
/// (`classify --probability`, LIBSVM's `-b 1`).
public protocol ProbabilityCalibrating: Classifier {
  /// Fits Platt sigmoids on `folds`-fold cross-validated decision values of models with this one's
  /// settings on `x`; afterwards `probabilityEstimates` gives probabilities. Fit first.
  mutating func calibrateProbabilities(
    _ x: FeatureMatrix, labels: [Int], folds: Int, seed: UInt64) throws
}

extension LinearSVM: ProbabilityCalibrating {
  /// One sigmoid per class on its one-vs-rest decision value; a row's K probabilities are then
  /// normalised to sum to 1 (scikit-learn's `CalibratedClassifierCV` does the same).
  public mutating func calibrateProbabilities(
    _ x: FeatureMatrix, labels: [Int], folds: Int = 5, seed: UInt64 = 1
  ) throws {
    guard !classes.isEmpty else {
      throw ClassifierError.notFitted("linear-svm: fit before calibrating")
    }
    let (k, settings) = (classes.count, self)
    let values = try crossValidatedDecisionValues(
      x, labels: labels, folds: folds, seed: seed, width: k
    ) { rows, foldLabels in
      var model = LinearSVM(c: settings.c, eps: settings.eps)
      try model.fit(rows, labels: foldLabels)
      return { try model.decisionValues($0).map(Double.init) }
    }
    calibration = (0..<k).map { c in
      PlattSigmoid.fit(
        values: (0..<x.rows).map { values[$0 * k + c] },
        positive: labels.map { $0 == classes[c] })
    }
  }
}

extension KernelSVM: ProbabilityCalibrating {
  /// One sigmoid per pair of classes on its decision value (the pair's first class positive,
  /// fitted on the rows of the two classes), coupled into K probabilities by Wu, Lin & Weng's
  /// method, with each pairwise probability kept in [10⁻⁷, 1 − 10⁻⁷]: what LIBSVM's `-b 1` does,
  /// with deterministic folds.
  public mutating func calibrateProbabilities(
    _ x: FeatureMatrix, labels: [Int], folds: Int = 5, seed: UInt64 = 1
  ) throws {
    guard featureCount > 0 else {
      throw ClassifierError.notFitted("rbf-svm: fit before calibrating")
    }
    let (k, settings, order) = (labelOrder.count, self, labelOrder)
    let pairs = k * (k - 1) / 2
    let values = try crossValidatedDecisionValues(
      x, labels: labels, folds: folds, seed: seed, width: pairs
    ) { rows, foldLabels in
      var model = KernelSVM(
        c: settings.c, gamma: settings.gamma, eps: settings.eps,
        cacheMegabytes: settings.cacheMegabytes)
      try model.fit(rows, labels: foldLabels)
      // A fold's model orders the classes by their first row in the fold: put its pairs in ours.
      let position = order.map { model.labelOrder.firstIndex(of: $0)! }
      return { probe in
        let own = try model.pairwiseDecisionValues(probe)
        var out = [Double](repeating: 0, count: probe.rows * pairs)
        for r in 0..<probe.rows {
          for (p, (i, j)) in Self.pairs(k).enumerated() {
            let (a, b) = (position[i], position[j])
            let value = own[r * pairs + Self.pairIndex(min(a, b), max(a, b), k)]
            out[r * pairs + p] = a < b ? value : -value
          }
        }
        return out
      }
    }
    calibration = Self.pairs(k).enumerated().map { p, pair in
      let rows = (0..<x.rows).filter { labels[$0] == order[pair.0] || labels[$0] == order[pair.1] }
      return PlattSigmoid.fit(
        values: rows.map { values[$0 * pairs + p] },
        positive: rows.map { labels[$0] == order[pair.0] })
    }
  }

  /// The pairs (i, j), i < j, of `k` classes in LIBSVM's order.
  static func pairs(_ k: Int) -> [(Int, Int)] {
    (0..<k).flatMap { i in ((i + 1)..<k).map { (i, $0) } }
  }

  /// The position of pair (i, j), i < j, in `pairs(k)`.
  static func pairIndex(_ i: Int, _ j: Int, _ k: Int) -> Int { i * k - i * (i + 1) / 2 + j - i - 1 }
}

extension [PlattSigmoid] {
  /// Writes `platt_a` and `platt_b` [count] float64 into a saved classifier's group.
  func save(to group: HDF5Group) throws {
    try group.writeDoubles("platt_a", shape: [count], map(\.a))
    try group.writeDoubles("platt_b", shape: [count], map(\.b))
  }

  /// The sigmoids a saved classifier holds (nil when it has no `platt_a`), `count` of them.
  static func load(_ reader: ModelGroupReader, count: Int) throws -> [PlattSigmoid]? {
    guard reader.group.contains("platt_a") else { return nil }
    let a = try reader.doubles("platt_a", shape: [count]).values
    let b = try reader.doubles("platt_b", shape: [count]).values
    return zip(a, b).map { PlattSigmoid(a: $0, b: $1) }
  }
}
