import CDBNNumerics
import CDBNStorage

/// One mini-batch's PSD gradients, averaged over the N·Ho·Wo code positions of the batch (so the
/// learning rates do not depend on the input size): what `PSDTrainer.apply` steps along.
public struct PSDGradient: LayerGradient {
  /// ∂E/∂D [K, C, fh, fw] at the inferred codes.
  public var dictionary: Tensor
  /// ∂(β‖z − f(W ∗ x)‖²)/∂W, /∂gain, /∂bias at the inferred codes.
  public var encoderWeights: Tensor
  public var encoderGain: [Float]
  public var encoderBias: [Float]
  public var statistics: TrainingStatistics

  /// The dictionary, then the encoder's weights, gains and biases.
  public var values: [Float] {
    get { dictionary.scalars + encoderWeights.scalars + encoderGain + encoderBias }
    set {
      let (d, e, k) = (dictionary.count, encoderWeights.count, encoderGain.count)
      dictionary.scalars = Array(newValue[0..<d])
      encoderWeights.scalars = Array(newValue[d..<(d + e)])
      encoderGain = Array(newValue[(d + e)..<(d + e + k)])
      encoderBias = Array(newValue[(d + e + k)...])
    }
  }
}

/// Trains a PSD layer: per mini-batch, infer the codes (FISTA warm-started from the encoder), take a
/// gradient step on the dictionary and renormalise each filter to unit norm, and a gradient step on
/// the encoder towards predicting those codes.
///
/// Nothing is random: the update depends only on the layer and the batch (each example's codes are
/// inferred on their own), so the same data gives the same weights on any thread count, and the
/// state to resume is the step counter and the first error.
public final class PSDTrainer: LayerTrainer {
  public internal(set) var layer: PSDLayer
  public let settings: PSDTraining
  public internal(set) var step: Int = 0
  /// Reconstruction error of the first update, the yardstick for divergence.
  public internal(set) var firstError: Double?
  private var workspace: SparseCodeInference.Workspace?

  public init(layer: PSDLayer, settings: PSDTraining) throws {
    try settings.validate()
    self.layer = layer
    self.settings = settings
  }

  public var currentLayer: any FeatureLayer { layer }

  public func finishEpoch(_ epoch: Int) {}

  /// The gradients of one mini-batch [N, C, H, W]; parameters are not changed.
  public func gradient(of batch: Tensor) throws -> PSDGradient {
    let (preactivation, prediction) = try layer.encode(batch)
    let inference = SparseCodeInference(layer: layer, height: batch.shape[2], width: batch.shape[3])
    if workspace?.shape != inference.shape {
      workspace = SparseCodeInference.Workspace(
        shape: inference.shape, workers: min(Parallelism.threads, batch.shape[0]))
    }
    let inferred = inference.run(batch, prediction: prediction, workspace: workspace)
    let codes = inferred.codes
    let residual = layer.weightedResidual(batch, reconstruction: inferred.reconstructions)
    var dictionary = layer.dictionaryGradient(weightedResidual: residual, codes: codes)
    var encoder = try layer.encoderGradient(batch, codes: codes, preactivation: preactivation)

    let s = inference.shape
    let n = batch.shape[0]
    let scale = 1 / Float(n * s.outputPlane)
    for i in 0..<dictionary.count { dictionary.scalars[i] *= scale }
    for i in 0..<encoder.weights.count { encoder.weights.scalars[i] *= scale }
    for k in 0..<s.filters {
      encoder.gain[k] *= scale
      encoder.bias[k] *= scale
    }
    var squaredError = 0.0
    for i in 0..<batch.count {
      let r = Double(batch.scalars[i] - inferred.reconstructions.scalars[i])
      squaredError += r * r
    }
    var active = [Float](repeating: 0, count: s.filters)
    for e in 0..<n {
      for k in 0..<s.filters {
        let base = (e * s.filters + k) * s.outputPlane
        var count = 0
        for p in 0..<s.outputPlane where codes.scalars[base + p] != 0 { count += 1 }
        active[k] += Float(count)
      }
    }
    let stats = TrainingStatistics(
      reconstructionError: squaredError / Double(batch.count),
      meanActivation: active.map { $0 / Float(n * s.outputPlane) }, examples: n)
    return PSDGradient(
      dictionary: dictionary, encoderWeights: encoder.weights, encoderGain: encoder.gain,
      encoderBias: encoder.bias, statistics: stats)
  }

  /// Steps along one gradient, then puts each dictionary filter back to unit norm (and keeps the
  /// shrink encoder's sharpness positive and threshold non-negative). Throws, changing nothing, when
  /// the gradient or the result is not finite or the reconstruction error has exploded.
  public func apply(_ g: PSDGradient, epoch: Int) throws {
    try g.statistics.checkDivergence(
      gradientIsFinite: g.dictionary.firstNonFinite() == nil
        && g.encoderWeights.firstNonFinite() == nil && g.encoderGain.allSatisfy(\.isFinite)
        && g.encoderBias.allSatisfy(\.isFinite),
      firstError: firstError, factor: settings.divergenceFactor, step: step, epoch: epoch)
    let decay = settings.decay(epoch: epoch)
    let rateD = settings.dictionaryLearningRate * decay
    let rateE = settings.encoderLearningRate * decay
    var next = layer
    for i in 0..<next.dictionary.count {
      next.dictionary.scalars[i] -= rateD * g.dictionary.scalars[i]
    }
    PSDLayer.normalizeFilters(&next.dictionary)
    for i in 0..<next.encoderWeights.count {
      next.encoderWeights.scalars[i] -= rateE * g.encoderWeights.scalars[i]
    }
    for k in 0..<next.encoderGain.count {
      next.encoderGain[k] -= rateE * g.encoderGain[k]
      next.encoderBias[k] -= rateE * g.encoderBias[k]
      if next.settings.encoder == .shrink {
        next.encoderGain[k] = max(PSDLayer.minimumSharpness, next.encoderGain[k])
        next.encoderBias[k] = max(0, next.encoderBias[k])
      }
    }
    guard next.dictionary.firstNonFinite() == nil, next.encoderWeights.firstNonFinite() == nil,
      next.encoderGain.allSatisfy(\.isFinite), next.encoderBias.allSatisfy(\.isFinite)
    else {
      throw ModelError.diverged(
        "parameters became NaN or infinite at update \(step) (epoch \(epoch + 1))")
    }
    layer = next
    if firstError == nil { firstError = g.statistics.reconstructionError }
    step += 1
  }

  /// The step counter and the first error: PSD training keeps no other state.
  public func saveState(to group: HDF5Group) throws {
    try TrainerProgress.save(step: step, firstError: firstError, to: group)
  }

  public func restoreState(from group: HDF5Group) throws {
    (step, firstError) = try TrainerProgress.restore(from: group)
  }
}
