import CDBNNumerics
import Foundation
import Testing

@testable import CDBNClassifiers

@Suite struct PlattScalingTests {
  @Test func sigmoidFitMinimisesTheLossAsABruteForceSearchDoes() {
    // Decision values with labels drawn from a known sigmoid P(+ | f) = 1 / (1 + exp(−2f + 0.5)).
    var rng = RandomStream(seed: 5)
    let values = (0..<400).map { _ in Double(rng.nextNormal()) * 1.5 }
    let positive = values.map { f in Double(rng.nextFloat()) < 1 / (1 + exp(-2 * f + 0.5)) }
    let fitted = PlattSigmoid.fit(values: values, positive: positive)
    let positives = Double(positive.filter { $0 }.count)
    let targets = positive.map {
      $0 ? (positives + 1) / (positives + 2) : 1 / (Double(values.count) - positives + 2)
    }
    let best = PlattSigmoid.loss(a: fitted.a, b: fitted.b, values: values, targets: targets)
    // A grid of 0.025 around the truth finds nothing lower.
    var gridBest = Double.infinity
    for i in -60...60 {
      for j in -60...60 {
        let a = -2 + Double(i) / 40
        let b = 0.5 + Double(j) / 40
        gridBest = min(gridBest, PlattSigmoid.loss(a: a, b: b, values: values, targets: targets))
      }
    }
    #expect(best <= gridBest + 1e-9)
    #expect(abs(fitted.a + 2) < 0.6 && abs(fitted.b - 0.5) < 0.4)  // near the generating sigmoid
    #expect(abs(fitted.probability(0) - 1 / (1 + exp(fitted.b))) < 1e-12)
    #expect(PlattSigmoid(a: -1, b: 0).probability(1000) == 1)
    #expect(PlattSigmoid(a: -1, b: 0).probability(-1000) == 0)
  }

  @Test func couplingRecoversConsistentPairwiseProbabilities() {
    let p = [0.5, 0.3, 0.15, 0.05]
    let r = (0..<4).map { i in (0..<4).map { j in i == j ? 0 : p[i] / (p[i] + p[j]) } }
    let coupled = coupledProbabilities(r)
    #expect(zip(coupled, p).allSatisfy { abs($0 - $1) < 1e-3 }, "\(coupled)")
    #expect(abs(coupled.reduce(0, +) - 1) < 1e-9)
    // Two classes: the pairwise probability itself.
    let two = coupledProbabilities([[0, 0.8], [0.2, 0]])
    #expect(abs(two[0] - 0.8) < 1e-3 && abs(two[1] - 0.2) < 1e-3)
  }

  @Test(arguments: [ClassifierKind.linearSVM, .rbfSVM])
  func calibratedSVMsGiveProbabilitiesThatAgreeWithTheirPredictions(kind: ClassifierKind) throws {
    // Labels 7, 3, 5 interleaved, so a fold's first-appearance order differs from ascending.
    let (x, y) = blobs(
      centers: [[0, 0], [3, 0], [0, 3]], perClass: 30, spread: 0.9, seed: 3, labels: [7, 3, 5])
    var model = StandardizedClassifier(
      try ClassifierKinds.standard.prototype(kind).configured(
        GridPoint(c: 1, gamma: kind == .rbfSVM ? 0.5 : nil)))
    try model.fit(x, labels: y)
    #expect(try model.probabilityEstimates(x) == nil)
    try model.calibrateProbabilities(x, labels: y, folds: 5, seed: 1)
    let probabilities = try #require(try model.probabilityEstimates(x))
    let predicted = try model.predict(x)
    let classes = model.classes
    #expect(classes == [3, 5, 7])
    var agree = 0
    var trueMass = 0.0
    for r in 0..<x.rows {
      let row = Array(probabilities[(r * 3)..<(r * 3 + 3)])
      #expect(abs(row.reduce(0, +) - 1) < 1e-4)
      #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
      if classes[row.indices.max { row[$0] < row[$1] }!] == predicted[r] { agree += 1 }
      trueMass += Double(row[classes.firstIndex(of: y[r])!])
    }
    #expect(agree >= 85, "\(agree) of 90 rows")
    #expect(trueMass / 90 > 0.7, "mean probability of the true class \(trueMass / 90)")
    // Saved and loaded, the same probabilities; fitted again, none until calibrated again.
    let loaded = try roundTrip(model)
    #expect(try loaded.probabilityEstimates(x) == probabilities)
    try model.fit(x, labels: y)
    #expect(try model.probabilityEstimates(x) == nil)
  }

  @Test func calibrationNeedsRowsInEveryFoldAndAnSVM() throws {
    let (x, y) = blobs(centers: [[0, 0], [3, 0]], perClass: 4, spread: 0.5, seed: 1)
    var model = StandardizedClassifier(LinearSVM(c: 1))
    try model.fit(x, labels: y)
    #expect(throws: ClassifierError.self) {
      try model.calibrateProbabilities(x, labels: y, folds: 5, seed: 1)
    }
    var softmax = StandardizedClassifier(SoftmaxRegression(c: 1))
    try softmax.fit(x, labels: y)
    #expect(throws: ClassifierError.self) {
      try softmax.calibrateProbabilities(x, labels: y, folds: 2, seed: 1)
    }
  }
}
