import CDBNStorage
import Testing

@testable import CDBNClassifiers

@Suite struct SaveLoadTests {
  let data = blobs(
    centers: [[0, 0, 1], [1.5, 0, 0], [0, 1.5, 0]], perClass: 30, spread: 0.8, seed: 41,
    labels: [2, 4, 6])
  let probe = blobs(
    centers: [[0, 0, 1], [1.5, 0, 0], [0, 1.5, 0]], perClass: 20, spread: 1, seed: 42
  ).x

  @Test(arguments: ClassifierKinds.standard.kinds)
  func roundTripGivesIdenticalPredictions(kind: ClassifierKind) throws {
    var model = StandardizedClassifier(
      try ClassifierKinds.standard.prototype(kind).configured(
        GridPoint(c: 2, gamma: kind == .rbfSVM ? 0.3 : nil)))
    try model.fit(data.x, labels: data.y)
    let loaded = try roundTrip(model)
    #expect(loaded.kind == kind)
    #expect(loaded.standardizer == model.standardizer)
    #expect(loaded.classes == [2, 4, 6])
    #expect(try loaded.predict(probe) == (try model.predict(probe)))
  }

  @Test func bareModelsRoundTrip() throws {
    var linear = LinearSVM(c: 0.5)
    try linear.fit(data.x, labels: data.y)
    let l2 = try roundTrip(linear)
    #expect(l2.weights == linear.weights && l2.bias == linear.bias && l2.c == 0.5)
    var rbf = KernelSVM(c: 1, gamma: 0.2)
    try rbf.fit(data.x, labels: data.y)
    let r2 = try roundTrip(rbf)
    #expect(r2.supportVectors == rbf.supportVectors && r2.coefficients == rbf.coefficients)
    #expect(try r2.pairwiseDecisionValues(probe) == (try rbf.pairwiseDecisionValues(probe)))
    // A bare model loads through the kind-agnostic loader too, without a standardizer.
    let any = try roundTrip(try StandardizedClassifier(fitted: rbf, standardizer: nil))
    #expect(any.standardizer == nil && any.kind == .rbfSVM)
  }

  @Test func loadingChecksKindAndShapes() throws {
    var softmax = SoftmaxRegression(c: 1)
    try softmax.fit(data.x, labels: data.y)
    try withScratchGroup { group in
      try softmax.save(to: group)
      #expect(errorCase { _ = try LinearSVM.load(from: group) } == "malformed classifier")
      #expect(try StandardizedClassifier.load(from: group).kind == .softmax)
      try group.writeFloats("bias", shape: [2], [0, 0])
      #expect(errorCase { _ = try SoftmaxRegression.load(from: group) } == "malformed classifier")
      try group.writeFloats("bias", shape: [3], [0, .nan, 0])
      #expect(errorCase { _ = try SoftmaxRegression.load(from: group) } == "malformed classifier")
      try group.setAttribute("kind", "random-forest")
      #expect(
        errorCase { _ = try StandardizedClassifier.load(from: group) } == "malformed classifier")
    }
    var rbf = KernelSVM(c: 1)
    try rbf.fit(data.x, labels: data.y)
    try withScratchGroup { group in
      try rbf.save(to: group)
      try group.writeInts("n_sv", shape: [3], [1, 1, 1])
      #expect(errorCase { _ = try KernelSVM.load(from: group) } == "malformed classifier")
    }
    var std = StandardizedClassifier(LinearSVM())
    try std.fit(data.x, labels: data.y)
    try withScratchGroup { group in
      try std.save(to: group)
      try group.openGroup("standardizer").writeFloats("std", shape: [3], [1, 0, 1])
      #expect(
        errorCase { _ = try StandardizedClassifier.load(from: group) } == "malformed classifier")
    }
  }
}
