import CDBNNumerics

/// One worker's buffers and kernels for a deconvolutional layer on inputs of one size, one example at
/// a time; allocated once per batch shape, so inference and the filter step allocate nothing.
///
/// The reconstruction A z = Σ_k z_k ∗ f_k (valid convolution: H×W from maps of (H+fh−1)×(W+fw−1)) is
/// the centre of the full convolution of z with the filters (`Convolution.convolveFull`), and its
/// adjoint Aᵀ r is the valid correlation of r, zero-padded by fh−1 and fw−1 on every side, with the
/// filters (`Convolution.correlateValid`). Both unfold only the C input channels, the smaller side.
/// They run here as the same im2col/col2im + sgemm kernels on this worker's own buffers (as the
/// ConvRBM trainer does) because the conjugate gradients apply them dozens of times per example.
final class DeconvSolver: @unchecked Sendable {
  /// The padded correlation behind Aᵀ: C × (H+2fh−2) × (W+2fw−2) ⋆ K × C × fh × fw, whose output
  /// planes are the feature maps.
  let shape: ConvolutionShape
  let height: Int
  let width: Int
  /// Floats of one example's input (C·H·W) and of its feature maps (K·Hz·Wz).
  let inputSize: Int
  let mapSize: Int

  private let padded, columns, reconstruction: UnsafeMutablePointer<Float>
  /// Per input channel, the maps connected to it, when the table leaves planes unconnected (nil for
  /// full connectivity): the products then run per channel over those maps only, instead of one
  /// dense sgemm whose unconnected planes multiply zeros (75 % of the work at fan-in 4 of 16).
  private let mapsOfChannel: [[Int]]?
  /// One channel's connected filter planes [K_c, fh·fw] and maps [K_c, Hz·Wz], gathered.
  private let gatheredFilters, gatheredMaps: UnsafeMutablePointer<Float>
  // Conjugate-gradient vectors over the feature maps; u tracks AᵀA z so that a new β needs no
  // extra operator call.
  private let w, aty, u, residual, direction, normal: UnsafeMutablePointer<Float>
  private let all: [UnsafeMutablePointer<Float>]

  init(
    channels: Int, height: Int, width: Int, maps: Int, filterHeight: Int, filterWidth: Int,
    connectivity: ConnectivityTable? = nil
  ) {
    shape = ConvolutionShape(
      channels: channels, height: height + 2 * (filterHeight - 1),
      width: width + 2 * (filterWidth - 1), filters: maps, filterHeight: filterHeight,
      filterWidth: filterWidth)
    self.height = height
    self.width = width
    inputSize = channels * height * width
    mapSize = shape.outputSize
    func make(_ n: Int) -> UnsafeMutablePointer<Float> {
      let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
      p.initialize(repeating: 0, count: max(1, n))
      return p
    }
    padded = make(shape.inputSize)
    columns = make(shape.patchSize * shape.outputPlane)
    reconstruction = make(inputSize)
    w = make(mapSize)
    aty = make(mapSize)
    u = make(mapSize)
    residual = make(mapSize)
    direction = make(mapSize)
    normal = make(mapSize)
    if let table = connectivity, table.connected.contains(false) {
      let lists = (0..<channels).map { c in
        (0..<maps).filter { table.connected[$0 * channels + c] }
      }
      let widest = lists.map(\.count).max() ?? 0
      mapsOfChannel = lists
      gatheredFilters = make(widest * filterHeight * filterWidth)
      gatheredMaps = make(widest * shape.outputPlane)
    } else {
      mapsOfChannel = nil
      (gatheredFilters, gatheredMaps) = (make(0), make(0))
    }
    all = [
      padded, columns, reconstruction, w, aty, u, residual, direction, normal, gatheredFilters,
      gatheredMaps,
    ]
  }

  deinit { for p in all { p.deallocate() } }

  /// One solver per worker for a batch of `examples` inputs of `height`×`width`.
  static func team(for layer: DeconvLayer, height: Int, width: Int, examples: Int)
    -> [DeconvSolver]
  {
    (0..<min(Parallelism.threads, max(1, examples))).map { _ in
      DeconvSolver(
        channels: layer.inputChannels, height: height, width: width, maps: layer.outputChannels,
        filterHeight: layer.filterHeight, filterWidth: layer.filterWidth,
        connectivity: layer.connectivity)
    }
  }

  // MARK: - The reconstruction and its adjoint

  /// out = A z [C, H, W] for maps z [K, Hz, Wz] and filters f [K, C, fh, fw].
  func reconstruct(
    _ z: UnsafePointer<Float>, filters f: UnsafePointer<Float>,
    into out: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    if let mapsOfChannel {
      let (taps, plane) = (s.filterHeight * s.filterWidth, s.outputPlane)
      for (c, maps) in mapsOfChannel.enumerated() {
        let rows = columns + c * taps * plane
        guard !maps.isEmpty else {
          rows.update(repeating: 0, count: taps * plane)
          continue
        }
        Self.gather(
          maps, of: f + c * taps, stride: s.channels * taps, count: taps, into: gatheredFilters)
        Self.gather(maps, of: z, stride: plane, count: plane, into: gatheredMaps)
        BLAS.sgemmInSmallTiles(
          .transposed, .none, m: taps, n: plane, k: maps.count, alpha: 1, a: gatheredFilters,
          lda: taps, b: gatheredMaps, ldb: plane, beta: 0, c: rows, ldc: plane)
      }
    } else {
      BLAS.sgemmInSmallTiles(
        .transposed, .none, m: s.patchSize, n: s.outputPlane, k: s.filters, alpha: 1, a: f,
        lda: s.patchSize, b: z, ldb: s.outputPlane, beta: 0, c: columns, ldc: s.outputPlane)
    }
    padded.update(repeating: 0, count: s.inputSize)
    Unfold.col2imAdd(s, count: 1, columns: columns, output: padded)
    let (rowOffset, columnOffset) = (s.filterHeight - 1, s.filterWidth - 1)
    for c in 0..<s.channels {
      for i in 0..<height {
        (out + (c * height + i) * width).update(
          from: padded + (c * s.height + i + rowOffset) * s.width + columnOffset, count: width)
      }
    }
  }

  /// Unfolds r [C, H, W], zero-padded to the shape's input, into `columns`.
  private func unfoldPadded(_ r: UnsafePointer<Float>) {
    let s = shape
    padded.update(repeating: 0, count: s.inputSize)
    let (rowOffset, columnOffset) = (s.filterHeight - 1, s.filterWidth - 1)
    for c in 0..<s.channels {
      for i in 0..<height {
        (padded + (c * s.height + i + rowOffset) * s.width + columnOffset).update(
          from: r + (c * height + i) * width, count: width)
      }
    }
    Unfold.im2col(s, count: 1, input: padded, columns: columns)
  }

  /// out = Aᵀ r [K, Hz, Wz] for r [C, H, W].
  func adjoint(
    _ r: UnsafePointer<Float>, filters f: UnsafePointer<Float>,
    into out: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    unfoldPadded(r)
    guard let mapsOfChannel else {
      BLAS.sgemmInSmallTiles(
        .none, .none, m: s.filters, n: s.outputPlane, k: s.patchSize, alpha: 1, a: f,
        lda: s.patchSize, b: columns, ldb: s.outputPlane, beta: 0, c: out, ldc: s.outputPlane)
      return
    }
    let (taps, plane) = (s.filterHeight * s.filterWidth, s.outputPlane)
    out.update(repeating: 0, count: s.filters * plane)
    for (c, maps) in mapsOfChannel.enumerated() where !maps.isEmpty {
      Self.gather(
        maps, of: f + c * taps, stride: s.channels * taps, count: taps, into: gatheredFilters)
      BLAS.sgemmInSmallTiles(
        .none, .none, m: maps.count, n: plane, k: taps, alpha: 1, a: gatheredFilters, lda: taps,
        b: columns + c * taps * plane, ldb: plane, beta: 0, c: gatheredMaps, ldc: plane)
      Self.scatterAdd(gatheredMaps, to: maps, of: out, stride: plane, count: plane)
    }
  }

  /// g += the filters' gradient of ⟨r, A z⟩: g[k,c,a,b] += Σ_{i,j} z[k,i,j]·pad(r)[c, i+a, j+b]
  /// (`Convolution.weightGradient` of the padded r and the maps).
  func accumulateFilterGradient(
    residual r: UnsafePointer<Float>, maps z: UnsafePointer<Float>,
    into g: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    unfoldPadded(r)
    guard let mapsOfChannel else {
      BLAS.sgemmInSmallTiles(
        .none, .transposed, m: s.filters, n: s.patchSize, k: s.outputPlane, alpha: 1, a: z,
        lda: s.outputPlane, b: columns, ldb: s.outputPlane, beta: 1, c: g, ldc: s.patchSize)
      return
    }
    // Unconnected planes get no gradient: they are held at zero.
    let (taps, plane) = (s.filterHeight * s.filterWidth, s.outputPlane)
    for (c, maps) in mapsOfChannel.enumerated() where !maps.isEmpty {
      Self.gather(maps, of: z, stride: plane, count: plane, into: gatheredMaps)
      BLAS.sgemmInSmallTiles(
        .none, .transposed, m: maps.count, n: taps, k: plane, alpha: 1, a: gatheredMaps,
        lda: plane, b: columns + c * taps * plane, ldb: plane, beta: 0, c: gatheredFilters,
        ldc: taps)
      Self.scatterAdd(
        gatheredFilters, to: maps, of: g + c * taps, stride: s.channels * taps, count: taps)
    }
  }

  /// Copies row k (`count` floats at k·stride) of `source` for each k of `rows` to consecutive rows
  /// of `into`.
  private static func gather(
    _ rows: [Int], of source: UnsafePointer<Float>, stride: Int, count: Int,
    into: UnsafeMutablePointer<Float>
  ) {
    for (j, k) in rows.enumerated() {
      (into + j * count).update(from: source + k * stride, count: count)
    }
  }

  /// Adds consecutive rows of `part` to row k (`count` floats at k·stride) of `target` for each k
  /// of `rows`: the inverse of `gather`, accumulating.
  private static func scatterAdd(
    _ part: UnsafePointer<Float>, to rows: [Int], of target: UnsafeMutablePointer<Float>,
    stride: Int, count: Int
  ) {
    for (j, k) in rows.enumerated() {
      let (row, source) = (target + k * stride, part + j * count)
      for i in 0..<count { row[i] += source[i] }
    }
  }

  // MARK: - Inference

  /// One example's maps z [K, Hz, Wz] for (λ/2)‖Az − y‖² + Σ|z|^p from z = 0, by the settings'
  /// solver: the continuation, or FISTA (`lipschitz` from `operatorNormSquared`; unused else).
  func infer(
    _ y: UnsafePointer<Float>, filters f: UnsafePointer<Float>, settings: DeconvInference,
    lipschitz: Float, into z: UnsafeMutablePointer<Float>
  ) {
    if settings.solver == .fista {
      z.update(repeating: 0, count: mapSize)
      fista(
        y, filters: f, penalty: 1 / settings.lambda, lipschitz: lipschitz,
        iterations: settings.fistaIterations, into: z)
      return
    }
    adjoint(y, filters: f, into: aty)
    z.update(repeating: 0, count: mapSize)
    u.update(repeating: 0, count: mapSize)
    var beta = settings.betaStart
    for _ in 0..<settings.continuationSteps {
      PNormShrinkage(p: settings.p, beta: beta).apply(z, into: w, count: mapSize)
      zStep(
        z, beta: beta, lambda: settings.lambda, iterations: settings.cgIterations, filters: f)
      beta *= settings.betaGrowth
    }
  }

  /// Starts a z-step's bookkeeping for y and an initial z: Aᵀy, AᵀA z, and w.
  func prepare(
    _ y: UnsafePointer<Float>, maps z: UnsafePointer<Float>, auxiliary: UnsafePointer<Float>,
    filters f: UnsafePointer<Float>
  ) {
    adjoint(y, filters: f, into: aty)
    reconstruct(z, filters: f, into: reconstruction)
    adjoint(reconstruction, filters: f, into: u)
    w.update(from: auxiliary, count: mapSize)
  }

  /// The z-step at fixed w: minimises (λ/2)‖Az − y‖² + (β/2)‖z − w‖², i.e. solves
  /// (λAᵀA + βI) z = λAᵀy + βw, by `iterations` conjugate-gradient steps from the current z. Needs
  /// Aᵀy in `aty` and AᵀA z in `u`, and keeps `u` up to date.
  func zStep(
    _ z: UnsafeMutablePointer<Float>, beta: Float, lambda: Float, iterations: Int,
    filters f: UnsafePointer<Float>
  ) {
    let n = mapSize
    let (r, d, q) = (residual, direction, normal)
    for i in 0..<n { r[i] = lambda * (aty[i] - u[i]) + beta * (w[i] - z[i]) }
    d.update(from: r, count: n)
    var rr = VectorMath.dot(r, r, count: n)
    // Float residuals stall near 1e-7 of their start: stop there rather than divide noise.
    let floor = rr * 1e-12
    for _ in 0..<iterations {
      guard rr > floor, rr > 0 else { return }
      reconstruct(d, filters: f, into: reconstruction)
      adjoint(reconstruction, filters: f, into: q)
      let curvature =
        lambda * VectorMath.dot(d, q, count: n) + beta * VectorMath.dot(d, d, count: n)
      guard curvature > 0 else { return }
      let alpha = rr / curvature
      for i in 0..<n {
        z[i] += alpha * d[i]
        u[i] += alpha * q[i]
        r[i] -= alpha * (lambda * q[i] + beta * d[i])
      }
      let next = VectorMath.dot(r, r, count: n)
      let ratio = next / rr
      for i in 0..<n { d[i] = r[i] + ratio * d[i] }
      rr = next
    }
  }

  // MARK: - FISTA

  /// ‖AᵀA‖ for the filters f by 30 power iterations from a fixed start (deterministic), with a 1 %
  /// margin: the Lipschitz constant of ∇½‖Az − y‖² that FISTA's step needs.
  func operatorNormSquared(filters f: UnsafePointer<Float>) -> Float {
    let (v, av) = (w, u)
    var rng = RandomStream(seed: 1, stream: 0xC5C)
    for i in 0..<mapSize { v[i] = rng.nextNormal() }
    var estimate: Float = 0
    for _ in 0..<30 {
      let norm = VectorMath.dot(v, v, count: mapSize).squareRoot()
      guard norm > 0 else { break }
      for i in 0..<mapSize { v[i] /= norm }
      reconstruct(v, filters: f, into: reconstruction)
      adjoint(reconstruction, filters: f, into: av)
      estimate = VectorMath.dot(v, av, count: mapSize)
      v.update(from: av, count: mapSize)
    }
    return 1.01 * estimate
  }

  /// FISTA on ½‖Az − y‖² + μ Σ|z| from the maps in z (a warm start), up to `iterations` steps with the
  /// step 1/L (L ≥ ‖A‖², `operatorNormSquared`); `afterEach(t)` after step t, with z holding that
  /// step's iterate, says whether to go on. The momentum restarts whenever it points against the
  /// step just taken (O'Donoghue & Candès 2015's gradient scheme), which keeps FISTA's rate without
  /// its ripples.
  func fista(
    _ y: UnsafePointer<Float>, filters f: UnsafePointer<Float>, penalty mu: Float,
    lipschitz: Float, iterations: Int, into z: UnsafeMutablePointer<Float>,
    afterEach: (Int) -> Bool = { _ in true }
  ) {
    guard iterations > 0 else { return }
    let (momentum, previous, gradient) = (w, u, normal)
    let n = mapSize
    let step = 1 / lipschitz
    let threshold = mu * step
    var t: Float = 1
    momentum.update(from: z, count: n)
    for iteration in 1...iterations {
      // The gradient Aᵀ(A m − y) at the momentum point m.
      reconstruct(momentum, filters: f, into: reconstruction)
      for i in 0..<inputSize { reconstruction[i] -= y[i] }
      adjoint(reconstruction, filters: f, into: gradient)
      previous.update(from: z, count: n)
      var against: Float = 0
      for i in 0..<n {
        let v = momentum[i] - step * gradient[i]
        let shrunk = v > threshold ? v - threshold : (v < -threshold ? v + threshold : 0)
        against += (momentum[i] - shrunk) * (shrunk - previous[i])
        z[i] = shrunk
      }
      let tNext = against > 0 ? 1 : (1 + (1 + 4 * t * t).squareRoot()) / 2
      let blend = against > 0 ? 0 : (t - 1) / tNext
      for i in 0..<n { momentum[i] = z[i] + blend * (z[i] - previous[i]) }
      t = tNext
      guard afterEach(iteration) else { return }
    }
  }

  /// ½‖Az − y‖² + μ Σ|z| for one input and its maps, in Double.
  func l1Objective(
    _ y: UnsafePointer<Float>, maps z: UnsafePointer<Float>, filters f: UnsafePointer<Float>,
    penalty mu: Float
  ) -> Double {
    reconstruct(z, filters: f, into: reconstruction)
    var squared = 0.0
    for i in 0..<inputSize {
      let d = Double(reconstruction[i]) - Double(y[i])
      squared += d * d
    }
    var l1 = 0.0
    for i in 0..<mapSize { l1 += Double(abs(z[i])) }
    return 0.5 * squared + Double(mu) * l1
  }

  // MARK: - The filter step

  /// g += ∇_f ½‖A(f) z − y‖² for one example; returns ‖A z − y‖².
  func accumulateFilterGradient(
    _ y: UnsafePointer<Float>, maps z: UnsafePointer<Float>, filters f: UnsafePointer<Float>,
    into g: UnsafeMutablePointer<Float>
  ) -> Double {
    reconstruct(z, filters: f, into: reconstruction)
    var squared = 0.0
    for i in 0..<inputSize {
      reconstruction[i] -= y[i]
      squared += Double(reconstruction[i]) * Double(reconstruction[i])
    }
    accumulateFilterGradient(residual: reconstruction, maps: z, into: g)
    return squared
  }

  /// g += BᵀB d, where B d = A(d) z is the reconstruction as a linear map of the filters: the
  /// normal operator of the filter step's least squares.
  func accumulateFilterNormal(
    maps z: UnsafePointer<Float>, direction d: UnsafePointer<Float>,
    into g: UnsafeMutablePointer<Float>
  ) {
    reconstruct(z, filters: d, into: reconstruction)
    accumulateFilterGradient(residual: reconstruction, maps: z, into: g)
  }
}
