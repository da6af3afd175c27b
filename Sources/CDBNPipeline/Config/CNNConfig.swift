import CDBNConvNet
import CDBNDatasets
import CDBNNumerics
import Foundation
import Yams

/// A CNN training run, as read from YAML (`cdbn train-cnn`). The input shape comes from the data;
/// the last layer's outputs are the class scores (softmax cross-entropy is the loss).
///
/// ```yaml
/// seed: 1
/// input: {size: [32, 32]}      # optional: resize pictures (or crop: [h, w]); classify and predict repeat it
/// training: {epochs: 10, batch_size: 32, learning_rate: 0.01, momentum: 0.9, weight_decay: 0.0005,
///            schedule: {kind: step, every: 4, factor: 0.3}, max_shift: 2}
/// layers:
///   - {kind: conv, filters: 40, kernel: 12}
///   - {kind: sigmoid}
///   - {kind: maxpool, size: 2}
///   - {kind: dropout, rate: 0.5}
///   - {kind: dense, outputs: 10}
/// ```
/// Layer kinds: conv (filters, kernel, stride, padding), relu, tanh, sigmoid, maxpool | avgpool |
/// l2pool (size, stride, ragged), lcn (size, sigma, divisor: a number or mean_sigma), dense
/// (outputs), dropout (rate).
public struct CNNConfig: Sendable {
  /// The YAML text as given; stored in the model file.
  public var text: String
  /// Where the text came from, for errors.
  public var file: String
  public var seed: UInt64 = 1
  public var epochs = 10
  public var settings = TrainingSettings()
  /// Epochs at the start during which the conv layers copied by `train-cnn --init` are not updated.
  public var freezeInitEpochs = 0
  /// How pictures are brought to the network's input size (`input: {size: [h, w]}` or
  /// `{crop: [h, w]}`); `classify` and `predict` repeat it from the stored config.
  public var sizing: ImageFolder.Sizing = .original
  public var layers: [LayerSpec]

  /// Reads `file` with the `--set` overrides applied (errors then name "FILE with --set").
  public init(contentsOf file: String, overrides: [String] = []) throws {
    let text: String
    do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
      throw PipelineError(file, "cannot be read: \(error.localizedDescription)")
    }
    let effective = try ConfigOverrides.apply(overrides, to: text, file: file)
    try self.init(yaml: effective, file: effective == text ? file : "\(file) with --set")
  }

  public init(yaml: String, file: String) throws {
    let top = try ConfigReader.document(yaml: yaml, file: file)
    try top.allowOnly(["seed", "input", "training", "layers"])
    text = yaml
    self.file = file
    if let s = try top.int("seed", in: 0...Int.max) { seed = UInt64(s) }
    if let input = try top.child("input") {
      try input.allowOnly(["size", "crop"])
      sizing = try input.pictureSizing(longestSide: false)
    }
    if let t = try top.child("training") {
      try t.allowOnly([
        "epochs", "batch_size", "learning_rate", "momentum", "weight_decay", "schedule",
        "max_shift", "random_crop", "chunk_size", "shuffle", "freeze_init_epochs",
      ])
      epochs = try t.int("epochs", in: 1...100_000) ?? epochs
      settings.batchSize = try t.int("batch_size", in: 1...1_000_000) ?? settings.batchSize
      settings.learningRate = try t.float("learning_rate") ?? settings.learningRate
      settings.momentum = try t.float("momentum") ?? settings.momentum
      settings.weightDecay = try t.float("weight_decay") ?? settings.weightDecay
      if let shift = try t.pair("max_shift") { settings.maxShift = Size2(shift[0], shift[1]) }
      settings.randomCrop = try t.bool("random_crop") ?? settings.randomCrop
      settings.chunkSize = try t.int("chunk_size", in: 1...100_000) ?? settings.chunkSize
      settings.shuffle = try t.bool("shuffle") ?? settings.shuffle
      freezeInitEpochs = try t.int("freeze_init_epochs", in: 0...100_000) ?? 0
      if t.has("schedule") { settings.schedule = try Self.readSchedule(t) }
    }
    guard let list = try top.sequence("layers"), !list.isEmpty else {
      throw top.fail("layers", "is required: a list of layers, the last giving the class scores")
    }
    layers = try list.enumerated().map { i, node in
      try Self.readLayer(try ConfigReader(file: file, node: node, path: "layers[\(i)]"))
    }
    do {
      try settings.validate()
    } catch {
      throw PipelineError(file, "training: \(error)")
    }
  }

  static func readSchedule(_ t: ConfigReader) throws -> LearningRateSchedule {
    if let name = try? t.string("schedule") {
      guard name == "constant" else {
        throw t.fail(
          "schedule", "must be constant, {kind: step, every, factor} or {kind: exponential, decay}")
      }
      return .constant
    }
    guard let s = try t.child("schedule") else { return .constant }
    try s.allowOnly(["kind", "every", "factor", "decay"])
    switch try s.string("kind") {
    case "constant": return .constant
    case "step":
      guard let every = try s.int("every", in: 1...100_000), let factor = try s.float("factor")
      else {
        throw s.fail("kind", "step needs every (epochs) and factor")
      }
      return .step(every: every, factor: factor)
    case "exponential":
      guard let decay = try s.float("decay") else {
        throw s.fail("kind", "exponential needs decay")
      }
      return .exponential(decay: decay)
    default:
      throw s.fail("kind", "must be constant, step or exponential")
    }
  }

  static func readLayer(_ r: ConfigReader) throws -> LayerSpec {
    guard let name = try r.string("kind") else {
      throw r.fail("kind", "is required (\(LayerSpec.Kind.names))")
    }
    guard let kind = LayerSpec.Kind(rawValue: name) else {
      throw r.fail(
        "kind", "unknown layer kind \"\(name)\" (known: \(LayerSpec.Kind.names))")
    }
    func size(_ key: String) throws -> Size2? { try r.pair(key).map { Size2($0[0], $0[1]) } }
    switch kind {
    case .conv:
      try r.allowOnly(["kind", "filters", "kernel", "stride", "padding"])
      guard let filters = try r.int("filters", in: 1...1_000_000), let kernel = try size("kernel")
      else { throw r.fail("kind", "conv needs filters and kernel") }
      return .convolution(
        filters: filters, kernel: kernel, stride: try size("stride") ?? 1,
        padding: try size("padding") ?? 0)
    case .relu, .tanh, .sigmoid:
      try r.allowOnly(["kind"])
      return .activation(kind.activation ?? .relu)
    case .maxpool, .avgpool, .l2pool:
      try r.allowOnly(["kind", "size", "stride", "ragged"])
      guard let window = try size("size") else { throw r.fail("kind", "\(name) needs size") }
      return .pooling(
        kind.pooling ?? .max, size: window, stride: try size("stride"),
        ragged: try r.bool("ragged") ?? false)
    case .lcn:
      try r.allowOnly(["kind", "size", "sigma", "divisor"])
      guard let window = try r.int("size", in: 1...10_000), let sigma = try r.float("sigma") else {
        throw r.fail("kind", "lcn needs size and sigma")
      }
      var divisor = LCNDivisor.meanSigma
      if r.has("divisor") {
        if let c = try? r.float("divisor") {
          divisor = .constant(c)
        } else if try r.string("divisor") != "mean_sigma" {
          throw r.fail("divisor", "must be mean_sigma or a number")
        }
      }
      return .localContrastNormalization(size: window, sigma: sigma, divisor: divisor)
    case .dense:
      try r.allowOnly(["kind", "outputs"])
      guard let outputs = try r.int("outputs", in: 1...10_000_000) else {
        throw r.fail("kind", "dense needs outputs")
      }
      return .dense(outputs: outputs)
    case .dropout:
      try r.allowOnly(["kind", "rate"])
      guard let rate = try r.float("rate") else { throw r.fail("kind", "dropout needs rate") }
      return .dropout(rate: rate)
    }
  }
}

extension CNNConfig {
  /// The config's network, training and seed as a classifier of feature rows, each one example
  /// of `exampleShape` (`classify --classifier cnn`): [K, H, W] maps as they are, [H, W] as one
  /// channel, [D] as one row of D. `input` and `freeze_init_epochs`, which apply to `train-cnn`'s
  /// pictures and `--init`, are refused naming the config file.
  public func classifier(exampleShape: [Int]) throws -> ConvNetClassifier {
    guard sizing == .original else {
      throw PipelineError(
        file, "input: sizes pictures for train-cnn; classify reads feature rows as they are")
    }
    guard freezeInitEpochs == 0 else {
      throw PipelineError(
        file, "training.freeze_init_epochs goes with train-cnn --init; classify starts afresh")
    }
    let inputShape =
      switch exampleShape.count {
      case 3: exampleShape
      case 2: [1] + exampleShape
      default: [1, 1, exampleShape.reduce(1, *)]
      }
    do {
      return try ConvNetClassifier(
        spec: NetworkSpec(inputShape: inputShape, layers: layers), settings: settings,
        epochs: epochs, seed: seed)
    } catch {
      throw PipelineError(file, "on examples of \(inputShape): \(error)")
    }
  }
}
