/// The encoder's elementwise function f in z̃ = f(W ∗ x).
public enum EncoderFunction: String, Sendable, CaseIterable {
  /// z̃_k = g_k · tanh(W_k ∗ x + b_k): a gain g and a bias b per map.
  case tanh
  /// z̃_k = sh_{g_k, b_k}(W_k ∗ x): the smooth shrinkage of Kavukcuoglu et al. 2010 with sharpness
  /// g_k and threshold b_k per map (see `Shrinkage.smooth`).
  case shrink
}

/// Which codes a PSD layer's features are made of.
public enum CodeSource: String, Sendable, CaseIterable {
  /// The encoder's prediction f(W ∗ x): one convolution, fast.
  case encoder
  /// The codes that minimise the energy (FISTA, warm-started from the prediction): exact, slow.
  case codes
}

/// What defines a PSD layer besides its parameters: the energy's weights, the encoder's function,
/// where features come from, and how FISTA infers codes.
public struct PSDSettings: Sendable, Equatable {
  /// λ, the weight of ‖z‖₁.
  public var sparsity: Float = 0.5
  /// β, the weight of ‖z − f(W ∗ x)‖².
  public var predictionWeight: Float = 1
  public var encoder: EncoderFunction = .tanh
  public var features: CodeSource = .encoder
  /// FISTA's iteration cap.
  public var fistaIterations: Int = 50
  /// FISTA stops once an accepted step lowers the energy by less than this fraction of it.
  public var fistaTolerance: Float = 1e-4

  public init() {}

  /// Checks the settings; the error names the first bad one by its config key.
  public func validate() throws {
    func fail(_ m: String) -> ModelError { .invalidConfiguration("psd \(m)") }
    guard sparsity >= 0, sparsity.isFinite else {
      throw fail("lambda must be ≥ 0 and finite (got \(sparsity))")
    }
    guard predictionWeight >= 0, predictionWeight.isFinite else {
      throw fail("beta must be ≥ 0 and finite (got \(predictionWeight))")
    }
    guard fistaIterations >= 1, fistaIterations <= 1_000_000 else {
      throw fail("fista_iterations must be in 1...1000000 (got \(fistaIterations))")
    }
    guard fistaTolerance >= 0, fistaTolerance < 1 else {
      throw fail("fista_tolerance must be in [0, 1) (got \(fistaTolerance))")
    }
  }
}
