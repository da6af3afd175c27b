import CDBNNumerics
import CDBNStorage

/// What every unsupervised layer in a stack does: map a batch of input maps to feature maps,
/// describe its filters, save itself, and hand out a trainer. ConvRBM conforms; the sparse-coding
/// and deconvolutional layers conform the same way, so the stack, the checkpoint and the CLI serve
/// them all.
public protocol FeatureLayer: Sendable {
  /// The `kind` attribute of the layer's checkpoint group ("crbm", ...).
  static var kind: String { get }
  var inputChannels: Int { get }
  var outputChannels: Int { get }
  /// Filters [K, C, fh, fw] as applied to the input (cross-correlation, no flip); used for pictures
  /// and to project higher-layer bases into pixel space.
  var filters: Tensor { get }
  /// Pooling block [ph, pw] between this layer's detection maps and its output.
  var pooling: [Int] { get }
  /// The visible units' σ, recorded in the training history (1 for kinds without one).
  var sigma: Float { get }
  /// What `cdbn inspect` adds after the layer's shape: ", binary visible, sigma 0.2, ...".
  var details: String { get }
  /// Filters [K, C, fh, fw] and biases [K] that a CNN convolution layer can start from, with any
  /// input scaling folded in; nil for kinds whose features are not one correlation plus a bias.
  var convolutionStart: (weights: Tensor, bias: [Float])? { get }

  /// Output size for an input of `height`×`width`, or nil when the input is too small.
  func outputSize(height: Int, width: Int) -> (height: Int, width: Int)?
  /// The layer's features of a batch [N, C, H, W]: [N, K, Ho, Wo].
  func features(_ input: Tensor) throws -> Tensor
  /// Writes the parameters and attributes that define the layer.
  func save(to group: HDF5Group) throws
  /// Reads a layer written by `save` (or by another tool following the same schema).
  init(from group: HDF5Group) throws
}

extension FeatureLayer {
  public var sigma: Float { 1 }
  public var details: String { "" }
  public var convolutionStart: (weights: Tensor, bias: [Float])? { nil }
}

/// What one mini-batch contributes to an update: the values data-parallel training adds up (and
/// averages) across processes between `LayerTrainer.gradient(of:)` and `LayerTrainer.apply`.
public protocol LayerGradient: Sendable {
  /// Every value that processes add up, flat and in a fixed order; setting writes them back.
  var values: [Float] { get set }
  /// What the batch measured (reconstruction error, mean activation per map).
  var statistics: TrainingStatistics { get }
}

/// Trains one layer: computes the gradient of a mini-batch, then applies it. The two halves stay
/// apart so that data-parallel training can sum gradients across processes in between; `train`
/// does both.
public protocol LayerTrainer: AnyObject {
  associatedtype Gradient: LayerGradient
  /// The layer as trained so far.
  var currentLayer: any FeatureLayer { get }
  /// Updates applied so far (it also keys the random streams).
  var step: Int { get }
  /// The gradient of a batch [N, C, H, W]; the layer is not changed.
  func gradient(of batch: Tensor) throws -> Gradient
  /// One update along `gradient`. Throws, changing nothing, when the update would diverge.
  func apply(_ gradient: Gradient, epoch: Int) throws
  /// Called once after each epoch (schedules such as σ decay).
  func finishEpoch(_ epoch: Int)
  /// Everything beyond the layer needed to continue exactly: velocities, running averages,
  /// persistent chains, the step counter.
  func saveState(to group: HDF5Group) throws
  func restoreState(from group: HDF5Group) throws
}

extension LayerTrainer {
  /// One update on a batch [N, C, H, W]; returns its statistics.
  public func train(batch: Tensor, epoch: Int) throws -> TrainingStatistics {
    let g = try gradient(of: batch)
    try apply(g, epoch: epoch)
    return g.statistics
  }
}

/// The progress every trainer saves beside its own state: the step counter (it also keys the random
/// streams) and the first update's reconstruction error (the divergence check's yardstick).
enum TrainerProgress {
  static func save(step: Int, firstError: Double?, to group: HDF5Group) throws {
    try group.setAttribute("step", step)
    if let firstError { try group.setAttribute("first_reconstruction_error", firstError) }
  }

  static func restore(from group: HDF5Group) throws -> (step: Int, firstError: Double?) {
    let step = try group.intAttribute("step")
    let firstError =
      group.hasAttribute("first_reconstruction_error")
      ? try group.doubleAttribute("first_reconstruction_error") : nil
    return (step, firstError)
  }
}

/// What one update measured.
public struct TrainingStatistics: Sendable {
  /// Mean squared difference between the data and its one-step reconstruction.
  public var reconstructionError: Double
  /// Mean P(h = 1 | data) per group (hidden map).
  public var meanActivation: [Float]
  public var examples: Int

  public init(reconstructionError: Double, meanActivation: [Float], examples: Int) {
    self.reconstructionError = reconstructionError
    self.meanActivation = meanActivation
    self.examples = examples
  }

  /// Throws `.diverged` unless this update's statistics and gradient are finite and its reconstruction
  /// error stays within `factor` times the first update's (`firstError`, nil on the first update).
  public func checkDivergence(
    gradientIsFinite: Bool, firstError: Double?, factor: Double, step: Int, epoch: Int
  ) throws {
    guard reconstructionError.isFinite, gradientIsFinite else {
      throw ModelError.diverged(
        "NaN or infinity in the gradient at update \(step) (epoch \(epoch + 1))")
    }
    if let first = firstError, reconstructionError > factor * max(first, 1e-12) {
      throw ModelError.diverged(
        "reconstruction error \(reconstructionError) is over \(factor)× the first update's \(first) (epoch \(epoch + 1), update \(step)); lower the learning rate"
      )
    }
  }

  public var overallActivation: Double {
    meanActivation.isEmpty
      ? 0 : meanActivation.reduce(0) { $0 + Double($1) } / Double(meanActivation.count)
  }
}
