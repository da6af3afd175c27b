import CDBNNumerics
import Testing

@testable import CDBNClassifiers

@Suite struct LinearSVMTests {
  @Test func separableBlobsAreLearnedPerfectly() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 0], [4, 0, 0], [0, 4, 0], [0, 0, 4]], perClass: 25, spread: 0.5, seed: 1,
      labels: [3, 7, 1, 9])
    var svm = LinearSVM(c: 1)
    try svm.fit(x, labels: y)
    #expect(svm.classes == [1, 3, 7, 9])
    #expect(svm.weights.count == 4 * 3)
    #expect(try svm.predict(x) == y)
  }

  /// ½(w² + b²) + C Σ max(0, 1 − y(w·x + b))² on x = −2, −1 (label 3) and 1, 2 (label 7): b = 0 by
  /// symmetry, and for w in [½, 1] only the points at ±1 are inside the margin, so
  /// w − 4C(1 − w) = 0, w = 4C / (1 + 4C) = 0.8 at C = 1.
  @Test func oneDimensionalKnownAnswer() throws {
    let x = try FeatureMatrix(rows: 4, columns: 1, values: [-2, -1, 1, 2])
    var svm = LinearSVM(c: 1, eps: 1e-8)
    try svm.fit(x, labels: [3, 3, 7, 7])
    // Two classes: row 1 (label 7) is w, row 0 its negation.
    #expect(abs(svm.weights[1] - 0.8) < 1e-4)
    #expect(abs(svm.weights[0] + 0.8) < 1e-4)
    #expect(abs(svm.bias[1]) < 1e-4)
    let scores = try svm.decisionValues(try FeatureMatrix(rows: 1, columns: 1, values: [0.5]))
    #expect(abs(scores[1] - 0.4) < 1e-4)
  }

  @Test func binaryWeightsDoNotDependOnWhichClassComesFirst() throws {
    let (x, y) = blobs(centers: [[0, 1], [2, -1]], perClass: 20, spread: 0.8, seed: 2)
    var a = LinearSVM(c: 0.5, eps: 1e-6)
    try a.fit(x, labels: y)
    // Reverse the rows, so LIBLINEAR meets the other class first.
    let order = Array((0..<x.rows).reversed())
    var b = LinearSVM(c: 0.5, eps: 1e-6)
    try b.fit(x.selecting(rows: order), labels: order.map { y[$0] })
    for (u, v) in zip(a.weights + a.bias, b.weights + b.bias) { #expect(abs(u - v) < 1e-3) }
  }

  @Test func swiftPredictionEqualsLIBLINEARsOnOverlappingClasses() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0]], perClass: 60, spread: 0.9,
      seed: 3, labels: [5, -2, 11])
    let (probe, truth) = blobs(
      centers: [[0, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0]], perClass: 60, spread: 0.9,
      seed: 4, labels: [5, -2, 11])
    var svm = LinearSVM(c: 1)
    let reference = try #require(try svm.fit(x, labels: y, probe: probe))
    let swift = try svm.predict(probe)
    #expect(swift == reference)
    // Overlapping classes: clearly better than chance (1/3), clearly not perfect.
    let acc = accuracy(swift, truth)
    #expect(acc > 0.55 && acc < 0.95)
  }

  @Test func swiftPredictionEqualsLIBLINEARsForTwoClassesWithZeros() throws {
    // Sparse rows: many exact zeros, which LIBLINEAR never sees.
    var (x, y) = blobs(centers: [[1, 0, 2, 0], [0, 1, 0, 2]], perClass: 40, spread: 1, seed: 5)
    let sparse = x.values.enumerated().map { $0.offset % 3 == 0 ? 0 : $0.element }
    x = try FeatureMatrix(rows: x.rows, columns: x.columns, values: sparse)
    var svm = LinearSVM(c: 2)
    let reference = try #require(try svm.fit(x, labels: y, probe: x))
    #expect(try svm.predict(x) == reference)
  }

  @Test func parameterErrorsFromLIBLINEARAreTyped() throws {
    let (x, y) = blobs(centers: [[0], [1]], perClass: 3, spread: 0.1, seed: 6)
    // Swift's own check first...
    #expect(throws: ClassifierError.self) {
      var s = LinearSVM(c: 0)
      try s.fit(x, labels: y)
    }
    // ...and LIBLINEAR's check_parameter message when reached directly.
    do {
      _ = try LIBLINEAR.train(x, classIndices: y, classCount: 2, c: -1, eps: 0.1, bias: true)
      Issue.record("expected an error")
    } catch let error as ClassifierError {
      #expect(error == .invalidParameter("LIBLINEAR: C <= 0"))
    }
  }

  @Test func trainingIsRepeatable() throws {
    // LIBLINEAR shuffles with rand(); the wrapper reseeds it, so fits agree exactly.
    let (x, y) = blobs(centers: [[0, 0], [1, 1], [2, 0]], perClass: 30, spread: 1, seed: 7)
    var a = LinearSVM(c: 1)
    var b = LinearSVM(c: 1)
    try a.fit(x, labels: y)
    _ = rand()
    try b.fit(x, labels: y)
    #expect(a.weights == b.weights && a.bias == b.bias)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
