import CDBNTestSupport
import Testing

@testable import CDBNConvNet
@testable import CDBNNumerics
@testable import CDBNStorage

@Suite(.serialized) struct CheckpointTests {
  static func settings() -> TrainingSettings {
    var s = TrainingSettings()
    s.batchSize = 10
    s.chunkSize = 4
    s.learningRate = 0.05
    s.maxShift = Size2(1, 2)
    s.schedule = .step(every: 1, factor: 0.5)
    return s
  }

  @Test func saveAfterEpochOneLoadAndTrainEpochTwoEqualsTwoEpochsStraight() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (x, labels) = barImages(count: 25, size: 10, seed: 9)
    let threeClassLabels = labels.indices.map { labels[$0] + ($0 % 4 == 0 ? 1 : 0) }

    let straight = try Network(spec: everyLayerSpec, seed: 5)
    let straightTrainer = try ConvNetTrainer(network: straight, settings: Self.settings(), seed: 11)
    try straightTrainer.train(data: x, labels: threeClassLabels, epochs: 2)

    let first = try Network(spec: everyLayerSpec, seed: 5)
    let firstTrainer = try ConvNetTrainer(network: first, settings: Self.settings(), seed: 11)
    try firstTrainer.train(data: x, labels: threeClassLabels, epochs: 1)
    let path = dir.file("cnn.h5")
    try HDF5File.atomicWrite(to: path) { file in
      try first.save(to: file.root.createGroup("classifier"))
      try firstTrainer.saveState(to: file.root.createGroup("training"))
    }

    let file = try HDF5File(path: path, mode: .readOnly)
    let resumed = try Network(from: file.root.openGroup("classifier"))
    let resumedTrainer = try ConvNetTrainer(network: resumed, from: file.root.openGroup("training"))
    file.close()
    #expect(resumed.spec == everyLayerSpec && straight.spec == everyLayerSpec)
    #expect(resumedTrainer.settings == Self.settings())
    #expect(resumedTrainer.epoch == 1 && resumedTrainer.seed == 11)
    #expect(resumedTrainer.step == firstTrainer.step)
    try resumedTrainer.train(data: x, labels: threeClassLabels, epochs: 1)

    #expect(resumedTrainer.step == straightTrainer.step)
    for (a, b) in zip(resumed.parameters, straight.parameters) {
      #expect(a.scalars == b.scalars, "\(a.name) \(a.shape)")
    }
    for i in straight.parameters.indices {
      #expect(resumedTrainer.velocity(i) == straightTrainer.velocity(i))
    }
  }

  @Test func aLoadedNetworkPredictsTheSameAndTheFileFollowsTheSchema() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let spec = NetworkSpec(
      inputShape: [2, 1, 12],
      layers: [
        .convolution(filters: 3, kernel: Size2(1, 3), stride: Size2(1, 2), padding: Size2(0, 1)),
        .activation(.relu), .localContrastNormalization(size: 3, sigma: 1, divisor: .constant(0.5)),
        .pooling(.max, size: Size2(1, 2)), .dropout(rate: 0.5), .dense(outputs: 4),
      ])
    let net = try Network(spec: spec, seed: 3)
    let path = dir.file("net.h5")
    try HDF5File.atomicWrite(to: path) { try net.save(to: $0.root.createGroup("cnn")) }
    let file = try HDF5File(path: path, mode: .readOnly)
    let group = try file.root.openGroup("cnn")
    #expect(try group.stringAttribute("kind") == "cnn")
    #expect(try group.intArrayAttribute("input_shape") == [2, 1, 12])
    let kinds = try (0..<6).map { try group.openGroup("layers/\($0)").stringAttribute("kind") }
    #expect(kinds == ["conv", "relu", "lcn", "maxpool", "dropout", "dense"])
    #expect(try group.readFloats("layers/0/weights").shape == [3, 2, 1, 3])
    #expect(try group.openGroup("layers/0").intArrayAttribute("stride") == [1, 2])
    let loaded = try Network(from: group)
    #expect(loaded.spec == spec)
    let x = randomTensor([5, 2, 1, 12], seed: 4)
    #expect(try loaded.predict(x) == (try net.predict(x)))
  }

  @Test func malformedCheckpointsAreTypedErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let net = try Network(
      spec: NetworkSpec(
        inputShape: [1, 6, 6], layers: [.convolution(filters: 2, kernel: 3), .dense(outputs: 2)]),
      seed: 1)
    let file = try HDF5File(path: dir.file("bad.h5"), mode: .truncate)
    let good = try file.root.createGroup("good")
    try net.save(to: good)
    // Wrong weight shape.
    let wrongShape = try file.root.createGroup("wrong_shape")
    try net.save(to: wrongShape)
    try wrongShape.writeFloats(
      "layers/0/weights", shape: [2, 1, 2, 2], [Float](repeating: 0, count: 8))
    #expect(throws: ConvNetError.self) { try Network(from: wrongShape) }
    // Unknown kind.
    let unknown = try file.root.createGroup("unknown")
    try net.save(to: unknown)
    try unknown.openGroup("layers/1").setAttribute("kind", "capsule")
    #expect(throws: ConvNetError.self) { try Network(from: unknown) }
    // NaN weights.
    let nan = try file.root.createGroup("nan")
    try net.save(to: nan)
    try nan.writeFloats("layers/1/bias", shape: [2], [0, .nan])
    #expect(throws: ConvNetError.self) { try Network(from: nan) }
    // A layer that no longer fits.
    let impossible = try file.root.createGroup("impossible")
    try net.save(to: impossible)
    try impossible.openGroup("layers/0").setAttribute("kernel", [7, 7])
    #expect(throws: ConvNetError.self) { try Network(from: impossible) }
    // Not a network at all.
    #expect(throws: (any Error).self) { try Network(from: file.root) }
    #expect(try Network(from: good).spec == net.spec)
  }
}
