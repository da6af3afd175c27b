/// How a deconvolutional layer infers its feature maps z for an input y: the objective
///   C(z) = (λ/2)‖Σ_k g·(z_k ∗ f_k) − y‖² + Σ |z|^p
/// and the continuation that approaches its minimum (Zeiler et al. 2010, section 2.1): an auxiliary
/// w tied to z by (β/2)‖z − w‖², β = betaStart · betaGrowth^t for t < continuationSteps; at each β a
/// w-step (`PNormShrinkage`) then a z-step (`cgIterations` conjugate-gradient iterations on the
/// quadratic). Its maps are the last z-step's, never exactly sparse. With p = 1, `solver: fista`
/// minimises C itself (FISTA with restarts, `fistaIterations` steps), giving sparse maps: on the
/// `cdbn bench --only csc` problems the continuation ends 39–72 % above the minimum, with every
/// map value nonzero.
public struct DeconvInference: Sendable, Equatable {
  /// How the maps are found.
  public enum Solver: String, Sendable, CaseIterable {
    /// Zeiler et al.'s continuation (the paper's, and the default).
    case continuation
    /// FISTA on C at p = 1 (`ConvolutionalBPDN`'s solver).
    case fista
  }

  public var solver: Solver = .continuation
  /// FISTA steps per example (solver fista).
  public var fistaIterations: Int = 100
  /// λ: weight of the reconstruction term against the sparsity term.
  public var lambda: Float = 1
  /// The sparsity norm, in (0, 1].
  public var p: Float = 1
  public var betaStart: Float = 1
  public var betaGrowth: Float = 10
  public var continuationSteps: Int = 6
  /// Conjugate-gradient iterations of each z-step.
  public var cgIterations: Int = 5

  public init() {}

  /// The β of each continuation step.
  public var betas: [Float] {
    var b = betaStart
    return (0..<continuationSteps).map { _ in
      defer { b *= betaGrowth }
      return b
    }
  }

  /// Checks the settings; the error names the first bad one.
  public func validate() throws {
    func fail(_ m: String) -> ModelError { .invalidConfiguration("deconv \(m)") }
    guard lambda > 0, lambda.isFinite else {
      throw fail("lambda must be positive and finite (got \(lambda))")
    }
    guard p > 0, p <= 1 else { throw fail("p must be in (0, 1] (got \(p))") }
    guard betaStart > 0, betaStart.isFinite else {
      throw fail("beta_start must be positive (got \(betaStart))")
    }
    guard betaGrowth >= 1, betaGrowth.isFinite else {
      throw fail("beta_growth must be at least 1 (got \(betaGrowth))")
    }
    guard (1...100).contains(continuationSteps) else {
      throw fail("continuation_steps must be in 1...100 (got \(continuationSteps))")
    }
    guard betas.allSatisfy({ $0.isFinite }) else {
      throw fail(
        "beta overflows: beta_start \(betaStart) × beta_growth \(betaGrowth)^\(continuationSteps - 1)"
      )
    }
    guard (1...10_000).contains(cgIterations) else {
      throw fail("cg_iterations must be in 1...10000 (got \(cgIterations))")
    }
    guard (1...100_000).contains(fistaIterations) else {
      throw fail("fista_iterations must be in 1...100000 (got \(fistaIterations))")
    }
    guard solver != .fista || p == 1 else {
      throw fail("solver fista minimises the p = 1 objective (got p \(p)); use the continuation")
    }
  }
}
