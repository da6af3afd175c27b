import CDBNAudio
import CDBNModels
import CDBNStorage

/// Where pretraining stands: layer `layer` (0-based) has finished `epoch` epochs.
public struct TrainingProgress: Sendable, Equatable {
  public var layer: Int
  public var epoch: Int
  public var step: Int
  public var seed: UInt64
  /// True once every layer has finished.
  public var complete: Bool
  /// The processes of the run that wrote this checkpoint (1 without `mpirun`).
  public var worldSize: Int = 1
}

/// Per-epoch curves of one layer's training.
public struct LayerHistory: Sendable, Equatable {
  public var reconstructionError: [Double] = []
  /// [epochs][groups]: mean P(h = 1 | data) of each group.
  public var meanActivation: [[Float]] = []
  public var seconds: [Double] = []
  public var sigma: [Double] = []

  public init() {}
  public var epochs: Int { reconstructionError.count }
}

/// A model file: preprocessing, every layer, the config that made it, and, while training, what is
/// needed to resume exactly. The HDF5 layout is a public contract:
///
/// ```
/// /                 attrs format = "cdbn", format_version = 1, created_by, config (YAML text)
/// /preprocessing    attrs kind ("none", "whiten-1/f+unit-variance", ...), parameters; for audio
///                   kind = "spectrogram+pca", the spectrogram's settings and the whitening in pca/
/// /layers/<i>       the layer's own group (ConvRBM: kind, visible, pooling, sigma; weights, biases)
/// /training         attrs layer, epoch, step, seed, complete; group state (the trainer's velocities,
///                   running activations, PCD chains)
/// /history/<i>      reconstruction_error [E], mean_activation [E, K], seconds [E], sigma [E]
/// ```
public struct ModelCheckpoint: Sendable {
  public static let formatVersion = 1
  public static let creator = "cdbn 0.1"

  public var config: String
  public var model: ConvolutionalDBN
  public var progress: TrainingProgress?
  public var history: [LayerHistory]

  public init(
    config: String, model: ConvolutionalDBN, progress: TrainingProgress?, history: [LayerHistory]
  ) {
    self.config = config
    self.model = model
    self.progress = progress
    self.history = history
  }

  /// The model's front end when it takes audio (a spectrogram and PCA whitening), else nil.
  public var audioFrontEnd: AudioFeatures? { model.frontEnd as? AudioFeatures }

  /// Writes to a temporary file beside `path`, then renames it into place: an interrupted save
  /// leaves the previous checkpoint intact. `trainer` adds the state needed to resume.
  public func write(to path: String, trainer: (any LayerTrainer)? = nil) throws {
    try PipelineError.naming(path) {
      try HDF5File.atomicWrite(to: path) { file in
        let root = file.root
        try root.setAttribute("format", "cdbn")
        try root.setAttribute("format_version", Self.formatVersion)
        try root.setAttribute("created_by", Self.creator)
        try root.setAttribute("config", config)
        try model.frontEnd.save(to: root.createGroup("preprocessing"))
        let layers = try root.createGroup("layers")
        for (i, layer) in model.layers.enumerated() {
          try layer.save(to: layers.createGroup("\(i)"))
        }
        if let progress {
          let t = try root.createGroup("training")
          try t.setAttribute("layer", progress.layer)
          try t.setAttribute("epoch", progress.epoch)
          try t.setAttribute("step", progress.step)
          try t.setAttribute("seed", Int(Int64(bitPattern: progress.seed)))
          try t.setAttribute("complete", progress.complete ? 1 : 0)
          try t.setAttribute("world_size", progress.worldSize)
          if let trainer { try trainer.saveState(to: t.createGroup("state")) }
        }
        let h = try root.createGroup("history")
        for (i, curve) in history.enumerated() {
          let g = try h.createGroup("\(i)")
          let e = curve.epochs
          try g.writeDoubles("reconstruction_error", shape: [e], curve.reconstructionError)
          let k = curve.meanActivation.first?.count ?? 0
          try g.writeFloats("mean_activation", shape: [e, k], curve.meanActivation.flatMap { $0 })
          try g.writeDoubles("seconds", shape: [e], curve.seconds)
          try g.writeDoubles("sigma", shape: [e], curve.sigma)
        }
      }
    }
  }

  /// Reads a model file. Only `/layers` and `/preprocessing` are required (a file written by another
  /// tool may hold nothing else); `/training` and `/history` are read when present. `kinds` are the
  /// layer kinds the file's layers may be.
  public static func read(from path: String, kinds: LayerKinds = .standard) throws
    -> ModelCheckpoint
  {
    try PipelineError.naming(path) {
      let file = try HDF5File(path: path, mode: .readOnly)
      defer { file.close() }
      return try read(file, kinds: kinds)
    }
  }

  static func read(_ file: HDF5File, kinds: LayerKinds = .standard) throws -> ModelCheckpoint {
    let root = file.root
    if root.hasAttribute("format") {
      let format = try root.stringAttribute("format")
      guard format == "cdbn" else {
        throw PipelineError(file.path, "format attribute is \"\(format)\", expected \"cdbn\"")
      }
    }
    if root.hasAttribute("format_version") {
      let v = try root.intAttribute("format_version")
      guard v >= 1, v <= formatVersion else {
        throw PipelineError(
          file.path, "format_version \(v) is newer than this cdbn understands (\(formatVersion))")
      }
    }
    let config = root.hasAttribute("config") ? try root.stringAttribute("config") : ""
    let frontEnd: any FrontEnd =
      root.contains("preprocessing")
      ? try FrontEnds.load(from: root.openGroup("preprocessing")) : Preprocessing.none
    guard root.contains("layers") else {
      throw PipelineError(file.path, "no /layers group: not a cdbn model")
    }
    let layersGroup = try root.openGroup("layers")
    let names = try layersGroup.memberNames()
    var layers: [any FeatureLayer] = []
    for i in 0..<names.count {
      guard layersGroup.contains("\(i)") else {
        throw PipelineError(
          file.path,
          "/layers has \(names.count) members but no /layers/\(i); layers must be numbered 0, 1, ..."
        )
      }
      layers.append(try kinds.load(from: layersGroup.openGroup("\(i)")))
    }
    guard !layers.isEmpty else { throw PipelineError(file.path, "/layers is empty") }
    for i in 1..<layers.count where layers[i].inputChannels != layers[i - 1].outputChannels {
      throw PipelineError(
        file.path,
        "/layers/\(i) expects \(layers[i].inputChannels) input channels but /layers/\(i - 1) has \(layers[i - 1].outputChannels) outputs"
      )
    }
    if let channels = frontEnd.outputChannels, layers[0].inputChannels != channels {
      throw PipelineError(
        file.path,
        "/layers/0 expects \(layers[0].inputChannels) input channels but the \(frontEnd.kind) front end in /preprocessing gives \(channels)"
      )
    }
    var progress: TrainingProgress? = nil
    if root.contains("training") {
      let t = try root.openGroup("training")
      let complete = try t.intAttribute("complete")
      let worldSize = t.hasAttribute("world_size") ? try t.intAttribute("world_size") : 1
      guard complete == 0 || complete == 1, worldSize >= 1 else {
        throw PipelineError(
          file.path,
          "/training: complete must be 0 or 1 and world_size at least 1 (got \(complete), \(worldSize))"
        )
      }
      progress = TrainingProgress(
        layer: try t.intAttribute("layer"), epoch: try t.intAttribute("epoch"),
        step: try t.intAttribute("step"),
        seed: UInt64(bitPattern: Int64(try t.intAttribute("seed"))), complete: complete == 1,
        worldSize: worldSize)
    }
    var history: [LayerHistory] = []
    if root.contains("history") {
      let h = try root.openGroup("history")
      var i = 0
      while h.contains("\(i)") {
        let g = try h.openGroup("\(i)")
        var curve = LayerHistory()
        curve.reconstructionError = try g.readDoubles("reconstruction_error").values
        let act = try g.readFloats("mean_activation")
        let k = act.shape.count == 2 ? act.shape[1] : 0
        curve.meanActivation =
          k == 0
          ? []
          : stride(from: 0, to: act.values.count, by: k).map { Array(act.values[$0..<($0 + k)]) }
        curve.seconds = try g.readDoubles("seconds").values
        curve.sigma = g.contains("sigma") ? try g.readDoubles("sigma").values : []
        history.append(curve)
        i += 1
      }
    }
    return ModelCheckpoint(
      config: config, model: ConvolutionalDBN(frontEnd: frontEnd, layers: layers),
      progress: progress, history: history)
  }

  /// Restores the trainer's state saved with this checkpoint.
  public static func restoreTrainer(_ trainer: any LayerTrainer, from path: String) throws {
    try PipelineError.naming(path) {
      let file = try HDF5File(path: path, mode: .readOnly)
      defer { file.close() }
      guard file.root.contains("training") else {
        throw PipelineError(path, "no /training group to resume from")
      }
      let t = try file.root.openGroup("training")
      guard t.contains("state") else {
        throw PipelineError(path, "no /training/state group to resume from")
      }
      try trainer.restoreState(from: t.openGroup("state"))
    }
  }
}

/// The front ends a model's `/preprocessing` group may hold, told apart by its `kind` attribute.
enum FrontEnds {
  static let all: [any FrontEnd.Type] = [Preprocessing.self, AudioFeatures.self]

  static func load(from group: HDF5Group) throws -> any FrontEnd {
    let kind = group.hasAttribute("kind") ? try group.stringAttribute("kind") : "none"
    guard let type = all.first(where: { $0.reads(kind: kind) }) else {
      throw ModelError.malformedCheckpoint(
        "\(group.name): unknown preprocessing kind \"\(kind)\"")
    }
    return try type.init(from: group)
  }
}
