import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// What every layer kind must do inside the pipeline, checked the same way for each: the kinds cdbn
/// ships and `ToyLayerSettings`, a kind defined here, which shows that a kind can be added without
/// touching the pipeline (a registry entry is all it takes). Gradients against finite differences
/// are each kind's own tests (ConvRBMTests, PSDTests, DeconvTests): what is differentiated differs.
@Suite struct LayerKindConformanceTests {
  /// One kind, the config entry (without `kind`) of a small layer of it, and a bad entry with the
  /// key its error must name.
  struct Case: CustomTestStringConvertible, Sendable {
    let kind: String
    let entry: String
    let bad: String
    let badKey: String
    var testDescription: String { kind }
  }

  static let kinds = LayerKinds.standard.adding(ToyLayerSettings.self)

  static let cases: [Case] = [
    Case(
      kind: "crbm", entry: "filters: 3, filter: 3, pooling: 2, learning_rate: 0.05",
      bad: "filters: 3, filter: 3, sparsity_target: 2", badKey: "sparsity"),
    Case(
      kind: "psd", entry: "filters: 3, filter: 3, pooling: 2, lcn: false, fista_iterations: 5",
      bad: "filters: 3, filter: 3, encoder: sigmoid", badKey: "encoder"),
    Case(
      kind: "deconv", entry: "filters: 3, filter: 3, continuation_steps: 2, cg_iterations: 2",
      bad: "filters: 3, filter: 3, p: 3", badKey: "p"),
    Case(
      kind: "toy", entry: "filters: 3, filter: 3, rate: 0.1",
      bad: "filters: 3, filter: 3, rate: -1", badKey: "rate"),
  ]

  /// Two layers of the case's kind on TinyRun's 16 examples of 1×12×12.
  static func configText(_ c: Case, dataPath: String) -> String {
    """
    seed: 5
    data: {path: \(dataPath)}
    training: {batch_size: 4, epochs: 2, batches_per_epoch: 2}
    layers:
      - {kind: \(c.kind), \(c.entry)}
      - {kind: \(c.kind), \(c.entry)}
    """
  }

  static func train(_ run: TinyRun, _ c: Case, to name: String, threads: Int, resumeAfter: Int?)
    throws -> ModelCheckpoint
  {
    let before = Parallelism.threads
    Parallelism.threads = threads
    defer { Parallelism.threads = before }
    let config = try PretrainingConfig(yaml: run.configText, file: run.configPath, kinds: kinds)
    let output = run.directory.file(name)
    let pretrainer = Pretrainer(
      config: config, output: output, reporter: ProgressReporter(quiet: true))
    if let resumeAfter {
      try pretrainer.run(stopAfterEpochs: resumeAfter)
      return try pretrainer.run(resume: true)
    }
    return try pretrainer.run()
  }

  /// The checkpoint holds every layer: read back with the same kinds, each layer's filters and the
  /// model's features are the trained ones.
  @Test(arguments: cases) func aTrainedStackRoundTripsThroughItsCheckpoint(_ c: Case) throws {
    let run = try TinyRun { Self.configText(c, dataPath: $0) }
    defer { run.directory.remove() }
    let trained = try Self.train(run, c, to: "m.h5", threads: 2, resumeAfter: nil)
    let read = try ModelCheckpoint.read(from: run.directory.file("m.h5"), kinds: Self.kinds)
    #expect(read.model.layers.map { type(of: $0).kind } == [c.kind, c.kind])
    #expect(read.model.layers.map(\.filters) == trained.model.layers.map(\.filters))
    let batch = run.examples.slice(0..<4)
    #expect(try read.model.features(batch, depth: 2) == trained.model.features(batch, depth: 2))
  }

  /// Stopped after one epoch and resumed, on another thread count, a run ends with the weights of
  /// an uninterrupted one.
  @Test(arguments: cases) func resumingOnAnotherThreadCountGivesTheSameWeights(_ c: Case) throws {
    let run = try TinyRun { Self.configText(c, dataPath: $0) }
    defer { run.directory.remove() }
    let straight = try Self.train(run, c, to: "straight.h5", threads: 1, resumeAfter: nil)
    let pieces = try Self.train(run, c, to: "pieces.h5", threads: 2, resumeAfter: 1)
    #expect(pieces.model.layers.map(\.filters) == straight.model.layers.map(\.filters))
    #expect(pieces.progress?.complete == true)
  }

  /// A setting the kind refuses is an error naming the config file and the key.
  @Test(arguments: cases) func aBadSettingIsAnErrorNamingTheFileAndTheKey(_ c: Case) throws {
    let text = "data: {path: x.h5}\nlayers:\n  - {kind: \(c.kind), \(c.bad)}\n"
    let message = thrownDescription {
      _ = try PretrainingConfig(yaml: text, file: "bad.yaml", kinds: Self.kinds)
    }
    #expect(message.hasPrefix("bad.yaml: ") && message.contains(c.badKey), "\(message)")
  }

  /// Without the toy kind in the list, its config and its checkpoint are refused by name.
  @Test func anUnknownKindIsRefusedInConfigsAndCheckpoints() throws {
    let toy = Self.cases[3]
    let run = try TinyRun { Self.configText(toy, dataPath: $0) }
    defer { run.directory.remove() }
    let config = thrownDescription { _ = try run.config() }
    #expect(config.contains("\"toy\" is not a layer kind") && config.contains("crbm"), "\(config)")
    _ = try Self.train(run, toy, to: "toy.h5", threads: 2, resumeAfter: nil)
    let read = thrownDescription {
      _ = try ModelCheckpoint.read(from: run.directory.file("toy.h5"))
    }
    #expect(read.contains("unknown layer kind \"toy\""), "\(read)")
  }
}

// MARK: - A toy kind, defined entirely here

/// Settings of `kind: toy`: its one key is the learning rate.
struct ToyLayerSettings: LayerSettings {
  static let kind = ToyLayer.kind
  static var layerType: any FeatureLayer.Type { ToyLayer.self }
  static let keys: Set<String> = ["rate"]

  var rate: Float = 0.05

  init(reading r: any LayerSettingsReader, shape: inout LayerShape, position: Int) throws {
    if let v = try r.float("rate") {
      guard v > 0 else { throw r.fail("rate", "must be positive, got \(v)") }
      rate = v
    }
    shape.pooling = [1, 1]
  }

  func outputSize(height: Int, width: Int, shape: LayerShape) -> (height: Int, width: Int)? {
    let f = shape.filterSize
    return f[0] <= height && f[1] <= width ? (height - f[0] + 1, width - f[1] + 1) : nil
  }

  func makeTrainer(
    shape: LayerShape, inputChannels: Int, existing: (any FeatureLayer)?, seed: UInt64,
    start: StartingScale?
  ) throws -> any LayerTrainer {
    let layer =
      try self.existing(existing, as: ToyLayer.self)
      ?? ToyLayer(
        channels: inputChannels, filters: shape.filters, size: shape.filterSize, seed: seed)
    return ToyTrainer(layer: layer, rate: rate)
  }
}

/// Rectified valid correlation, no pooling, written with plain loops.
struct ToyLayer: FeatureLayer {
  static let kind = "toy"
  var weights: Tensor

  init(channels: Int, filters: Int, size: [Int], seed: UInt64) {
    var rng = RandomStream(seed: seed)
    weights = Tensor(zeros: [filters, channels, size[0], size[1]])
    for i in 0..<weights.count { weights.scalars[i] = 0.1 * rng.nextNormal() }
  }

  init(from group: HDF5Group) throws {
    let read = try group.readFloats("weights")
    weights = Tensor(shape: read.shape, scalars: read.values)
  }

  var inputChannels: Int { weights.shape[1] }
  var outputChannels: Int { weights.shape[0] }
  var filters: Tensor { weights }
  var pooling: [Int] { [1, 1] }

  func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
    let (fh, fw) = (weights.shape[2], weights.shape[3])
    return fh <= height && fw <= width ? (height - fh + 1, width - fw + 1) : nil
  }

  func features(_ input: Tensor) throws -> Tensor {
    try validate(input)
    let (n, c, h, w) = input.dims4
    let (k, fh, fw) = (weights.shape[0], weights.shape[2], weights.shape[3])
    var out = Tensor(zeros: [n, k, h - fh + 1, w - fw + 1])
    for e in 0..<n {
      for f in 0..<k {
        for i in 0...(h - fh) {
          for j in 0...(w - fw) {
            var sum: Float = 0
            for ch in 0..<c {
              for a in 0..<fh {
                for b in 0..<fw { sum += weights[f, ch, a, b] * input[e, ch, i + a, j + b] }
              }
            }
            out.scalars[((e * k + f) * (h - fh + 1) + i) * (w - fw + 1) + j] = max(0, sum)
          }
        }
      }
    }
    return out
  }

  func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.writeFloats("weights", shape: weights.shape, weights.scalars)
  }
}

/// The toy's step: each filter's move towards the mean input patch, weighted by its response.
struct ToyGradient: LayerGradient {
  /// The step of every weight, flat.
  var values: [Float]
  var statistics: TrainingStatistics
}

/// Moves each filter towards the mean input patch, weighted by how strongly the filter responds.
final class ToyTrainer: LayerTrainer {
  var layer: ToyLayer
  let rate: Float
  var step = 0

  init(layer: ToyLayer, rate: Float) {
    self.layer = layer
    self.rate = rate
  }

  var currentLayer: any FeatureLayer { layer }

  /// Each example's sums are its own (the default one unit per example); the process's examples
  /// are `share.examples`, and `sumUnits` adds the sums of the whole batch's examples.
  func gradient(of batch: Tensor, share: BatchShare) throws -> ToyGradient {
    let response = try layer.features(batch)
    let (local, c, _, _) = batch.dims4
    let n = share.batchSize
    let (k, ho, wo) = (response.shape[1], response.shape[2], response.shape[3])
    let (fh, fw) = (layer.weights.shape[2], layer.weights.shape[3])
    let stride = layer.weights.count + k
    var sums = [Float](repeating: 0, count: n * stride)
    for e in 0..<local {
      let row = (share.examples.lowerBound + e) * stride
      for f in 0..<k {
        for i in 0..<ho {
          for j in 0..<wo {
            let r = response[e, f, i, j]
            sums[row + layer.weights.count + f] += r
            for ch in 0..<c {
              for a in 0..<fh {
                for b in 0..<fw {
                  let index = ((f * c + ch) * fh + a) * fw + b
                  sums[row + index] += r * (batch[e, ch, i + a, j + b] - layer.weights[f, ch, a, b])
                }
              }
            }
          }
        }
      }
    }
    let total = try share.sumUnits(sums, stride: stride)
    let positions = Float(n * ho * wo)
    let update = total[0..<layer.weights.count].map { $0 * rate / positions }
    return ToyGradient(
      values: update,
      statistics: TrainingStatistics(
        reconstructionError: Double(update.reduce(0) { $0 + $1 * $1 }),
        meanActivation: total[layer.weights.count...].map { $0 / positions }, examples: n))
  }

  func apply(_ gradient: ToyGradient, epoch: Int) throws {
    for i in 0..<gradient.values.count { layer.weights.scalars[i] += gradient.values[i] }
    step += 1
  }

  func finishEpoch(_ epoch: Int) {}

  func saveState(to group: HDF5Group) throws { try group.setAttribute("step", step) }

  func restoreState(from group: HDF5Group) throws { step = try group.intAttribute("step") }
}
