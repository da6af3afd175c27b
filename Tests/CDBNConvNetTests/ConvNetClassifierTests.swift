import CDBNClassifiers
import CDBNNumerics
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNConvNet

/// The CNN behind the same `Classifier` interface as the SVMs and softmax.
@Suite struct ConvNetClassifierTests {
  /// 1×6×6 pictures of a vertical bar (label 7) or a horizontal bar (label 3) at a random place,
  /// in noise: rows of a `FeatureMatrix`, alternating classes.
  static func bars(count: Int, seed: UInt64) throws -> (x: FeatureMatrix, y: [Int]) {
    var rng = RandomStream(seed: seed)
    var values = [Float](repeating: 0, count: count * 36)
    var labels: [Int] = []
    for n in 0..<count {
      let vertical = n % 2 == 0
      let at = Int(rng.nextFloat() * 6) % 6
      for i in 0..<36 {
        let (r, c) = (i / 6, i % 6)
        values[n * 36 + i] = 0.3 * rng.nextNormal() + ((vertical ? c : r) == at ? 2 : 0)
      }
      labels.append(vertical ? 7 : 3)
    }
    return (try FeatureMatrix(rows: count, columns: 36, values: values), labels)
  }

  static let spec = NetworkSpec(
    inputShape: [1, 6, 6],
    layers: [
      .convolution(filters: 4, kernel: 3, stride: 1, padding: 0), .activation(.relu),
      .pooling(.max, size: 2, stride: nil, ragged: false), .dense(outputs: 2),
    ])

  static func settings() -> TrainingSettings {
    var s = TrainingSettings()
    s.batchSize = 10
    s.learningRate = 0.05
    return s
  }

  static func fitted() throws -> ConvNetClassifier {
    var model = try ConvNetClassifier(spec: spec, settings: settings(), epochs: 8, seed: 3)
    let train = try bars(count: 120, seed: 1)
    try model.fit(train.x, labels: train.y)
    return model
  }

  @Test func fitsPredictsAndScoresLikeTheOtherClassifiers() throws {
    let model = try Self.fitted()
    let test = try Self.bars(count: 60, seed: 2)
    #expect(model.kind == .cnn && model.classes == [3, 7] && model.featureCount == 36)
    #expect(model.history.count == 8)
    let predicted = try model.predict(test.x)
    let correct = zip(predicted, test.y).filter { $0 == $1 }.count
    #expect(correct >= 57, "\(correct) of 60")
    let p = try #require(try model.probabilityEstimates(test.x))
    let scores = try model.scores(test.x)
    #expect(p.count == 120 && scores.count == 120)
    for e in 0..<60 {
      #expect(abs(p[2 * e] + p[2 * e + 1] - 1) < 1e-5)
      // The highest score and the highest probability name the predicted label.
      #expect(model.classes[scores[2 * e + 1] > scores[2 * e] ? 1 : 0] == predicted[e])
      #expect(model.classes[p[2 * e + 1] > p[2 * e] ? 1 : 0] == predicted[e])
    }
    // The network the classifier builds gives the same probabilities as its own pass.
    let direct = try model.network().predict(
      Tensor(shape: [60, 1, 6, 6], scalars: test.x.values))
    #expect(zip(direct.scalars, p).allSatisfy { abs($0 - $1) < 1e-6 })
  }

  @Test func sameSeedSameModelAndTheTrainerFitsItAsItIs() throws {
    let a = try Self.fitted()
    let b = try Self.fitted()
    let probe = try Self.bars(count: 10, seed: 9).x
    #expect(try a.probabilityEstimates(probe) == (try b.probabilityEstimates(probe)))
    // The cross-validating trainer has no grid to search for a CNN: it fits the prototype once.
    let prototype = try ConvNetClassifier(
      spec: Self.spec, settings: Self.settings(), epochs: 8, seed: 3)
    let train = try Self.bars(count: 120, seed: 1)
    let outcome = try ClassifierTrainer(prototype, standardize: false).fit(train.x, labels: train.y)
    #expect(outcome.search == nil && outcome.chosen == nil)
    #expect(
      try outcome.classifier.probabilityEstimates(probe) == (try a.probabilityEstimates(probe)))
    #expect(throws: ClassifierError.self) {
      _ = try ClassifierTrainer(prototype, c: 1).fit(train.x, labels: train.y)
    }
  }

  @Test func batchAndEpochHooksHearTrainingAndAStopLeavesItUnfitted() throws {
    struct Stop: Error {}
    final class Heard: @unchecked Sendable {
      var batches: [Int] = []
      var epochs: [Int] = []
    }
    let heard = Heard()
    let train = try Self.bars(count: 25, seed: 1)
    var model = try ConvNetClassifier(
      spec: Self.spec, settings: Self.settings(), epochs: 2, seed: 3)
    model.batchEnded = { done, loss in
      #expect(loss.isFinite)
      heard.batches.append(done)
    }
    model.epochEnded = { heard.epochs.append($0.epoch) }
    try model.fit(train.x, labels: train.y)
    // Batches of 10: 10, 20 and 25 examples done, in each of the two epochs.
    #expect(heard.batches == [10, 20, 25, 10, 20, 25] && heard.epochs == [1, 2])

    // A stop after the second batch of the first epoch: no epoch ends, nothing is fitted.
    var stopped = try ConvNetClassifier(
      spec: Self.spec, settings: Self.settings(), epochs: 2, seed: 3)
    heard.epochs = []
    stopped.batchEnded = { done, _ in if done == 20 { throw Stop() } }
    stopped.epochEnded = { heard.epochs.append($0.epoch) }
    #expect(throws: Stop.self) { try stopped.fit(train.x, labels: train.y) }
    #expect(heard.epochs.isEmpty)
    #expect(throws: ClassifierError.self) { _ = try stopped.predict(train.x) }
  }

  @Test func roundTripsThroughTheRegistryWithAndWithoutStandardisation() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let kinds = ClassifierKinds.standard.adding(ConvNetClassifier.self, kind: .cnn)
    let train = try Self.bars(count: 120, seed: 1)
    let probe = try Self.bars(count: 20, seed: 5).x
    var standardized = StandardizedClassifier(
      try ConvNetClassifier(spec: Self.spec, settings: Self.settings(), epochs: 3, seed: 4))
    try standardized.fit(train.x, labels: train.y)
    let bare = try Self.fitted()
    for (name, model) in [("standardized", standardized as any Classifier), ("bare", bare)] {
      let path = dir.file("\(name).h5")
      let file = try HDF5File(path: path, mode: .truncate)
      try model.save(to: try file.root.createGroup("model"))
      try file.closeChecked()
      let reopened = try HDF5File(path: path, mode: .readOnly)
      let loaded = try StandardizedClassifier.load(
        from: try reopened.root.openGroup("model"), kinds: kinds)
      #expect(loaded.kind == .cnn && loaded.classes == [3, 7])
      #expect(try loaded.probabilityEstimates(probe) == (try model.probabilityEstimates(probe)))
      #expect(try loaded.predict(probe) == (try model.predict(probe)))
      // Without the CNN in the registry the kind is refused by name.
      #expect {
        _ = try StandardizedClassifier.load(from: try reopened.root.openGroup("model"))
      } throws: { "\($0)".contains("kind is \"cnn\"") }
    }
  }

  @Test func badInputIsATypedError() throws {
    var model = try ConvNetClassifier(spec: Self.spec, settings: Self.settings(), epochs: 1)
    let train = try Self.bars(count: 20, seed: 1)
    #expect(throws: ClassifierError.notFitted("cnn classifier has not been fitted or loaded")) {
      _ = try model.predict(train.x)
    }
    let narrow = try FeatureMatrix(rows: 2, columns: 35, values: .init(repeating: 0, count: 70))
    #expect { try model.fit(narrow, labels: [3, 7]) } throws: {
      "\($0)".contains("35 columns") && "\($0)".contains("[1, 6, 6]")
    }
    #expect { try model.fit(train.x, labels: (0..<20).map { $0 % 3 }) } throws: {
      "\($0)".contains("2 outputs for 3 classes")
    }
    #expect(throws: ClassifierError.self) { _ = try model.configured(GridPoint(c: 1)) }
    #expect(throws: ConvNetError.self) {
      _ = try ConvNetClassifier(spec: NetworkSpec(inputShape: [1, 2, 2], layers: Self.spec.layers))
    }
    try model.fit(train.x, labels: train.y)
    var poisoned = train.x.values
    poisoned[5] = .nan
    #expect(throws: ClassifierError.self) {
      _ = try model.predict(try FeatureMatrix(rows: 20, columns: 36, values: poisoned))
    }
    // A saved group without its network or classes is a malformed model, named.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try HDF5File(path: dir.file("m.h5"), mode: .truncate)
    let group = try file.root.createGroup("model")
    try group.setAttribute("kind", "cnn")
    #expect { _ = try ConvNetClassifier.load(from: group) } throws: {
      "\($0)".contains("/model: no network group")
    }
    try model.network().save(to: try group.createGroup("network"))
    #expect { _ = try ConvNetClassifier.load(from: group) } throws: {
      "\($0)".contains("/model: no classes dataset")
    }
  }
}
