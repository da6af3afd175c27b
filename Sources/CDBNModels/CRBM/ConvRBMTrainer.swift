import CDBNNumerics

/// The CD-k / PCD statistics of one mini-batch, averaged per hidden (or visible) unit: what
/// `ConvRBMTrainer.apply` turns into an update, and what a data-parallel run would all-reduce.
///
/// They are σ² times the log-likelihood gradient estimate (Lee's code and most CRBM code train on
/// these statistics, so the learning rate does not change meaning when σ anneals):
///   weights     = (⟨h v⟩_data − ⟨h v⟩_model) / (N·Hh·Wh)
///   hiddenBias  = (⟨h⟩_data − ⟨h⟩_model) / (N·Hh·Wh)
///   visibleBias = (⟨v⟩_data − ⟨v⟩_model) / (N·H·W)
public struct ConvRBMGradient: LayerGradient {
  public var weights: [Float]
  public var hiddenBias: [Float]
  public var visibleBias: [Float]
  public var statistics: TrainingStatistics
  /// PCD only: the negative chains after this batch (each process keeps its own).
  public var chains: Tensor?

  /// weights, then hidden biases, then visible biases.
  public var values: [Float] {
    get { weights + hiddenBias + visibleBias }
    set {
      let (w, h) = (weights.count, hiddenBias.count)
      weights = Array(newValue[0..<w])
      hiddenBias = Array(newValue[w..<(w + h)])
      visibleBias = Array(newValue[(w + h)...])
    }
  }
}

/// Trains a ConvRBM with CD-k or persistent CD, momentum, weight decay and a sparsity target.
///
/// The batch is cut into chunks (see `ChunkPlan`); each chunk runs the whole Gibbs chain on one worker
/// with its own scratch and its own random stream keyed by (seed, step, chunk), and the chunks'
/// statistics are added in chunk order. So the result depends on the seed and not on the threads.
public final class ConvRBMTrainer: LayerTrainer {
  public internal(set) var rbm: ConvRBM
  public let settings: ContrastiveDivergence
  public let seed: UInt64
  public internal(set) var step: Int = 0
  public internal(set) var weightVelocity: [Float]
  public internal(set) var hiddenBiasVelocity: [Float]
  public internal(set) var visibleBiasVelocity: [Float]
  /// Running average of each group's activation, for the sparsity term.
  public internal(set) var runningActivation: [Float]
  /// Persistent chains [N, C, H, W] (PCD only; created from the first batch).
  public internal(set) var chains: Tensor?
  /// Reconstruction error of the first update, the yardstick for divergence.
  public internal(set) var firstError: Double?

  private var workspace: Workspace?

  /// How the top-down pass turns sampled hidden states into the visible mean.
  enum TopDownPass {
    /// Whichever `ActivePatches.isCheaper` expects to be faster for the units that are on.
    case automatic
    /// sgemm over every position, then col2im.
    case dense
    /// Per block, the filters of the groups that are on summed in one window (`ActivePatches`).
    case sparse
  }

  /// Tests pin this to check both routes against naive loops.
  var topDownPass = TopDownPass.automatic

  public init(rbm: ConvRBM, settings: ContrastiveDivergence, seed: UInt64) throws {
    try settings.validate()
    self.rbm = rbm
    self.settings = settings
    self.seed = seed
    weightVelocity = [Float](repeating: 0, count: rbm.weights.count)
    hiddenBiasVelocity = [Float](repeating: 0, count: rbm.outputChannels)
    visibleBiasVelocity = [Float](repeating: 0, count: rbm.inputChannels)
    runningActivation = [Float](repeating: settings.sparsityTarget, count: rbm.outputChannels)
  }

  public var currentLayer: any FeatureLayer { rbm }

  public func finishEpoch(_ epoch: Int) {
    if rbm.visible == .gaussian {
      rbm.sigma = max(settings.sigmaMin, rbm.sigma * settings.sigmaDecay)
    }
  }

  // MARK: - Gradient

  /// The statistics of one mini-batch [N, C, H, W]; parameters are not changed.
  public func gradient(of batch: Tensor) throws -> ConvRBMGradient {
    try rbm.validate(batch)
    let n = batch.shape[0]
    let s = rbm.convolutionShape(height: batch.shape[2], width: batch.shape[3])
    let g = rbm.poolingShape(height: batch.shape[2], width: batch.shape[3])
    if settings.persistent, let c = chains, c.shape != batch.shape {
      throw ModelError.shapeMismatch(
        "PCD chains are \(c.shape) but the batch is \(batch.shape); keep the batch shape fixed")
    }
    let ws = workspace(for: s, pooling: g, examples: n)
    var newChains: Tensor? = nil
    if settings.persistent { newChains = chains ?? batch }
    let chainInput = newChains
    let k = s.filters
    let stepSeed = UInt64(step)
    let rbm = self.rbm
    let settings = self.settings
    let seed = self.seed
    let topDown = topDownPass
    rbm.weights.scalars.withUnsafeBufferPointer { ws.patches.load(filters: $0.baseAddress!) }

    batch.scalars.withUnsafeBufferPointer { data in
      rbm.weights.scalars.withUnsafeBufferPointer { w in
        rbm.hiddenBias.withUnsafeBufferPointer { b in
          nonisolated(unsafe) let (data, w, b) = (data.baseAddress!, w.baseAddress!, b.baseAddress!)
          nonisolated(unsafe) let chainPointer: UnsafeMutablePointer<Float>? = newChains.map { _ in
            ws.chainOut
          }
          if let chainInput {
            chainInput.scalars.withUnsafeBufferPointer { ci in
              ws.chainOut.update(from: ci.baseAddress!, count: ci.count)
            }
          }
          Parallelism.forEach(ws.plan.ranges.count, threads: ws.workers.count) { task, worker in
            let range = ws.plan.ranges[task]
            var rng = RandomStream(seed: seed, stream: (stepSeed << 16) | UInt64(task))
            ConvRBMTrainer.chunk(
              rbm: rbm, settings: settings, shape: s, pooling: g, weights: w, hiddenBias: b,
              data: data + range.lowerBound * s.inputSize, count: range.count,
              chain: chainPointer.map { $0 + range.lowerBound * s.inputSize },
              patches: ws.patches, topDown: topDown, scratch: ws.workers[worker],
              partial: ws.partials[task], rng: &rng)
          }
        }
      }
    }

    // Add the chunks' partial sums in chunk order.
    var gw = [Float](repeating: 0, count: s.weightCount)
    var gb = [Float](repeating: 0, count: k)
    var gc = [Float](repeating: 0, count: s.channels)
    var activation = [Float](repeating: 0, count: k)
    var squaredError = 0.0
    for p in ws.partials {
      gw.withUnsafeMutableBufferPointer {
        BLAS.saxpy(count: s.weightCount, alpha: 1, x: p.weights, y: $0.baseAddress!)
      }
      for i in 0..<k {
        gb[i] += p.hiddenBias[i]
        activation[i] += p.activation[i]
      }
      for i in 0..<s.channels { gc[i] += p.visibleBias[i] }
      squaredError += p.squaredError[0]
    }
    let hiddenUnits = Float(n * s.outputPlane)
    let visibleUnits = Float(n * s.inputPlane)
    gw.withUnsafeMutableBufferPointer { w in
      for i in 0..<w.count { w[i] /= hiddenUnits }
    }
    for i in 0..<k {
      gb[i] /= hiddenUnits
      activation[i] /= hiddenUnits
    }
    for i in 0..<gc.count { gc[i] /= visibleUnits }
    if newChains != nil {
      newChains!.scalars.withUnsafeMutableBufferPointer {
        $0.baseAddress!.update(from: ws.chainOut, count: $0.count)
      }
    }
    let stats = TrainingStatistics(
      reconstructionError: squaredError / Double(n * s.inputSize), meanActivation: activation,
      examples: n)
    return ConvRBMGradient(
      weights: gw, hiddenBias: gb, visibleBias: gc, statistics: stats, chains: newChains)
  }

  // MARK: - Update

  /// Applies one gradient: momentum, L2 weight decay and the sparsity term on the hidden biases.
  /// Throws (and changes nothing) when the gradient or the result is not finite, or when the
  /// reconstruction error has exploded.
  public func apply(_ g: ConvRBMGradient, epoch: Int) throws {
    let e = g.statistics.reconstructionError
    try g.statistics.checkDivergence(
      gradientIsFinite: g.weights.allSatisfy(\.isFinite) && g.hiddenBias.allSatisfy(\.isFinite)
        && g.visibleBias.allSatisfy(\.isFinite),
      firstError: firstError, factor: settings.divergenceFactor, step: step, epoch: epoch)
    let lr = settings.learningRate(epoch: epoch)
    let mom = settings.momentum(epoch: epoch)
    var next = rbm
    let decay = settings.weightDecay
    // Raw pointers: element access to a class's arrays pays for exclusivity checks, and this loop
    // runs on one thread while the workers wait.
    weightVelocity.withUnsafeMutableBufferPointer { velocity in
      next.weights.scalars.withUnsafeMutableBufferPointer { w in
        g.weights.withUnsafeBufferPointer { gw in
          MomentumSGD.step(
            .ascending, parameters: w.baseAddress!, velocity: velocity.baseAddress!,
            gradient: gw.baseAddress!, count: velocity.count, rate: lr, momentum: mom, decay: decay)
        }
      }
    }
    let rho = settings.sparsityDecay
    for k in 0..<hiddenBiasVelocity.count {
      runningActivation[k] = rho * runningActivation[k] + (1 - rho) * g.statistics.meanActivation[k]
      let sparsity = settings.sparsityCost * (settings.sparsityTarget - runningActivation[k])
      hiddenBiasVelocity[k] = mom * hiddenBiasVelocity[k] + lr * (g.hiddenBias[k] + sparsity)
      next.hiddenBias[k] += hiddenBiasVelocity[k]
    }
    for c in 0..<visibleBiasVelocity.count {
      visibleBiasVelocity[c] = mom * visibleBiasVelocity[c] + lr * g.visibleBias[c]
      next.visibleBias[c] += visibleBiasVelocity[c]
    }
    guard next.weights.firstNonFinite() == nil else {
      throw ModelError.diverged(
        "weights became NaN or infinite at update \(step) (epoch \(epoch + 1))")
    }
    rbm = next
    if firstError == nil { firstError = e }
    if let c = g.chains { chains = c }
    step += 1
  }

  // MARK: - One chunk, allocation-free

  /// Runs the Gibbs chain for `count` examples and writes their summed statistics into `partial`.
  private static func chunk(
    rbm: ConvRBM, settings: ContrastiveDivergence, shape s: ConvolutionShape,
    pooling g: PoolingShape,
    weights w: UnsafePointer<Float>, hiddenBias b: UnsafePointer<Float>,
    data: UnsafePointer<Float>, count: Int, chain: UnsafeMutablePointer<Float>?,
    patches: ActivePatches, topDown: TopDownPass, scratch: WorkerScratch, partial: PartialSums,
    rng: inout RandomStream
  ) {
    let k = s.filters
    // Block-major columns (see `ColumnOrder.pooling`): pooling and sampling run on whole vectors.
    let order = ColumnOrder.pooling(g.poolHeight, g.poolWidth)
    let o = order.geometry(s, count: count)
    let columns = o.columns
    let scale = rbm.inputScale
    let binary = rbm.visible == .binary
    let valid = o.validity(into: scratch.valid)

    // Bottom-up: unfold `v`, one sgemm, then pooling probabilities into `h`.
    func up(_ v: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>) {
      Unfold.im2col(s, count: count, input: v, columns: scratch.columns, order: order)
      BLAS.sgemmInSmallTiles(
        .none, .none, m: k, n: columns, k: s.patchSize, alpha: 1, a: w, lda: s.patchSize,
        b: scratch.columns, ldb: columns, beta: 0, c: h, ldc: columns)
      ProbabilisticMaxPooling.blockProbabilities(
        rows: k, offsets: o.offsets, length: o.length, values: h, bias: b, scale: scale,
        valid: valid, off: scratch.off, pooled: nil)
    }
    // Top-down: visible mean of the sampled block states (`active` blocks on) into `v`.
    // Binary units: sigmoid(c + gain·Σ h∗W) is computed as sigmoid(gain·(c/gain + Σ h∗W)).
    let gain = binary ? scale : 1
    func down(_ states: UnsafePointer<Float>, active: Int, into v: UnsafeMutablePointer<Float>) {
      for e in 0..<count {
        for c in 0..<s.channels {
          (v + e * s.inputSize + c * s.inputPlane).update(
            repeating: rbm.visibleBias[c] / gain, count: s.inputPlane)
        }
      }
      let sparse =
        switch topDown {
        case .automatic: patches.isCheaper(active: active, examples: count)
        case .dense: false
        case .sparse: true
        }
      if sparse {
        patches.add(states: states, geometry: o, output: v, scratch: scratch.groups)
      } else {
        ProbabilisticMaxPooling.expand(
          rows: k, offsets: o.offsets, length: o.length, states: states, hidden: scratch.samples,
          pooled: nil)
        BLAS.sgemmInSmallTiles(
          .transposed, .none, m: s.patchSize, n: columns, k: k, alpha: 1, a: w,
          lda: s.patchSize, b: scratch.samples, ldb: columns, beta: 0, c: scratch.columns,
          ldc: columns)
        Unfold.col2imAdd(s, count: count, columns: scratch.columns, output: v, order: order)
      }
      if binary { VectorMath.sigmoidInPlace(v, count: count * s.inputSize, gain: gain) }
    }
    // Block states of a sample from `probabilities` into `scratch.states`; returns the blocks on.
    func sample(_ probabilities: UnsafePointer<Float>) -> Int {
      ProbabilisticMaxPooling.blockSample(
        rows: k, offsets: o.offsets, length: o.length, probabilities: probabilities,
        off: scratch.off, valid: valid, uniforms: scratch.uniforms, rng: &rng,
        states: scratch.states)
    }

    let positive = scratch.positive
    let negative = scratch.negative
    let states = UnsafePointer(scratch.states)
    let reconstruction = scratch.visible
    partial.clear()

    // Positive phase: P(h | data) and its statistics.
    up(data, into: positive)
    BLAS.sgemmInSmallTiles(
      .none, .transposed, m: k, n: s.patchSize, k: columns, alpha: 1, a: positive, lda: columns,
      b: scratch.columns, ldb: columns, beta: 0, c: partial.weights, ldc: s.patchSize)
    // The hidden-bias statistic and the mean activation are the same sums here.
    for kk in 0..<k {
      let total = VectorMath.sum(positive + kk * columns, count: columns)
      partial.hiddenBias[kk] += total
      partial.activation[kk] += total
    }
    var active = sample(positive)

    // One-step reconstruction of the data (the monitored error; CD's first negative state).
    down(states, active: active, into: reconstruction)
    partial.squaredError[0] = Double(
      VectorMath.squaredDistance(data, reconstruction, count: count * s.inputSize))

    // Negative phase: CD restarts from the reconstruction; PCD continues its chain.
    var visibleState = UnsafePointer(reconstruction)
    var remaining = settings.steps - 1
    if let chain {
      up(chain, into: negative)
      active = sample(negative)
      down(states, active: active, into: reconstruction)
      visibleState = UnsafePointer(reconstruction)
    }
    up(visibleState, into: negative)
    while remaining > 0 {
      active = sample(negative)
      down(states, active: active, into: reconstruction)
      up(reconstruction, into: negative)
      remaining -= 1
    }
    // `scratch.columns` holds the unfolded negative visible state from the last `up`.
    BLAS.sgemmInSmallTiles(
      .none, .transposed, m: k, n: s.patchSize, k: columns, alpha: -1, a: negative, lda: columns,
      b: scratch.columns, ldb: columns, beta: 1, c: partial.weights, ldc: s.patchSize)
    for kk in 0..<k {
      partial.hiddenBias[kk] -= VectorMath.sum(negative + kk * columns, count: columns)
    }
    for e in 0..<count {
      for c in 0..<s.channels {
        let base = e * s.inputSize + c * s.inputPlane
        partial.visibleBias[c] +=
          VectorMath.sum(data + base, count: s.inputPlane)
          - VectorMath.sum(reconstruction + base, count: s.inputPlane)
      }
    }
    chain?.update(from: reconstruction, count: count * s.inputSize)
  }

  // MARK: - Scratch

  private func workspace(for s: ConvolutionShape, pooling g: PoolingShape, examples n: Int)
    -> Workspace
  {
    if let ws = workspace, ws.shape == s, ws.examples == n { return ws }
    let ws = Workspace(shape: s, pooling: g, examples: n)
    workspace = ws
    return ws
  }

  /// Scratch for one worker: sized for the largest chunk, allocated once per batch shape.
  final class WorkerScratch: @unchecked Sendable {
    let columns, positive, negative, samples, states, off, visible, uniforms,
      valid: UnsafeMutablePointer<Float>
    /// The groups that are on in one block (`ActivePatches.add`).
    let groups: UnsafeMutablePointer<Int>
    private let all: [UnsafeMutablePointer<Float>]

    init(shape s: ConvolutionShape, pooling g: PoolingShape, chunk: Int, groups: Int) {
      func make(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
        p.initialize(repeating: 0, count: max(1, n))
        return p
      }
      let o = ColumnOrder.pooling(g.poolHeight, g.poolWidth).geometry(s, count: chunk)
      let hidden = s.filters * o.columns
      // Zero-filled: im2col never writes the columns of missing block members, and they must be finite.
      columns = make(s.patchSize * o.columns)
      positive = make(hidden)
      negative = make(hidden)
      samples = make(hidden)
      states = make(s.filters * o.length)
      self.groups = .allocate(capacity: max(1, groups))
      off = make(s.filters * o.length)
      visible = make(chunk * s.inputSize)
      uniforms = make(o.length)
      valid = make(o.columns)
      all = [
        columns, positive, negative, samples, states, off, visible, uniforms, valid,
      ]
    }

    deinit {
      for p in all { p.deallocate() }
      groups.deallocate()
    }
  }

  /// One chunk's summed statistics.
  final class PartialSums: @unchecked Sendable {
    let weights, hiddenBias, visibleBias, activation: UnsafeMutablePointer<Float>
    let squaredError: UnsafeMutablePointer<Double>
    private let sizes: (Int, Int, Int)

    init(shape s: ConvolutionShape) {
      sizes = (s.weightCount, s.filters, s.channels)
      weights = .allocate(capacity: s.weightCount)
      hiddenBias = .allocate(capacity: s.filters)
      activation = .allocate(capacity: s.filters)
      visibleBias = .allocate(capacity: s.channels)
      squaredError = .allocate(capacity: 1)
      clear()
    }

    func clear() {
      weights.initialize(repeating: 0, count: sizes.0)
      hiddenBias.initialize(repeating: 0, count: sizes.1)
      activation.initialize(repeating: 0, count: sizes.1)
      visibleBias.initialize(repeating: 0, count: sizes.2)
      squaredError.initialize(to: 0)
    }

    deinit {
      weights.deallocate()
      hiddenBias.deallocate()
      activation.deallocate()
      visibleBias.deallocate()
      squaredError.deallocate()
    }
  }

  final class Workspace: @unchecked Sendable {
    let shape: ConvolutionShape
    let examples: Int
    let plan: ChunkPlan
    let workers: [WorkerScratch]
    let partials: [PartialSums]
    /// The current filters, padded for the sparse top-down pass; shared, read-only in the workers.
    let patches: ActivePatches
    let chainOut: UnsafeMutablePointer<Float>

    init(shape s: ConvolutionShape, pooling g: PoolingShape, examples n: Int) {
      shape = s
      examples = n
      // Small chunks (one 28×28 example on W1): OpenBLAS then multiplies with its small-matrix
      // kernels, which do not pack the operands (5 % less CPU per update on W1 than two examples).
      let plan = ChunkPlan(
        examples: n, floatsPerExample: (s.patchSize + 3 * s.filters) * s.outputPlane,
        budget: 1 << 16)
      self.plan = plan
      let workerCount = min(Parallelism.threads, max(1, plan.ranges.count))
      let patches = ActivePatches(shape: s, poolHeight: g.poolHeight, poolWidth: g.poolWidth)
      self.patches = patches
      workers = (0..<workerCount).map { _ in
        WorkerScratch(
          shape: s, pooling: g, chunk: plan.largest,
          groups: patches.scratchCount)
      }
      partials = plan.ranges.map { _ in PartialSums(shape: s) }
      chainOut = .allocate(capacity: max(1, n * s.inputSize))
      chainOut.initialize(repeating: 0, count: max(1, n * s.inputSize))
    }

    deinit { chainOut.deallocate() }
  }
}
