import CDBNNumerics

/// Where one mini-batch's conjugate-gradient steps take the filters (before their planes are put back
/// to unit norm).
public struct DeconvGradient: LayerGradient {
  /// [K, C, fh, fw], flat.
  public var filters: [Float]
  public var statistics: TrainingStatistics
}

/// Trains a deconvolutional layer on mini-batches: for each batch, infer the feature maps z with the
/// current filters (from z = 0), then take `filterIterations` conjugate-gradient steps from the
/// current filters on the batch's least squares Σ_n ½‖A_n(f) − y_n‖² (z fixed; planes outside the
/// connectivity table held at zero), then scale every filter plane back to unit norm (Zeiler et al.
/// 2010, section 2.2). A few steps per batch rather than a full solve keep one batch from dictating
/// the filters.
///
/// Nothing is random and each example is solved on its own, with per-example filter sums added
/// exactly (`ExactSum`): the result depends on neither the thread count nor the process count, and
/// the state to resume is the step counter. In a data-parallel run every conjugate-gradient step
/// reduces the batch's sums across the processes.
public final class DeconvTrainer: LayerTrainer {
  public internal(set) var layer: DeconvLayer
  public let filterIterations: Int
  public internal(set) var step: Int = 0
  /// Reconstruction error of the first update (reported; the filters cannot blow up, being unit-norm).
  public internal(set) var firstError: Double?

  private var solvers: [DeconvSolver] = []
  /// One filter-sized sum per example.
  private var partials: [Float] = []

  public init(layer: DeconvLayer, filterIterations: Int = 2) throws {
    guard (1...1000).contains(filterIterations) else {
      throw ModelError.invalidConfiguration(
        "deconv filter_cg_iterations must be in 1...1000 (got \(filterIterations))")
    }
    self.layer = layer
    self.filterIterations = filterIterations
  }

  public var currentLayer: any FeatureLayer { layer }

  public func finishEpoch(_ epoch: Int) {}

  /// Infers the maps of this process's examples, then takes the conjugate-gradient steps on the
  /// whole batch; the layer is not changed.
  public func gradient(of batch: Tensor, share: BatchShare) throws -> DeconvGradient {
    try layer.validate(batch)
    try share.check(batch)
    let (local, c, h, w) = batch.dims4
    let n = share.batchSize
    if solvers.count != max(1, min(Parallelism.threads, local)) || solvers[0].height != h
      || solvers[0].width != w
    {
      solvers = DeconvSolver.team(for: layer, height: h, width: w, examples: max(1, local))
    }
    let z = layer.inferMaps(batch, solvers: solvers)
    let count = layer.filters.count

    // The gradient at the current filters, and the batch's reconstruction error with them.
    var filters = layer.filters.scalars
    var (gradient, squaredError) = try filters.withUnsafeBufferPointer { f in
      nonisolated(unsafe) let f = f.baseAddress!
      return try sumOverExamples(batch, maps: z, share: share) { solver, y, maps, partial in
        solver.accumulateFilterGradient(y, maps: maps, filters: f, into: partial)
      }
    }
    layer.mask(&gradient)

    // Conjugate gradients on the filters' least squares, from the current filters.
    var residual = gradient.map { -$0 }
    var direction = residual
    var rr = Self.dot(residual, residual)
    for _ in 0..<filterIterations {
      guard rr > 0 else { break }
      var (normal, _) = try direction.withUnsafeBufferPointer { d in
        nonisolated(unsafe) let d = d.baseAddress!
        return try sumOverExamples(batch, maps: z, share: share) { solver, _, maps, partial in
          solver.accumulateFilterNormal(maps: maps, direction: d, into: partial)
          return 0
        }
      }
      layer.mask(&normal)
      let curvature = Self.dot(direction, normal)
      guard curvature > 0 else { break }
      let alpha = rr / curvature
      for i in 0..<count {
        filters[i] += alpha * direction[i]
        residual[i] -= alpha * normal[i]
      }
      let next = Self.dot(residual, residual)
      for i in 0..<count { direction[i] = residual[i] + next / rr * direction[i] }
      rr = next
    }
    let error = squaredError / Double(n * c * h * w)
    return DeconvGradient(
      filters: filters,
      statistics: TrainingStatistics(
        reconstructionError: error, meanActivation: try Self.meanMagnitude(z, share: share),
        examples: n))
  }

  /// Takes the filters the gradient reached and scales every plane back to unit norm.
  public func apply(_ gradient: DeconvGradient, epoch: Int) throws {
    guard gradient.filters.count == layer.filters.count, gradient.filters.allSatisfy(\.isFinite)
    else {
      throw ModelError.diverged(
        "deconv filters became NaN or infinite at update \(step) (epoch \(epoch + 1))")
    }
    layer.filters.scalars = gradient.filters
    layer.normalizeFilters()
    if firstError == nil { firstError = gradient.statistics.reconstructionError }
    step += 1
  }

  /// Σ over the whole batch of `body`'s filter-sized sums and of its returned numbers: this process's
  /// examples in parallel, each summing into its own zeroed partial; the partials of every process
  /// added exactly (`BatchShare.sumUnits`).
  private func sumOverExamples(
    _ batch: Tensor, maps z: Tensor, share: BatchShare,
    _ body: (DeconvSolver, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>)
      -> Double
  ) throws -> (sum: [Float], value: Double) {
    let n = share.batchSize
    let local = batch.shape[0]
    let first = share.examples.lowerBound
    let count = layer.filters.count
    if partials.count != n * count { partials = [Float](repeating: 0, count: n * count) }
    var values = [Double](repeating: 0, count: n)
    let solvers = self.solvers
    batch.scalars.withUnsafeBufferPointer { yp in
      z.scalars.withUnsafeBufferPointer { zp in
        partials.withUnsafeMutableBufferPointer { pp in
          values.withUnsafeMutableBufferPointer { vp in
            nonisolated(unsafe) let (yp, zp, pp, vp) = (
              yp.baseAddress, zp.baseAddress, pp.baseAddress!, vp.baseAddress!
            )
            withoutActuallyEscaping(body) { body in
              nonisolated(unsafe) let body = body
              Parallelism.forEach(local, threads: solvers.count) { e, worker in
                let s = solvers[worker]
                let partial = pp + (first + e) * count
                partial.update(repeating: 0, count: count)
                vp[first + e] = body(s, yp! + e * s.inputSize, zp! + e * s.mapSize, partial)
              }
            }
          }
        }
      }
    }
    // One unit per example, so the units' sums are the examples'.
    let total = try share.sumUnits(partials, stride: count)
    let value = try share.sumUnits(values, stride: 1)[0]
    return (total, value)
  }

  private static func dot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        VectorMath.dot(ap.baseAddress!, bp.baseAddress!, count: ap.count)
      }
    }
  }

  /// Mean |z| of each feature map over the whole batch, of which `z` holds this process's maps:
  /// the layer's activation statistic, from per-example sums added exactly.
  static func meanMagnitude(_ z: Tensor, share: BatchShare) throws -> [Float] {
    let (local, k, h, w) = z.dims4
    let plane = h * w
    let n = share.batchSize
    var sums = [Double](repeating: 0, count: n * k)
    for e in 0..<local {
      for kk in 0..<k {
        let base = (e * k + kk) * plane
        var sum = 0.0
        for i in 0..<plane { sum += Double(abs(z.scalars[base + i])) }
        sums[(share.examples.lowerBound + e) * k + kk] = sum
      }
    }
    return try share.sumUnits(sums, stride: k).map { Float($0 / Double(max(1, n * plane))) }
  }
}
