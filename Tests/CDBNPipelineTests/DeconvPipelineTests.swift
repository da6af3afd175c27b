import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// The deconvolutional layers of a checkpoint.
func deconvLayers(_ c: ModelCheckpoint) -> [DeconvLayer] {
  c.model.layers.compactMap { $0 as? DeconvLayer }
}

/// A tiny two-layer deconvolutional config over 12×12 examples: layer 1 unpooled (14×14 signed maps),
/// layer 2 with a random fan-in-2 table and 2×2 max pooling (16×16 maps → 8×8).
func tinyDeconvConfigText(dataPath: String, seed: Int = 7) -> String {
  """
  \(tinyConfigHeader(dataPath: dataPath, seed: seed))
  layers:
    - kind: deconv
      filters: 3
      filter: [3, 3]
      lambda: 5
      continuation_steps: 3
      cg_iterations: 3
      epochs: 2
    - kind: deconv
      filters: 4
      filter: 3
      lambda: 5
      p: 0.8
      continuation_steps: 3
      cg_iterations: 2
      filter_cg_iterations: 1
      connectivity: random
      fan_in: 2
      pooling_function: max
      pooling: 2
      epochs: 3
  """
}

@Suite struct DeconvPipelineTests {
  static let file = "experiments/deconv-test.yaml"

  static func pretrainer(_ run: TinyRun, _ name: String) throws -> Pretrainer {
    let config = try PretrainingConfig(
      yaml: tinyDeconvConfigText(dataPath: run.dataPath), file: Self.file)
    return Pretrainer(
      config: config, output: run.directory.file(name), reporter: ProgressReporter(quiet: true))
  }

  // MARK: - Config

  @Test func deconvConfigParsesEveryKey() throws {
    let c = try PretrainingConfig(yaml: tinyDeconvConfigText(dataPath: "d.h5"), file: Self.file)
    try #require(c.layers.count == 2)
    let (a, b) = (c.layers[0], c.layers[1])
    #expect(a.kind == "deconv" && b.kind == "deconv")
    let (da, db) = (
      try #require(a.settings(as: DeconvLayerSettings.self)),
      try #require(b.settings(as: DeconvLayerSettings.self))
    )
    #expect(a.filters == 3 && a.filterSize == [3, 3] && a.pooling == [1, 1])
    #expect(da.poolingFunction == .none && da.fanIn == nil && da.filterIterations == 2)
    #expect(da.inference.lambda == 5 && da.inference.p == 1)
    #expect(da.inference.continuationSteps == 3 && da.inference.cgIterations == 3)
    #expect(da.inference.betaStart == 1 && da.inference.betaGrowth == 10)
    #expect(b.pooling == [2, 2] && db.poolingFunction == .max && db.fanIn == 2)
    #expect(db.inference.p == 0.8 && db.filterIterations == 1 && db.inference.cgIterations == 2)
    #expect(b.schedule.epochs == 3 && b.schedule.batchSize == 4)
    // A pooling block alone means max pooling; max alone means 2×2.
    let pooled = try PretrainingConfig(
      yaml:
        "data: {path: d.h5}\nlayers:\n  - {kind: deconv, filters: 2, filter: 3, pooling: [1, 3]}\n  - {kind: deconv, filters: 2, filter: 3, pooling_function: average}\n",
      file: Self.file)
    #expect(
      pooled.layers[0].pooling == [1, 3]
        && pooled.layers[0].settings(as: DeconvLayerSettings.self)?.poolingFunction == .max)
    #expect(pooled.layers[1].pooling == [2, 2])
    #expect(pooled.layers[1].settings(as: DeconvLayerSettings.self)?.poolingFunction == .average)
  }

  /// Deconv layers grow their input (maps are H+fh−1), so a filter the crbm rule would refuse fits.
  @Test func shapeChecksUseTheDeconvOutputRule() throws {
    let base =
      "data: {path: d.h5, patch: [12, 12]}\nlayers:\n  - {kind: deconv, filters: 2, filter: 3}\n"
    let fits = try PretrainingConfig(
      yaml: base + "  - {kind: deconv, filters: 2, filter: 14}\n", file: Self.file)
    #expect(fits.layers.count == 2)
    let text = thrownDescription {
      _ = try PretrainingConfig(
        yaml: base + "  - {kind: deconv, filters: 2, filter: 15}\n", file: Self.file)
    }
    #expect(text.contains("layers[1]") && text.contains("14×14"), "\(text)")
  }

  static let badConfigs: [(String, [String])] = [
    ("lambda: -1", ["lambda"]),
    ("lambda: 0", ["lambda"]),
    ("p: 0", ["p must be in (0, 1]"]),
    ("p: 1.5", ["p must be in (0, 1]"]),
    ("beta_growth: 0.5", ["beta_growth"]),
    ("cg_iterations: 0", ["cg_iterations"]),
    ("filter_cg_iterations: 0", ["filter_cg_iterations"]),
    ("pooling_function: median", ["pooling_function", "median"]),
    ("pooling_function: none, pooling: 2", ["pooling"]),
    ("connectivity: sparse", ["connectivity", "sparse"]),
    ("connectivity: random", ["fan_in"]),
    ("fan_in: 2", ["fan_in", "random"]),
    ("connectivity: random, fan_in: 5", ["fan_in 5", "layers[0]"]),
    ("learning_rate: 0.1", ["learning_rate"]),
    ("filter: 13", ["filter", "patch"]),
    ("lambda: big", ["lambda"]),
    ("solver: admm", ["solver", "admm"]),
    ("solver: fista, p: 0.8", ["solver fista", "p 0.8"]),
    ("solver: fista, fista_iterations: 0", ["fista_iterations"]),
  ]

  @Test func badDeconvConfigsAreRefusedNamingTheFileAndTheKey() throws {
    for (keys, mentions) in Self.badConfigs {
      let filter = keys.hasPrefix("filter:") ? "" : "filter: 3, "
      let yaml = """
        data: {path: d.h5, patch: [12, 12]}
        layers:
          - {kind: crbm, filters: 4, filter: 3}
          - {kind: deconv, filters: 2, \(filter)\(keys)}
        """
      do {
        _ = try PretrainingConfig(yaml: yaml, file: Self.file)
        Issue.record("\(keys): parsed without error")
      } catch let error as PipelineError {
        #expect(error.path == Self.file, "\(keys): \(error)")
        for word in mentions {
          #expect("\(error)".contains(word), "\(keys): no \"\(word)\" in \(error)")
        }
      }
    }
  }

  /// The first layer's input channels are known only from the data: its fan-in is checked then.
  @Test func aFirstLayerFanInBeyondTheInputChannelsIsATypedError() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let yaml = """
      data: {path: \(run.dataPath)}
      layers: [{kind: deconv, filters: 2, filter: 3, connectivity: random, fan_in: 2}]
      """
    let config = try PretrainingConfig(yaml: yaml, file: Self.file)
    let out = run.directory.file("m.h5")
    let text = thrownDescription {
      try Pretrainer(config: config, output: out, reporter: ProgressReporter(quiet: true)).run()
    }
    #expect(text.contains(run.dataPath) && text.contains("fan_in"), "\(text)")
    #expect(!fileExists(out))
  }

  // MARK: - Pretraining, checkpoints, resume

  @Test func checkpointRoundTripsAndResumingGivesTheSameFilters() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let straight = try Self.pretrainer(run, "straight.h5").run()
    #expect(straight.progress?.complete == true)
    let read = try ModelCheckpoint.read(from: run.directory.file("straight.h5"))
    let layers = deconvLayers(read)
    try #require(layers.count == 2)
    #expect(layers == deconvLayers(straight))
    #expect(layers[0].filters.shape == [3, 1, 3, 3])
    #expect(layers[1].filters.shape == [4, 3, 3, 3])
    #expect(layers[1].connectivity.fanIn == 2)
    #expect(layers[1].poolingFunction == .max && layers[1].pooling == [2, 2])
    #expect(layers[1].inference.p == 0.8)
    #expect(read.history.map(\.epochs) == [2, 3])
    #expect(read.history.allSatisfy { $0.sigma.allSatisfy { $0 == 1 } })
    #expect(read.history[0].reconstructionError.allSatisfy { $0.isFinite && $0 > 0 })
    #expect(read.progress?.step == 6)
    // 12×12 → 14×14 maps (unpooled) → 16×16 maps pooled 2×2.
    #expect(read.model.outputShape(depth: 2, input: [1, 12, 12]) == [4, 8, 8])
    let initial = try DeconvLayer(
      channels: 1, maps: 3, filterHeight: 3, filterWidth: 3, seed: 7 &+ 1 &* 0x9E37_79B9_7F4A_7C15)
    #expect(layers[0].filters != initial.filters)

    // Stop after one epoch, then one epoch into layer 2, then finish: the same filters.
    try Self.pretrainer(run, "pieces.h5").run(stopAfterEpochs: 1)
    try Self.pretrainer(run, "pieces.h5").run(resume: true, stopAfterEpochs: 2)
    let partial = try ModelCheckpoint.read(from: run.directory.file("pieces.h5"))
    expectProgress(partial.progress, layer: 1, epoch: 1, step: 2, seed: 7, complete: false)
    let resumed = try Self.pretrainer(run, "pieces.h5").run(resume: true)
    #expect(deconvLayers(resumed) == deconvLayers(straight))
    let file = try ModelCheckpoint.read(from: run.directory.file("pieces.h5"))
    #expect(deconvLayers(file) == deconvLayers(straight))
    #expect(file.history.map(\.reconstructionError) == read.history.map(\.reconstructionError))
    #expect(file.history.map(\.meanActivation) == read.history.map(\.meanActivation))
    #expect(file.progress == read.progress)
  }

  // MARK: - Pictures

  /// `cdbn visualize` draws a layer-2 basis as the top-down projection of a single 1 in a layer-2
  /// map: reconstructed through layer 2's filters, then through layer 1's.
  @Test func basisPicturesAreTheTopDownProjectionOfASingleUnit() throws {
    let l1 = try DeconvLayer(channels: 1, maps: 3, filterHeight: 3, filterWidth: 2, seed: 1)
    let table = try ConnectivityTable.random(maps: 4, channels: 3, fanIn: 2, seed: 2)
    let l2 = try DeconvLayer(
      channels: 3, maps: 4, filterHeight: 2, filterWidth: 3, connectivity: table, seed: 3)
    let model = ConvolutionalDBN(layers: [l1, l2])
    let bases = try BasisPictures.bases(of: model, depth: 2)
    #expect(bases.shape == [4, 1, 4, 4])
    // Input 8×8: layer-1 maps 10×9, layer-2 maps 11×11.
    for k in 0..<4 {
      var unit = Tensor(zeros: [1, 4, 11, 11])
      unit[0, k, 6, 5] = 1
      let pixels = l1.reconstruct(l2.reconstruct(unit))
      #expect(pixels.shape == [1, 1, 8, 8])
      // The atom lands with its top-left corner at (6 − (2−1) − (3−1), 5 − (3−1) − (2−1)) = (3, 2).
      for i in 0..<8 {
        for j in 0..<8 {
          let inside = (3..<7).contains(i) && (2..<6).contains(j)
          let expected = inside ? bases[k, 0, i - 3, j - 2] : 0
          #expect(abs(pixels[0, 0, i, j] - expected) < 1e-5, "basis \(k) pixel (\(i), \(j))")
        }
      }
    }
  }

  // MARK: - Command line

  @Test func pretrainFeaturesVisualizeAndInspectADeconvModel() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let dir = run.directory
    let configPath = dir.file("deconv.yaml")
    try tinyDeconvConfigText(dataPath: run.dataPath).write(
      toFile: configPath, atomically: true, encoding: .utf8)
    let model = dir.file("m.h5")
    let pretrain = try CLITests.cdbn(
      ["pretrain", configPath, "--out", model, "--threads", "2", "--quiet"], in: dir)
    try #require(pretrain.status == 0, "pretrain: \(CLITests.describe(pretrain))")
    let checkpoint = try ModelCheckpoint.read(from: model)
    #expect(deconvLayers(checkpoint).count == 2)

    let featuresPath = dir.file("f.h5")
    let features = try CLITests.cdbn(
      [
        "features", "--model", model, "--layer", "2", "--data", run.dataPath, "--out", featuresPath,
      ],
      in: dir)
    try #require(features.status == 0, "features: \(CLITests.describe(features))")
    let file = try HDF5File(path: featuresPath, mode: .readOnly)
    let f = try file.root.readFloats("features")
    file.close()
    #expect(f.shape == [16, 4, 8, 8])
    let direct = try checkpoint.model.features(run.examples, depth: 2)
    #expect(maxDifference(f.values, direct.scalars) <= 1e-6)
    #expect(f.values.allSatisfy { $0 >= 0 })  // max pooling of |z|

    for layer in ["1", "2"] {
      let png = dir.file("layer\(layer).png")
      let visualize = try CLITests.cdbn(
        ["visualize", "--model", model, "--layer", layer, "--out", png], in: dir)
      try #require(visualize.status == 0, "visualize: \(CLITests.describe(visualize))")
      #expect(Array(try bytes(png).prefix(8)) == pngMagic)
    }

    let inspect = try CLITests.cdbn(["inspect", model], in: dir)
    try #require(inspect.status == 0, "inspect: \(CLITests.describe(inspect))")
    for fragment in [
      "layer 1 (/layers/0): deconv, 3 bases of 1×3×3", "pooling function none", "lambda 5",
      "layer 2 (/layers/1): deconv, 4 bases of 3×3×3", "pooling function max", "p 0.8",
      "random, fan-in 2", "training: complete",
    ] {
      #expect(inspect.stdout.contains(fragment), "no \"\(fragment)\" in \(inspect.stdout)")
    }

    // The schema as Python sees it.
    if SystemPython.hasH5py {
      let r = try SystemPython.run(
        """
        import sys, h5py
        g = h5py.File(sys.argv[1], "r")["layers/1"]
        print(g.attrs["kind"], g.attrs["pooling_function"], list(g.attrs["pooling"]),
              g["filters"].shape, g["filters"].dtype, g["connectivity"].shape,
              int(g["connectivity"][...].sum()))
        """, arguments: [model])
      #expect(r.status == 0, "\(r.output)")
      #expect(r.output.contains("deconv max [2, 2] (4, 3, 3, 3) float32 (4, 3) 8"), "\(r.output)")
    }
  }
}
