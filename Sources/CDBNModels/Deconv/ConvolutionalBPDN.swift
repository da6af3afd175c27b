import CDBNNumerics

/// Convolutional basis pursuit denoising (SPORCO's `ConvBPDN` problem) in the deconvolutional
/// layer's geometry: for an input y [C, H, W] and fixed filters f [K, C, fh, fw], the maps
/// z [K, H+fh−1, W+fw−1] minimising
///   ½‖A z − y‖² + λ Σ|z|,   A z = Σ_k z_k ∗ f_k (valid convolution),
/// by FISTA with restarts (Beck & Teboulle 2009; O'Donoghue & Candès 2015), step 1/L with L ≥ ‖A‖²
/// by power iteration.
///
/// This is the deconvolutional layer's objective at p = 1 (its λ is 1/λ here) and the solver of its
/// `solver: fista`, on the layer's own operator kernels (`DeconvSolver`): nothing is allocated per
/// iteration.
public final class ConvolutionalBPDN {
  public let filters: Tensor
  public let lambda: Float
  public let height: Int
  public let width: Int
  /// L ≥ ‖A‖², the Lipschitz constant of the smooth term's gradient.
  public let lipschitz: Float
  private let solver: DeconvSolver

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
    lipschitz = filters.scalars.withUnsafeBufferPointer { [solver] in
      solver.operatorNormSquared(filters: $0.baseAddress!)
    }
  }

  /// Floats of one input (C·H·W) and of its maps (K·Hz·Wz).
  public var inputSize: Int { solver.inputSize }
  public var mapSize: Int { solver.mapSize }

  /// ½‖A z − y‖² + λ Σ|z| for one input and its maps, in Double.
  public func objective(_ y: UnsafePointer<Float>, maps z: UnsafePointer<Float>) -> Double {
    filters.scalars.withUnsafeBufferPointer {
      solver.l1Objective(y, maps: z, filters: $0.baseAddress!, penalty: lambda)
    }
  }

  /// Runs up to `iterations` FISTA steps on the maps `z` (a warm start; zeros for a cold one),
  /// calling `afterEach(t)` after step t (1-based) with `z` holding that step's iterate; it returns
  /// whether to go on.
  public func solve(
    _ y: UnsafePointer<Float>, maps z: UnsafeMutablePointer<Float>, iterations: Int,
    afterEach: (Int) -> Bool = { _ in true }
  ) {
    filters.scalars.withUnsafeBufferPointer {
      solver.fista(
        y, filters: $0.baseAddress!, penalty: lambda, lipschitz: lipschitz,
        iterations: iterations, into: z, afterEach: afterEach)
    }
  }
}
