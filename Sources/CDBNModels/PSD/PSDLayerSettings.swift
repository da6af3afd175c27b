/// A `kind: psd` layer's settings: what defines the layer and how it is trained.
///
/// ```yaml
/// - kind: psd
///   filters: 16
///   filter: [9, 9]
///   pooling: 2                 # average pooling of the feature stage
///   lambda: 0.5                # weight of ‖z‖₁
///   beta: 1                    # weight of ‖z − f(W ∗ x)‖²
///   encoder: tanh              # or shrink (the smooth shrinkage)
///   features: encoder          # or codes (FISTA's)
///   rectify: true              # |·| before the LCN
///   lcn: true                  # local contrast normalisation across the maps
///   lcn_size: 9                # its window (odd) ...
///   lcn_sigma: 2               # ... and Gaussian σ
///   fista_iterations: 50
///   fista_tolerance: 0.0001
///   dictionary_learning_rate: 0.01
///   encoder_learning_rate: 0.01
///   learning_rate_decay: 1
///   divergence_factor: 10000
/// ```
public struct PSDLayerSettings: LayerSettings, Equatable {
  public static let kind = PSDLayer.kind
  public static var layerType: any FeatureLayer.Type { PSDLayer.self }
  public static let keys: Set<String> = [
    "lambda", "beta", "encoder", "features", "rectify", "lcn", "lcn_size", "lcn_sigma",
    "fista_iterations", "fista_tolerance", "dictionary_learning_rate", "encoder_learning_rate",
    "learning_rate_decay", "divergence_factor",
  ]

  public var settings: PSDSettings
  public var stage: FeatureStage
  public var training: PSDTraining

  public init(reading r: any LayerSettingsReader, shape: inout LayerShape, position: Int) throws {
    settings = PSDSettings()
    training = PSDTraining()
    if let v = try r.float("lambda") { settings.sparsity = v }
    if let v = try r.float("beta") { settings.predictionWeight = v }
    if let name = try r.string("encoder") {
      guard let e = EncoderFunction(rawValue: name) else {
        throw r.fail("encoder", "must be tanh or shrink, got \"\(name)\"")
      }
      settings.encoder = e
    }
    if let name = try r.string("features") {
      guard let f = CodeSource(rawValue: name) else {
        throw r.fail("features", "must be encoder or codes, got \"\(name)\"")
      }
      settings.features = f
    }
    if let n = try r.int("fista_iterations", in: 1...1_000_000) { settings.fistaIterations = n }
    if let v = try r.float("fista_tolerance") { settings.fistaTolerance = v }
    stage = FeatureStage(pooling: shape.pooling)
    if let v = try r.bool("rectify") { stage.rectify = v }
    let defaultContrast = FeatureStage.defaultContrast
    let size = try r.int("lcn_size", in: 1...4095) ?? defaultContrast.size
    let sigma = try r.float("lcn_sigma") ?? defaultContrast.sigma
    stage.contrast = try r.bool("lcn") ?? true ? (size, sigma) : nil
    if let v = try r.float("dictionary_learning_rate") { training.dictionaryLearningRate = v }
    if let v = try r.float("encoder_learning_rate") { training.encoderLearningRate = v }
    if let v = try r.float("learning_rate_decay") { training.learningRateDecay = v }
    if let v = try r.float("divergence_factor") { training.divergenceFactor = Double(v) }
    try r.validating {
      try settings.validate()
      try stage.validate()
      try training.validate()
    }
  }

  public func scalingLearningRates(by factor: Float) -> any LayerSettings {
    var scaled = self
    scaled.training.dictionaryLearningRate *= factor
    scaled.training.encoderLearningRate *= factor
    return scaled
  }

  public func outputSize(height: Int, width: Int, shape: LayerShape) -> (height: Int, width: Int)? {
    PSDLayer.outputSize(
      height: height, width: width, filter: shape.filterSize, pooling: shape.pooling)
  }

  public func makeTrainer(
    shape: LayerShape, inputChannels: Int, existing: (any FeatureLayer)?, seed: UInt64,
    start: StartingScale?
  ) throws -> any LayerTrainer {
    let layer =
      try self.existing(existing, as: PSDLayer.self)
      ?? PSDLayer(
        channels: inputChannels, filters: shape.filters, filterHeight: shape.filterSize[0],
        filterWidth: shape.filterSize[1], settings: settings, stage: stage, seed: seed)
    return try PSDTrainer(layer: layer, settings: training)
  }
}
