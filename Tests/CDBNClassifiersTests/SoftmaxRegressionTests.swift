import CDBNNumerics
import Foundation
import Testing

@testable import CDBNClassifiers

@Suite struct SoftmaxRegressionTests {
  @Test func gradientMatchesFiniteDifferences() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 1, 0], [1, 0, 0, 2], [0, 1, 1, 1]], perClass: 7, spread: 1, seed: 21)
    let objective = SoftmaxObjective(x: x, classIndices: y, classCount: 3, c: 0.7)
    var rng = RandomStream(seed: 22)
    let theta = (0..<objective.parameterCount).map { _ in 0.5 * Double(rng.nextNormal()) }
    let (_, gradient) = objective.evaluate(theta)
    let h = 1e-3
    for i in theta.indices {
      var plus = theta
      var minus = theta
      plus[i] += h
      minus[i] -= h
      let numeric = (objective.evaluate(plus).value - objective.evaluate(minus).value) / (2 * h)
      #expect(abs(numeric - gradient[i]) < 2e-4, "parameter \(i): \(numeric) vs \(gradient[i])")
    }
  }

  /// Two points x = −1 (label 0) and x = +1 (label 1) with C = 1. By symmetry b = 0 and W = (−a, a),
  /// so f(a) = log(1 + e^(−2a)) + a²/(2C) (N = 2), minimised where a/C = 2 / (1 + e^(2a));
  /// that scalar equation is solved here by bisection.
  @Test func twoPointKnownAnswer() throws {
    let x = try FeatureMatrix(rows: 2, columns: 1, values: [-1, 1])
    var model = SoftmaxRegression(c: 1)
    try model.fit(x, labels: [0, 1])
    var (lo, hi) = (0.0, 5.0)
    for _ in 0..<100 {
      let mid = (lo + hi) / 2
      if mid - 2 / (1 + exp(2 * mid)) < 0 { lo = mid } else { hi = mid }
    }
    #expect(abs(Double(model.weights[1]) - lo) < 1e-4)
    #expect(abs(Double(model.weights[0]) + lo) < 1e-4)
    #expect(abs(model.bias[0]) < 1e-4 && abs(model.bias[1]) < 1e-4)
    let p = try model.probabilities(x)
    #expect(abs(Double(p[3]) - 1 / (1 + exp(-2 * lo))) < 1e-4)
  }

  @Test func separableClassesAreLearnedPerfectly() throws {
    let (x, y) = blobs(
      centers: [[0, 0], [3, 0], [0, 3], [3, 3]], perClass: 30, spread: 0.4, seed: 23,
      labels: [10, 20, 30, 40])
    var model = SoftmaxRegression(c: 10)
    try model.fit(x, labels: y)
    #expect(try model.predict(x) == y)
    #expect(model.lastFit?.stop != .nonFinite)
    // Probabilities sum to one.
    let p = try model.probabilities(x)
    for r in 0..<x.rows { #expect(abs(p[(r * 4)..<(r * 4 + 4)].reduce(0, +) - 1) < 1e-5) }
  }

  @Test func fitDoesNotDependOnThreadCount() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 0], [1, 1, 0], [1, 0, 1]], perClass: 400, spread: 1, seed: 24)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    Parallelism.threads = 1
    var one = SoftmaxRegression(c: 1)
    try one.fit(x, labels: y)
    Parallelism.threads = 3
    var three = SoftmaxRegression(c: 1)
    try three.fit(x, labels: y)
    #expect(one.weights == three.weights && one.bias == three.bias)
  }

  @Test func lbfgsMinimisesRosenbrock() {
    let result = LBFGS(maxIterations: 1000, gradientTolerance: 1e-9, valueTolerance: 0).minimize(
      from: [-1.2, 1]) { v in
        let (a, b) = (v[0], v[1])
        let value = (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)
        return (value, [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
      }
    #expect(
      abs(result.x[0] - 1) < 1e-5 && abs(result.x[1] - 1) < 1e-5, "\(result.x) \(result.stop)")
  }
}
