import CDBNNumerics

/// The CD-k / PCD statistics of one mini-batch, averaged per hidden (or visible) unit: what
/// `ConvRBMTrainer.apply` turns into an update.
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
  /// PCD only: the negative chains of the whole batch after it.
  public var chains: Tensor?
}

/// Trains a ConvRBM with CD-k or persistent CD, momentum, weight decay and a sparsity target.
///
/// The batch is cut into chunks (see `ChunkPlan`); each chunk runs the whole Gibbs chain on one worker
/// with its own scratch and its own random stream keyed by (seed, step, chunk), and the chunks'
/// statistics are added exactly (`ExactSum`). So the result depends on the seed and not on the
/// threads or processes.
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

  /// Chunks of about 64 K floats of unfolded matrix (one example on W1-sized layers and larger).
  public func workUnits(batchSize: Int, inputShape: [Int]) -> [Range<Int>] {
    Self.plan(
      rbm.convolutionShape(height: inputShape[1], width: inputShape[2]), examples: batchSize
    )
    .ranges
  }

  /// Small chunks (one 28×28 example on W1): OpenBLAS then multiplies with its small-matrix
  /// kernels, which do not pack the operands (5 % less CPU per update on W1 than two examples).
  static func plan(_ s: ConvolutionShape, examples n: Int) -> ChunkPlan {
    ChunkPlan(
      examples: n, floatsPerExample: (s.patchSize + 3 * s.filters) * s.outputPlane, budget: 1 << 16)
  }

  /// The statistics of one mini-batch, of which `shard` [n, C, H, W] holds this process's examples;
  /// parameters are not changed.
  public func gradient(of shard: Tensor, share: BatchShare) throws -> ConvRBMGradient {
    try rbm.validate(shard)
    try share.check(shard)
    let n = share.batchSize
    let s = rbm.convolutionShape(height: shard.shape[2], width: shard.shape[3])
    let g = rbm.poolingShape(height: shard.shape[2], width: shard.shape[3])
    let batchShape = [n] + Array(shard.shape.dropFirst())
    if settings.persistent, let c = chains, c.shape != batchShape {
      throw ModelError.shapeMismatch(
        "PCD chains are \(c.shape) but the batch is \(batchShape); keep the batch shape fixed")
    }
    let ws = workspace(for: s, pooling: g, examples: n)
    guard ws.plan.ranges == share.units else {
      throw ModelError.shapeMismatch("the batch share was cut for another layer or batch size")
    }
    let k = s.filters
    let stepSeed = UInt64(step)
    let rbm = self.rbm
    let settings = self.settings
    let seed = self.seed
    let topDown = topDownPass
    let first = share.examples.lowerBound
    rbm.weights.scalars.withUnsafeBufferPointer { ws.patches.load(filters: $0.baseAddress!) }
    // PCD: every process holds the whole batch's chains; they start at the data.
    if settings.persistent {
      if let chains {
        chains.scalars.withUnsafeBufferPointer {
          ws.chainOut.update(from: $0.baseAddress!, count: $0.count)
        }
      } else if !shard.scalars.isEmpty {
        shard.scalars.withUnsafeBufferPointer {
          (ws.chainOut + first * s.inputSize).update(from: $0.baseAddress!, count: $0.count)
        }
      }
    }

    // A process whose share is empty (fewer chunks than processes) only takes part in the sums.
    if !share.owned.isEmpty {
      shard.scalars.withUnsafeBufferPointer { data in
        rbm.weights.scalars.withUnsafeBufferPointer { w in
          rbm.hiddenBias.withUnsafeBufferPointer { b in
            nonisolated(unsafe) let (data, w, b) = (
              data.baseAddress!, w.baseAddress!, b.baseAddress!
            )
            let chainPointer: UnsafeMutablePointer<Float>? = settings.persistent ? ws.chainOut : nil
            nonisolated(unsafe) let chain = chainPointer
            let owned = share.owned
            Parallelism.forEach(owned.count, threads: ws.workers.count) { task, worker in
              let unit = owned.lowerBound + task
              let range = ws.plan.ranges[unit]
              var rng = RandomStream(seed: seed, stream: (stepSeed << 16) | UInt64(unit))
              ConvRBMTrainer.chunk(
                rbm: rbm, settings: settings, shape: s, pooling: g, weights: w, hiddenBias: b,
                data: data + (range.lowerBound - first) * s.inputSize, count: range.count,
                chain: chain.map { $0 + range.lowerBound * s.inputSize },
                patches: ws.patches, topDown: topDown, scratch: ws.workers[worker],
                partial: ws.partial(unit), rng: &rng)
            }
          }
        }
      }
    }
    if settings.persistent { try share.gatherExamples(ws.chainOut, stride: s.inputSize) }

    // The chunks' partial sums, added exactly (see `PartialSums` for the layout).
    let total = try share.sumUnits(ws.unitFloats, stride: ws.floatsPerUnit)
    let squaredError = try share.sumUnits(ws.unitErrors, stride: 1)[0]
    let hiddenUnits = Float(n * s.outputPlane)
    let visibleUnits = Float(n * s.inputPlane)
    let wc = s.weightCount
    let gw = total[0..<wc].map { $0 / hiddenUnits }
    let gb = total[wc..<(wc + k)].map { $0 / hiddenUnits }
    let activation = total[(wc + k)..<(wc + 2 * k)].map { $0 / hiddenUnits }
    let gc = total[(wc + 2 * k)..<(wc + 2 * k + s.channels)].map { $0 / visibleUnits }
    var newChains: Tensor? = nil
    if settings.persistent {
      var c = Tensor(zeros: batchShape)
      c.scalars.withUnsafeMutableBufferPointer {
        $0.baseAddress!.update(from: ws.chainOut, count: $0.count)
      }
      newChains = c
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

  /// One chunk's summed statistics: a view of its slot in `Workspace.unitFloats` and `unitErrors`.
  struct PartialSums {
    let weights, hiddenBias, visibleBias, activation: UnsafeMutablePointer<Float>
    let squaredError: UnsafeMutablePointer<Double>
    private let floats: Int

    /// Weights, hidden biases, activations (the same sums as the hidden biases' data half), then
    /// visible biases.
    static func floats(_ s: ConvolutionShape) -> Int { s.weightCount + 2 * s.filters + s.channels }

    init(
      shape s: ConvolutionShape, floats base: UnsafeMutablePointer<Float>,
      error: UnsafeMutablePointer<Double>
    ) {
      floats = Self.floats(s)
      weights = base
      hiddenBias = base + s.weightCount
      activation = hiddenBias + s.filters
      visibleBias = activation + s.filters
      squaredError = error
    }

    func clear() {
      weights.update(repeating: 0, count: floats)
      squaredError.pointee = 0
    }
  }

  final class Workspace: @unchecked Sendable {
    let shape: ConvolutionShape
    let examples: Int
    let plan: ChunkPlan
    let workers: [WorkerScratch]
    /// Every chunk's partial sums (`PartialSums.floats` each) and squared errors, gathered whole.
    let unitFloats: UnsafeMutablePointer<Float>
    let unitErrors: UnsafeMutablePointer<Double>
    let floatsPerUnit: Int
    /// The current filters, padded for the sparse top-down pass; shared, read-only in the workers.
    let patches: ActivePatches
    /// The whole batch's persistent chains.
    let chainOut: UnsafeMutablePointer<Float>

    init(shape s: ConvolutionShape, pooling g: PoolingShape, examples n: Int) {
      shape = s
      examples = n
      let plan = ConvRBMTrainer.plan(s, examples: n)
      self.plan = plan
      let workerCount = min(Parallelism.threads, max(1, plan.ranges.count))
      let patches = ActivePatches(shape: s, poolHeight: g.poolHeight, poolWidth: g.poolWidth)
      self.patches = patches
      workers = (0..<workerCount).map { _ in
        WorkerScratch(
          shape: s, pooling: g, chunk: plan.largest,
          groups: patches.scratchCount)
      }
      floatsPerUnit = PartialSums.floats(s)
      let units = max(1, plan.ranges.count)
      unitFloats = .allocate(capacity: units * floatsPerUnit)
      unitFloats.initialize(repeating: 0, count: units * floatsPerUnit)
      unitErrors = .allocate(capacity: units)
      unitErrors.initialize(repeating: 0, count: units)
      chainOut = .allocate(capacity: max(1, n * s.inputSize))
      chainOut.initialize(repeating: 0, count: max(1, n * s.inputSize))
    }

    func partial(_ unit: Int) -> PartialSums {
      PartialSums(
        shape: shape, floats: unitFloats + unit * floatsPerUnit, error: unitErrors + unit)
    }

    deinit {
      chainOut.deallocate()
      unitFloats.deallocate()
      unitErrors.deallocate()
    }
  }
}
