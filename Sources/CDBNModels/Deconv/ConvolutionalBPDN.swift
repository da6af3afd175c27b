import CDBNNumerics
import RealModule

/// Convolutional basis pursuit denoising (SPORCO's `ConvBPDN` problem) in the deconvolutional
/// layer's geometry: for an input y [C, H, W] and fixed filters f [K, C, fh, fw], the maps
/// z [K, H+fh−1, W+fw−1] minimising
///   ½‖A z − y‖² + λ Σ|z|,   A z = Σ_k z_k ∗ f_k (valid convolution),
/// by FISTA (Beck & Teboulle 2009) with the step 1/L, L = ‖A‖² by power iteration.
///
/// This is the deconvolutional layer's objective at p = 1 (its λ is 1/λ here), solved as the field
/// solves the ℓ1 problem rather than by Zeiler's continuation, which only approaches it; it shares
/// the layer's operator kernels (`DeconvSolver`), so it allocates nothing per iteration.
public final class ConvolutionalBPDN {
  public let filters: Tensor
  public let lambda: Float
  public let height: Int
  public let width: Int
  /// L = ‖A‖², the Lipschitz constant of the smooth term's gradient (a 1 % margin above the
  /// power-iteration estimate).
  public let lipschitz: Float
  private let solver: DeconvSolver
  private let residual: UnsafeMutablePointer<Float>
  private let gradient, previous, momentum: UnsafeMutablePointer<Float>

  /// A solver for inputs of `height`×`width`; throws for a filter larger than the input or a λ that
  /// is not positive and finite.
  public init(filters: Tensor, lambda: Float, height: Int, width: Int) throws {
    guard filters.rank == 4, filters.shape.allSatisfy({ $0 > 0 }) else {
      throw ModelError.invalidConfiguration(
        "CSC filters must be [K, C, fh, fw], got \(filters.shape)")
    }
    guard height >= filters.shape[2], width >= filters.shape[3] else {
      throw ModelError.invalidConfiguration(
        "CSC input \(height)×\(width) is smaller than the \(filters.shape[2])×\(filters.shape[3]) filters"
      )
    }
    guard lambda > 0, lambda.isFinite else {
      throw ModelError.invalidConfiguration(
        "CSC lambda must be positive and finite (got \(lambda))")
    }
    self.filters = filters
    self.lambda = lambda
    self.height = height
    self.width = width
    solver = DeconvSolver(
      channels: filters.shape[1], height: height, width: width, maps: filters.shape[0],
      filterHeight: filters.shape[2], filterWidth: filters.shape[3])
    residual = .allocate(capacity: solver.inputSize)
    gradient = .allocate(capacity: solver.mapSize)
    previous = .allocate(capacity: solver.mapSize)
    momentum = .allocate(capacity: solver.mapSize)
    lipschitz = 1.01 * Self.operatorNormSquared(solver, filters: filters, into: momentum, gradient)
  }

  deinit {
    residual.deallocate()
    gradient.deallocate()
    previous.deallocate()
    momentum.deallocate()
  }

  /// Floats of one input (C·H·W) and of its maps (K·Hz·Wz).
  public var inputSize: Int { solver.inputSize }
  public var mapSize: Int { solver.mapSize }

  /// ‖AᵀA‖ by 30 power iterations from a fixed start (deterministic).
  private static func operatorNormSquared(
    _ s: DeconvSolver, filters: Tensor, into v: UnsafeMutablePointer<Float>,
    _ w: UnsafeMutablePointer<Float>
  ) -> Float {
    var rng = RandomStream(seed: 1, stream: 0xC5C)
    for i in 0..<s.mapSize { v[i] = rng.nextNormal() }
    let r = UnsafeMutablePointer<Float>.allocate(capacity: s.inputSize)
    defer { r.deallocate() }
    var estimate: Float = 0
    filters.scalars.withUnsafeBufferPointer { f in
      for _ in 0..<30 {
        let norm = VectorMath.dot(v, v, count: s.mapSize).squareRoot()
        guard norm > 0 else { return }
        for i in 0..<s.mapSize { v[i] /= norm }
        s.reconstruct(v, filters: f.baseAddress!, into: r)
        s.adjoint(r, filters: f.baseAddress!, into: w)
        estimate = VectorMath.dot(v, w, count: s.mapSize)
        v.update(from: w, count: s.mapSize)
      }
    }
    return estimate
  }

  /// ½‖A z − y‖² + λ Σ|z| for one input and its maps, in Double.
  public func objective(_ y: UnsafePointer<Float>, maps z: UnsafePointer<Float>) -> Double {
    filters.scalars.withUnsafeBufferPointer { f in
      solver.reconstruct(z, filters: f.baseAddress!, into: residual)
    }
    var squared = 0.0
    for i in 0..<inputSize {
      let d = Double(residual[i]) - Double(y[i])
      squared += d * d
    }
    var l1 = 0.0
    for i in 0..<mapSize { l1 += Double(abs(z[i])) }
    return 0.5 * squared + Double(lambda) * l1
  }

  /// Runs up to `iterations` FISTA steps on the maps `z` (a warm start; zeros for a cold one),
  /// calling `afterEach(t)` after step t (1-based) with `z` holding that step's iterate; it returns
  /// whether to go on. The momentum
  /// restarts whenever it points against the step just taken (O'Donoghue & Candès 2015's gradient
  /// scheme), which keeps FISTA's rate without its ripples.
  public func solve(
    _ y: UnsafePointer<Float>, maps z: UnsafeMutablePointer<Float>, iterations: Int,
    afterEach: (Int) -> Bool = { _ in true }
  ) {
    guard iterations > 0 else { return }
    let n = mapSize
    let step = 1 / lipschitz
    let threshold = lambda * step
    var t: Float = 1
    momentum.update(from: z, count: n)
    filters.scalars.withUnsafeBufferPointer { fp in
      let f = fp.baseAddress!
      for iteration in 1...iterations {
        // The gradient Aᵀ(A m − y) at the momentum point m.
        solver.reconstruct(momentum, filters: f, into: residual)
        for i in 0..<inputSize { residual[i] -= y[i] }
        solver.adjoint(residual, filters: f, into: gradient)
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
  }
}
