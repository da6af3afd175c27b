import Testing

@testable import CDBNClassifiers

@Suite struct BadInputTests {
  static func makers() -> [any Classifier] {
    [LinearSVM(), KernelSVM(), SoftmaxRegression(), StandardizedClassifier(SoftmaxRegression())]
  }

  let x = try! FeatureMatrix(rows: 4, columns: 2, values: [0, 0, 1, 0, 0, 1, 1, 1])

  @Test func labelCountMustMatchRows() {
    for var model in Self.makers() {
      #expect(
        errorCase { try model.fit(x, labels: [0, 1, 0]) } == "invalid input", "\(model.kind)")
    }
  }

  @Test func nanFeaturesAreRejected() throws {
    let bad = try FeatureMatrix(rows: 2, columns: 2, values: [0, .nan, 1, 1])
    for var model in Self.makers() {
      #expect(errorCase { try model.fit(bad, labels: [0, 1]) } == "not finite", "\(model.kind)")
      try model.fit(x, labels: [0, 1, 0, 1])
      #expect(errorCase { _ = try model.predict(bad) } == "not finite", "\(model.kind)")
    }
  }

  @Test func aSingleClassIsRejected() {
    for var model in Self.makers() {
      #expect(
        errorCase { try model.fit(x, labels: [3, 3, 3, 3]) } == "invalid input", "\(model.kind)")
    }
  }

  @Test func featureWidthMustMatchAtPrediction() throws {
    let wide = try FeatureMatrix(rows: 1, columns: 3, values: [0, 0, 0])
    for var model in Self.makers() {
      #expect(errorCase { _ = try model.predict(x) } == "not fitted", "\(model.kind)")
      try model.fit(x, labels: [0, 1, 0, 1])
      #expect(errorCase { _ = try model.predict(wide) } == "shape mismatch", "\(model.kind)")
    }
  }

  @Test func badShapesAndNames() {
    #expect(throws: ClassifierError.self) {
      _ = try FeatureMatrix(rows: 2, columns: 2, values: [1])
    }
    #expect(throws: ClassifierError.self) { _ = try FeatureMatrix(rows: [[1, 2], [3]]) }
    #expect(throws: ClassifierError.self) { _ = try ClassifierKinds.standard.kind(named: "tree") }
    #expect(try! ClassifierKinds.standard.kind(named: "rbf-svm") == .rbfSVM)
    #expect(
      errorCase {
        var s = SoftmaxRegression(c: -1)
        try s.fit(x, labels: [0, 1, 0, 1])
      } == "invalid parameter")
    #expect(
      errorCase {
        _ = try ClassifierTrainer(kind: .softmax, gamma: 1).fit(x, labels: [0, 1, 0, 1])
      } == "invalid parameter")
  }
}
