import Testing

@testable import CDBNConvNet
@testable import CDBNNumerics

/// A small net using every kind of layer.
let everyLayerSpec = NetworkSpec(
  inputShape: [1, 10, 10],
  layers: [
    .convolution(filters: 4, kernel: 3, padding: 1),
    .activation(.relu),
    .pooling(.max, size: 2),
    .localContrastNormalization(size: 3, sigma: 1),
    .convolution(filters: 3, kernel: 3, stride: 2, padding: 1),
    .activation(.tanh),
    .pooling(.l2, size: 2, stride: 1),
    .pooling(.average, size: 2, ragged: true),
    .dropout(rate: 0.3),
    .dense(outputs: 6),
    .activation(.sigmoid),
    .dense(outputs: 3),
  ])

@Suite struct SpecTests {
  func layerError(_ spec: NetworkSpec) -> (Int, String)? {
    do {
      _ = try spec.shapes()
      return nil
    } catch {
      if case .invalidLayer(let index, let kind, _) = error { return (index, kind) }
      return (-1, "\(error)")
    }
  }

  @Test func badLayersAreTypedErrorsNamingTheLayer() {
    let cases: [(NetworkSpec, Int, String)] = [
      (
        NetworkSpec(
          inputShape: [1, 5, 5],
          layers: [.convolution(filters: 2, kernel: 8, padding: 1), .dense(outputs: 2)]),
        0, "conv"
      ),
      (
        NetworkSpec(
          inputShape: [1, 5, 5],
          layers: [
            .activation(.relu), .convolution(filters: 2, kernel: 3, stride: 0), .dense(outputs: 2),
          ]),
        1, "conv"
      ),
      (
        NetworkSpec(
          inputShape: [1, 1, 9], layers: [.convolution(filters: 2, kernel: 3), .dense(outputs: 2)]),
        0, "conv"
      ),
      (
        NetworkSpec(
          inputShape: [1, 4, 4],
          layers: [
            .convolution(filters: 2, kernel: 3), .pooling(.max, size: 3), .dense(outputs: 2),
          ]),
        1, "maxpool"
      ),
      (
        NetworkSpec(
          inputShape: [1, 4, 4],
          layers: [.dense(outputs: 4), .dropout(rate: 1), .dense(outputs: 2)]),
        1, "dropout"
      ),
      (
        NetworkSpec(
          inputShape: [1, 4, 4],
          layers: [.localContrastNormalization(size: 4, sigma: 1), .dense(outputs: 2)]),
        0, "lcn"
      ),
      (NetworkSpec(inputShape: [1, 4, 4], layers: [.dense(outputs: 0)]), 0, "dense"),
      (
        NetworkSpec(
          inputShape: [1, 4, 4],
          layers: [.convolution(filters: 2, kernel: 2, padding: -1), .dense(outputs: 2)]),
        0, "conv"
      ),
    ]
    for (spec, index, kind) in cases {
      let got = layerError(spec)
      #expect(got?.0 == index && got?.1 == kind, "\(spec.layers): \(String(describing: got))")
    }
    #expect(throws: ConvNetError.invalidSpec("no layers")) {
      try NetworkSpec(inputShape: [1, 4, 4], layers: []).shapes()
    }
    #expect(throws: ConvNetError.self) {
      try Network(spec: NetworkSpec(inputShape: [1, 4, 4], layers: [.dense(outputs: 1)]), seed: 1)
    }
    #expect(throws: ConvNetError.self) {
      try Network(spec: NetworkSpec(inputShape: [0, 4, 4], layers: [.dense(outputs: 2)]), seed: 1)
    }
    #expect(throws: ConvNetError.self) {
      try Network(
        spec: NetworkSpec(inputShape: [1, 4, 4], layers: [.pooling(.max, size: 2)]), seed: 1)
    }
    let message =
      "\(ConvNetError.invalidLayer(index: 3, kind: "conv", "stride must be positive, got 0×1"))"
    #expect(message == "layer 3 (conv): stride must be positive, got 0×1")
  }

  @Test func shapesThroughEveryLayerKind() throws {
    let shapes = try everyLayerSpec.shapes()
    #expect(
      shapes == [
        [1, 10, 10], [4, 10, 10], [4, 10, 10], [4, 5, 5], [4, 5, 5], [3, 3, 3], [3, 3, 3],
        [3, 2, 2], [3, 1, 1], [3, 1, 1], [6, 1, 1], [6, 1, 1], [3, 1, 1],
      ])
  }

  @Test func badSettingsLabelsAndDataAreTypedErrors() throws {
    let net = try Network(spec: everyLayerSpec, seed: 1)
    var s = TrainingSettings()
    s.batchSize = 0
    #expect(throws: ConvNetError.self) { try ConvNetTrainer(network: net, settings: s, seed: 1) }
    s = TrainingSettings()
    s.momentum = 1
    #expect(throws: ConvNetError.self) { try ConvNetTrainer(network: net, settings: s, seed: 1) }
    s = TrainingSettings()
    s.schedule = .step(every: 0, factor: 0.5)
    #expect(throws: ConvNetError.self) { try ConvNetTrainer(network: net, settings: s, seed: 1) }
    let trainer = try ConvNetTrainer(network: net, settings: TrainingSettings(), seed: 1)
    let x = randomTensor([4, 1, 10, 10], seed: 1)
    #expect(throws: ConvNetError.self) { try trainer.trainEpoch(data: x, labels: [0, 1, 2, 3]) }
    #expect(throws: ConvNetError.self) { try trainer.trainEpoch(data: x, labels: [0, 1]) }
    #expect(throws: ConvNetError.self) {
      try trainer.trainEpoch(data: randomTensor([4, 1, 9, 10], seed: 1), labels: [0, 1, 2, 0])
    }
    var nan = x
    nan.scalars[7] = .nan
    #expect(throws: ConvNetError.self) { try net.predict(nan) }
  }

  @Test func initialisationIsHeBeforeReLUAndGlorotOtherwise() throws {
    let spec = NetworkSpec(
      inputShape: [8, 12, 12],
      layers: [
        .convolution(filters: 32, kernel: 5), .pooling(.max, size: 2), .activation(.relu),
        .dense(outputs: 200), .activation(.tanh), .dense(outputs: 10),
      ])
    let net = try Network(spec: spec, seed: 3)
    func std(_ p: Parameter) -> Double {
      let v = p.scalars.map(Double.init)
      let m = v.reduce(0, +) / Double(v.count)
      return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }
    let conv = net.layers[0].parameters
    #expect(abs(std(conv[0]) / (2.0 / 200).squareRoot() - 1) < 0.05)
    #expect(conv[1].scalars.allSatisfy { $0 == 0 })
    let dense = net.layers[3].parameters[0]  // fan in 32·4·4 = 512, fan out 200, tanh: Glorot
    let a = (6.0 / (512 + 200)).squareRoot()
    #expect(abs(std(dense) / (a / 3.0.squareRoot()) - 1) < 0.05)
    #expect(dense.scalars.allSatisfy { abs(Double($0)) <= a })
    let other = try Network(spec: spec, seed: 4)
    #expect(other.layers[0].parameters[0].scalars != conv[0].scalars)
  }

  @Test func learningRateSchedules() {
    #expect(LearningRateSchedule.constant.rate(base: 0.1, epoch: 7) == 0.1)
    #expect(LearningRateSchedule.step(every: 3, factor: 0.5).rate(base: 0.8, epoch: 2) == 0.8)
    #expect(LearningRateSchedule.step(every: 3, factor: 0.5).rate(base: 0.8, epoch: 6) == 0.2)
    #expect(abs(LearningRateSchedule.exponential(decay: 0.9).rate(base: 1, epoch: 2) - 0.81) < 1e-6)
  }

  @Test func centreCropsAndTheirErrors() throws {
    let x = Tensor(shape: [1, 1, 4, 5], scalars: (0..<20).map(Float.init))
    #expect(try Augmentation.centerCrop(x, to: Size2(2, 3)).scalars == [6, 7, 8, 11, 12, 13])
    #expect(try Augmentation.centerCrop(x, to: Size2(4, 5)) == x)
    #expect(throws: ConvNetError.self) { try Augmentation.centerCrop(x, to: Size2(5, 5)) }
    // Training with random crops takes larger data, and only with the setting.
    let net = try Network(spec: everyLayerSpec, seed: 1)
    var settings = TrainingSettings()
    let big = randomTensor([4, 1, 13, 11], seed: 2)
    let labels = [0, 1, 2, 0]
    #expect(throws: ConvNetError.self) {
      try ConvNetTrainer(network: net, settings: settings, seed: 1).trainEpoch(
        data: big, labels: labels)
    }
    settings.randomCrop = true
    let trainer = try ConvNetTrainer(network: net, settings: settings, seed: 1)
    #expect(try trainer.trainEpoch(data: big, labels: labels).loss.isFinite)
    #expect(throws: ConvNetError.self) {
      try trainer.trainEpoch(data: randomTensor([4, 1, 9, 11], seed: 2), labels: labels)
    }
    #expect(try net.predict(Augmentation.centerCrop(big, to: Size2(10, 10))).shape == [4, 3])
  }

  @Test func shiftsAreZeroFilled() {
    let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(Augmentation.shifted(x, dy: 1, dx: -1).scalars == [0, 0, 0, 2, 3, 0, 5, 6, 0])
    #expect(Augmentation.shifted(x, dy: -2, dx: 2).scalars == [0, 0, 7, 0, 0, 0, 0, 0, 0])
    #expect(Augmentation.shifted(x, dy: 0, dx: 3).scalars == [Float](repeating: 0, count: 9))
  }
}

@Suite(.serialized) struct TrainingTests {
  /// The trainer's chunked, parallel batch gradient against central differences of the network's
  /// mean loss (evaluation mode: no dropout here, no shifts).
  @Test func batchGradientOfTheWholeNetworkMatchesFiniteDifferences() throws {
    let spec = NetworkSpec(
      inputShape: [2, 7, 7],
      layers: [
        .convolution(filters: 3, kernel: 3, stride: 2, padding: 1), .activation(.tanh),
        .localContrastNormalization(size: 3, sigma: 1), .pooling(.average, size: 2, ragged: true),
        .dense(outputs: 4), .activation(.sigmoid), .dense(outputs: 3),
      ])
    let net = try Network(spec: spec, seed: 2)
    var settings = TrainingSettings()
    settings.chunkSize = 2
    let trainer = try ConvNetTrainer(network: net, settings: settings, seed: 1)
    let x = randomTensor([5, 2, 7, 7], seed: 3)
    let labels = [0, 1, 2, 1, 0]
    let (loss, _) = try trainer.computeGradient(data: x, labels: labels, batch: Array(0..<5))
    #expect(abs(loss - (try net.evaluate(x, labels: labels).loss)) < 1e-6)
    let g = trainer.gradient
    var numeric: [Double] = []
    var analytic: [Double] = []
    var offset = 0
    let h: Float = 1e-2
    for p in net.parameters {
      for i in stride(from: 0, to: p.count, by: 3) {
        let saved = p.pointer[i]
        p.pointer[i] = saved + h
        let lp = try net.evaluate(x, labels: labels).loss
        p.pointer[i] = saved - h
        let lm = try net.evaluate(x, labels: labels).loss
        p.pointer[i] = saved
        numeric.append((lp - lm) / Double(2 * h))
        analytic.append(Double(g[offset + i]))
      }
      offset += p.count
    }
    let error = relativeError(numeric, analytic)
    #expect(error < 2e-3, "relative error \(error)")
  }

  @Test func aTinyNetLearnsBarsPerfectly() throws {
    let (x, labels) = barImages(count: 48, size: 8, seed: 1)
    let spec = NetworkSpec(
      inputShape: [1, 8, 8],
      layers: [
        .convolution(filters: 4, kernel: 3, padding: 1), .activation(.relu),
        .pooling(.max, size: 2), .dense(outputs: 2),
      ])
    let net = try Network(spec: spec, seed: 1)
    var settings = TrainingSettings()
    settings.batchSize = 8
    settings.learningRate = 0.05
    settings.chunkSize = 4
    let trainer = try ConvNetTrainer(network: net, settings: settings, seed: 1)
    var reports: [EpochReport] = []
    try trainer.train(data: x, labels: labels, epochs: 25) { reports.append($0) }
    #expect(reports.count == 25 && reports.last!.epoch == 25 && trainer.step == 25 * 6)
    #expect(reports.last!.loss < 0.5 * reports.first!.loss, "\(reports.map(\.loss))")
    let (loss, accuracy) = try net.evaluate(x, labels: labels)
    #expect(accuracy == 1, "accuracy \(accuracy), loss \(loss)")
    let p = try net.predict(x)
    #expect(p.shape == [48, 2])
    for e in 0..<48 {
      #expect(abs(p.scalars[2 * e] + p.scalars[2 * e + 1] - 1) < 1e-5)
      #expect((p.scalars[2 * e + 1] > 0.5) == (labels[e] == 1))
    }
    // New examples of the same kind.
    let (test, testLabels) = barImages(count: 40, size: 8, seed: 2)
    #expect(try net.evaluate(test, labels: testLabels).accuracy >= 0.9)
  }

  static func trainAFew(threads: Int, seed: UInt64) throws -> [[Float]] {
    let before = Parallelism.threads
    Parallelism.threads = threads
    defer { Parallelism.threads = before }
    let (x, labels) = barImages(count: 30, size: 12, seed: 4)
    let net = try Network(spec: everyLayerSpec, seed: seed)
    var settings = TrainingSettings()
    settings.batchSize = 12
    settings.chunkSize = 3
    settings.maxShift = 1
    settings.randomCrop = true  // 10×10 crops of 12×12 examples
    settings.learningRate = 0.05
    let trainer = try ConvNetTrainer(network: net, settings: settings, seed: seed)
    try trainer.train(
      data: x, labels: labels.indices.map { labels[$0] + ($0 % 5 == 0 ? 1 : 0) }, epochs: 2)
    return net.parameters.map(\.scalars) + (0..<net.parameters.count).map { trainer.velocity($0) }
  }

  @Test func oneAndTwoThreadsGiveBitIdenticalWeights() throws {
    let one = try Self.trainAFew(threads: 1, seed: 7)
    let two = try Self.trainAFew(threads: 2, seed: 7)
    let again = try Self.trainAFew(threads: 2, seed: 7)
    #expect(one == two)
    #expect(two == again)
    #expect(try Self.trainAFew(threads: 2, seed: 8) != one)
  }

  @Test func divergenceIsATypedErrorBeforeTheWeightsChange() throws {
    let net = try Network(
      spec: NetworkSpec(
        inputShape: [1, 4, 4], layers: [.dense(outputs: 8), .activation(.relu), .dense(outputs: 2)]),
      seed: 1)
    var settings = TrainingSettings()
    settings.learningRate = 1e30
    settings.momentum = 0
    let trainer = try ConvNetTrainer(network: net, settings: settings, seed: 1)
    let x = randomTensor([8, 1, 4, 4], seed: 2, scale: 1e3)
    let labels = [0, 1, 0, 1, 0, 1, 0, 1]
    var last: [[Float]] = []
    let error = #expect(throws: ConvNetError.self) {
      for _ in 0..<20 {
        last = net.parameters.map(\.scalars)
        try trainer.trainEpoch(data: x, labels: labels)
      }
    }
    if case .diverged = error {
    } else {
      Issue.record("expected .diverged, got \(String(describing: error))")
    }
    #expect(net.parameters.map(\.scalars) == last)
  }
}
