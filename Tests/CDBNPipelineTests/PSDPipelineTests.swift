import CDBNModels
import CDBNPipeline
import CDBNStorage
import Foundation
import Testing

/// A tiny two-layer PSD config over `dataPath` (12×12 examples): a tanh-encoder layer with LCN whose
/// features are the encoder's, then a shrink-encoder layer whose features are FISTA's codes. With
/// `crbmFirst`, layer 1 is a CRBM instead: the stack mixes kinds.
func tinyPSDConfigText(dataPath: String, crbmFirst: Bool = false) -> String {
  let first =
    crbmFirst
    ? """
      - kind: crbm
        visible: gaussian
        filters: 4
        filter: [3, 3]
        pooling: 2
        learning_rate: 0.02
        sparsity_target: 0.05
        epochs: 2
    """
    : """
      - kind: psd
        filters: 4
        filter: [3, 3]
        pooling: 2
        lambda: 0.2
        beta: 1
        lcn_size: 3
        lcn_sigma: 1
        fista_iterations: 20
        dictionary_learning_rate: 0.1
        encoder_learning_rate: 0.05
        epochs: 2
    """
  return """
    \(tinyConfigHeader(dataPath: dataPath))
    layers:
    \(first)
      - kind: psd
        filters: 3
        filter: [2, 2]
        pooling: 2
        lambda: 0.1
        encoder: shrink
        features: codes
        rectify: false
        lcn: false
        fista_iterations: 15
        epochs: 3
    """
}

/// A `TinyRun` over `tinyPSDConfigText`.
func tinyPSDRun(crbmFirst: Bool = false) throws -> TinyRun {
  try TinyRun { tinyPSDConfigText(dataPath: $0, crbmFirst: crbmFirst) }
}

func psdLayers(_ c: ModelCheckpoint) -> [PSDLayer] { c.model.layers.compactMap { $0 as? PSDLayer } }

@Suite struct PSDPipelineTests {
  static let file = "experiments/psd.yaml"
  static let base = "data:\n  path: data.h5\n  patch: [12, 12]\n"

  @Test func psdLayerKeysParse() throws {
    let yaml = """
      \(Self.base)layers:
        - kind: psd
          filters: 6
          filter: [5, 4]
          pooling: [2, 3]
          lambda: 0.3
          beta: 2
          encoder: shrink
          features: codes
          rectify: false
          lcn_size: 5
          lcn_sigma: 1.5
          fista_iterations: 70
          fista_tolerance: 0.001
          dictionary_learning_rate: 0.02
          encoder_learning_rate: 0.03
          learning_rate_decay: 0.9
          divergence_factor: 100
          epochs: 4
        - {kind: psd, filters: 2, filter: 2, lcn: false}
      """
    let c = try PretrainingConfig(yaml: yaml, file: Self.file)
    let l = c.layers[0]
    #expect(l.kind == "psd" && l.filters == 6 && l.filterSize == [5, 4] && l.pooling == [2, 3])
    #expect(l.schedule.epochs == 4)
    let psd = try #require(l.settings(as: PSDLayerSettings.self))
    #expect(psd.settings.sparsity == 0.3 && psd.settings.predictionWeight == 2)
    #expect(psd.settings.encoder == .shrink && psd.settings.features == .codes)
    #expect(psd.settings.fistaIterations == 70 && psd.settings.fistaTolerance == 0.001)
    #expect(psd.stage == FeatureStage(rectify: false, contrast: (5, 1.5), pooling: [2, 3]))
    #expect(psd.training.dictionaryLearningRate == 0.02 && psd.training.encoderLearningRate == 0.03)
    #expect(psd.training.learningRateDecay == 0.9 && psd.training.divergenceFactor == 100)
    // Defaults.
    let second = try #require(c.layers[1].settings(as: PSDLayerSettings.self))
    #expect(second.settings == PSDSettings())
    #expect(second.stage == FeatureStage(rectify: true, contrast: nil, pooling: [2, 2]))
    #expect(second.training == PSDTraining())
    #expect(c.layers[1].filterSize == [2, 2])
  }

  static let badConfigs: [(yaml: String, mentions: [String])] = [
    ("{kind: psd, filters: 4, filter: 3, lambda: -0.1}", ["lambda"]),
    ("{kind: psd, filters: 4, filter: 3, beta: -2}", ["beta"]),
    ("{kind: psd, filters: 4, filter: 3, encoder: sigmoid}", ["encoder", "sigmoid"]),
    ("{kind: psd, filters: 4, filter: 3, features: both}", ["features", "both"]),
    ("{kind: psd, filters: 4, filter: 3, lcn_size: 4}", ["lcn_size"]),
    ("{kind: psd, filters: 4, filter: 3, fista_iterations: 0}", ["fista_iterations"]),
    ("{kind: psd, filters: 4, filter: 3, encoder_learning_rate: -1}", ["encoder_learning_rate"]),
    ("{kind: psd, filters: 4, filter: 3, sigma: 0.2}", ["sigma"]),
    ("{kind: psd, filters: 4, filter: 3, rectify: maybe}", ["rectify"]),
    ("{kind: psd, filters: 4, filter: [13, 3]}", ["filter", "patch"]),
    (
      "{kind: psd, filters: 4, filter: 3}\n  - {kind: psd, filters: 4, filter: 6}",
      ["layers[1]", "filter"]
    ),
  ]

  @Test func badPSDConfigsAreRefusedNamingTheFileAndTheKey() {
    for bad in Self.badConfigs {
      let yaml = "\(Self.base)layers:\n  - \(bad.yaml)\n"
      do {
        _ = try PretrainingConfig(yaml: yaml, file: Self.file)
        Issue.record("parsed without error: \(bad.yaml)")
      } catch let error as PipelineError {
        #expect(error.path == Self.file, "\(error)")
        for word in bad.mentions {
          #expect("\(error)".contains(word), "error does not mention \"\(word)\": \(error)")
        }
      } catch {
        Issue.record("threw \(type(of: error)), not PipelineError: \(error)")
      }
    }
  }

  @Test(arguments: [false, true])
  func psdStacksCheckpointAndResumeExactly(_ crbmFirst: Bool) throws {
    let run = try tinyPSDRun(crbmFirst: crbmFirst)
    defer { run.directory.remove() }
    let straight = try run.pretrainer(output: run.directory.file("straight.h5")).run()
    #expect(straight.progress?.complete == true)
    #expect(straight.model.layers.map { type(of: $0).kind } == [crbmFirst ? "crbm" : "psd", "psd"])
    // 12×12 → codes 10×10 → pooled 5×5 → codes 4×4 → pooled 2×2.
    #expect(straight.model.outputShape(depth: 2, input: [1, 12, 12]) == [3, 2, 2])
    #expect(straight.history.map(\.epochs) == [2, 3])

    let pieces = run.directory.file("pieces.h5")
    try run.pretrainer(output: pieces).run(stopAfterEpochs: 1)
    try run.pretrainer(output: pieces).run(resume: true, stopAfterEpochs: 2)
    let partial = try ModelCheckpoint.read(from: pieces)
    #expect(partial.progress?.layer == 1 && partial.progress?.epoch == 1)
    try run.pretrainer(output: pieces).run(resume: true)
    let resumed = try ModelCheckpoint.read(from: pieces)
    #expect(resumed.progress == straight.progress)
    #expect(psdLayers(resumed) == psdLayers(straight))
    #expect(rbms(resumed) == rbms(straight))
    #expect(
      resumed.history.map(\.reconstructionError) == straight.history.map(\.reconstructionError))
    #expect(
      try resumed.model.features(run.examples, depth: 2)
        == straight.model.features(run.examples, depth: 2))
  }

  @Test func psdModelThroughTheCommandLine() throws {
    let run = try tinyPSDRun()
    defer { run.directory.remove() }
    let dir = run.directory
    let model = dir.file("psd.h5")
    let pretrain = try CLITests.cdbn(
      ["pretrain", run.configPath, "--out", model, "--quiet"], in: dir)
    try #require(pretrain.status == 0, "pretrain: \(CLITests.describe(pretrain))")
    let checkpoint = try ModelCheckpoint.read(from: model)
    #expect(psdLayers(checkpoint).count == 2)

    for layer in ["1", "2"] {
      let out = dir.file("f\(layer).h5")
      let features = try CLITests.cdbn(
        ["features", "--model", model, "--layer", layer, "--data", run.dataPath, "--out", out],
        in: dir)
      try #require(features.status == 0, "features: \(CLITests.describe(features))")
      let file = try HDF5File(path: out, mode: .readOnly)
      defer { file.close() }
      let f = try file.root.readFloats("features")
      #expect(f.shape == (layer == "1" ? [16, 4, 5, 5] : [16, 3, 2, 2]))
      let direct = try checkpoint.model.features(run.examples, depth: Int(layer)!)
      #expect(maxDifference(f.values, direct.scalars) <= 1e-5)

      let png = dir.file("bases\(layer).png")
      let visualize = try CLITests.cdbn(
        ["visualize", "--model", model, "--layer", layer, "--out", png], in: dir)
      try #require(visualize.status == 0, "visualize: \(CLITests.describe(visualize))")
      #expect(Array(try bytes(png).prefix(8)) == pngMagic)
    }

    let inspect = try CLITests.cdbn(["inspect", model], in: dir)
    try #require(inspect.status == 0, "inspect: \(CLITests.describe(inspect))")
    for word in [
      "layer 1 (/layers/0): psd", "layer 2 (/layers/1): psd", "lambda 0.2", "tanh encoder",
      "shrink encoder", "FISTA codes", "LCN 3×3", "training: complete",
    ] {
      #expect(inspect.stdout.contains(word), "inspect does not say \"\(word)\": \(inspect.stdout)")
    }

    // The layer group follows the documented schema.
    let file = try HDF5File(path: model, mode: .readOnly)
    defer { file.close() }
    let g = try file.root.openGroup("layers/1")
    #expect(try g.stringAttribute("kind") == "psd")
    #expect(try g.stringAttribute("encoder") == "shrink")
    #expect(try g.stringAttribute("features") == "codes")
    #expect(try g.intAttribute("lcn_size") == 0)
    #expect(try g.readFloats("dictionary").shape == [3, 4, 2, 2])
    #expect(try g.readFloats("encoder_weights").shape == [3, 4, 2, 2])
    #expect(try g.readFloats("encoder_gain").shape == [3])
  }
}
