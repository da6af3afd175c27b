import Foundation
import Testing

@testable import CDBNClassifiers

@Suite struct KernelSVMTests {
  /// Two points, x = 0 (label 4) and x = 1 (label 2), γ = 1, C large: both are support vectors with
  /// α = 1 / (1 − k), k = exp(−1), ρ = 0 by symmetry, and the decision value is ±1 at the points
  /// and 0 halfway.
  @Test func twoPointKnownAnswer() throws {
    let x = try FeatureMatrix(rows: 2, columns: 1, values: [0, 1])
    var svm = KernelSVM(c: 100, gamma: 1, eps: 1e-8)
    try svm.fit(x, labels: [4, 2])
    let alpha = 1 / (1 - exp(-1.0))
    #expect(svm.labelOrder == [4, 2])  // LIBSVM's order: first appearance
    #expect(svm.classes == [2, 4])
    #expect(svm.supportVectorCount == 2)
    #expect(abs(svm.coefficients[0] - alpha) < 1e-5)
    #expect(abs(svm.coefficients[1] + alpha) < 1e-5)
    #expect(abs(svm.rho[0]) < 1e-5)
    let probe = try FeatureMatrix(rows: 3, columns: 1, values: [0, 0.5, 1])
    let values = try svm.pairwiseDecisionValues(probe)
    #expect(abs(values[0] - 1) < 1e-5)
    #expect(abs(values[1]) < 1e-5)
    #expect(abs(values[2] + 1) < 1e-5)
    #expect(try svm.predict(try FeatureMatrix(rows: 2, columns: 1, values: [-3, 4])) == [4, 2])
  }

  @Test func ringInsideRingIsLearnedPerfectly() throws {
    // Not linearly separable: an inner disc (label 0) and an outer ring (label 1).
    var values: [Float] = []
    var labels: [Int] = []
    for i in 0..<80 {
      let angle = Float(i) * 0.41
      let radius: Float = i % 2 == 0 ? 0.5 + 0.3 * Float(i % 5) / 5 : 2 + 0.3 * Float(i % 7) / 7
      values += [radius * cos(angle), radius * sin(angle)]
      labels.append(i % 2)
    }
    let x = try FeatureMatrix(rows: 80, columns: 2, values: values)
    var svm = KernelSVM(c: 10, gamma: 1)
    try svm.fit(x, labels: labels)
    #expect(try svm.predict(x) == labels)
    var linear = LinearSVM(c: 10)
    try linear.fit(x, labels: labels)
    #expect(accuracy(try linear.predict(x), labels) < 0.8)
  }

  @Test func swiftPredictionEqualsLIBSVMsWithFourOverlappingClasses() throws {
    let centers: [[Float]] = [[0, 0, 0], [1.5, 0, 0], [0, 1.5, 0], [1.5, 1.5, 1]]
    let (x, y) = blobs(centers: centers, perClass: 40, spread: 0.8, seed: 11, labels: [8, 6, 0, 3])
    let (probe, truth) = blobs(centers: centers, perClass: 40, spread: 0.8, seed: 12)
    var svm = KernelSVM(c: 2, gamma: 0.5)
    let reference = try #require(try svm.fit(x, labels: y, probe: probe))
    let swift = try svm.predict(probe)
    #expect(swift == reference)
    #expect(svm.labelOrder == [8, 6, 0, 3])
    let acc = accuracy(swift, truth.map { [8, 6, 0, 3][$0] })
    #expect(acc > 0.5 && acc < 0.98)
  }

  @Test func defaultGammaIsOneOverD() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 0, 0], [1, 1, 1, 1]], perClass: 10, spread: 0.3, seed: 13)
    var svm = KernelSVM(c: 1)
    try svm.fit(x, labels: y)
    #expect(svm.gamma == 0.25)
  }

  @Test func parameterErrorsFromLIBSVMAreTyped() throws {
    let (x, y) = blobs(centers: [[0], [1]], perClass: 3, spread: 0.1, seed: 14)
    var svm = KernelSVM(c: 1, gamma: 1, cacheMegabytes: 0)
    #expect(throws: ClassifierError.invalidParameter("LIBSVM: cache_size <= 0")) {
      try svm.fit(x, labels: y)
    }
  }
}
