import CDBNNumerics

/// Hyper-parameters of contrastive-divergence training of a ConvRBM.
public struct ContrastiveDivergence: Sendable, Equatable {
  /// Gibbs steps in the negative phase (CD-k).
  public var steps: Int = 1
  /// Persistent CD: negative chains carry over between updates instead of restarting at the data.
  public var persistent: Bool = false
  public var learningRate: Float = 0.01
  /// Learning rate of epoch e is learningRate · learningRateDecay^e.
  public var learningRateDecay: Float = 1
  public var initialMomentum: Float = 0.5
  public var finalMomentum: Float = 0.9
  /// Epochs that use `initialMomentum` before switching to `finalMomentum`.
  public var momentumSwitchEpoch: Int = 5
  /// L2 weight decay on the filters.
  public var weightDecay: Float = 0.01
  /// Target mean activation p of each hidden group.
  public var sparsityTarget: Float = 0.003
  /// λ: strength with which hidden biases are moved toward the target (0 disables).
  public var sparsityCost: Float = 5
  /// Decay of the running average of each group's activation used by the sparsity term.
  public var sparsityDecay: Float = 0.9
  /// Gaussian units: σ of epoch e is max(sigmaMin, σ₀ · sigmaDecay^e) (Lee's code: ×0.99 per epoch).
  public var sigmaDecay: Float = 1
  public var sigmaMin: Float = 0.1
  /// Training stops as diverged when the reconstruction error exceeds this multiple of the first one.
  public var divergenceFactor: Double = 1e4

  public init() {}

  /// Checks the settings; the error names the first bad one.
  public func validate() throws {
    func fail(_ m: String) -> ModelError { .invalidConfiguration(m) }
    guard steps >= 1 else { throw fail("cd steps must be at least 1 (got \(steps))") }
    guard learningRate > 0, learningRate.isFinite else {
      throw fail("learning_rate must be positive (got \(learningRate))")
    }
    guard learningRateDecay > 0, learningRateDecay <= 1 else {
      throw fail("learning_rate_decay must be in (0, 1] (got \(learningRateDecay))")
    }
    for (name, m) in [("initial_momentum", initialMomentum), ("final_momentum", finalMomentum)] {
      guard m >= 0, m < 1 else { throw fail("\(name) must be in [0, 1) (got \(m))") }
    }
    guard momentumSwitchEpoch >= 0 else { throw fail("momentum_switch_epoch must be ≥ 0") }
    guard weightDecay >= 0, weightDecay.isFinite else {
      throw fail("weight_decay must be ≥ 0 (got \(weightDecay))")
    }
    guard sparsityTarget > 0, sparsityTarget < 1 else {
      throw fail("sparsity_target must be in (0, 1) (got \(sparsityTarget))")
    }
    guard sparsityCost >= 0, sparsityCost.isFinite else {
      throw fail("sparsity_cost must be ≥ 0 (got \(sparsityCost))")
    }
    guard sparsityDecay >= 0, sparsityDecay < 1 else {
      throw fail("sparsity_decay must be in [0, 1)")
    }
    guard sigmaDecay > 0, sigmaDecay <= 1 else {
      throw fail("sigma_decay must be in (0, 1] (got \(sigmaDecay))")
    }
    guard sigmaMin > 0 else { throw fail("sigma_min must be positive (got \(sigmaMin))") }
    guard divergenceFactor > 1 else { throw fail("divergence_factor must exceed 1") }
  }

  public func learningRate(epoch: Int) -> Float {
    LearningRateSchedule.exponential(decay: learningRateDecay).rate(
      base: learningRate, epoch: epoch)
  }

  public func momentum(epoch: Int) -> Float {
    epoch < momentumSwitchEpoch ? initialMomentum : finalMomentum
  }
}
