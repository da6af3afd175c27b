import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// The ConvRBM layers of a checkpoint (every layer the pipeline trains is one).
func rbms(_ c: ModelCheckpoint) -> [ConvRBM] { c.model.layers.compactMap { $0 as? ConvRBM } }

func expectProgress(
  _ p: TrainingProgress?, layer: Int, epoch: Int, step: Int, seed: UInt64, complete: Bool,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let p else {
    Issue.record("no training progress", sourceLocation: sourceLocation)
    return
  }
  #expect(
    [p.layer, p.epoch, p.step] == [layer, epoch, step] && p.seed == seed && p.complete == complete,
    "progress is \(p)", sourceLocation: sourceLocation)
}

@Suite struct PretrainerTests {
  @Test func checkpointRoundTrip() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let out = run.directory.file("model.h5")
    let trained = try run.pretrainer(output: out).run()
    #expect(trained.model.layers.count == 2)
    #expect(trained.progress?.complete == true)

    let read = try ModelCheckpoint.read(from: out)
    let a = rbms(trained)
    let b = rbms(read)
    try #require(a.count == 2 && b.count == 2)
    #expect(a[0] == b[0])
    #expect(a[1] == b[1])
    // The layers have really been trained: not the seeded initial weights.
    let initial = try ConvRBM(
      visible: .gaussian, channels: 1, filters: 4, filterHeight: 3, filterWidth: 3, poolHeight: 2,
      poolWidth: 2,
      sigma: 0.5, seed: 7 &+ 1 &* 0x9E37_79B9_7F4A_7C15)
    #expect(b[0].weights != initial.weights)
    #expect(b[0].visible == .gaussian)
    #expect(b[1].visible == .binary)
    #expect(b[0].weights.shape == [4, 1, 3, 3])
    #expect(b[1].weights.shape == [4, 4, 3, 3])
    #expect(b[0].pooling == [2, 2])
    // σ decays once per epoch: 0.5 · 0.9², above sigma_min.
    #expect(abs(b[0].sigma - 0.5 * 0.9 * 0.9) < 1e-6)

    #expect(read.model.preprocessing == trained.model.preprocessing)
    #expect(read.model.preprocessing.kind == "unit-variance")
    #expect(read.config == run.configText)
    #expect(read.history.count == 2)
    #expect(read.history.map(\.epochs) == [2, 3])
    #expect(read.history == trained.history)
    #expect(read.history[0].meanActivation.allSatisfy { $0.count == 4 })
    #expect(read.history[0].reconstructionError.allSatisfy { $0.isFinite && $0 >= 0 })
    let progress = try #require(read.progress)
    #expect(progress.complete)
    #expect(progress.layer == 1)
    #expect(progress.seed == 7)
    #expect(progress == trained.progress)
    // 3 epochs of 2 updates in the last layer.
    #expect(progress.step == 6)
  }

  /// A checkpoint whose /training was edited by hand to a place the run cannot have reached is an
  /// error naming the file, not a trap (layer 7 of 2 and epoch −3 trapped before).
  @Test(arguments: [("layer", 6), ("epoch", -3), ("epoch", 99), ("step", -1)])
  func anImpossibleTrainingStateIsAnErrorOnResume(attribute: String, value: Int) throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let path = run.directory.file("edited.h5")
    try run.pretrainer(output: path).run(stopAfterEpochs: 1)
    do {
      let file = try HDF5File(path: path, mode: .readWrite)
      defer { file.close() }
      try file.root.openGroup("training").setAttribute(attribute, value)
    }
    let message = thrownDescription { try run.pretrainer(output: path).run(resume: true) }
    #expect(message.hasPrefix(path) && message.contains("/training"), "\(message)")
  }

  /// A run that diverges says whether a checkpoint of it exists and how to go on: with one, resume
  /// it with lower learning rates; without, lower the config's and run again.
  @Test(arguments: [1, 2]) func aDivergingLayerSaysWhatWasSaved(layer: Int) throws {
    let wild = "{filters: 3, filter: 3, visible: gaussian, learning_rate: 100000, epochs: 2}"
    let calm = "{filters: 3, filter: 3, visible: gaussian, epochs: 1}"
    let run = try TinyRun { path in
      "data: {path: \(path)}\ntraining: {batch_size: 4, batches_per_epoch: 2}\nlayers:\n  - \(layer == 1 ? wild : calm)\n"
        + (layer == 2 ? "  - \(wild)\n" : "")
    }
    defer { run.directory.remove() }
    let path = run.directory.file("wild.h5")
    let message = thrownDescription { try run.pretrainer(output: path).run() }
    #expect(message.contains("diverged"), "\(message)")
    if layer == 1 {
      #expect(message.contains("no checkpoint of this run was written yet"), "\(message)")
      #expect(message.contains("--force"), "\(message)")
      #expect(!fileExists(path))
    } else {
      #expect(
        message.contains("keeps the last checkpoint (layer 2, 0 epoch(s) done)"), "\(message)")
      #expect(message.contains("--resume --learning-rate-scale"), "\(message)")
      #expect(try ModelCheckpoint.read(from: path).model.layers.count == 1)
      // As the message says: the same config, resumed with lower rates, finishes.
      let resumed = try run.pretrainer(output: path)
      resumed.learningRateScale = 1e-6
      #expect(try resumed.run(resume: true).progress?.complete == true)
    }
  }

  /// Examples too large for the memory a batch may use are refused before anything is allocated
  /// or written, by pretrain and by features.
  @Test func batchesBeyondTheMemoryBudgetAreRefusedUpFront() throws {
    // 12×12 examples, 3 filters 3×3 (10×10 detection maps), batches of 4: 4 · (144 + 4 · 300) floats.
    let layer = BatchMemory.Layer(filters: 3, pooling: [2, 2]) { h, w in
      ((h - 3 + 2) / 2, (w - 3 + 2) / 2)
    }
    #expect(BatchMemory.bytes(example: [1, 12, 12], batch: 4, layers: [layer]) == 4 * 1344 * 4)

    let run = try TinyRun()
    defer { run.directory.remove() }
    let path = run.directory.file("big.h5")
    var pretrainer = try run.pretrainer(output: path)
    pretrainer.memoryBudget = 4096
    let message = thrownDescription { try pretrainer.run() }
    #expect(message.hasPrefix(run.dataPath) && message.contains("batch_size"), "\(message)")
    #expect(!fileExists(path))

    pretrainer = try run.pretrainer(output: path)
    try pretrainer.run()
    var extractor = try FeatureExtractor(modelPath: path, depth: 2)
    extractor.memoryBudget = 4096
    let out = run.directory.file("features.h5")
    let refused = thrownDescription { try extractor.run(dataPath: run.dataPath, outputPath: out) }
    #expect(refused.hasPrefix(run.dataPath) && refused.contains("--batch-size"), "\(refused)")
    #expect(!fileExists(out))
  }

  /// While one run writes a model, a second run to the same file is refused.
  @Test func aSecondRunToTheSameOutputIsRefused() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let path = run.directory.file("shared.h5")
    let held = try OutputLock(for: path)
    let message = thrownDescription { try run.pretrainer(output: path).run() }
    #expect(message.hasPrefix(path) && message.contains("another cdbn process"), "\(message)")
    #expect(!fileExists(path))
    withExtendedLifetime(held) {}
  }

  @Test func resumingGivesTheSameWeightsAsAnUninterruptedRun() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let straight = run.directory.file("straight.h5")
    let pieces = run.directory.file("pieces.h5")
    let a = try run.pretrainer(output: straight).run()

    // Stop after one epoch of layer 1.
    try run.pretrainer(output: pieces).run(stopAfterEpochs: 1)
    var partial = try ModelCheckpoint.read(from: pieces)
    expectProgress(partial.progress, layer: 0, epoch: 1, step: 2, seed: 7, complete: false)
    #expect(partial.model.layers.count == 1)
    #expect(partial.history.map(\.epochs) == [1])

    // Resume, finish layer 1 and stop in the middle of layer 2 (after its first epoch).
    try run.pretrainer(output: pieces).run(resume: true, stopAfterEpochs: 2)
    partial = try ModelCheckpoint.read(from: pieces)
    #expect(partial.progress?.layer == 1)
    #expect(partial.progress?.epoch == 1)
    #expect(partial.progress?.complete == false)
    #expect(partial.model.layers.count == 2)
    #expect(partial.history.map(\.epochs) == [2, 1])
    // Layer 1 is already final.
    #expect(rbms(partial)[0] == rbms(a)[0])

    // Resume to the end with a fresh Pretrainer.
    let b = try run.pretrainer(output: pieces).run(resume: true)
    #expect(b.progress?.complete == true)
    let fromFile = try ModelCheckpoint.read(from: pieces)
    let (ra, rb, rf) = (rbms(a), rbms(b), rbms(fromFile))
    try #require(ra.count == 2 && rb.count == 2 && rf.count == 2)
    for i in 0..<2 {
      #expect(ra[i] == rb[i], "layer \(i + 1) differs after resuming")
      #expect(ra[i] == rf[i], "layer \(i + 1) in the resumed file differs")
      #expect(ra[i].weights.scalars == rf[i].weights.scalars)
    }
    #expect(fromFile.history.map(\.reconstructionError) == a.history.map(\.reconstructionError))
    #expect(fromFile.history.map(\.meanActivation) == a.history.map(\.meanActivation))
    #expect(fromFile.history.map(\.sigma) == a.history.map(\.sigma))
    #expect(fromFile.progress == a.progress)

    // Resuming a complete run changes nothing.
    let before = try bytes(pieces)
    let again = try run.pretrainer(output: pieces).run(resume: true)
    #expect(rbms(again) == rbms(a))
    #expect(try bytes(pieces) == before)
  }

  @Test func stoppingAtTheLayerBoundaryAndResumingMatchesToo() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let straight = run.directory.file("straight.h5")
    let pieces = run.directory.file("pieces.h5")
    let a = try run.pretrainer(output: straight).run()
    // Layer 1 has 2 epochs: stop exactly when it is done, then one epoch into layer 2 and so on.
    try run.pretrainer(output: pieces).run(stopAfterEpochs: 2)
    let boundary = try ModelCheckpoint.read(from: pieces)
    expectProgress(boundary.progress, layer: 1, epoch: 0, step: 4, seed: 7, complete: false)
    for _ in 0..<3 { try run.pretrainer(output: pieces).run(resume: true, stopAfterEpochs: 1) }
    let b = try ModelCheckpoint.read(from: pieces)
    #expect(b.progress?.complete == true)
    #expect(rbms(b) == rbms(a))
  }

  @Test func resumingEpochByEpochWithPatchCropsMatchesToo() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    // Random 10×9 crops instead of whole examples.
    let text = run.configText.replacingOccurrences(
      of: "  path: \(run.dataPath)\n", with: "  path: \(run.dataPath)\n  patch: [10, 9]\n")
    let config = try PretrainingConfig(yaml: text, file: "patches.yaml")
    #expect(config.data.patch == [10, 9])
    func pretrainer(_ name: String) -> Pretrainer {
      Pretrainer(
        config: config, output: run.directory.file(name), reporter: ProgressReporter(quiet: true))
    }
    let a = try pretrainer("straight.h5").run()
    // 2 + 3 epochs: five runs of one epoch each.
    for _ in 0..<5 { try pretrainer("pieces.h5").run(resume: true, stopAfterEpochs: 1) }
    let b = try ModelCheckpoint.read(from: run.directory.file("pieces.h5"))
    #expect(b.progress?.complete == true)
    #expect(rbms(b) == rbms(a))
    // Whole examples and crops give different models.
    let whole = try run.pretrainer(output: run.directory.file("whole.h5")).run()
    #expect(rbms(whole) != rbms(a))
  }

  @Test func anExistingOutputIsNotOverwrittenWithoutResume() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let out = run.directory.file("model.h5")
    try run.pretrainer(output: out).run(stopAfterEpochs: 1)
    let before = try bytes(out)
    let text = thrownDescription { try run.pretrainer(output: out).run() }
    #expect(text.contains(out), "\(text)")
    #expect(text.contains("resume"), "\(text)")
    #expect(try bytes(out) == before)

    // Even a file that is not a model at all is refused and left alone.
    let other = run.directory.file("notes.h5")
    try "keep me".write(toFile: other, atomically: true, encoding: .utf8)
    _ = thrownDescription { try run.pretrainer(output: other).run() }
    #expect(try String(contentsOfFile: other, encoding: .utf8) == "keep me")
  }

  @Test func resumingWithADifferentConfigIsAnError() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let out = run.directory.file("model.h5")
    try run.pretrainer(output: out).run(stopAfterEpochs: 1)
    let before = try bytes(out)
    // Another seed: more than the epochs and layers a resume may extend (CLITests checks those).
    let changed = tinyConfigText(dataPath: run.dataPath, seed: 8)
    let config = try PretrainingConfig(yaml: changed, file: "changed.yaml")
    let text = thrownDescription {
      try Pretrainer(config: config, output: out, reporter: ProgressReporter(quiet: true)).run(
        resume: true)
    }
    #expect(text.contains(out), "\(text)")
    #expect(text.contains("different config"), "\(text)")
    #expect(try bytes(out) == before)
  }

  @Test func runsWithTheSameSeedAreIdentical() throws {
    // The config's seed fixes everything; two runs must agree bit for bit.
    let run = try TinyRun()
    defer { run.directory.remove() }
    let a = try run.pretrainer(output: run.directory.file("a.h5")).run()
    let b = try run.pretrainer(output: run.directory.file("b.h5")).run()
    #expect(rbms(a) == rbms(b))
  }

  @Test func aDifferentSeedGivesDifferentWeights() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let a = try run.pretrainer(output: run.directory.file("a.h5")).run()
    var config = try run.config()
    config.seed = 8
    let b = try Pretrainer(
      config: config, output: run.directory.file("b.h5"), reporter: ProgressReporter(quiet: true)
    )
    .run()
    #expect(rbms(a)[0] != rbms(b)[0])
    #expect(b.progress?.seed == 8)
  }

  @Test func mnistWithALimitTrains() throws {
    let mnist = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Data/mnist/t10k-images-idx3-ubyte.gz")
      .path
    try #require(fileExists(mnist), "MNIST test images not found at \(mnist)")
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let yaml = """
      seed: 3
      data: {path: \(mnist), limit: 40}
      training: {batch_size: 10, epochs: 1, batches_per_epoch: 2}
      layers:
        - {filters: 4, filter: [5, 5], pooling: 2, learning_rate: 0.05, sparsity_target: 0.05}
        - {filters: 4, filter: [3, 3], pooling: 2, learning_rate: 0.05, sparsity_target: 0.05}
      """
    let out = directory.file("mnist.h5")
    let config = try PretrainingConfig(yaml: yaml, file: "mnist.yaml")
    let c = try Pretrainer(config: config, output: out, reporter: ProgressReporter(quiet: true))
      .run()
    #expect(c.progress?.complete == true)
    let read = try ModelCheckpoint.read(from: out)
    #expect(rbms(read) == rbms(c))
    #expect(rbms(read).map(\.weights.shape) == [[4, 1, 5, 5], [4, 4, 3, 3]])
  }
}

@Suite struct PatchesOfPicturesOfManySizesTests {
  static func folder(_ sizes: [(Int, Int)], in directory: TemporaryDirectory) throws -> String {
    let root = directory.file("pictures")
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    for (i, (h, w)) in sizes.enumerated() {
      try PNGWriter.write(
        gray: (0..<(h * w)).map { UInt8(($0 * 31 + i * 7) % 256) }, width: w, height: h,
        to: root + "/\(i).png")
    }
    return root
  }

  static func config(_ path: String) throws -> PretrainingConfig {
    let text = """
      seed: 3
      data: {path: \(path), patch: [12, 12]}
      training: {batch_size: 2, batches_per_epoch: 2}
      layers:
        - {kind: crbm, visible: gaussian, filters: 2, filter: [3, 3], pooling: 2, epochs: 1}
      """
    return try PretrainingConfig(yaml: text, file: "patches.yaml")
  }

  @Test func picturesSmallerThanThePatchAreLeftOut() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    // Two pictures hold the 12×12 patch; a wide strip (8 rows) and a small one do not.
    let root = try Self.folder([(20, 16), (8, 30), (12, 12), (5, 5)], in: directory)
    let out = directory.file("model.h5")
    let model = try Pretrainer(
      config: Self.config(root), output: out, reporter: ProgressReporter(quiet: true)
    ).run()
    #expect(model.model.layers.count == 1)
  }

  @Test func noPictureHoldingThePatchIsAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let root = try Self.folder([(8, 30), (5, 5)], in: directory)
    let out = directory.file("model.h5")
    let text = thrownDescription {
      try Pretrainer(
        config: Self.config(root), output: out, reporter: ProgressReporter(quiet: true)
      ).run()
    }
    #expect(text.contains(root) && text.contains("data.patch"), "\(text)")
    #expect(text.contains("8×30"), "\(text)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
