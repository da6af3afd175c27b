import CDBNNumerics
import CDBNStorage
import RealModule

/// Multinomial logistic regression with an L2 penalty, fitted in Swift by L-BFGS.
///
/// Minimises, over weights W [K, D] and biases b [K],
///
///     f(W, b) = (1/N) Σᵢ [log Σ_k exp(z_ik) − z_i,yᵢ] + ‖W‖² / (2·C·N),   z_i = W·xᵢ + b,
///
/// which is scikit-learn's `LogisticRegression(C=C, multi_class="multinomial")` objective
/// C·Σ loss + ½‖W‖² divided by C·N (same minimiser, better scaled): C plays the same role as in the
/// SVMs, larger C = weaker penalty, and λ = 1/(C·N) per example. The bias is not penalised.
///
/// The loss and gradient are computed in row chunks (one sgemm for the logits and one for the
/// gradient per chunk), chunks spread over the workers and their partial sums added in chunk order,
/// so the fit is the same on any thread count.
public struct SoftmaxRegression: Classifier {
  public var c: Double
  /// The optimiser's settings; its gradient tolerance applies to f above.
  public var optimizer: LBFGS

  public var kind: ClassifierKind { .softmax }
  public var defaultGrid: [GridPoint] { GridPoint.powersOfTwo(c: -7...7) }

  public func configured(_ point: GridPoint) throws -> SoftmaxRegression {
    try point.requireNoGamma(kind)
    return SoftmaxRegression(c: point.c, optimizer: optimizer)
  }
  public private(set) var classes: [Int] = []
  /// [K, D], row c for `classes[c]`.
  public private(set) var weights: [Float] = []
  /// [K].
  public private(set) var bias: [Float] = []
  /// How the last fit ended (iterations and why it stopped); nil for a loaded model.
  public private(set) var lastFit: (iterations: Int, stop: LBFGS.Stop)? = nil

  public init(c: Double = 1, optimizer: LBFGS = LBFGS()) {
    self.c = c
    self.optimizer = optimizer
  }

  public var featureCount: Int { classes.isEmpty ? 0 : weights.count / classes.count }

  public mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws {
    try validatePenalty(c, kind)
    let encoded = try ClassLabels(validating: x, labels: labels)
    let objective = SoftmaxObjective(
      x: x, classIndices: encoded.indices, classCount: encoded.classes.count, c: c)
    let result = optimizer.minimize(from: [Double](repeating: 0, count: objective.parameterCount)) {
      objective.evaluate($0)
    }
    guard result.value.isFinite, result.x.allSatisfy(\.isFinite) else {
      throw ClassifierError.trainingFailed("softmax: the optimiser produced non-finite weights")
    }
    let k = encoded.classes.count
    let d = x.columns
    classes = encoded.classes
    weights = result.x[0..<(k * d)].map { Float($0) }
    bias = result.x[(k * d)...].map { Float($0) }
    lastFit = (result.iterations, result.stop)
  }

  /// The logits W·x + b: [N, K] row-major, columns in `classes` order.
  public func decisionValues(_ x: FeatureMatrix) throws -> [Float] {
    try validatePrediction(x, featureCount: featureCount, kind: kind)
    return LinearScores.compute(x, weights: weights, bias: bias)
  }

  /// The logits (`decisionValues`).
  public func scores(_ x: FeatureMatrix) throws -> [Float] { try decisionValues(x) }

  /// `probabilities`.
  public func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]? { try probabilities(x) }

  /// Class probabilities [N, K] (softmax of the logits, computed with the maximum subtracted).
  public func probabilities(_ x: FeatureMatrix) throws -> [Float] {
    var z = try decisionValues(x)
    let k = classes.count
    for r in 0..<x.rows {
      let m = z[(r * k)..<((r + 1) * k)].max()!
      var sum: Float = 0
      for j in 0..<k {
        z[r * k + j] = Float.exp(z[r * k + j] - m)
        sum += z[r * k + j]
      }
      for j in 0..<k { z[r * k + j] /= sum }
    }
    return z
  }

  /// The class with the highest logit (ties to the first in `classes`).
  public func predict(_ x: FeatureMatrix) throws -> [Int] {
    let z = try decisionValues(x)
    return LinearScores.argmax(z, classes: classes.count).map { classes[$0] }
  }

  /// Attributes `kind` = "softmax", `C`; datasets `weights` [K, D] float32, `bias` [K] float32,
  /// `classes` [K] int64.
  public func save(to group: HDF5Group) throws {
    guard !classes.isEmpty else {
      throw ClassifierError.notFitted("softmax: nothing to save before fitting")
    }
    try group.setAttribute("kind", kind.rawValue)
    try group.setAttribute("C", c)
    try LinearScores.write(to: group, classes: classes, weights: weights, bias: bias)
  }

  public static func load(from group: HDF5Group) throws -> SoftmaxRegression {
    try ClassifierKind.softmax.requireSaved(in: group)
    let reader = ModelGroupReader(group)
    var model = SoftmaxRegression(c: try reader.positive("C"))
    (model.classes, model.weights, model.bias) = try LinearScores.read(reader, group: group)
    return model
  }
}

/// f(W, b) and its gradient for `SoftmaxRegression`, over parameters laid out as W [K, D] row-major
/// followed by b [K].
struct SoftmaxObjective {
  let x: FeatureMatrix
  let classIndices: [Int]
  let classCount: Int
  let c: Double
  /// Chunks of at least 256 rows and at most 16 of them: the cut depends only on N, and the
  /// per-chunk partial gradients [K, D] stay few.
  let plan: ChunkPlan

  init(x: FeatureMatrix, classIndices: [Int], classCount: Int, c: Double) {
    self.x = x
    self.classIndices = classIndices
    self.classCount = classCount
    self.c = c
    plan = ChunkPlan(examples: x.rows, floatsPerExample: 1, budget: max(256, (x.rows + 15) / 16))
  }

  var parameterCount: Int { classCount * (x.columns + 1) }

  func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
    let (n, d, k) = (x.rows, x.columns, classCount)
    let w = theta[0..<(k * d)].map { Float($0) }
    let b = theta[(k * d)...].map { Float($0) }
    let chunks = plan.ranges.count
    var losses = [Double](repeating: 0, count: chunks)
    var weightGradients = [Float](repeating: 0, count: chunks * k * d)
    var biasGradients = [Double](repeating: 0, count: chunks * k)
    x.values.withUnsafeBufferPointer { xp in
      w.withUnsafeBufferPointer { wp in
        losses.withUnsafeMutableBufferPointer { lp in
          weightGradients.withUnsafeMutableBufferPointer { gp in
            biasGradients.withUnsafeMutableBufferPointer { bp in
              nonisolated(unsafe) let (xp, wp, lp, gp, bp) = (
                xp.baseAddress!, wp.baseAddress!, lp.baseAddress!, gp.baseAddress!, bp.baseAddress!
              )
              Parallelism.forEach(chunks) { task, _ in
                let range = plan.ranges[task]
                let rows = range.count
                let xs = xp + range.lowerBound * d
                // Logits z = x·Wᵀ + b, then residuals p − onehot(y) in place.
                var z = [Float](repeating: 0, count: rows * k)
                for r in 0..<rows {
                  for j in 0..<k { z[r * k + j] = b[j] }
                }
                z.withUnsafeMutableBufferPointer { zp in
                  BLAS.sgemm(
                    .none, .transposed, m: rows, n: k, k: d, alpha: 1, a: xs, lda: d, b: wp,
                    ldb: d, beta: 1, c: zp.baseAddress!, ldc: k)
                }
                var loss = 0.0
                var biasSum = [Double](repeating: 0, count: k)
                for r in 0..<rows {
                  var m = -Double.infinity
                  for j in 0..<k { m = max(m, Double(z[r * k + j])) }
                  var sum = 0.0
                  var e = [Double](repeating: 0, count: k)
                  for j in 0..<k {
                    e[j] = Double.exp(Double(z[r * k + j]) - m)
                    sum += e[j]
                  }
                  let y = classIndices[range.lowerBound + r]
                  loss += m + Double.log(sum) - Double(z[r * k + y])
                  for j in 0..<k {
                    let residual = e[j] / sum - (j == y ? 1 : 0)
                    z[r * k + j] = Float(residual)
                    biasSum[j] += residual
                  }
                }
                // Partial weight gradient (p − onehot)ᵀ·x for this chunk.
                z.withUnsafeBufferPointer { zp in
                  BLAS.sgemm(
                    .transposed, .none, m: k, n: d, k: rows, alpha: 1, a: zp.baseAddress!, lda: k,
                    b: xs, ldb: d, beta: 0, c: gp + task * k * d, ldc: d)
                }
                lp[task] = loss
                for j in 0..<k { bp[task * k + j] = biasSum[j] }
              }
            }
          }
        }
      }
    }
    // Partial sums added in chunk order: deterministic for any thread count.
    let scale = 1 / Double(n)
    let penalty = 1 / (c * Double(n))
    var gradient = [Double](repeating: 0, count: parameterCount)
    var value = 0.0
    for t in 0..<chunks {
      value += losses[t]
      for i in 0..<(k * d) { gradient[i] += Double(weightGradients[t * k * d + i]) }
      for j in 0..<k { gradient[k * d + j] += biasGradients[t * k + j] }
    }
    value *= scale
    var squares = 0.0
    for i in 0..<(k * d) {
      squares += theta[i] * theta[i]
      gradient[i] = gradient[i] * scale + penalty * theta[i]
    }
    for j in 0..<k { gradient[k * d + j] *= scale }
    value += 0.5 * penalty * squares
    return (value, gradient)
  }
}
