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
}

/// Trains a PSD layer: per mini-batch, infer the codes (FISTA warm-started from the encoder), take a
/// gradient step on the dictionary and renormalise each filter to unit norm, and a gradient step on
/// the encoder towards predicting those codes.
///
/// Nothing is random: the update depends only on the layer and the batch (each example's codes are
/// inferred on their own, and the weight gradients are summed per chunk of examples, then exactly
/// over the chunks), so the same data gives the same weights on any thread or process count, and the state to
/// resume is the step counter and the first error.
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

  /// The chunks of the weight gradients' unfolded matrices (`Convolution.weightGradient`'s cut).
  public func workUnits(batchSize: Int, inputShape: [Int]) -> [Range<Int>] {
    let s = layer.convolutionShape(height: inputShape[1], width: inputShape[2])
    return ChunkPlan(examples: batchSize, floatsPerExample: s.patchSize * s.outputPlane).ranges
  }

  /// The gradients of one mini-batch, of which `shard` [n, C, H, W] holds this process's examples;
  /// parameters are not changed.
  public func gradient(of shard: Tensor, share: BatchShare) throws -> PSDGradient {
    try share.check(shard)
    let inference = SparseCodeInference(layer: layer, height: shard.shape[2], width: shard.shape[3])
    // Per chunk: the dictionary's and the encoder's weight sums, the gain, bias and active-code
    // sums, then the squared error; added exactly over the chunks of every process.
    let s = inference.shape
    let k = s.filters
    let stride = 2 * s.weightCount + 3 * k
    let units = share.units.count
    var sums = [Float](repeating: 0, count: units * stride)
    var errors = [Double](repeating: 0, count: units)
    // A process whose share is empty (fewer chunks than processes) only takes part in the sums.
    if !share.owned.isEmpty {
      try sumOwnedChunks(
        of: shard, share: share, inference: inference, stride: stride, sums: &sums,
        errors: &errors)
    }
    let total = try share.sumUnits(sums, stride: stride)
    let squaredError = try share.sumUnits(errors, stride: 1)[0]
    let n = share.batchSize
    let scale = 1 / Float(n * s.outputPlane)
    let filterShape = layer.dictionary.shape
    // The dictionary's gradient is minus the correlation of the residual with the codes.
    let dictionary = Tensor(
      shape: filterShape, scalars: total[0..<s.weightCount].map { -$0 * scale })
    let encoderWeights = Tensor(
      shape: filterShape, scalars: total[s.weightCount..<(2 * s.weightCount)].map { $0 * scale })
    let gain = total[(2 * s.weightCount)..<(2 * s.weightCount + k)].map { $0 * scale }
    let bias = total[(2 * s.weightCount + k)..<(2 * s.weightCount + 2 * k)].map { $0 * scale }
    let active = total[(2 * s.weightCount + 2 * k)...].map { $0 / Float(n * s.outputPlane) }
    let stats = TrainingStatistics(
      reconstructionError: squaredError / Double(n * s.inputSize), meanActivation: Array(active),
      examples: n)
    return PSDGradient(
      dictionary: dictionary, encoderWeights: encoderWeights, encoderGain: gain,
      encoderBias: bias, statistics: stats)
  }

  /// Infers the codes of this process's examples and writes each of its chunks' sums (`stride`
  /// floats: see `gradient`) into `sums` and its squared error into `errors`.
  private func sumOwnedChunks(
    of shard: Tensor, share: BatchShare, inference: SparseCodeInference, stride: Int,
    sums: inout [Float], errors: inout [Double]
  ) throws {
    let (preactivation, prediction) = try layer.encode(shard)
    if workspace?.shape != inference.shape {
      workspace = SparseCodeInference.Workspace(
        shape: inference.shape, workers: min(Parallelism.threads, shard.shape[0]))
    }
    let inferred = inference.run(shard, prediction: prediction, workspace: workspace)
    let codes = inferred.codes
    let residual = layer.weightedResidual(shard, reconstruction: inferred.reconstructions)
    let upstream = layer.encoderUpstream(preactivation: preactivation, codes: codes)

    let s = inference.shape
    let k = s.filters
    let first = share.examples.lowerBound
    let owned = share.owned
    let scratch = Scratch(
      workers: min(Parallelism.threads, owned.count),
      floats: Convolution.scratchFloats(s, count: share.units[owned].map(\.count).max() ?? 1))
    let tensors = (shard, residual, codes, upstream.delta)
    sums.withUnsafeMutableBufferPointer { sumPointer in
      errors.withUnsafeMutableBufferPointer { errorPointer in
        nonisolated(unsafe) let (out, err) = (sumPointer.baseAddress!, errorPointer.baseAddress!)
        tensors.0.scalars.withUnsafeBufferPointer { x in
          tensors.1.scalars.withUnsafeBufferPointer { r in
            tensors.2.scalars.withUnsafeBufferPointer { z in
              tensors.3.scalars.withUnsafeBufferPointer { d in
                nonisolated(unsafe) let (x, r, z, d) = (
                  x.baseAddress!, r.baseAddress!, z.baseAddress!, d.baseAddress!
                )
                let reconstructions = inferred.reconstructions
                Parallelism.forEach(owned.count, threads: scratch.workers) { task, worker in
                  let unit = owned.lowerBound + task
                  let range = share.units[unit]
                  let local = range.lowerBound - first
                  let slot = out + unit * stride
                  Convolution.weightGradient(
                    s, count: range.count, input: r + local * s.inputSize,
                    maps: z + local * s.outputSize, gradient: slot,
                    scratch: scratch.buffer(worker))
                  Convolution.weightGradient(
                    s, count: range.count, input: x + local * s.inputSize,
                    maps: d + local * s.outputSize, gradient: slot + s.weightCount,
                    scratch: scratch.buffer(worker))
                  let gain = slot + 2 * s.weightCount
                  let bias = gain + k
                  let active = bias + k
                  gain.update(repeating: 0, count: 3 * k)
                  var squaredError = 0.0
                  for e in (local..<(local + range.count)) {
                    for kk in 0..<k {
                      gain[kk] += upstream.gain[e * k + kk]
                      bias[kk] += upstream.bias[e * k + kk]
                      let base = e * s.outputSize + kk * s.outputPlane
                      var count = 0
                      for p in 0..<s.outputPlane where z[base + p] != 0 { count += 1 }
                      active[kk] += Float(count)
                    }
                    for i in (e * s.inputSize)..<((e + 1) * s.inputSize) {
                      let v = Double(x[i] - reconstructions.scalars[i])
                      squaredError += v * v
                    }
                  }
                  err[unit] = squaredError
                }
              }
            }
          }
        }
      }
    }
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
