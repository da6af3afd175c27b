import CDBNNumerics
import CDBNStorage
import RealModule

/// An SVM with the RBF kernel k(x, x′) = exp(−γ‖x − x′‖²), trained by LIBSVM (C-SVC) and applied
/// in Swift.
///
/// LIBSVM trains one classifier per pair of classes; prediction lets every pair vote and returns
/// the class with the most votes, a tie going to the first in LIBSVM's label order (the order of
/// first appearance in the training data), exactly as `svm_predict` does. After training the
/// support vectors, dual coefficients, offsets and per-class counts are copied out and LIBSVM's
/// model freed, so a saved model holds only those arrays.
public struct KernelSVM: Classifier {
  public var c: Double
  /// γ; nil means LIBSVM's default 1/D, fixed when fitting (afterwards this holds the value used).
  public var gamma: Double?
  /// LIBSVM's stopping tolerance (its default, 0.001).
  public var eps: Double
  /// LIBSVM's kernel cache in MB (training speed only).
  public var cacheMegabytes: Double

  public var kind: ClassifierKind { .rbfSVM }

  /// LIBSVM's grid.py grid: C = 2^-5 … 2^15, γ = 2^3 … 2^-15, exponent step 2.
  public var defaultGrid: [GridPoint] {
    GridPoint.powersOfTwo(
      c: stride(from: -5, through: 15, by: 2), gamma: stride(from: 3, through: -15, by: -2))
  }

  public func configured(_ point: GridPoint) throws -> KernelSVM {
    KernelSVM(c: point.c, gamma: point.gamma, eps: eps, cacheMegabytes: cacheMegabytes)
  }
  public private(set) var featureCount: Int = 0
  /// The labels in LIBSVM's order; the support vectors are grouped by class in this order.
  public private(set) var labelOrder: [Int] = []
  /// Support vectors [l, D].
  public private(set) var supportVectors: [Float] = []
  /// Support vectors per class, in `labelOrder`.
  public private(set) var supportVectorsPerClass: [Int] = []
  /// Dual coefficients [K − 1, l] in LIBSVM's layout: for the pair (i, j), i < j in `labelOrder`,
  /// the support vectors of class i use row j − 1 and those of class j use row i.
  public private(set) var coefficients: [Double] = []
  /// The offsets ρ of the K(K − 1)/2 pairwise decision functions, pairs (0,1), (0,2), …, (1,2), ….
  public private(set) var rho: [Double] = []
  /// Platt sigmoids per pair, in `rho`'s order (`calibrateProbabilities`), nil until calibrated;
  /// fitting again drops them.
  public internal(set) var calibration: [PlattSigmoid]?

  public init(
    c: Double = 1, gamma: Double? = nil, eps: Double = 0.001, cacheMegabytes: Double = 100
  ) {
    self.c = c
    self.gamma = gamma
    self.eps = eps
    self.cacheMegabytes = cacheMegabytes
  }

  public var classes: [Int] { labelOrder.sorted() }
  public var supportVectorCount: Int { supportVectorsPerClass.reduce(0, +) }

  public mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws {
    _ = try fit(x, labels: labels, probe: nil)
  }

  /// Fits and, when `probe` is given, returns LIBSVM's own `svm_predict` labels for it, made
  /// before its model is freed: the reference the Swift predictions are tested against.
  mutating func fit(_ x: FeatureMatrix, labels: [Int], probe: FeatureMatrix?) throws -> [Int]? {
    try validatePenalty(c, kind)
    let encoded = try ClassLabels(validating: x, labels: labels)
    let g = gamma ?? 1 / Double(x.columns)
    guard g > 0, g.isFinite else {
      throw ClassifierError.invalidParameter("rbf-svm: gamma must be positive, got \(g)")
    }
    if let probe { try probe.requireFinite("probe features") }
    let trained = try LIBSVM.train(
      x, classIndices: encoded.indices, classCount: encoded.classes.count, c: c, gamma: g,
      eps: eps, cacheMegabytes: cacheMegabytes, probe: probe)
    gamma = g
    featureCount = x.columns
    labelOrder = trained.labelOrder.map { encoded.classes[$0] }
    supportVectors = trained.supportVectors
    supportVectorsPerClass = trained.perClass
    coefficients = trained.coefficients
    rho = trained.rho
    calibration = nil
    return trained.probePredictions?.map { encoded.classes[$0] }
  }

  /// The pairwise decision values [N, K(K − 1)/2] (pairs as in `rho`; positive votes for the
  /// first class of the pair), computed in Double from Float kernel distances.
  public func pairwiseDecisionValues(_ x: FeatureMatrix) throws -> [Double] {
    try validatePrediction(x, featureCount: featureCount, kind: kind)
    let (n, d, l, k) = (x.rows, featureCount, supportVectorCount, labelOrder.count)
    let pairs = k * (k - 1) / 2
    var out = [Double](repeating: 0, count: n * pairs)
    guard n > 0 else { return out }
    let gamma = gamma ?? 1 / Double(d)
    var start = [0]
    for count in supportVectorsPerClass { start.append(start[start.count - 1] + count) }
    let svNorms = (0..<l).map { s in
      (0..<d).reduce(Float(0)) { $0 + supportVectors[s * d + $1] * supportVectors[s * d + $1] }
    }
    // ‖x − s‖² = ‖x‖² + ‖s‖² − 2 x·s with the dot products from one sgemm per chunk of rows.
    let plan = ChunkPlan(examples: n, floatsPerExample: l + d)
    x.values.withUnsafeBufferPointer { xp in
      supportVectors.withUnsafeBufferPointer { sp in
        out.withUnsafeMutableBufferPointer { op in
          nonisolated(unsafe) let (xp, sp, op) = (xp.baseAddress!, sp.baseAddress, op.baseAddress!)
          Parallelism.forEach(plan.ranges.count) { task, _ in
            let range = plan.ranges[task]
            var dots = [Float](repeating: 0, count: range.count * l)
            if l > 0, let sp {
              dots.withUnsafeMutableBufferPointer { dp in
                BLAS.sgemm(
                  .none, .transposed, m: range.count, n: l, k: d, alpha: 1,
                  a: xp + range.lowerBound * d, lda: d, b: sp, ldb: d, beta: 0,
                  c: dp.baseAddress!, ldc: l)
              }
            }
            var kernel = [Double](repeating: 0, count: l)
            for r in 0..<range.count {
              let row = xp + (range.lowerBound + r) * d
              var norm: Float = 0
              for j in 0..<d { norm += row[j] * row[j] }
              for s in 0..<l {
                let distance = max(0, Double(norm + svNorms[s] - 2 * dots[r * l + s]))
                kernel[s] = Double.exp(-gamma * distance)
              }
              let decision = op + (range.lowerBound + r) * pairs
              var p = 0
              for i in 0..<k {
                for j in (i + 1)..<k {
                  var sum = 0.0
                  for s in start[i]..<start[i + 1] {
                    sum += coefficients[(j - 1) * l + s] * kernel[s]
                  }
                  for s in start[j]..<start[j + 1] { sum += coefficients[i * l + s] * kernel[s] }
                  decision[p] = sum - rho[p]
                  p += 1
                }
              }
            }
          }
        }
      }
    }
    return out
  }

  /// One-vs-one voting as in `svm_predict`: a positive pairwise value votes for the pair's first
  /// class, anything else for the second; the most votes wins, ties to the first in `labelOrder`.
  public func predict(_ x: FeatureMatrix) throws -> [Int] {
    let votes = try votes(x)
    let k = labelOrder.count
    return (0..<x.rows).map { r in
      var best = 0
      for i in 1..<k where votes[r * k + i] > votes[r * k + best] { best = i }
      return labelOrder[best]
    }
  }

  /// Each class's one-vs-one votes [N, K], in `classes` (ascending) order.
  public func scores(_ x: FeatureMatrix) throws -> [Float] {
    let votes = try votes(x)
    let k = labelOrder.count
    let column = labelOrder.map { classes.firstIndex(of: $0)! }
    var out = [Float](repeating: 0, count: votes.count)
    for r in 0..<x.rows {
      for i in 0..<k { out[r * k + column[i]] = Float(votes[r * k + i]) }
    }
    return out
  }

  /// With `calibration`, the pairwise Platt probabilities coupled into class probabilities [N, K]
  /// in `classes` order; nil else.
  public func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]? {
    guard let calibration else { return nil }
    let values = try pairwiseDecisionValues(x)
    let k = labelOrder.count
    let pairs = k * (k - 1) / 2
    let column = labelOrder.map { classes.firstIndex(of: $0)! }
    var out = [Float](repeating: 0, count: x.rows * k)
    var r = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for row in 0..<x.rows {
      for (p, (i, j)) in Self.pairs(k).enumerated() {
        let probability = calibration[p].probability(values[row * pairs + p])
        r[i][j] = min(max(probability, 1e-7), 1 - 1e-7)
        r[j][i] = 1 - r[i][j]
      }
      for (i, p) in coupledProbabilities(r).enumerated() { out[row * k + column[i]] = Float(p) }
    }
    return out
  }

  /// Votes [N, K] in `labelOrder`.
  func votes(_ x: FeatureMatrix) throws -> [Int] {
    let values = try pairwiseDecisionValues(x)
    let k = labelOrder.count
    let pairs = k * (k - 1) / 2
    var votes = [Int](repeating: 0, count: x.rows * k)
    for r in 0..<x.rows {
      var p = 0
      for i in 0..<k {
        for j in (i + 1)..<k {
          votes[r * k + (values[r * pairs + p] > 0 ? i : j)] += 1
          p += 1
        }
      }
    }
    return votes
  }

  /// Attributes `kind` = "rbf-svm", `C`, `gamma`, `eps`; datasets `labels` [K] int64 (LIBSVM's
  /// order), `n_sv` [K] int64, `support_vectors` [l, D] float32, `sv_coef` [K − 1, l] float64,
  /// `rho` [K(K − 1)/2] float64; when calibrated, `platt_a` and `platt_b` [K(K − 1)/2] float64.
  public func save(to group: HDF5Group) throws {
    guard featureCount > 0, let gamma else {
      throw ClassifierError.notFitted("rbf-svm: nothing to save before fitting")
    }
    let (k, l) = (labelOrder.count, supportVectorCount)
    try group.setAttribute("kind", kind.rawValue)
    try group.setAttribute("C", c)
    try group.setAttribute("gamma", gamma)
    try group.setAttribute("eps", eps)
    try group.writeInts("labels", shape: [k], labelOrder)
    try group.writeInts("n_sv", shape: [k], supportVectorsPerClass)
    try group.writeFloats("support_vectors", shape: [l, featureCount], supportVectors)
    try group.writeDoubles("sv_coef", shape: [k - 1, l], coefficients)
    try group.writeDoubles("rho", shape: [k * (k - 1) / 2], rho)
    if let calibration { try calibration.save(to: group) }
  }

  public static func load(from group: HDF5Group) throws -> KernelSVM {
    try ClassifierKind.rbfSVM.requireSaved(in: group)
    let reader = ModelGroupReader(group)
    var model = KernelSVM(
      c: try reader.positive("C"), gamma: try reader.positive("gamma"),
      eps: try reader.positive("eps"))
    let labels = try reader.classes("labels")
    let k = labels.count
    let perClass = try reader.ints("n_sv", shape: [k]).values
    let l = perClass.reduce(0, +)
    guard perClass.allSatisfy({ $0 >= 0 }) else {
      throw ClassifierError.malformedModel("\(group.name)/n_sv: negative count in \(perClass)")
    }
    let sv = try reader.floats("support_vectors", rank: 2)
    guard sv.shape[0] == l, sv.shape[1] > 0 else {
      throw ClassifierError.malformedModel(
        "\(group.name)/support_vectors: shape \(sv.shape), expected [\(l), D] (n_sv sums to \(l))")
    }
    model.coefficients = try reader.doubles("sv_coef", shape: [k - 1, l]).values
    model.rho = try reader.doubles("rho", shape: [k * (k - 1) / 2]).values
    model.labelOrder = labels
    model.supportVectorsPerClass = perClass
    model.supportVectors = sv.values
    model.featureCount = sv.shape[1]
    model.calibration = try [PlattSigmoid].load(reader, count: k * (k - 1) / 2)
    return model
  }
}
