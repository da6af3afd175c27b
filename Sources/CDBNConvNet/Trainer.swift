import CDBNNumerics
import RealModule

/// Mini-batch SGD with momentum, L2 weight decay on the weights (not the biases), a learning-rate
/// schedule, and random shifts of the training examples.
public struct TrainingSettings: Sendable, Hashable {
  public var batchSize = 32
  public var learningRate: Float = 0.01
  public var momentum: Float = 0.9
  /// λ in the update g + λ·w of every `weights` parameter.
  public var weightDecay: Float = 5e-4
  public var schedule: LearningRateSchedule = .constant
  /// Each training example is shifted by a random (dy, dx) with |dy| ≤ height, |dx| ≤ width,
  /// zero-filled; 0 turns augmentation off. Use Size2(0, s) for 1-D signals.
  public var maxShift: Size2 = 0
  /// Train on random crops of the network's input size from larger examples (an offset drawn per
  /// example); without it the data must have exactly the network's input size. Evaluate such a
  /// network on `Augmentation.centerCrop(_:to:)` of the data.
  public var randomCrop = false
  /// Examples per unit of parallel work. Fixed independently of the thread count, which is what
  /// makes the result the same on any number of threads.
  public var chunkSize = 8
  /// Visit the examples in a new random order every epoch.
  public var shuffle = true
  /// The first `frozenParameters` parameter tensors (those of the layers copied from a CDBN, say)
  /// stay fixed for the first `frozenEpochs` epochs: the layers above learn to read the copied
  /// features before fine-tuning is allowed to move them.
  public var frozenParameters = 0
  public var frozenEpochs = 0

  public init() {}

  public func validate() throws(ConvNetError) {
    guard batchSize > 0 else {
      throw .invalidSettings("batch size must be positive, got \(batchSize)")
    }
    guard chunkSize > 0 else {
      throw .invalidSettings("chunk size must be positive, got \(chunkSize)")
    }
    guard learningRate > 0, learningRate.isFinite else {
      throw .invalidSettings("learning rate must be positive, got \(learningRate)")
    }
    guard momentum >= 0, momentum < 1 else {
      throw .invalidSettings("momentum must be in [0, 1), got \(momentum)")
    }
    guard weightDecay >= 0, weightDecay.isFinite else {
      throw .invalidSettings("weight decay must not be negative, got \(weightDecay)")
    }
    guard frozenParameters >= 0, frozenEpochs >= 0 else {
      throw .invalidSettings(
        "frozen parameters and epochs must not be negative, got \(frozenParameters), \(frozenEpochs)"
      )
    }
    guard maxShift.height >= 0, maxShift.width >= 0 else {
      throw .invalidSettings("shift must not be negative, got \(maxShift)")
    }
    switch schedule {
    case .constant: break
    case .step(let every, let factor):
      guard every > 0, factor > 0, factor.isFinite else {
        throw .invalidSettings(
          "step schedule needs every > 0 and factor > 0, got \(every), \(factor)")
      }
    case .exponential(let decay):
      guard decay > 0, decay.isFinite else {
        throw .invalidSettings("exponential decay must be positive, got \(decay)")
      }
    }
  }
}

/// What one epoch of training did.
public struct EpochReport: Sendable, Equatable {
  /// Epochs completed so far (1 after the first).
  public var epoch: Int
  /// Mean cross-entropy over the epoch's training examples (as seen in training: augmented, dropout).
  public var loss: Double
  /// Fraction of training examples classified correctly during the epoch.
  public var accuracy: Double
  public var seconds: Double
  public var learningRate: Float
  /// Updates completed so far.
  public var step: Int

  public init(
    epoch: Int, loss: Double, accuracy: Double, seconds: Double, learningRate: Float, step: Int
  ) {
    self.epoch = epoch
    self.loss = loss
    self.accuracy = accuracy
    self.seconds = seconds
    self.learningRate = learningRate
    self.step = step
  }
}

/// Trains a `Network` with mini-batch SGD.
///
/// Each mini-batch is cut into chunks of `settings.chunkSize` examples; the worker threads take the
/// chunks, each with its own replica of the layers, and each chunk's gradient lands in its own slot;
/// the slots are then added in chunk order. Every random draw (example order per epoch, shifts and
/// dropout masks per example) comes from a stream keyed by the seed and (epoch, step, example), so
/// the weights depend on the seed and not on the number of threads, and resuming from a saved state
/// (epoch, step, velocities) continues exactly.
///
/// `computeGradient` and `applyGradient` are separate steps: the seam for a data-parallel
/// all-reduce of `gradient` across processes.
public final class ConvNetTrainer {
  public let network: Network
  public var settings: TrainingSettings
  public internal(set) var seed: UInt64
  /// Epochs completed.
  public internal(set) var epoch = 0
  /// Updates applied.
  public internal(set) var step = 0
  let velocities: [FloatBuffer]
  /// The mean gradient of the last `computeGradient`, in `network.parameters` order.
  let gradientBuffer: FloatBuffer
  private var partials = FloatBuffer(count: 0)
  private let offsets: [Int]

  public init(network: Network, settings: TrainingSettings, seed: UInt64) throws(ConvNetError) {
    try settings.validate()
    self.network = network
    self.settings = settings
    self.seed = seed
    velocities = network.parameters.map { FloatBuffer(count: $0.count) }
    gradientBuffer = FloatBuffer(count: network.parameterCount)
    var o: [Int] = []
    var total = 0
    for p in network.parameters {
      o.append(total)
      total += p.count
    }
    offsets = o
  }

  /// The mean gradient of the last batch, flat in `network.parameters` order.
  public var gradient: [Float] { gradientBuffer.array }

  /// The velocity of parameter `i` of `network.parameters`.
  public func velocity(_ i: Int) -> [Float] { velocities[i].array }

  /// The learning rate of the current epoch.
  public var currentLearningRate: Float {
    settings.schedule.rate(base: settings.learningRate, epoch: epoch)
  }

  /// The order in which epoch `e` visits `n` examples.
  public func order(epoch e: Int, examples n: Int) -> [Int] {
    guard settings.shuffle else { return Array(0..<n) }
    var rng = RandomStream(seed: seed, stream: 0x0DE2_0000_0000 &+ UInt64(e))
    return rng.permutation(n)
  }

  /// Data of the network's input shape or, with `randomCrop`, at least as large.
  func checkData(_ data: Tensor, labels: [Int]) throws(ConvNetError) {
    try settings.validate()  // `settings` is public and may have changed since init
    let input = network.spec.inputShape
    if settings.randomCrop {
      guard data.rank == 4, data.shape[0] > 0, data.shape[1] == input[0],
        data.shape[2] >= input[1], data.shape[3] >= input[2]
      else {
        throw .shapeMismatch(
          "random crops of \(input) need data [N, \(input[0]), ≥\(input[1]), ≥\(input[2])] with N > 0, got \(data.shape)"
        )
      }
      if let bad = data.firstNonFinite() {
        throw .nonFinite("data value \(data.scalars[bad]) at flat index \(bad)")
      }
    } else {
      try network.validate(data)
    }
    try network.validate(labels: labels, count: data.shape[0])
  }

  // MARK: - Training loop

  /// Trains `epochs` more epochs over `data` [N] + inputShape with `labels`, calling `callback` after
  /// each (it may throw to stop, for instance after writing a checkpoint fails). `progress` hears,
  /// after each batch, the examples done in this epoch and their mean loss; it may throw to stop
  /// mid-epoch (a stop request), and then the trainer is part-way through an epoch: reload the last
  /// checkpoint rather than save it.
  @discardableResult
  public func train(
    data: Tensor, labels: [Int], epochs: Int,
    callback: (EpochReport) throws -> Void = { _ in },
    progress: (_ examplesDone: Int, _ meanLoss: Double) throws -> Void = { _, _ in }
  ) throws -> [EpochReport] {
    try checkData(data, labels: labels)
    var reports: [EpochReport] = []
    for _ in 0..<max(0, epochs) {
      var stop: (any Error)?
      let report = try trainEpochUnchecked(data: data, labels: labels) { done, loss in
        do {
          try progress(done, loss)
          return true
        } catch {
          stop = error
          return false
        }
      }
      if let stop { throw stop }
      guard let report else { break }  // nil only after a stop, thrown above
      reports.append(report)
      try callback(report)
    }
    return reports
  }

  /// One epoch over all examples in batches of `settings.batchSize` (the last may be smaller).
  @discardableResult
  public func trainEpoch(data: Tensor, labels: [Int]) throws(ConvNetError) -> EpochReport {
    try checkData(data, labels: labels)
    // A `progress` that never stops gives a report.
    return try trainEpochUnchecked(data: data, labels: labels) { _, _ in true }!
  }

  /// `progress` hears, after each batch, the examples done in this epoch and their mean loss, and
  /// says whether to go on; nil when it stopped the epoch part-way.
  private func trainEpochUnchecked(
    data: Tensor, labels: [Int], progress: (Int, Double) -> Bool
  ) throws(ConvNetError) -> EpochReport? {
    let clock = ContinuousClock()
    let start = clock.now
    let n = data.shape[0]
    let order = order(epoch: epoch, examples: n)
    let rate = currentLearningRate
    var loss = 0.0
    var correct = 0
    for b in stride(from: 0, to: n, by: settings.batchSize) {
      let batch = Array(order[b..<min(n, b + settings.batchSize)])
      let r = try computeGradientUnchecked(data: data, labels: labels, batch: batch)
      applyGradient()
      loss += r.loss * Double(batch.count)
      correct += r.correct
      guard progress(b + batch.count, loss / Double(b + batch.count)) else { return nil }
    }
    epoch += 1
    return EpochReport(
      epoch: epoch, loss: loss / Double(n), accuracy: Double(correct) / Double(n),
      seconds: Self.seconds(start.duration(to: clock.now)), learningRate: rate, step: step)
  }

  // MARK: - One step

  /// The mean gradient over the examples `batch` (indices into `data`) into `gradient`; returns the
  /// batch's mean loss and its number of correct predictions. Parameters are not changed.
  @discardableResult
  public func computeGradient(data: Tensor, labels: [Int], batch: [Int]) throws(ConvNetError) -> (
    loss: Double, correct: Int
  ) {
    try checkData(data, labels: labels)
    guard !batch.isEmpty, batch.allSatisfy({ $0 >= 0 && $0 < data.shape[0] }) else {
      throw .shapeMismatch("batch indices must be in 0..<\(data.shape[0]) and not empty")
    }
    return try computeGradientUnchecked(data: data, labels: labels, batch: batch)
  }

  private func computeGradientUnchecked(data: Tensor, labels: [Int], batch: [Int])
    throws(ConvNetError) -> (loss: Double, correct: Int)
  {
    let count = batch.count
    let chunk = settings.chunkSize
    let chunks = stride(from: 0, to: count, by: chunk).map { $0..<min(count, $0 + chunk) }
    let workers = network.replicas(min(Parallelism.threads, chunks.count), capacity: chunk)
    let total = network.parameterCount
    if partials.count < chunks.count * total {
      partials = FloatBuffer(count: chunks.count * total)
    }
    let batchLabels = batch.map { labels[$0] }
    var losses = [Double](repeating: 0, count: chunks.count)
    var corrects = [Int](repeating: 0, count: chunks.count)
    let shape = network.spec.inputShape
    let source = Size2(data.shape[2], data.shape[3])
    let sourceSize = data.count / data.shape[0]
    let crop = settings.randomCrop && (source.height > shape[1] || source.width > shape[2])
    let shift = settings.maxShift
    let context = ForwardContext(mode: .training, seed: seed, step: step)
    let augmentSeed = seed ^ 0xA067_3E47_5A1F_0001
    let step = self.step
    data.scalars.withUnsafeBufferPointer { x in
      batchLabels.withUnsafeBufferPointer { l in
        batch.withUnsafeBufferPointer { indices in
          losses.withUnsafeMutableBufferPointer { lossOut in
            corrects.withUnsafeMutableBufferPointer { correctOut in
              nonisolated(unsafe) let (x, l, indices) = (x.baseAddress!, l.baseAddress!, indices)
              nonisolated(unsafe) let (lossOut, correctOut) = (lossOut, correctOut)
              let partials = self.partials.pointer
              Parallelism.forEach(chunks.count, threads: workers.count) { task, worker in
                let r = chunks[task]
                let replica = workers[worker]
                let size = replica.inputSize
                for e in 0..<r.count {
                  let position = r.lowerBound + e
                  let src = x + indices[position] * sourceSize
                  let dst = replica.input.pointer + e * size
                  if shift.height == 0 && shift.width == 0 && !crop {
                    dst.update(from: src, count: size)
                    continue
                  }
                  var rng = RandomStream(
                    seed: augmentSeed, stream: (UInt64(step) << 24) ^ UInt64(position))
                  var dy = 0
                  var dx = 0
                  if shift.height > 0 || shift.width > 0 {
                    dy = rng.nextInt(below: 2 * shift.height + 1) - shift.height
                    dx = rng.nextInt(below: 2 * shift.width + 1) - shift.width
                  }
                  var oy = 0
                  var ox = 0
                  if crop {
                    oy = rng.nextInt(below: source.height - shape[1] + 1)
                    ox = rng.nextInt(below: source.width - shape[2] + 1)
                  }
                  Augmentation.cropAndShift(
                    src, source: source, into: dst, channels: shape[0],
                    size: Size2(shape[1], shape[2]), origin: Size2(oy, ox), dy: dy, dx: dx)
                }
                var ctx = context
                ctx.firstExample = r.lowerBound
                let result = replica.forwardBackward(
                  count: r.count, labels: l + r.lowerBound, context: ctx)
                replica.copyGradients(to: partials + task * total)
                lossOut[task] = result.loss
                correctOut[task] = result.correct
              }
            }
          }
        }
      }
    }
    // Chunk order, whatever the threads.
    let g = gradientBuffer.pointer
    g.update(from: partials.pointer, count: total)
    for t in 1..<max(1, chunks.count) {
      let p = partials.pointer + t * total
      for i in 0..<total { g[i] += p[i] }
    }
    let scale = 1 / Float(count)
    for i in 0..<total { g[i] *= scale }
    let loss = losses.reduce(0, +) / Double(count)
    guard loss.isFinite else {
      throw .diverged("loss is \(loss) at step \(step) (epoch \(epoch))")
    }
    if let bad = (0..<total).first(where: { !g[$0].isFinite }) {
      throw .diverged("gradient \(g[bad]) at flat index \(bad), step \(step)")
    }
    return (loss, corrects.reduce(0, +))
  }

  /// One SGD step with the current `gradient`:
  /// v ← μ·v − η_e·(g + λ·w) (λ = 0 for biases), w ← w + v, except for parameters still frozen;
  /// then `step` advances.
  public func applyGradient() {
    let rate = currentLearningRate
    let mu = settings.momentum
    let g = gradientBuffer.pointer
    let frozen = epoch < settings.frozenEpochs ? settings.frozenParameters : 0
    for (i, p) in network.parameters.enumerated() where i >= frozen {
      let decay = p.decays ? settings.weightDecay : 0
      MomentumSGD.step(
        .descending, parameters: p.pointer, velocity: velocities[i].pointer,
        gradient: g + offsets[i], count: p.count, rate: rate, momentum: mu, decay: decay)
    }
    step += 1
  }
}

/// Data augmentation helpers.
public enum Augmentation {
  /// dst[c, i, j] = src[c, oy + i − dy, ox + j − dx] for an output of `size` cut at `origin` from
  /// planes of `source` size, zero where (i − dy, j − dx) falls outside the cut window.
  static func cropAndShift(
    _ src: UnsafePointer<Float>, source: Size2, into dst: UnsafeMutablePointer<Float>,
    channels: Int, size: Size2, origin: Size2, dy: Int, dx: Int
  ) {
    let (h, w) = (size.height, size.width)
    dst.update(repeating: 0, count: channels * h * w)
    let j0 = max(0, dx)
    let j1 = min(w, w + dx)
    let i0 = max(0, dy)
    let i1 = min(h, h + dy)
    guard j1 > j0, i1 > i0 else { return }
    for c in 0..<channels {
      for i in i0..<i1 {
        let s =
          src + (c * source.height + origin.height + i - dy) * source.width + origin.width + j0 - dx
        (dst + (c * h + i) * w + j0).update(from: s, count: j1 - j0)
      }
    }
  }

  /// Every example of `data` [N, C, H, W] shifted by (dy, dx): out[c, i, j] = x[c, i − dy, j − dx],
  /// zero-filled.
  public static func shifted(_ data: Tensor, dy: Int, dx: Int) -> Tensor {
    let (_, c, h, w) = data.dims4
    return transform(data, to: Size2(h, w)) { s, d in
      cropAndShift(
        s, source: Size2(h, w), into: d, channels: c, size: Size2(h, w), origin: Size2(0, 0),
        dy: dy, dx: dx)
    }
  }

  /// The centred `size` window of every example of `data` [N, C, H, W] (H ≥ size.height,
  /// W ≥ size.width): what a network trained with random crops should see in evaluation.
  public static func centerCrop(_ data: Tensor, to size: Size2) throws(ConvNetError) -> Tensor {
    let (_, c, h, w) = data.dims4
    guard data.rank == 4, h >= size.height, w >= size.width, size.height > 0, size.width > 0 else {
      throw .shapeMismatch("cannot cut \(size) windows from \(data.shape)")
    }
    let origin = Size2((h - size.height) / 2, (w - size.width) / 2)
    return transform(data, to: size) { s, d in
      cropAndShift(
        s, source: Size2(h, w), into: d, channels: c, size: size, origin: origin, dy: 0, dx: 0)
    }
  }

  private static func transform(
    _ data: Tensor, to size: Size2,
    _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) -> Tensor {
    let (n, c, h, w) = data.dims4
    var out = Tensor(zeros: [n, c, size.height, size.width])
    data.scalars.withUnsafeBufferPointer { s in
      out.scalars.withUnsafeMutableBufferPointer { d in
        for e in 0..<n {
          body(s.baseAddress! + e * c * h * w, d.baseAddress! + e * c * size.height * size.width)
        }
      }
    }
    return out
  }
}

extension ConvNetTrainer {
  static func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) * 1e-18
  }
}
