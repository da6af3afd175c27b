import CDBNModels
import CDBNPipeline
import Testing

@Suite struct ConfigParsingTests {
  static let file = "experiments/tiny-test.yaml"

  @Test func validConfigParsesEveryField() throws {
    let yaml = """
      seed: 42
      data:
        path: /data/images.h5
        grayscale: false
        patch: [12, 10]
        limit: 40
      preprocessing:
        whiten: 0.4
        lcn: 2.5
        unit_variance: true
      training:
        batch_size: 6
        epochs: 3
        batches_per_epoch: 2
      layers:
        - kind: crbm
          visible: gaussian
          filters: 4
          filter: [3, 3]
          pooling: 2
          sigma: 0.2
          sigma_decay: 0.99
          sigma_min: 0.1
          learning_rate: 0.01
          weight_decay: 0.001
          sparsity_target: 0.02
          sparsity_cost: 4
          cd_steps: 2
        - visible: binary
          filters: 5
          filter: 2
          pooling: [1, 2]
          learning_rate: 0.03
          persistent: true
          epochs: 1
          batch_size: 4
      """
    let c = try PretrainingConfig(yaml: yaml, file: Self.file)
    #expect(c.text == yaml)
    #expect(c.seed == 42)
    #expect(c.data.path == "/data/images.h5")
    #expect(c.data.grayscale == false)
    #expect(c.data.patch == [12, 10])
    #expect(c.data.limit == 40)
    #expect(c.preprocessing.whitenCutoff == 0.4)
    #expect(c.preprocessing.contrastSigma == 2.5)
    #expect(c.preprocessing.unitVariance)
    #expect(c.preprocessing.kind == "whiten-1/f+lcn+unit-variance")
    try #require(c.layers.count == 2)

    let l1 = c.layers[0]
    let s1 = try #require(l1.settings(as: CRBMLayerSettings.self))
    #expect(l1.kind == "crbm")
    #expect(s1.visible == .gaussian)
    #expect(l1.filters == 4)
    #expect(l1.filterSize == [3, 3])
    #expect(l1.pooling == [2, 2])
    #expect(s1.sigma == 0.2)
    #expect(s1.training.sigmaDecay == 0.99)
    #expect(s1.training.sigmaMin == 0.1)
    #expect(s1.training.learningRate == 0.01)
    #expect(s1.training.weightDecay == 0.001)
    #expect(s1.training.sparsityTarget == 0.02)
    #expect(s1.training.sparsityCost == 4)
    #expect(s1.training.steps == 2)
    #expect(s1.training.persistent == false)
    #expect(l1.schedule.batchSize == 6)
    #expect(l1.schedule.epochs == 3)
    #expect(l1.schedule.batchesPerEpoch == 2)

    let l2 = c.layers[1]
    let s2 = try #require(l2.settings(as: CRBMLayerSettings.self))
    #expect(l2.kind == "crbm")
    #expect(s2.visible == .binary)
    #expect(l2.filters == 5)
    #expect(l2.filterSize == [2, 2])
    #expect(l2.pooling == [1, 2])
    #expect(s2.training.learningRate == 0.03)
    #expect(s2.training.persistent)
    // Layer overrides on top of the shared schedule.
    #expect(l2.schedule.batchSize == 4)
    #expect(l2.schedule.epochs == 1)
    #expect(l2.schedule.batchesPerEpoch == 2)
  }

  @Test func defaultsApplyWhenKeysAreOmitted() throws {
    let c = try PretrainingConfig(
      yaml: "data: {path: x.h5}\nlayers:\n  - {filters: 2, filter: 3}\n", file: Self.file)
    #expect(c.seed == 1)
    #expect(c.data.grayscale)
    #expect(c.data.patch == nil)
    #expect(c.data.limit == nil)
    #expect(c.preprocessing == .none)
    #expect(c.layers.count == 1)
    #expect(c.layers[0].settings(as: CRBMLayerSettings.self)?.visible == .binary)
    #expect(c.layers[0].pooling == [2, 2])
    #expect(c.layers[0].schedule.batchSize == 20)
    #expect(c.layers[0].schedule.epochs == 10)
    #expect(c.layers[0].schedule.batchesPerEpoch == nil)
  }

  /// Binary layers above the first take σ from their input unless the config gives one; the
  /// first layer keeps σ = 1 unless told `auto`.
  @Test func binaryLayersAboveTheFirstTakeSigmaFromTheirInput() throws {
    let c = try PretrainingConfig(
      yaml: """
        data: {path: x.h5}
        layers:
          - {filters: 2, filter: 3}
          - {filters: 2, filter: 2}
          - {filters: 2, filter: 2, sigma: 0.3}
          - {filters: 2, filter: 2, sigma: auto}
        """, file: Self.file)
    #expect(c.layers.map(\.settings.startsFromInput) == [false, true, false, true])
    #expect(c.layers[2].settings(as: CRBMLayerSettings.self)?.sigma == 0.3)
    let first = try PretrainingConfig(
      yaml: "data: {path: x.h5}\nlayers: [{filters: 2, filter: 3, sigma: auto}]\n", file: Self.file)
    #expect(first.layers[0].settings.startsFromInput)
  }

  @Test func theDefaultRunParses() throws {
    let c = try PretrainingConfig(
      yaml: PretrainingConfig.defaultText(dataPath: "Data/natural-images"), file: "<default>")
    #expect(c.layers.count == 2)
    #expect(c.data.patch == [70, 70])
  }

  /// A config that must be refused, and words its error must contain besides the file name.
  struct BadConfig: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let mentions: [String]
    var testDescription: String { name }
  }

  static let base = """
    data:
      path: data.h5
      patch: [12, 12]
    """

  static func layers(_ first: String, _ second: String = "{filters: 4, filter: [3, 3]}") -> String {
    "\(base)\nlayers:\n  - \(first)\n  - \(second)\n"
  }

  static let badConfigs: [BadConfig] = [
    BadConfig(
      name: "YAML syntax error",
      yaml: "\(base)\nlayers:\n  - {filters: 4, filter: [3, 3]\n  - [unclosed\n",
      mentions: ["YAML"]),
    BadConfig(
      name: "tab-indented YAML", yaml: "data:\n\tpath: data.h5\nlayers: []\n", mentions: ["YAML"]),
    BadConfig(
      name: "unknown layer key",
      yaml: layers("{filters: 4, filter: [3, 3], learning_rat: 0.1}"), mentions: ["learning_rat"]),
    BadConfig(
      name: "unknown top-level key",
      yaml: "\(base)\nepochs: 3\nlayers: [{filters: 4, filter: 3}]\n", mentions: ["epochs"]),
    BadConfig(
      name: "unknown training key",
      yaml: "\(base)\ntraining: {batch_sise: 3}\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["batch_sise"]),
    BadConfig(
      name: "filters is not a number", yaml: layers("{filters: many, filter: [3, 3]}"),
      mentions: ["filters", "many"]),
    BadConfig(
      name: "learning rate is a word", yaml: layers("{filters: 4, filter: 3, learning_rate: fast}"),
      mentions: ["learning_rate"]),
    BadConfig(
      name: "filter is a string", yaml: layers("{filters: 4, filter: big}"), mentions: ["filter"]),
    BadConfig(
      name: "persistent is not a bool", yaml: layers("{filters: 4, filter: 3, persistent: maybe}"),
      mentions: ["persistent"]),
    BadConfig(
      name: "data.path is a list",
      yaml: "data: {path: [a, b]}\nlayers: [{filters: 4, filter: 3}]\n", mentions: ["path"]),
    BadConfig(
      name: "negative learning rate", yaml: layers("{filters: 4, filter: 3, learning_rate: -0.01}"),
      mentions: ["learning_rate"]),
    BadConfig(
      name: "sparsity target 2", yaml: layers("{filters: 4, filter: 3, sparsity_target: 2}"),
      mentions: ["sparsity_target"]),
    BadConfig(name: "zero filters", yaml: layers("{filters: 0, filter: 3}"), mentions: ["filters"]),
    BadConfig(
      name: "negative sigma", yaml: layers("{visible: gaussian, filters: 4, filter: 3, sigma: -1}"),
      mentions: ["sigma"]),
    BadConfig(
      name: "sigma auto on a Gaussian layer",
      yaml: layers("{visible: gaussian, filters: 4, filter: 3, sigma: auto}"),
      mentions: ["sigma", "auto", "binary"]),
    BadConfig(
      name: "sigma is a word", yaml: layers("{filters: 4, filter: 3, sigma: large}"),
      mentions: ["sigma", "large"]),
    BadConfig(
      name: "unknown visible units", yaml: layers("{visible: ternary, filters: 4, filter: 3}"),
      mentions: ["visible"]),
    BadConfig(
      name: "unknown layer kind", yaml: layers("{kind: sparse-coding, filters: 4, filter: 3}"),
      mentions: ["kind"]),
    BadConfig(
      name: "zero pooling", yaml: layers("{filters: 4, filter: 3, pooling: 0}"),
      mentions: ["pooling"]),
    BadConfig(
      name: "negative seed", yaml: "seed: -1\n\(base)\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["seed"]),
    BadConfig(
      name: "zero batch size",
      yaml: "\(base)\ntraining: {batch_size: 0}\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["batch_size"]),
    BadConfig(
      name: "whiten cutoff too high",
      yaml: "\(base)\npreprocessing: {whiten: 0.9}\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["whiten"]),
    BadConfig(
      name: "unknown whiten edges",
      yaml:
        "\(base)\npreprocessing: {whiten: 0.4, whiten_edges: wrap}\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["whiten_edges", "mirror"]),
    BadConfig(
      name: "whiten edges without whiten",
      yaml: "\(base)\npreprocessing: {whiten_edges: mirror}\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["whiten_edges", "goes with whiten"]),
    BadConfig(
      name: "filter larger than the patch", yaml: layers("{filters: 4, filter: [13, 3]}"),
      mentions: ["filter", "patch"]),
    // 12 → 10 → pooled 5: a 7×7 second-layer filter does not fit.
    BadConfig(
      name: "second-layer filter larger than its input",
      yaml: layers("{filters: 4, filter: 3}", "{filters: 4, filter: 7}"),
      mentions: ["layers[1]", "filter"]),
    BadConfig(name: "empty layers list", yaml: "\(base)\nlayers: []\n", mentions: ["layers"]),
    BadConfig(name: "no layers", yaml: "\(base)\n", mentions: ["layers"]),
    BadConfig(
      name: "layers is a mapping", yaml: "\(base)\nlayers: {filters: 4}\n", mentions: ["layers"]),
    BadConfig(name: "no data", yaml: "layers: [{filters: 4, filter: 3}]\n", mentions: ["data"]),
    BadConfig(name: "empty document", yaml: "", mentions: ["empty"]),
    BadConfig(
      name: "a layer key given twice",
      yaml: layers("{filters: 4, filter: 3, learning_rate: 0.1, learning_rate: 0.2}"),
      mentions: ["layers[0].learning_rate", "twice"]),
    BadConfig(
      name: "a top-level key given twice",
      yaml: "\(base)\nseed: 1\nseed: 2\nlayers: [{filters: 4, filter: 3}]\n",
      mentions: ["seed", "twice", "line 5", "first at line 4"]),
    BadConfig(name: "missing filters", yaml: layers("{filter: 3}"), mentions: ["filters"]),
  ]

  @Test(arguments: badConfigs)
  func badConfigIsRefusedNamingTheFileAndTheKey(_ bad: BadConfig) throws {
    do {
      _ = try PretrainingConfig(yaml: bad.yaml, file: Self.file)
      Issue.record("\(bad.name): parsed without error")
    } catch let error as PipelineError {
      let text = error.description
      #expect(error.path == Self.file, "\(bad.name): \(text)")
      #expect(text.hasPrefix(Self.file + ": "), "\(bad.name): \(text)")
      for word in bad.mentions {
        #expect(text.contains(word), "\(bad.name): error does not mention \"\(word)\": \(text)")
      }
    } catch {
      Issue.record("\(bad.name): threw \(type(of: error)), not PipelineError: \(error)")
    }
  }

  @Test func errorsGiveTheLineOfTheOffendingKey() throws {
    let yaml = "\(Self.base)\nlayers:\n  - filters: 4\n    filter: 3\n    learning_rat: 0.1\n"
    let text = thrownDescription { _ = try PretrainingConfig(yaml: yaml, file: Self.file) }
    #expect(text.contains("line"), "\(text)")
    #expect(text.contains("learning_rat"), "\(text)")
  }
}
