import CDBNNumerics
import Foundation

/// A `kind: crbm` layer's settings: its visible units, σ, and contrastive-divergence training.
///
/// ```yaml
/// - {kind: crbm, visible: gaussian, filters: 24, filter: [10, 10], pooling: 2, sigma: 0.2,
///    sigma_decay: 0.99, learning_rate: 0.01, sparsity_target: 0.003, sparsity_cost: 5}
/// ```
public struct CRBMLayerSettings: LayerSettings, Equatable {
  public static let kind = ConvRBM.kind
  public static var layerType: any FeatureLayer.Type { ConvRBM.self }
  public static let keys: Set<String> = [
    "visible", "sigma", "sigma_decay", "sigma_min", "learning_rate", "learning_rate_decay",
    "initial_momentum", "final_momentum", "momentum_switch_epoch", "weight_decay",
    "sparsity_target", "sparsity_cost", "sparsity_decay", "cd_steps", "persistent",
    "divergence_factor",
  ]

  public var visible: VisibleUnits = .binary
  public var sigma: Float = 1
  /// Binary layers: σ and the visible biases come from the layer's input before training
  /// (`sigma: auto`, the default above the first layer), see `StartingScale`.
  public var startsFromInput = false
  public var training = ContrastiveDivergence()

  public init() {}

  public init(reading r: any LayerSettingsReader, shape: inout LayerShape, position: Int) throws {
    if let v = try r.string("visible") {
      guard let units = VisibleUnits(rawValue: v) else {
        throw r.fail("visible", "must be binary or gaussian, got \"\(v)\"")
      }
      visible = units
    }
    if r.has("sigma"), (try? r.string("sigma")) == "auto" {
      guard visible == .binary else {
        throw r.fail(
          "sigma", "auto applies to binary layers; a Gaussian layer's σ is its data's deviation")
      }
      startsFromInput = true
    } else if let s = try r.float("sigma") {
      sigma = s
    } else if position > 0, visible == .binary {
      // A binary layer above the first reads another layer's sparse pooled maps: unless told
      // otherwise, its σ comes from that input.
      startsFromInput = true
    }
    guard sigma > 0 else { throw r.fail("sigma", "must be positive") }
    var cd = ContrastiveDivergence()
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
    try r.validating { try cd.validate() }
    training = cd
  }

  /// Valid correlation, then pooling with ragged edge blocks.
  public func outputSize(height: Int, width: Int, shape: LayerShape) -> (height: Int, width: Int)? {
    let (f, p) = (shape.filterSize, shape.pooling)
    guard f[0] <= height, f[1] <= width else { return nil }
    return ((height - f[0] + p[0]) / p[0], (width - f[1] + p[1]) / p[1])
  }

  public var activationTarget: Double? { Double(training.sparsityTarget) }

  public func scalingLearningRates(by factor: Float) -> any LayerSettings {
    var scaled = self
    scaled.training.learningRate *= factor
    return scaled
  }

  /// `start` replaces the configured σ and the visible biases of a fresh layer.
  public func makeTrainer(
    shape: LayerShape, inputChannels: Int, existing: (any FeatureLayer)?, seed: UInt64,
    start: StartingScale?
  ) throws -> any LayerTrainer {
    var rbm: ConvRBM
    if let read = try self.existing(existing, as: ConvRBM.self) {
      rbm = read
    } else {
      rbm = try ConvRBM(
        visible: visible, channels: inputChannels, filters: shape.filters,
        filterHeight: shape.filterSize[0], filterWidth: shape.filterSize[1],
        poolHeight: shape.pooling[0], poolWidth: shape.pooling[1], sigma: start?.sigma ?? sigma,
        seed: seed)
      if let start { rbm.visibleBias = start.visibleBias }
    }
    return try ConvRBMTrainer(rbm: rbm, settings: training, seed: seed)
  }
}

extension ConvRBM {
  /// ", binary visible, sigma 0.2, mean hidden bias -0.1".
  public var details: String {
    ", \(visible.rawValue) visible" + (visible == .gaussian || sigma != 1 ? ", sigma \(sigma)" : "")
      + String(
        format: ", mean hidden bias %.4g", hiddenBias.reduce(0, +) / Float(max(1, hiddenBias.count))
      )
  }

  /// The filters and hidden biases times 1/σ², the layer's input gain, so that a convolution layer
  /// computes the same pre-activation.
  public var convolutionStart: (weights: Tensor, bias: [Float])? {
    let scale = inputScale
    var scaled = weights
    for j in 0..<scaled.count { scaled.scalars[j] *= scale }
    return (scaled, hiddenBias.map { $0 * scale })
  }
}
