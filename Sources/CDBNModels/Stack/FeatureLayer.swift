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

/// What one mini-batch contributes to an update, between `LayerTrainer.gradient` and
/// `LayerTrainer.apply`: the same on every process of a data-parallel run.
public protocol LayerGradient: Sendable {
  /// What the batch measured (reconstruction error, mean activation per map).
  var statistics: TrainingStatistics { get }
}

/// Trains one layer: computes the gradient of a mini-batch, then applies it; `train` does both.
///
/// A batch is cut into work units (`workUnits`) with one partial sum each, added exactly
/// (`BatchShare.sumUnits`), so a gradient does not depend on the threads or processes that computed
/// it: in a data-parallel run each process computes the units of its `BatchShare` on its own
/// examples.
public protocol LayerTrainer: AnyObject {
  associatedtype Gradient: LayerGradient
  /// The layer as trained so far.
  var currentLayer: any FeatureLayer { get }
  /// Updates applied so far (it also keys the random streams).
  var step: Int { get }
  /// The work units of a batch of `batchSize` examples of `inputShape` [C, H, W]: contiguous,
  /// ascending example ranges covering the batch. Defaults to one unit per example.
  func workUnits(batchSize: Int, inputShape: [Int]) -> [Range<Int>]
  /// The gradient of a whole batch, of which `examples` [n, C, H, W] holds this process's rows
  /// (`share.examples`); every process of `share` calls it together. The layer is not changed.
  func gradient(of examples: Tensor, share: BatchShare) throws -> Gradient
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
  public func workUnits(batchSize: Int, inputShape: [Int]) -> [Range<Int>] {
    BatchShare.perExample(batchSize)
  }

  /// The share of a batch [N, C, H, W] that this process computes in a run of `processes`.
  public func share(
    ofBatch batchSize: Int, inputShape: [Int], processes: any ProcessGroup = SingleProcess()
  ) -> BatchShare {
    BatchShare(
      units: workUnits(batchSize: batchSize, inputShape: inputShape), batchSize: batchSize,
      processes: processes)
  }

  /// The gradient of a whole batch [N, C, H, W] computed in this process alone.
  public func gradient(of batch: Tensor) throws -> Gradient {
    try gradient(
      of: batch, share: share(ofBatch: batch.shape[0], inputShape: Array(batch.shape.dropFirst())))
  }

  /// One update on a batch [N, C, H, W] computed in this process alone; returns its statistics.
  public func train(batch: Tensor, epoch: Int) throws -> TrainingStatistics {
    try train(
      examples: batch,
      share: share(ofBatch: batch.shape[0], inputShape: Array(batch.shape.dropFirst())),
      epoch: epoch)
  }

  /// One update on a batch of which `examples` holds this process's share; returns its statistics.
  public func train(examples: Tensor, share: BatchShare, epoch: Int) throws -> TrainingStatistics {
    let g = try gradient(of: examples, share: share)
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
    guard step >= 0 else {
      throw ModelError.malformedCheckpoint("\(group.name): step \(step) is negative")
    }
    let firstError =
      group.hasAttribute("first_reconstruction_error")
      ? try group.doubleAttribute("first_reconstruction_error") : nil
    if let firstError, !(firstError.isFinite && firstError >= 0) {
      throw ModelError.malformedCheckpoint(
        "\(group.name): first_reconstruction_error \(firstError) is not a finite error")
    }
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
