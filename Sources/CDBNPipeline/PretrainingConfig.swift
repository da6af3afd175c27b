import CDBNModels
import Yams

/// A pretraining run, as read from YAML. Every key is optional except `layers`; unknown keys are errors.
/// Audio runs give `data.audio` (a TIMIT folder or CSV corpus) instead of `data.path`, and a
/// spectrogram + PCA front end under `preprocessing` (see `AudioSettings`).
///
/// ```yaml
/// seed: 1
/// data: {path: Data/natural-images, patch: [70, 70], limit: 1000}
/// preprocessing: {whiten: 0.4, unit_variance: true}
/// training: {batch_size: 20, epochs: 10, batches_per_epoch: 50}
/// layers:
///   - {kind: crbm, visible: gaussian, filters: 24, filter: [10, 10], pooling: 2, sigma: 0.2,
///      sigma_decay: 0.99, learning_rate: 0.01, sparsity_target: 0.003, sparsity_cost: 5}
/// ```
public struct PretrainingConfig: Sendable {
  /// Where the examples come from and how they are cut.
  public struct DataSource: Sendable, Equatable {
    /// A folder of images, an HDF5 file with /data, an MNIST IDX file or the MNIST CSV.
    public var path: String
    public var grayscale: Bool = true
    /// Train on random crops of this size [h, w] instead of whole examples.
    public var patch: [Int]?
    /// Use only the first `limit` examples.
    public var limit: Int?
  }

  /// Mini-batch schedule shared by the layers unless a layer overrides it.
  public struct Schedule: Sendable, Equatable {
    public var batchSize: Int = 20
    public var epochs: Int = 10
    /// Batches per epoch; default: examples / batch size (whole examples) or 50 (patches).
    public var batchesPerEpoch: Int?
  }

  /// One layer: its shape and its training settings.
  public struct Layer: Sendable {
    public var kind: String = ConvRBM.kind
    public var visible: VisibleUnits = .binary
    public var filters: Int
    public var filterSize: [Int]
    public var pooling: [Int] = [2, 2]
    public var sigma: Float = 1
    /// Binary layers: σ and the visible biases come from the layer's input before training
    /// (`sigma: auto`, the default above the first layer), see `StartingScale`.
    public var startsFromInput = false
    public var training: ContrastiveDivergence
    public var schedule: Schedule
    /// The settings of a `kind: psd` layer (nil for other kinds).
    public var psd: PSDLayerSpec? = nil
    /// Settings of a deconvolutional layer (kind deconv); nil for other kinds.
    public var deconv: DeconvSettings? = nil

    /// The output size of this layer for input maps of `height`×`width`, by its kind's own rule, or
    /// nil when the filters do not fit.
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
      switch kind {
      case PSDLayer.kind:
        return PSDLayer.outputSize(
          height: height, width: width, filter: filterSize, pooling: pooling)
      case DeconvLayer.kind:
        return DeconvLayer.outputSize(
          height: height, width: width, filter: filterSize, pooling: pooling)
      default:
        // Valid correlation, then pooling with ragged edge blocks.
        guard filterSize[0] <= height, filterSize[1] <= width else { return nil }
        return (
          (height - filterSize[0] + pooling[0]) / pooling[0],
          (width - filterSize[1] + pooling[1]) / pooling[1]
        )
      }
    }
  }

  /// The YAML text as given; stored in the checkpoint.
  public var text: String
  public var seed: UInt64 = 1
  public var data: DataSource
  public var preprocessing: Preprocessing
  /// Set when the data is audio (`data.audio`): the utterances and the front end fitted on them.
  public var audio: AudioSettings?
  public var layers: [Layer]

  /// The run used when `cdbn pretrain` is given no config: whitened natural images from Data/,
  /// two layers in Lee et al.'s shape, small enough to finish in minutes on two cores.
  public static func defaultText(dataPath: String) -> String {
    """
    # cdbn's default run: whitened natural photographs, two CRBM layers (Lee et al. 2009's shape).
    seed: 1
    data:
      path: \(dataPath)
      patch: [70, 70]
    preprocessing:
      whiten: 0.4
      unit_variance: true
    training:
      batch_size: 10
      batches_per_epoch: 100
    layers:
      - kind: crbm
        visible: gaussian
        filters: 24
        filter: [10, 10]
        pooling: 2
        sigma: 0.2
        sigma_decay: 0.99
        sigma_min: 0.1
        learning_rate: 0.05
        weight_decay: 0.01
        sparsity_target: 0.003
        sparsity_cost: 5
        epochs: 40
      - kind: crbm
        visible: binary
        filters: 40
        filter: [10, 10]
        pooling: 2
        learning_rate: 0.05
        weight_decay: 0.01
        sparsity_target: 0.005
        sparsity_cost: 5
        epochs: 20
    """
  }

  /// The sparsity target of layer `l` when it is a CRBM layer (the activation its health and its
  /// curves are measured against); nil for other kinds or a layer the config does not have.
  func activationTarget(layer l: Int) -> Double? {
    guard l < layers.count, layers[l].kind == ConvRBM.kind else { return nil }
    return Double(layers[l].training.sparsityTarget)
  }

  /// Parses and validates YAML; `file` names the source in errors.
  public init(yaml: String, file: String) throws {
    let top = try ConfigReader.document(yaml: yaml, file: file)
    try top.allowOnly(["seed", "data", "preprocessing", "training", "layers"])
    text = yaml
    if let s = try top.int("seed", in: 0...Int.max) { seed = UInt64(s) }

    guard let d = try top.child("data") else {
      throw top.fail("data", "is required (data: {path: ...} or data: {audio: ...})")
    }
    audio = try AudioSettings(data: d, preprocessing: top.child("preprocessing"))
    try d.allowOnly(
      audio == nil ? ["path", "grayscale", "patch", "limit"] : AudioSettings.dataKeys)
    guard let path = try audio?.path ?? d.string("path") else {
      throw d.fail("path", "is required")
    }
    data = DataSource(path: path)
    data.grayscale = try d.bool("grayscale") ?? true
    data.patch = try d.pair("patch")
    if let p = data.patch, !(p.allSatisfy { $0 > 0 && $0 <= 4096 }) {
      throw d.fail("patch", "sizes must be in 1...4096, got \(p)")
    }
    data.limit = try d.int("limit", in: 1...Int(Int32.max))
    try audio?.check(patch: data.patch, data: d)

    preprocessing = .none
    if audio == nil, let p = try top.child("preprocessing") {
      try p.allowOnly(["whiten", "lcn", "unit_variance"])
      preprocessing.whitenCutoff = try p.float("whiten")
      preprocessing.contrastSigma = try p.float("lcn")
      preprocessing.unitVariance = try p.bool("unit_variance") ?? false
      do { try preprocessing.validate() } catch {
        throw PipelineError(file, "preprocessing: \(error)")
      }
    }

    var shared = Schedule()
    if let t = try top.child("training") {
      try t.allowOnly(["batch_size", "epochs", "batches_per_epoch"])
      try Self.readSchedule(t, into: &shared)
    }

    guard let layerNodes = try top.sequence("layers"), !layerNodes.isEmpty else {
      throw top.fail("layers", "is required: a list with at least one layer")
    }
    layers = []
    for (i, node) in layerNodes.enumerated() {
      let r = try ConfigReader(file: file, node: node, path: "layers[\(i)]")
      var layer = try Self.readLayer(r, schedule: shared)
      // A binary layer above the first reads another layer's sparse pooled maps: unless told
      // otherwise, its σ comes from that input (see StartingScale).
      if i > 0, layer.kind == ConvRBM.kind, layer.visible == .binary, !r.has("sigma") {
        layer.startsFromInput = true
      }
      layers.append(layer)
    }
    try checkShapes(file: file)
    try checkConnectivity(file: file)
  }

  static func readSchedule(_ r: ConfigReader, into s: inout Schedule) throws {
    if let b = try r.int("batch_size", in: 1...100_000) { s.batchSize = b }
    if let e = try r.int("epochs", in: 0...1_000_000) { s.epochs = e }
    if let n = try r.int("batches_per_epoch", in: 1...100_000_000) { s.batchesPerEpoch = n }
  }

  static func readLayer(_ r: ConfigReader, schedule: Schedule) throws -> Layer {
    let kind = try r.string("kind") ?? ConvRBM.kind
    switch kind {
    case ConvRBM.kind: return try readCRBMLayer(r, schedule: schedule)
    case PSDLayer.kind: return try readPSDLayer(r, schedule: schedule)
    case DeconvLayer.kind: return try readDeconvLayer(r, schedule: schedule)
    default:
      throw r.fail(
        "kind", "\"\(kind)\" is not a layer kind cdbn can train (known: crbm, psd, deconv)")
    }
  }

  /// The keys every layer kind reads through `readLayerShape` and `readSchedule`.
  static let layerShapeKeys: Set<String> = [
    "kind", "filters", "filter", "pooling", "batch_size", "epochs", "batches_per_epoch",
  ]

  /// A layer's kind-independent part: filters, filter size, pooling and the schedule.
  static func readLayerShape(_ r: ConfigReader, kind: String, schedule: Schedule) throws -> Layer {
    let (filters, size) = try readFilters(r)
    var layer = Layer(
      kind: kind, filters: filters, filterSize: size, training: ContrastiveDivergence(),
      schedule: schedule)
    if let p = try readPooling(r) { layer.pooling = p }
    try readSchedule(r, into: &layer.schedule)
    return layer
  }

  static func readCRBMLayer(_ r: ConfigReader, schedule: Schedule) throws -> Layer {
    try r.allowOnly(
      layerShapeKeys.union([
        "visible", "sigma", "sigma_decay", "sigma_min", "learning_rate", "learning_rate_decay",
        "initial_momentum", "final_momentum", "momentum_switch_epoch", "weight_decay",
        "sparsity_target", "sparsity_cost", "sparsity_decay", "cd_steps", "persistent",
        "divergence_factor",
      ]))
    var layer = try readLayerShape(r, kind: ConvRBM.kind, schedule: schedule)
    var cd = ContrastiveDivergence()
    if let v = try r.string("visible") {
      guard let units = VisibleUnits(rawValue: v) else {
        throw r.fail("visible", "must be binary or gaussian, got \"\(v)\"")
      }
      layer.visible = units
    }
    if r.has("sigma"), (try? r.string("sigma")) == "auto" {
      guard layer.visible == .binary else {
        throw r.fail(
          "sigma", "auto applies to binary layers; a Gaussian layer's σ is its data's deviation")
      }
      layer.startsFromInput = true
    } else if let s = try r.float("sigma") {
      layer.sigma = s
    }
    guard layer.sigma > 0 else { throw r.fail("sigma", "must be positive") }
    func set(_ key: String, _ apply: (Float) -> Void) throws {
      if let v = try r.float(key) { apply(v) }
    }
    try set("sigma_decay") { cd.sigmaDecay = $0 }
    try set("sigma_min") { cd.sigmaMin = $0 }
    try set("learning_rate") { cd.learningRate = $0 }
    try set("learning_rate_decay") { cd.learningRateDecay = $0 }
    try set("initial_momentum") { cd.initialMomentum = $0 }
    try set("final_momentum") { cd.finalMomentum = $0 }
    try set("weight_decay") { cd.weightDecay = $0 }
    try set("sparsity_target") { cd.sparsityTarget = $0 }
    try set("sparsity_cost") { cd.sparsityCost = $0 }
    try set("sparsity_decay") { cd.sparsityDecay = $0 }
    try set("divergence_factor") { cd.divergenceFactor = Double($0) }
    if let m = try r.int("momentum_switch_epoch", in: 0...1_000_000) { cd.momentumSwitchEpoch = m }
    if let k = try r.int("cd_steps", in: 1...1000) { cd.steps = k }
    if let p = try r.bool("persistent") { cd.persistent = p }
    do { try cd.validate() } catch {
      throw PipelineError(r.file, "\(ConfigReader.location(r.node))\(r.path): \(error)")
    }
    layer.training = cd
    return layer
  }

  /// The `filters` count and `filter` size every layer kind has.
  static func readFilters(_ r: ConfigReader) throws -> (count: Int, size: [Int]) {
    guard let filters = try r.int("filters", in: 1...65_536) else {
      throw r.fail("filters", "is required")
    }
    guard let size = try r.pair("filter") else {
      throw r.fail("filter", "is required, e.g. filter: [10, 10]")
    }
    guard size.allSatisfy({ $0 > 0 && $0 <= 1024 }) else {
      throw r.fail("filter", "sizes must be in 1...1024, got \(size)")
    }
    return (filters, size)
  }

  /// The `pooling` block [ph, pw], when given.
  static func readPooling(_ r: ConfigReader) throws -> [Int]? {
    guard let p = try r.pair("pooling") else { return nil }
    guard p.allSatisfy({ $0 > 0 && $0 <= 64 }) else {
      throw r.fail("pooling", "sizes must be in 1...64, got \(p)")
    }
    return p
  }

  /// Checks that the training patch reaches every layer at least as large as its filters.
  func checkShapes(file: String) throws {
    guard let patch = data.patch else { return }
    if let (i, h, w) = firstTooSmallLayer(height: patch[0], width: patch[1]) {
      let f = layers[i].filterSize
      throw PipelineError(
        file,
        "layers[\(i)]: filter \(f[0])×\(f[1]) is larger than its \(h)×\(w) input (patch \(patch))")
    }
  }

  /// Walks an input of `height`×`width` up the stack (each layer by its kind's output-size rule) and
  /// returns the first layer whose filters do not fit, with the size it would see.
  func firstTooSmallLayer(height: Int, width: Int) -> (layer: Int, height: Int, width: Int)? {
    var (h, w) = (height, width)
    for (i, l) in layers.enumerated() {
      guard let size = l.outputSize(height: h, width: w) else { return (i, h, w) }
      (h, w) = size
    }
    return nil
  }
}
