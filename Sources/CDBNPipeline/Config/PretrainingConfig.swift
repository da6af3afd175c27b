import CDBNDatasets
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
    /// Pictures: `size: [h, w]` resizes each, `crop: [h, w]` cuts its centre, `longest_side: n`
    /// scales each so its longer side is n pixels (`features` repeats it).
    public var sizing: ImageFolder.Sizing = .original
  }

  /// Mini-batch schedule shared by the layers unless a layer overrides it.
  public struct Schedule: Sendable, Equatable {
    public var batchSize: Int = 20
    public var epochs: Int = 10
    /// Batches per epoch; default: examples / batch size (whole examples) or 50 (patches).
    public var batchesPerEpoch: Int?
  }

  /// One layer: its shape, its schedule, and its kind's settings.
  public struct Layer: Sendable {
    public var shape: LayerShape
    public var schedule: Schedule
    /// The kind's own settings; `LayerKinds` says which type a `kind` name reads.
    public var settings: any LayerSettings

    public var kind: String { type(of: settings).kind }
    public var filters: Int { shape.filters }
    public var filterSize: [Int] { shape.filterSize }
    public var pooling: [Int] { shape.pooling }

    /// The settings as one kind's type, or nil for a layer of another kind.
    public func settings<Settings: LayerSettings>(as type: Settings.Type) -> Settings? {
      settings as? Settings
    }

    /// The output size of this layer for input maps of `height`×`width`, by its kind's own rule, or
    /// nil when the filters do not fit.
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
      settings.outputSize(height: height, width: width, shape: shape)
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
  /// The layer kinds the config was read with; checkpoints of this run are read with them too.
  public let kinds: LayerKinds

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
        weight_decay: 0.001   # Lee's 0.01 leaves a quarter of the units dead (cdbn inspect)
        sparsity_target: 0.003
        sparsity_cost: 5
        epochs: 40
      - kind: crbm
        visible: binary
        filters: 40
        filter: [10, 10]
        pooling: 2
        learning_rate: 0.05
        weight_decay: 0.001   # with layer 1's at 0.001, 0.01 here collapses ten bases into one picture
        sparsity_target: 0.005
        sparsity_cost: 5
        epochs: 20
    """
  }

  /// The activation layer `l` is trained towards (its health and its curves are measured against
  /// it); nil when its kind has none or the config has no such layer.
  func activationTarget(layer l: Int) -> Double? {
    l < layers.count ? layers[l].settings.activationTarget : nil
  }

  /// Parses and validates YAML; `file` names the source in errors. `kinds` are the layer kinds a
  /// `kind:` key may name.
  public init(yaml: String, file: String, kinds: LayerKinds = .standard) throws {
    let top = try ConfigReader.document(yaml: yaml, file: file)
    try top.allowOnly(["seed", "data", "preprocessing", "training", "layers"])
    text = yaml
    self.kinds = kinds
    if let s = try top.int("seed", in: 0...Int.max) { seed = UInt64(s) }

    guard let d = try top.child("data") else {
      throw top.fail("data", "is required (data: {path: ...} or data: {audio: ...})")
    }
    audio = try AudioSettings(data: d, preprocessing: top.child("preprocessing"))
    try d.allowOnly(
      audio == nil
        ? ["path", "grayscale", "patch", "limit", "size", "crop", "longest_side"]
        : AudioSettings.dataKeys)
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
    data.sizing = try d.pictureSizing(longestSide: true)
    try audio?.check(patch: data.patch, data: d)

    preprocessing = .none
    if audio == nil, let p = try top.child("preprocessing") {
      try p.allowOnly(["whiten", "whiten_edges", "lcn", "unit_variance"])
      preprocessing.whitenCutoff = try p.float("whiten")
      switch try p.string("whiten_edges") {
      case nil, "periodic": preprocessing.mirrorEdges = false
      case "mirror": preprocessing.mirrorEdges = true
      case let other?:
        throw p.fail("whiten_edges", "must be periodic or mirror, got \"\(other)\"")
      }
      if p.has("whiten_edges") && preprocessing.whitenCutoff == nil {
        throw p.fail("whiten_edges", "goes with whiten")
      }
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
      layers.append(try Self.readLayer(r, position: i, schedule: shared, kinds: kinds))
    }
    try checkShapes(file: file)
    try checkInputChannels(file: file)
  }

  static func readSchedule(_ r: ConfigReader, into s: inout Schedule) throws {
    if let b = try r.int("batch_size", in: 1...100_000) { s.batchSize = b }
    if let e = try r.int("epochs", in: 0...1_000_000) { s.epochs = e }
    if let n = try r.int("batches_per_epoch", in: 1...100_000_000) { s.batchesPerEpoch = n }
  }

  /// The keys of the schedule, which any layer may override.
  static let scheduleKeys: Set<String> = ["batch_size", "epochs", "batches_per_epoch"]

  /// One layer: the shared shape and schedule keys, then its kind's own.
  static func readLayer(
    _ r: ConfigReader, position: Int, schedule: Schedule, kinds: LayerKinds
  ) throws -> Layer {
    let name = try r.string("kind") ?? kinds.all[0].kind
    guard let kind = kinds.settingsType(named: name) else {
      throw r.fail(
        "kind", "\"\(name)\" is not a layer kind cdbn can train (known: \(kinds.names))")
    }
    try r.allowOnly(LayerShape.keys.union(scheduleKeys).union(kind.keys))
    let (filters, size) = try readFilters(r)
    var shape = LayerShape(filters: filters, filterSize: size)
    if let p = try readPooling(r) { shape.pooling = p }
    var layerSchedule = schedule
    try readSchedule(r, into: &layerSchedule)
    let settings = try kind.init(reading: r, shape: &shape, position: position)
    return Layer(shape: shape, schedule: layerSchedule, settings: settings)
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

extension PretrainingConfig {
  /// Checks each layer above the first against the maps of the layer below (a random connectivity
  /// table cannot ask for more). The first layer's input channels are known only from the data; the
  /// layer checks them then.
  func checkInputChannels(file: String) throws {
    for i in layers.indices.dropFirst() {
      do {
        try layers[i].settings.check(inputChannels: layers[i - 1].filters, shape: layers[i].shape)
      } catch {
        throw PipelineError(
          file,
          "layers[\(i)], above the \(layers[i - 1].filters) maps of layers[\(i - 1)]: \(error)")
      }
    }
  }
}
